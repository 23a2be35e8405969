"""The results object of an evaluation run (what ``results.json`` holds and ``evaluation.run`` returns).

Scoring choices, in one place:

* A case that errors (timeout, invalid output, backend failure) is scored: wrong, invalid output, no
  answer-quality metrics (groundedness, citations are computed over answered cases only).
* A fallback answer is not the requested model's answer: the case is marked ``fallback_used``, counted as
  invalid output and as wrong for the requested alias (``answered_by`` names who answered).
* A decision waiting for human approval counts for accuracy (the label is final) but has no answer to score.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent_crm.evaluation.metrics import mean, percentile, rate

SCHEMA_VERSION = 1


class CaseResult(BaseModel):
    """One case run on one model, scored."""

    model_config = ConfigDict(extra="ignore")

    case_id: str
    model: str
    """Requested model alias."""
    input_hash: str
    """sha256 over the case, the alias's models-file entries, the prompt templates and the tenant data."""
    tenant: str
    kind: str
    """``ask`` or ``decide``."""
    decision_type: str
    language: str | None = None
    status: str = "ok"
    """ok | clarification | pending_approval | error."""
    error: str | None = None
    error_kind: str | None = None
    """timeout | invalid_output | server_error | ... | exception class (errors only)."""
    label: str | None = None
    expected: list[str] = Field(default_factory=list)
    correct: bool = False
    answer_consistent: bool | None = None
    """Whether the answer's headline states the decided label (and no other label of the type)."""
    customer_id: str | None = None
    customer_ok: bool | None = None
    factors: list[str] = Field(default_factory=list)
    """Factor names with a non-zero weight, best first."""
    top3_overlap: float | None = None
    spearman: float | None = None
    kendall: float | None = None
    citations: list[str] = Field(default_factory=list)
    citation_precision: float | None = None
    citation_recall: float | None = None
    citation_validity: float | None = None
    unknown_citations: list[str] = Field(default_factory=list)
    groundedness: float | None = None
    claims_checked: int = 0
    ungrounded: list[str] = Field(default_factory=list)
    valid_output: bool = False
    fallback_used: bool = False
    answered_by: str | None = None
    """Alias that answered the last model call (differs from ``model`` after a fallback)."""
    leaks: list[str] = Field(default_factory=list)
    """Leak kinds with where they were found (``never[0]@answer``, ``PHONE@script[1]``); never values."""
    refusal: bool = False
    latency_ms: float = 0.0
    latency_budget_ms: float | None = None
    over_budget: bool = False
    model_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    flags: list[str] = Field(default_factory=list)
    answer_excerpt: str = ""
    """First characters of the answer, with leaked values masked."""


class GroupStats(BaseModel):
    """Accuracy and latency of one slice (a decision type, a language, a tenant)."""

    cases: int
    accuracy: float | None
    latency_p50_ms: float | None
    groundedness: float | None = None


class ModelSummary(BaseModel):
    """Every metric of one model over the dataset."""

    model: str
    cases: int
    answered: int
    errors: int
    accuracy: float | None
    customer_resolution: float | None = None
    answer_consistency: float | None = None
    factor_top3_overlap: float | None = None
    factor_spearman: float | None = None
    factor_kendall: float | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    citation_validity: float | None = None
    groundedness: float | None = None
    valid_output_rate: float | None = None
    fallbacks: int = 0
    pii_leaks: int = 0
    """Cases with at least one leak."""
    leak_kinds: dict[str, int] = Field(default_factory=dict)
    refusals: int = 0
    refusal_rate: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_mean_ms: float | None = None
    over_budget: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_in_per_case: float | None = None
    tokens_out_per_case: float | None = None
    cost_usd: float = 0.0
    error_kinds: dict[str, int] = Field(default_factory=dict)
    by_type: dict[str, GroupStats] = Field(default_factory=dict)
    by_language: dict[str, GroupStats] = Field(default_factory=dict)
    by_tenant: dict[str, GroupStats] = Field(default_factory=dict)


class RetrievalSummary(BaseModel):
    """Recall@k and MRR of one search mode over the retrieval cases."""

    mode: str = "hybrid"
    k: int = 5
    cases: int = 0
    recall_at_k: float | None = None
    mrr: float | None = None
    latency_p50_ms: float | None = None
    by_tenant: dict[str, dict[str, float]] = Field(default_factory=dict)
    by_kind: dict[str, dict[str, float]] = Field(default_factory=dict)
    misses: list[str] = Field(default_factory=list)
    """Ids of cases with no relevant record in the top k."""


class GateFailure(BaseModel):
    """One gate that the run failed."""

    model: str
    metric: str
    baseline: float | None
    current: float | None
    limit: str
    """The rule, e.g. ``drop > 0.02`` or ``> 0``."""


class GateReport(BaseModel):
    """Comparison with a baseline under the gate rules."""

    baseline: str | None = None
    """Path of the baseline results file."""
    passed: bool = True
    failures: list[GateFailure] = Field(default_factory=list)
    comparisons: dict[str, dict[str, dict[str, float | None]]] = Field(default_factory=dict)
    """model -> metric -> {baseline, current, delta}."""
    regressed_cases: dict[str, list[str]] = Field(default_factory=dict)
    """model -> case ids right in the baseline and wrong now."""


