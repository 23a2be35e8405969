"""Regression gates: compare a run with a baseline ``results.json`` and name the metrics that regressed.

A gate file (``evals/configs/gate.yaml``) lists rules::

    gates:
      - {metric: accuracy, max_drop: 0.02}            # baseline - current > 0.02 fails
      - {metric: latency_p95_ms, max_increase_pct: 50, min_delta: 100}
      - {metric: pii_leaks, max: 0}                   # absolute: checked with or without a baseline
      - {metric: retrieval.recall_at_k, max_drop: 0.05}

Relative rules (``max_drop``, ``max_increase``, ``max_increase_pct``) need a baseline that has the same model
alias; absolute rules (``max``, ``min``) always apply. ``min_delta`` ignores changes smaller than it (noise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from agent_crm.errors import ConfigError
from agent_crm.evaluation.results import EvalResults, GateFailure, GateReport, metric_value

RETRIEVAL_PREFIX = "retrieval."


class GateRule(BaseModel):
    """One gate: a metric and its limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    max_drop: float | None = None
    max_increase: float | None = None
    max_increase_pct: float | None = None
    max: float | None = None
    min: float | None = None
    min_delta: float = 0.0

    @model_validator(mode="after")
    def _has_limit(self) -> GateRule:
        limits = (self.max_drop, self.max_increase, self.max_increase_pct, self.max, self.min)
        if all(v is None for v in limits):
            raise ValueError("a gate needs one of max_drop, max_increase, max_increase_pct, max, min")
        return self


DEFAULT_GATES: tuple[GateRule, ...] = (
    GateRule(metric="accuracy", max_drop=0.02),
    GateRule(metric="citation_recall", max_drop=0.05),
    GateRule(metric="groundedness", max_drop=0.05),
    GateRule(metric="valid_output_rate", max_drop=0.02),
    GateRule(metric="latency_p95_ms", max_increase_pct=50, min_delta=100),
    GateRule(metric="pii_leaks", max=0),
    GateRule(metric="retrieval.recall_at_k", max_drop=0.05),
)
"""The gates used when no gate file is given (the same as ``evals/configs/gate.yaml``)."""


def load_gates(path: Path) -> tuple[GateRule, ...]:
    """Read a gate file; raise ConfigError naming the file and the bad rule."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read gate file ({exc.__class__.__name__})") from exc
    rules = doc.get("gates") if isinstance(doc, Mapping) else None
    if not isinstance(rules, list) or not rules:
        raise ConfigError(f"{path}: expected a non-empty list under 'gates'")
    out: list[GateRule] = []
    for i, raw in enumerate(rules):
        try:
            out.append(GateRule.model_validate(raw))
        except ValidationError as exc:
            raise ConfigError(f"{path}: gates[{i}]: {exc.errors()[0]['msg']}") from None
    return tuple(out)


def _value(results: EvalResults, model: str, metric: str) -> float | None:
    if metric.startswith(RETRIEVAL_PREFIX):
        if results.retrieval is None:
            return None
        raw: Any = getattr(results.retrieval, metric[len(RETRIEVAL_PREFIX):], None)
        return float(raw) if isinstance(raw, int | float) else None
    summary = results.models.get(model)
    return None if summary is None else metric_value(summary, metric)


def _check(rule: GateRule, base: float | None, cur: float | None) -> str | None:
    """Return the violated limit as text, or None when the rule holds (or cannot be checked)."""
    if rule.max is not None and cur is not None and cur > rule.max:
        return f"> {rule.max:g}"
    if rule.min is not None and cur is not None and cur < rule.min:
        return f"< {rule.min:g}"
    if base is None:
        return None
    if cur is None:
        relative = (rule.max_drop, rule.max_increase, rule.max_increase_pct)
        return "missing in this run" if any(v is not None for v in relative) else None
    delta = cur - base
    if abs(delta) < rule.min_delta:
        return None
    if rule.max_drop is not None and -delta > rule.max_drop + 1e-12:
        return f"drop > {rule.max_drop:g}"
    if rule.max_increase is not None and delta > rule.max_increase + 1e-12:
        return f"increase > {rule.max_increase:g}"
    if rule.max_increase_pct is not None:
        grew = delta > 0 and (base == 0 or delta / abs(base) * 100 > rule.max_increase_pct + 1e-9)
        if grew:
            return f"increase > {rule.max_increase_pct:g} %"
    return None


def evaluate_gates(
    current: EvalResults,
    baseline: EvalResults | None,
    rules: Sequence[GateRule] = DEFAULT_GATES,
    *,
    baseline_path: str | None = None,
) -> GateReport:
    """Check every rule for every model of ``current`` (retrieval rules once) against ``baseline``."""
    report = GateReport(baseline=baseline_path)
    for rule in rules:
        models = ["*"] if rule.metric.startswith(RETRIEVAL_PREFIX) else list(current.models)
        for model in models:
            cur = _value(current, model, rule.metric)
            base = _value(baseline, model, rule.metric) if baseline is not None else None
            if baseline is not None and (base is not None or cur is not None):
                delta = None if base is None or cur is None else round(cur - base, 6)
                report.comparisons.setdefault(model, {})[rule.metric] = {
                    "baseline": base, "current": cur, "delta": delta}
            limit = _check(rule, base, cur)
            if limit is not None:
                report.failures.append(GateFailure(model=model, metric=rule.metric, baseline=base,
                                                   current=cur, limit=limit))
    if baseline is not None:
        before = {(c.model, c.case_id): c.correct for c in baseline.cases}
        for row in current.cases:
            if before.get((row.model, row.case_id)) and not row.correct:
                report.regressed_cases.setdefault(row.model, []).append(row.case_id)
    report.passed = not report.failures
    return report


def describe_failures(report: GateReport) -> list[str]:
    """Return one line per failed gate, e.g. ``local: accuracy 0.91 -> 0.85 (drop > 0.02)``."""

    def fmt(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.4g}"

    return [
        f"{f.model}: {f.metric} {fmt(f.baseline)} -> {fmt(f.current)} ({f.limit})" if f.baseline is not None
        else f"{f.model}: {f.metric} = {fmt(f.current)} ({f.limit})"
        for f in report.failures
    ]
