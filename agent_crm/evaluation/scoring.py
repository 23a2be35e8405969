"""Score one outcome against its case: every per-case metric of the results (see ``results`` for the rules)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agent_crm.evaluation import metrics as m
from agent_crm.evaluation.dataset import Case
from agent_crm.evaluation.execution import Outcome
from agent_crm.evaluation.grounding import groundedness
from agent_crm.evaluation.results import CaseResult
from agent_crm.evaluation.safety import Detector, find_leaks, is_refusal, mask
from agent_crm.evaluation.tenants import TenantFacts
from agent_crm.types import Decision

EXCERPT_CHARS = 400
INVALID_KINDS = frozenset({"invalid_output"})


def _labels_of(decision_type: str) -> tuple[str, ...]:
    from agent_crm.decisions.catalog import SPECS

    spec = SPECS.get(decision_type)
    return spec.labels if spec is not None else ()


def _status(out: Outcome) -> str:
    d = out.decision
    if d is None:
        return "error"
    if d.type == "clarification":
        return "clarification"
    if "pending_approval" in d.flags:
        return "pending_approval"
    return "ok"


def _numeric(value: Any) -> list[float]:
    return [float(value)] if isinstance(value, int | float) and not isinstance(value, bool) else []


def _evidence(d: Decision) -> tuple[list[str], list[float]]:
    texts = [c.snippet for c in d.citations if c.snippet]
    values: list[float] = [*_numeric(d.score)]
    for f in d.factors:
        texts.append(f"{f.label} {f.value} {f.rationale}")
        values += [*_numeric(f.value), abs(f.weight), abs(f.contribution)]
    texts.append(json.dumps(d.details, ensure_ascii=False, default=str))
    return texts, values


def _outputs(d: Decision | None, error: str | None) -> list[tuple[str, str]]:
    outputs: list[tuple[str, str]] = []
    if d is not None:
        outputs.append(("answer", d.answer))
        outputs += [(f"script[{i}]", s.text) for i, s in enumerate(d.scripts)]
        outputs += [(f"citation:{c.record_id}", c.snippet) for c in d.citations]
        outputs += [(f"factor:{f.name}", f.rationale) for f in d.factors]
    if error:
        outputs.append(("error", error))
    return outputs


def _call_checks(alias: str, calls: Sequence[dict[str, Any]]) -> tuple[bool, bool, str | None]:
    """Return (fallback used, an attempt of the alias gave invalid output, alias that answered last)."""
    answered = [c for c in calls if c.get("purpose") != "failed"]
    fallback = any(c.get("alias") != alias for c in answered)
    invalid = any(a.get("alias") == alias and a.get("error_kind") in INVALID_KINDS
                  for c in calls for a in c.get("attempts") or [])
    last = answered[-1].get("alias") if answered else None
    return fallback, invalid, last


def score_case(
    case: Case, alias: str, digest: str, out: Outcome, facts: TenantFacts, detector: Detector | None
) -> CaseResult:
    """Score one outcome: accuracy, factors, citations, groundedness, validity, leaks, refusal, cost."""
    d = out.decision
    e = case.expect
    status = _status(out)
    fallback, invalid, answered_by = _call_checks(alias, out.model_calls)
    valid = status != "error" and not fallback and not invalid
    row = CaseResult(
        case_id=case.id, model=alias, input_hash=digest, tenant=case.tenant_key, kind=case.kind,
        decision_type=case.decision_type, language=case.language, status=status, expected=list(e.acceptable),
        error=mask(out.error, e.never, detector) if out.error else None, error_kind=out.error_kind,
        valid_output=valid, fallback_used=fallback, answered_by=answered_by, latency_ms=out.latency_ms,
        latency_budget_ms=e.latency_ms, over_budget=e.latency_ms is not None and out.latency_ms > e.latency_ms,
        model_calls=len(out.model_calls), tokens_in=out.tokens_in, tokens_out=out.tokens_out,
        cost_usd=round(out.cost_usd, 8),
    )
    leaks = find_leaks(_outputs(d, out.error), e.never, detector)
    row.leaks = sorted({f"{lk.kind}@{lk.where}" for lk in leaks})
    if d is None:
        return row
    row.language = case.language or d.language
    row.label = d.label
    row.flags = list(d.flags)
    row.customer_id = d.customer_id
    if case.customer is not None:
        row.customer_ok = d.customer_id == case.customer
    type_ok = case.kind == "decide" or e.type is None or d.type == e.type
    row.correct = (m.label_correct(d.label, e.acceptable) and row.customer_ok is not False and type_ok
                   and not fallback)
    row.refusal = is_refusal(status, d.answer) and "clarify" not in e.acceptable
    if status == "ok":
        row.answer_consistent = m.label_stated(d.answer, d.label, _labels_of(d.type))
    row.answer_excerpt = mask(d.answer[:EXCERPT_CHARS], e.never, detector)
    if fallback:
        return row
    row.factors = [f.name for f in sorted(d.factors, key=lambda f: -f.weight) if f.weight > 0]
    row.top3_overlap = m.top_k_overlap(row.factors, e.top_factors)
    if e.factors_ordered:
        row.spearman = m.spearman(row.factors, e.top_factors)
        row.kendall = m.kendall_tau(row.factors, e.top_factors)
    row.citations = list(dict.fromkeys(c.record_id for c in d.citations))
    row.citation_precision = m.citation_precision(row.citations, e.must_cite)
    row.citation_recall = m.citation_recall(row.citations, e.must_cite)
    row.citation_validity = m.citation_validity(row.citations, facts.record_ids)
    row.unknown_citations = [c for c in row.citations if c not in facts.record_ids]
    text = "\n".join([d.answer, *(s.text for s in d.scripts)])
    if status == "ok" and text.strip():
        evidence, values = _evidence(d)
        context = [*facts.names.get(d.customer_id or "", ()), d.customer_id or "", d.label, *row.citations]
        g = groundedness(text, evidence, values=values, lexicon=facts.lexicon, context=context)
        row.groundedness = g.score
        row.claims_checked = g.checked
        row.ungrounded = [mask(x, e.never, detector) for x in g.ungrounded]
    return row