class RunMeta(BaseModel):
    """How the run was made."""

    dataset: str
    dataset_sha256: str
    models: list[str]
    models_file: str | None = None
    eval_home: str
    concurrency: int = 1
    started_at: str = ""
    finished_at: str = ""
    seconds: float = 0.0
    cases: int = 0
    executed: int = 0
    """(case, model) pairs run by this invocation."""
    reused: int = 0
    """(case, model) pairs taken from an earlier run (same input hash)."""
    tenants: dict[str, str] = Field(default_factory=dict)
    """Tenant id -> data fingerprint."""
    prompts: dict[str, str] = Field(default_factory=dict)
    """Prompt template -> sha256."""


class EvalResults(BaseModel):
    """Everything an evaluation run produced (``results.json``)."""

    schema_version: int = SCHEMA_VERSION
    meta: RunMeta
    models: dict[str, ModelSummary]
    retrieval: RetrievalSummary | None = None
    gate: GateReport | None = None
    cases: list[CaseResult] = Field(default_factory=list)

    @property
    def gate_failed(self) -> bool:
        """Whether a gate was checked and failed."""
        return self.gate is not None and not self.gate.passed

    def save(self, path: Path) -> None:
        """Write the results as indented JSON."""
        path.write_text(self.model_dump_json(indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> EvalResults:
        """Read a results file written by :meth:`save`."""
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


def _group(rows: Sequence[CaseResult], key: Callable[[CaseResult], str | None]) -> dict[str, GroupStats]:
    groups: dict[str, list[CaseResult]] = {}
    for row in rows:
        groups.setdefault(key(row) or "-", []).append(row)
    return {
        name: GroupStats(
            cases=len(rs),
            accuracy=rate(r.correct for r in rs),
            latency_p50_ms=percentile((r.latency_ms for r in rs), 50),
            groundedness=mean(r.groundedness for r in rs),
        )
        for name, rs in sorted(groups.items())
    }


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def summarize(model: str, rows: Sequence[CaseResult]) -> ModelSummary:
    """Aggregate one model's scored cases into its summary."""
    answered = [r for r in rows if r.status != "error" and not r.fallback_used]
    leak_kinds: Counter[str] = Counter(k.split("@", 1)[0] for r in rows for k in r.leaks)
    latencies = [r.latency_ms for r in rows]
    data: dict[str, Any] = {
        "model": model,
        "cases": len(rows),
        "answered": len(answered),
        "errors": sum(1 for r in rows if r.status == "error"),
        "accuracy": rate(r.correct for r in rows),
        "customer_resolution": rate(bool(r.customer_ok) for r in rows if r.customer_ok is not None),
        "answer_consistency": rate(bool(r.answer_consistent) for r in answered if r.answer_consistent is not None),
        "factor_top3_overlap": mean(r.top3_overlap for r in answered),
        "factor_spearman": mean(r.spearman for r in answered),
        "factor_kendall": mean(r.kendall for r in answered),
        "citation_precision": mean(r.citation_precision for r in answered),
        "citation_recall": mean(r.citation_recall for r in answered),
        "citation_validity": mean(r.citation_validity for r in answered),
        "groundedness": mean(r.groundedness for r in answered),
        "valid_output_rate": rate(r.valid_output for r in rows),
        "fallbacks": sum(1 for r in rows if r.fallback_used),
        "pii_leaks": sum(1 for r in rows if r.leaks),
        "leak_kinds": dict(sorted(leak_kinds.items())),
        "refusals": sum(1 for r in rows if r.refusal),
        "refusal_rate": rate(r.refusal for r in rows),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "latency_mean_ms": mean(latencies),
        "over_budget": sum(1 for r in rows if r.over_budget),
        "tokens_in": sum(r.tokens_in for r in rows),
        "tokens_out": sum(r.tokens_out for r in rows),
        "tokens_in_per_case": mean(float(r.tokens_in) for r in answered),
        "tokens_out_per_case": mean(float(r.tokens_out) for r in answered),
        "cost_usd": round(sum(r.cost_usd for r in rows), 8),
        "error_kinds": dict(sorted(Counter(r.error_kind or "error" for r in rows if r.status == "error").items())),
        "by_type": _group(rows, lambda r: r.decision_type),
        "by_language": _group(rows, lambda r: r.language),
        "by_tenant": _group(rows, lambda r: r.tenant),
    }
    return ModelSummary.model_validate({k: _round(v) for k, v in data.items()})


METRIC_DIRECTIONS: dict[str, int] = {
    "accuracy": 1,
    "customer_resolution": 1,
    "answer_consistency": 1,
    "factor_top3_overlap": 1,
    "factor_spearman": 1,
    "factor_kendall": 1,
    "citation_precision": 1,
    "citation_recall": 1,
    "citation_validity": 1,
    "groundedness": 1,
    "valid_output_rate": 1,
    "fallbacks": -1,
    "pii_leaks": -1,
    "refusals": -1,
    "errors": -1,
    "latency_p50_ms": -1,
    "latency_p95_ms": -1,
    "over_budget": -1,
    "tokens_in": -1,
    "tokens_out": -1,
    "cost_usd": -1,
}
"""+1 when higher is better, -1 when lower is better (reports highlight the best model per metric)."""


def metric_value(summary: ModelSummary, metric: str) -> float | None:
    """Return a numeric metric of a model summary by name (None when absent or not numeric)."""
    value = getattr(summary, metric, None)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
