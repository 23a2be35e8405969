"""Finance features: cash-flow stability and level, repayment history, requested amount ratio.

Cash flow is the monthly flow through the bank: POS acquiring (``pos_monthly_flow``) and corporate account
settlement (``settlement_monthly_flow``, 对公结算); a month reported by both takes the larger figure (POS
proceeds settle into the corporate account, so adding them would count the same money twice).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from agent_crm.decisions.features.base import (
    FeatureContext,
    FeatureValue,
    RecordView,
    evidence,
    fmt,
    missing,
    monthly_points,
    parse_bool,
    parse_number,
)

POS_KEYS = ("pos_monthly_flow", "pos_flow", "monthly_flow")
SETTLEMENT_KEYS = ("settlement_monthly_flow", "settlement_flow", "monthly_settlement")
FLOW_SOURCES: tuple[tuple[str, tuple[str, ...]], ...] = (("pos", POS_KEYS), ("settlement", SETTLEMENT_KEYS))
FLOW_MONTHS = 6
"""Cash-flow features use the newest 6 months with data among the last 7 calendar months."""
PAYMENT_CHANNELS = frozenset({"payment", "repayment", "installment"})
PAYMENT_WINDOW_DAYS = 730.0
SERIOUS_LATE_DAYS = 30.0
"""Delinquency beyond this many days is decisive (credit policy: "逾期超过30天"); shorter delays are minor."""
MINOR_LATE_COST = (0.02, 0.08)
"""Cost of a minor delay: 0.02 + 0.08 x days / 30 (a 4-day delay costs 0.031, a 30-day one 0.10)."""
SERIOUS_LATE_COST = (0.4, 0.3, 60.0)
"""Cost of a serious delay: 0.4 + 0.3 x min(1, (days - 30) / 60) (35 days: 0.425, 90+ days: 0.7)."""
UNKNOWN_LATE_DAYS = 30.0
REQUEST_KEYS = ("requested_amount", "loan_amount", "requested_limit")


def pos_flow(ctx: FeatureContext) -> tuple[dict[int, float], list[RecordView]]:
    """Return month -> flow (POS or settlement; newest record wins per source and month) and the records used.

    Cached per call; ``ctx.memo["flow_sources"]`` names the sources found (``pos``, ``settlement``).
    """
    cached = ctx.memo.get("pos_flow")
    if cached is None:
        by_source: dict[str, dict[int, float]] = {}
        used: list[RecordView] = []
        lo = ctx.month - FLOW_MONTHS
        for v in ctx.views:
            found = False
            for source, keys in FLOW_SOURCES:
                pts = [(m, x) for m, x in monthly_points(v, keys) if lo <= m <= ctx.month and x >= 0]
                for m, x in pts:
                    by_source.setdefault(source, {}).setdefault(m, x)
                found = found or bool(pts)
            if found:
                used.append(v)
        points: dict[int, float] = {}
        for months in by_source.values():
            for m, x in months.items():
                points[m] = max(points.get(m, 0.0), x)
        keep = sorted(points)[-FLOW_MONTHS:]
        cached = ({m: points[m] for m in keep}, used)
        ctx.memo["pos_flow"] = cached
        ctx.memo["flow_sources"] = tuple(s for s, _ in FLOW_SOURCES if s in by_source)
    return cached


def flow_source(ctx: FeatureContext) -> str:
    """Return which flows were found: ``pos``, ``settlement`` or ``pos+settlement``."""
    pos_flow(ctx)
    return "+".join(ctx.memo.get("flow_sources", ())) or "pos"


def _currency(views: list[RecordView]) -> str | None:
    return next((v.rec.currency for v in views if v.rec.currency), None) or next(
        (c for v in views if isinstance(c := v.fields.get("currency"), str)), None
    )


def cash_flow_stability(ctx: FeatureContext) -> FeatureValue:
    """Stability of monthly flow: 1 − coefficient of variation (std / mean over the months), clipped to [0, 1].

    A single month says nothing about stability (0.5). A short history is not penalised as if it were
    volatile: too few months to size a limit is the outcome rule's concern (``min_flow_months``).
    """
    flows, used = pos_flow(ctx)
    if not flows:
        return missing("cash_flow_stability")
    values = list(flows.values())
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in values) / n)
    cv = std / mean if mean > 0 else 1.0
    value = round(max(0.0, min(1.0, 1.0 - cv)), 4) if n > 1 else 0.5
    facts = {
        "months": n,
        "mean": round(mean, 2),
        "cv": round(cv, 4),
        "min": min(values),
        "max": max(values),
        "currency": _currency(used),
        "source": flow_source(ctx),
    }
    return FeatureValue("cash_flow_stability", value, evidence(used), f"{value:.2f} over {n} months", facts)


def avg_monthly_flow(ctx: FeatureContext) -> FeatureValue:
    """Mean monthly POS flow over the same months as :func:`cash_flow_stability`."""
    flows, used = pos_flow(ctx)
    if not flows:
        return missing("avg_monthly_flow")
    mean = round(sum(flows.values()) / len(flows), 2)
    facts = {"months": len(flows), "currency": _currency(used), "source": flow_source(ctx)}
    return FeatureValue("avg_monthly_flow", mean, evidence(used), f"{fmt(mean)} / month", facts)


def _payment(v: RecordView) -> tuple[bool, float] | None:
    f = v.fields
    flag = parse_bool(f.get("paid_on_time", f.get("repaid_on_time", f.get("on_time"))))
    days = parse_number(f.get("days_late", f.get("overdue_days")))
    if flag is None and (days is None or v.channel not in PAYMENT_CHANNELS):
        return None
    on_time = flag if flag is not None else (days or 0.0) <= 0
    late = 0.0 if on_time else (max(0.0, days) if days is not None else UNKNOWN_LATE_DAYS)
    return on_time, late


def late_cost(days: float) -> float:
    """Return what one late payment costs the repayment record (minor up to 30 days, serious beyond)."""
    if days <= SERIOUS_LATE_DAYS:
        base, slope = MINOR_LATE_COST
        return base + slope * max(0.0, days) / SERIOUS_LATE_DAYS
    base, slope, span = SERIOUS_LATE_COST
    return base + slope * min(1.0, (days - SERIOUS_LATE_DAYS) / span)


def repayment_history(ctx: FeatureContext) -> FeatureValue:
    """Repayment record of the last 24 months: 1 minus the summed cost of late payments.

    ``value = clip(1 − Σ late_cost(days_late), 0, 1)``: a delay of a few days costs a few hundredths, a
    delay beyond 30 days (decisive under credit policy) at least 0.4; costs add up, so repeated lateness
    sinks the record however many payments were on time.
    """
    found = [(v, p) for v in ctx.within(PAYMENT_WINDOW_DAYS) if (p := _payment(v)) is not None]
    if not found:
        return missing("repayment_history")
    n = len(found)
    on_time = sum(1 for _, (ok, _) in found if ok)
    late = [(v, d) for v, (ok, d) in found if not ok]
    late_days = [d for _, d in late]
    value = round(max(0.0, min(1.0, 1.0 - math.fsum(late_cost(d) for d in late_days))), 4)
    serious = [v for v, d in late if d > SERIOUS_LATE_DAYS]
    facts = {
        "payments": n,
        "on_time": on_time,
        "late": n - on_time,
        "avg_days_late": round(sum(late_days) / len(late_days), 1) if late_days else 0.0,
        "max_days_late": max(late_days) if late_days else 0.0,
        "serious_late_12m": [v.id for v in serious if v.age_days <= 365.0],
        "late_12m": [v.id for v, _ in late if v.age_days <= 365.0],
    }
    return FeatureValue(
        "repayment_history", value, evidence(v for v, _ in found), f"{on_time}/{n} on time", facts
    )


def requested_amount(ctx: FeatureContext) -> tuple[float, RecordView, list[RecordView]] | None:
    """Return the newest requested amount, its record, and every application record.

    The newest application is the request being decided, however old it is (a long-pending application
    still asks for its amount).
    """
    apps: list[tuple[RecordView, float]] = []
    for v in ctx.views:
        amount = next((x for k in REQUEST_KEYS if (x := parse_number(v.fields.get(k))) is not None), None)
        if amount is not None and amount > 0:
            apps.append((v, amount))
    if not apps:
        return None
    return apps[0][1], apps[0][0], [v for v, _ in apps]


def requested_amount_ratio(ctx: FeatureContext) -> FeatureValue:
    """Requested amount divided by the average monthly flow (evidence: applications + flow records)."""
    req = requested_amount(ctx)
    flows, used = pos_flow(ctx)
    if req is None:
        return missing("requested_amount_ratio")
    amount, record, apps = req
    mean = sum(flows.values()) / len(flows) if flows else 0.0
    if mean <= 0:
        return missing("requested_amount_ratio", requested_amount=amount, record=record.id)
    ratio = round(amount / mean, 4)
    facts = {
        "requested_amount": amount,
        "record": record.id,
        "avg_monthly_flow": round(mean, 2),
        "currency": record.rec.currency or _currency(used),
    }
    return FeatureValue("requested_amount_ratio", ratio, evidence([*apps, *used]), f"{ratio:.2f}x", facts)


FUNCS: dict[str, Callable[[FeatureContext], FeatureValue]] = {
    "cash_flow_stability": cash_flow_stability,
    "avg_monthly_flow": avg_monthly_flow,
    "repayment_history": repayment_history,
    "requested_amount_ratio": requested_amount_ratio,
}
