"""Labels and type-specific details of each decision type, derived from the score and the features."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent_crm.decisions import actions, routing
from agent_crm.decisions.attribution import top_factors
from agent_crm.decisions.catalog import DecisionSpec
from agent_crm.decisions.features import FeatureContext, FeatureValue
from agent_crm.decisions.scoring import ScoreResult, ScoringModel, band
from agent_crm.types import Factor

BANT: tuple[str, ...] = ("budget", "authority", "need", "timeline")
BANT_PASS: dict[str, float] = {"budget": 0.5, "authority": 0.5, "need": 1.0, "timeline": 0.5}
"""Minimum feature value for a BANT criterion to pass (a missing feature fails)."""
CONDITIONS: dict[str, str] = {
    "cash_flow_stability": "monthly_pos_review",
    "requested_amount_ratio": "reduced_limit",
    "repayment_history": "repayment_monitoring",
    "complaints": "relationship_review",
    "sentiment": "relationship_review",
    "competitor_mentions": "pricing_review",
}
"""Condition attached to an ``approve_with_conditions`` credit decision for each negative factor."""


@dataclass(slots=True)
class Outcome:
    """The label, the details and extra flags of a decision."""

    label: str
    details: dict[str, Any] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything an outcome rule may look at."""

    spec: DecisionSpec
    model: ScoringModel
    result: ScoreResult
    features: Mapping[str, FeatureValue]
    factors: Sequence[Factor]
    ctx: FeatureContext
    language: str


def _ev(fv: FeatureValue | None) -> list[str]:
    return [] if fv is None else list(fv.evidence)


def lead_outcome(i: Inputs) -> Outcome:
    """Qualify a lead: score band, demoted from ``qualified`` when more BANT criteria fail than allowed."""
    bant: dict[str, dict[str, Any]] = {}
    for name in BANT:
        fv = i.features.get(name)
        value = None if fv is None else fv.value
        ok = value is not None and value >= BANT_PASS[name]
        bant[name] = {
            "status": "pass" if ok else "fail",
            "value": value,
            "evidence": _ev(fv),
            "reason": "" if ok else ("no evidence" if value is None else "below threshold"),
        }
    failed = [n for n in BANT if bant[n]["status"] == "fail"]
    max_failed = int(i.model.params.get("max_failed_bant", 1))
    score_band = band(i.model, i.spec.bands, i.result.score)
    label = "nurture" if score_band == "qualified" and len(failed) > max_failed else score_band
    flags: list[str] = []
    moved = i.features.get("relocation")
    if moved is not None and not moved.missing:
        label = "disqualified"  # moved out of the service area: no need we can serve any more
        flags.append("relocated")
    details = {"bant": bant, "failed_bant": failed, "max_failed_bant": max_failed, "score_band": score_band}
    return Outcome(label, details, flags)


def churn_outcome(i: Inputs) -> Outcome:
    """Band the churn risk and list its drivers and protective factors."""
    details = {
        "drivers": top_factors(i.factors, "positive"),
        "protective": top_factors(i.factors, "negative"),
        "key_facts": actions.key_facts(i.features),
    }
    flags: list[str] = []
    moved = i.features.get("relocation")
    if moved is not None and not moved.missing:
        # moving away weighs in the renewal signals (and so in the score); the flag makes it visible
        details["relocated"] = list(moved.evidence)
        flags.append("relocated")
    return Outcome(band(i.model, i.spec.bands, i.result.score), details, flags)


def _floor_to(x: float, step: float) -> float:
    return float(math.floor(x / step) * step) if step > 0 else round(x, 2)


