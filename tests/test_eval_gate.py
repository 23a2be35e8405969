"""Regression gates and dataset validation of the evaluation harness (pure, no model calls)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent_crm.errors import ConfigError, InputError
from agent_crm.evaluation.dataset import load_cases
from agent_crm.evaluation.gate import DEFAULT_GATES, GateRule, evaluate_gates, load_gates
from agent_crm.evaluation.results import CaseResult, EvalResults, ModelSummary, RunMeta

REPO = Path(__file__).resolve().parents[1]


def _results(correct: list[bool], **summary: Any) -> EvalResults:
    base = {"model": "m", "cases": len(correct), "answered": len(correct), "errors": 0,
            "accuracy": sum(correct) / len(correct)}
    cases = [CaseResult(case_id=f"c{i}", model="m", input_hash="h", tenant="t", kind="decide",
                        decision_type="lead_score", correct=ok) for i, ok in enumerate(correct)]
    return EvalResults(meta=RunMeta(dataset="d", dataset_sha256="x", models=["m"], eval_home="h"),
                       models={"m": ModelSummary.model_validate({**base, **summary})}, cases=cases)


def test_accuracy_drop_beyond_the_gate_fails_and_names_regressed_cases() -> None:
    """Accuracy 1.0 -> 0.75 breaks 'max_drop 0.02'; the case that flipped is listed."""
    report = evaluate_gates(_results([True, True, True, False]), _results([True] * 4),
                            [GateRule(metric="accuracy", max_drop=0.02)])
    assert not report.passed
    assert [(f.metric, f.limit) for f in report.failures] == [("accuracy", "drop > 0.02")]
    assert report.regressed_cases == {"m": ["c3"]}
    assert report.comparisons["m"]["accuracy"]["delta"] == pytest.approx(-0.25)


def test_small_changes_within_the_gates_pass() -> None:
    """A 0.01 accuracy drop and +60 ms of p95 (under min_delta 100) pass the default gates."""
    cur = _results([True] * 4, accuracy=0.99, latency_p95_ms=160.0, pii_leaks=0)
    base = _results([True] * 4, accuracy=1.0, latency_p95_ms=100.0, pii_leaks=0)
    assert evaluate_gates(cur, base, DEFAULT_GATES).passed


def test_latency_increase_and_pii_leaks_fail() -> None:
    """p95 100 -> 400 ms (+300 %) fails; any PII leak fails even without a baseline."""
    cur = _results([True], latency_p95_ms=400.0, pii_leaks=1)
    report = evaluate_gates(cur, _results([True], latency_p95_ms=100.0, pii_leaks=0), DEFAULT_GATES)
    assert {f.metric for f in report.failures} == {"latency_p95_ms", "pii_leaks"}
    alone = evaluate_gates(cur, None, DEFAULT_GATES)
    assert [f.metric for f in alone.failures] == ["pii_leaks"]


def test_gate_file_is_validated(tmp_path: Path) -> None:
    """The shipped gate file loads; a rule without a limit is rejected naming its index."""
    rules = load_gates(REPO / "evals" / "configs" / "gate.yaml")
    assert {r.metric for r in rules} >= {"accuracy", "pii_leaks", "latency_p95_ms", "citation_recall"}
    bad = tmp_path / "gate.yaml"
    bad.write_text("gates:\n  - {metric: accuracy}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gates\[0\]"):
        load_gates(bad)


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_dataset_errors_name_the_line_and_field(tmp_path: Path) -> None:
    """A case with both a question and a customer, a missing label, or a duplicate id is rejected by line."""
    ok = {"id": "a", "tenant": "ruralbank", "input": {"customer": "c", "type": "churn_risk"},
          "expect": {"label": "low"}}
    with pytest.raises(InputError, match=r":2: invalid case: input"):
        load_cases(_write(tmp_path / "d1.jsonl", [ok, {**ok, "id": "b", "input": {"question": "q", "customer": "c"}}]))
    with pytest.raises(InputError, match=r":1: invalid case: expect"):
        load_cases(_write(tmp_path / "d2.jsonl", [{**ok, "expect": {}}]))
    with pytest.raises(InputError, match="duplicate case id 'a'"):
        load_cases(_write(tmp_path / "d3.jsonl", [ok, ok]))


def test_inline_tenants_are_named_by_their_data(tmp_path: Path) -> None:
    """Inline cases with the same records share a tenant; other records give another tenant id."""
    rec = {"id": "r1", "customer_id": "c", "channel": "note", "timestamp": "2026-01-01T00:00:00+00:00"}
    case = {"tenant": "inline", "records": [rec], "input": {"customer": "c", "type": "churn_risk"},
            "expect": {"labels": ["low", "medium"]}}
    a, b, c = load_cases(_write(tmp_path / "d.jsonl", [
        {**case, "id": "a"}, {**case, "id": "b"}, {**case, "id": "c", "records": [{**rec, "text": "x"}]}]))
    assert a.tenant_key == b.tenant_key != c.tenant_key
    assert a.tenant_key.startswith("inline-")
    assert a.expect.acceptable == ("low", "medium")
    assert a.canonical() != b.canonical()


def test_the_shipped_dataset_covers_every_type_and_both_languages() -> None:
    """decisions.jsonl: >= 80 cases over the five decision types, >= 30 per language, sample tenants only."""
    cases = load_cases(REPO / "evals" / "datasets" / "decisions.jsonl")
    assert len(cases) >= 80
    types = {c.decision_type for c in cases}
    assert types >= {"next_best_action", "lead_score", "churn_risk", "ticket_routing", "credit_recommendation"}
    langs = [c.language or ("zh" if any("\u4e00" <= ch <= "\u9fff" for ch in c.input.question or "") else "en")
             for c in cases]
    assert langs.count("zh") >= 30 and langs.count("en") >= 30
    assert {c.tenant for c in cases} <= {"medtech-east", "ruralbank", "eduspring", "shopglobal"}
