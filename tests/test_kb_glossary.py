"""Bilingual glossary expansion and weighted fusion (retrieval building blocks)."""

from __future__ import annotations

import pytest

from agent_crm.kb.glossary import expand_query
from agent_crm.kb.identifiers import IDENTIFIER, field_identifiers
from agent_crm.kb.retriever import rrf_fuse


def test_english_question_gains_chinese_crm_terms() -> None:
    """An English credit question is expanded with the Chinese terms Chinese records use."""
    out = expand_query("Which loan repayments were overdue?")
    assert out.startswith("Which loan repayments were overdue?")
    assert "逾期" in out and "贷款" in out


def test_chinese_question_gains_english_terms() -> None:
    """A Chinese quote question is expanded with English terms; unknown words add nothing."""
    assert "quote" in expand_query("骨科耗材报价被拒")
    assert expand_query("天气不错") == "天气不错"


@pytest.mark.parametrize(("text", "found"), [
    ("status of order SO-2026-003870", "SO-2026-003870"), ("SKU-TS-0042-BL runs small", "SKU-TS-0042-BL"),
    ("invoice INV20260001 paid", "INV20260001"), ("a follow-up call", None), ("a two-week delay", None),
])
def test_identifier_pattern(text: str, found: str | None) -> None:
    """Order numbers, SKUs and invoice ids are identifiers; hyphenated words are not."""
    m = IDENTIFIER.search(text)
    assert (m.group(0) if m else None) == found


def test_identifier_fields_are_listed_by_key() -> None:
    """Identifier-valued fields are yielded sorted by key; prose and numbers are skipped."""
    fields = {"sku": "SKU-TS-0042-BL", "order_no": "SO-2026-004036", "reason": "too small", "qty": 2}
    assert list(field_identifiers(fields)) == ["SO-2026-004036", "SKU-TS-0042-BL"]


def test_weighted_rrf_prefers_the_weighted_list() -> None:
    """With weight 2 on the second list, its first item beats an item ranked first in the first list."""
    plain = rrf_fuse([["a", "b"], ["b", "a"]])
    assert plain[0][1] == pytest.approx(plain[1][1])
    weighted = rrf_fuse([["a", "b"], ["b", "a"]], weights=[1.0, 2.0])
    assert weighted[0][0] == "b"
    assert weighted[0][1] == pytest.approx(1 / 61 * 2 + 1 / 62)
    with pytest.raises(ValueError):
        rrf_fuse([["a"]], weights=[1.0, 2.0])
