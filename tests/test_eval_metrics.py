"""Evaluation metrics on hand-checked cases: accuracy, factors, citations, groundedness, leaks, percentiles."""

from __future__ import annotations

import pytest

from agent_crm.evaluation import metrics as m
from agent_crm.evaluation.grounding import groundedness, numbers
from agent_crm.evaluation.safety import find_leaks, is_refusal, mask, policy_detector


def test_accuracy_is_membership_in_the_acceptable_set() -> None:
    """A label is right iff it is one of the acceptable labels; a missing label is wrong."""
    assert m.label_correct("approve", ("approve", "approve_with_conditions"))
    assert not m.label_correct("decline", ("approve",))
    assert not m.label_correct(None, ("approve",))


def test_top3_overlap_counts_shared_factors_over_three() -> None:
    """Predicted top 3 {a,b,c} vs expected {b,x,a} share two: 2/3; a shorter expectation is fully met."""
    assert m.top_k_overlap(["a", "b", "c", "d"], ["b", "x", "a"]) == pytest.approx(2 / 3)
    assert m.top_k_overlap(["d", "a", "b", "c"], ["c"]) == 0.0  # c is 4th: outside the top 3
    assert m.top_k_overlap(["a", "b"], ["a"]) == 1.0
    assert m.top_k_overlap(["a"], []) is None


def test_spearman_and_kendall_on_hand_ranked_lists() -> None:
    """One swapped pair of three: rho = 1 - 6*2/(3*8) = 0.5 and tau = (2-1)/3; reversed lists give -1."""
    assert m.spearman(["a", "c", "b"], ["a", "b", "c"]) == pytest.approx(0.5)
    assert m.kendall_tau(["a", "c", "b"], ["a", "b", "c"]) == pytest.approx(1 / 3)
    assert m.spearman(["a", "b", "c"], ["c", "b", "a"]) == pytest.approx(-1.0)
    assert m.kendall_tau(["a", "b", "c"], ["a", "b", "c"]) == pytest.approx(1.0)


def test_rank_correlation_uses_only_shared_factors() -> None:
    """Only factors both rankings name count (a, b here, in opposite order); fewer than two shared is None."""
    assert m.spearman(["a", "x", "b"], ["b", "a", "y"]) == pytest.approx(-1.0)
    assert m.kendall_tau(["a", "x"], ["a", "y"]) is None


def test_citation_precision_recall_and_validity() -> None:
    """Cited r1,r2,r3 (r1 twice) vs must r1,r4: precision 1/3, recall 1/2; 2 of 3 exist in the tenant."""
    cited = ["r1", "r2", "r3", "r1"]
    assert m.citation_precision(cited, {"r1", "r4"}) == pytest.approx(1 / 3)
    assert m.citation_recall(set(cited), ["r1", "r4"]) == pytest.approx(0.5)
    assert m.citation_validity(cited, {"r1", "r2"}) == pytest.approx(2 / 3)
    assert m.citation_recall(set(cited), []) is None
    assert m.citation_precision([], {"r1"}) is None


def test_groundedness_supports_evidence_numbers_and_flags_an_invented_one() -> None:
    """15万 (=150,000 in the evidence) and 35% (0.35 given) are grounded; 8,888 is not: 2 of 3."""
    g = groundedness("批准额度15万元，占月均流水的35%，另加8,888元。", ["申请金额150,000元"], values=[0.35])
    assert (g.checked, g.grounded) == (3, 2)
    assert g.score == pytest.approx(2 / 3)
    assert g.ungrounded == ("8,888",)


def test_groundedness_checks_identifiers_and_entity_names() -> None:
    """A cited order id is grounded, an invented one is not; a tenant name not in the evidence is not."""
    evidence = ["Emma: my parcel for SO-2026-004512 arrived with two mugs smashed"]
    lexicon = ["Emma Schulz", "Ava Johnson"]
    g = groundedness("1. Replace SO-2026-004512 for Emma Schulz [shop-000352]; also refund SO-2099-000001 "
                     "like Ava Johnson.", evidence, lexicon=lexicon, context=["Emma Schulz"])
    assert g.ungrounded == ("SO-2099-000001", "Ava Johnson")
    assert (g.checked, g.grounded) == (4, 2)  # list marker "1." and the citation marker are not claims


def test_rounded_numbers_match_their_source_values() -> None:
    """0.16 and 0.2 are 0.16128 rounded; 16% is 0.161 as a percentage; 0.3 does not round from 0.16128."""
    assert groundedness("score 0.16", [], values=[0.16128]).score == 1.0
    assert groundedness("score 16%", [], values=[0.161]).score == 1.0
    assert groundedness("score 0.2", [], values=[0.16128]).score == 1.0
    assert groundedness("score 0.3", [], values=[0.16128]).score == 0.0
    assert groundedness("no numbers at all", []).score is None
    assert [n.text for n in numbers("共3期，金额1,234.5元，增长12%")] == ["3", "1,234.5", "12%"]


def test_label_stated_reads_whole_labels_in_the_headline() -> None:
    """'approve with conditions' is not 'approve'; a headline naming another label is inconsistent."""
    labels = ("approve", "approve_with_conditions", "refer", "decline")
    assert m.label_stated("Credit: approve with conditions (score 0.6)", "approve_with_conditions", labels)
    assert m.label_stated("Churn risk: low (0.2)\nHigh-Rise leggings, many complaints", "low", ("low", "high"))
    assert not m.label_stated("Credit: approve with conditions", "approve", labels)
    assert not m.label_stated("We approve. Limit 8,888,888.", "decline", labels)
    assert m.label_stated("", "decline", labels) is None


def test_pii_leaks_are_found_by_never_strings_and_the_detector() -> None:
    """A never value leaks even with other separators; the detector finds a phone; values are not reported."""
    detector = policy_detector()
    leaks = find_leaks([("answer", "请回电 13912345678"), ("citation:r1", "电话13812345678")],
                       ["138-1234-5678"], detector)
    kinds = {(lk.kind, lk.where) for lk in leaks}
    assert ("never[0]", "citation:r1") in kinds
    assert ("PHONE", "answer") in kinds
    assert not any("1391234" in lk.kind for lk in leaks)
    assert find_leaks([("answer", "order SO-2026-004512 shipped, 8 mugs, 42.50 EUR")], [], detector) == []
    assert "13912345678" not in mask("请回电 13912345678", [], detector)


def test_refusal_is_a_clarification_or_an_empty_answer() -> None:
    """Clarifications and empty answers are refusals; pending approvals and errors are not."""
    assert is_refusal("clarification", "Which customer do you mean?")
    assert is_refusal("ok", "   ")
    assert not is_refusal("pending_approval", "")
    assert not is_refusal("ok", "Approve.")


def test_percentiles_recall_and_reciprocal_rank() -> None:
    """Linear-interpolated percentiles; recall@k and MRR over distinct record ids in rank order."""
    assert m.percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert m.percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert m.percentile([], 50) is None
    assert m.recall_at_k(["a", "a", "b", "c"], {"b", "z"}, k=2) == pytest.approx(0.5)
    assert m.reciprocal_rank(["a", "a", "b"], {"b"}) == pytest.approx(0.5)
    assert m.reciprocal_rank(["a"], {"b"}) == 0.0