def credit_outcome(i: Inputs) -> Outcome:
    """Recommend credit: band, evidence caps, suggested limit ``min(requested, k × avg monthly flow)``."""
    p = i.model.params
    flags: list[str] = []
    conditions: list[str] = []
    score_band = band(i.model, i.spec.bands, i.result.score)
    label = score_band
    stability = i.features.get("cash_flow_stability")
    months = 0 if stability is None or stability.missing else int(stability.facts.get("months", 0))
    if months < p.get("min_flow_months", 1) and label in ("approve", "approve_with_conditions"):
        label = "refer"  # the limit cannot be sized on fewer months of flow
        flags.append("insufficient_evidence")
    repay = i.features.get("repayment_history")
    if (repay is None or repay.missing) and label == "approve":
        label = "approve_with_conditions"
        conditions.append("no_repayment_history")
    serious = [] if repay is None else list(repay.facts.get("serious_late_12m", []))
    late = [] if repay is None else list(repay.facts.get("late_12m", []))
    if late and label == "approve":
        label = "approve_with_conditions"  # any delay in the last 12 months: approve with monitoring
    if serious and label == "approve_with_conditions":
        conditions.append("limit_reduced_for_delinquency")
    elif late and label == "approve_with_conditions":
        conditions.append("repayment_monitoring")
    flow = i.features.get("avg_monthly_flow")
    avg_flow = None if flow is None else flow.value
    ratio = i.features.get("requested_amount_ratio")
    requested = None if ratio is None else ratio.facts.get("requested_amount")
    k = p.get("limit_multiple", 3.0)
    capacity = None if avg_flow is None else k * avg_flow
    capped = requested is not None and capacity is not None and requested > capacity
    if capped and label == "approve":
        label = (
            "approve_with_conditions"  # a partial approval: the customer does not get the amount asked for
        )
    if capped and label == "approve_with_conditions":
        conditions.append("limit_capped_by_flow")
    cap = capacity if requested is None else requested if capacity is None else min(requested, capacity)
    # the reduction factor applies when the score itself asks for conditions, not when only the cap does
    factor = {
        "approve": 1.0,
        "approve_with_conditions": 1.0 if score_band == "approve" else p.get("conditional_limit_factor", 0.7),
        "decline": 0.0,
    }.get(label)
    if serious and factor:
        factor *= p.get("serious_late_limit_factor", 0.5)  # policy: a delay > 30 days halves the limit
    step = p.get("limit_rounding", 1000.0)
    suggested = None if cap is None or factor is None or capacity is None else _floor_to(cap * factor, step)
    if label == "approve_with_conditions":
        for name in top_factors(i.factors, "negative", k=len(i.factors)):
            cond = CONDITIONS.get(name)
            if cond and cond not in conditions:
                conditions.append(cond)
    details = {
        "requested_amount": requested,
        "requested_record": None if ratio is None else ratio.facts.get("record"),
        "avg_monthly_flow": avg_flow,
        "flow_months": None if flow is None else flow.facts.get("months"),
        "currency": None if flow is None else flow.facts.get("currency"),
        "limit_multiple": k,
        "flow_capacity": None if capacity is None else round(capacity, 2),
        "suggested_limit": suggested,
        "limit_basis": f"min(requested, {k:g} x avg monthly flow) x {'n/a' if factor is None else factor}",
        "conditions": conditions,
        "score_band": score_band,
        "late_payments_12m": late,
        "serious_late_payments_12m": serious,
    }
    return Outcome(label, details, flags)


def routing_outcome(i: Inputs) -> Outcome:
    """Route by lexicon over the newest open ticket(s); priority P1..P4 from the attributed score."""
    queue, details = routing.route(i.ctx)
    details["priority"] = band(i.model, i.spec.bands, i.result.score)
    details["priority_score"] = i.result.score
    flags = ["no_queue_signal"] if queue == routing.FALLBACK_QUEUE else []
    if not details["routed_records"]:
        flags.append("nothing_to_route")  # no open ticket and no service request of the customer's
    return Outcome(queue, details, flags)


def nba_outcome(i: Inputs) -> Outcome:
    """Pick the top-ranked action; explain it by its drivers and give the writer objections and key facts.

    ``action_factors`` lists the chosen action's drivers: the points each adds to the action's score, and for
    scored features their exact share of the opportunity score's attribution (weight, contribution).
    """
    ranked = actions.rank_actions(i.features, i.model.params)
    details = {
        "action_factors": actions.action_factors(ranked[0], i.factors),
        "actions": ranked,
        "objections": actions.objection_details(i.features, i.language),
        "competitors": actions.competitor_details(i.features),
        "key_facts": actions.key_facts(i.features),
        "opportunity": band(i.model, i.spec.bands, i.result.score),
    }
    return Outcome(ranked[0]["action"], details)


OUTCOMES: dict[str, Callable[[Inputs], Outcome]] = {
    "next_best_action": nba_outcome,
    "lead_score": lead_outcome,
    "churn_risk": churn_outcome,
    "ticket_routing": routing_outcome,
    "credit_recommendation": credit_outcome,
}
