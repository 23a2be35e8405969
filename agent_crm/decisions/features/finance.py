"""Finance features: POS cash-flow stability and level, repayment history, requested amount ratio."""

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
FLOW_MONTHS = 6
"""Cash-flow features use the newest 6 months with data among the last 7 calendar months."""
PAYMENT_CHANNELS = frozenset({"payment", "repayment", "installment"})
PAYMENT_WINDOW_DAYS = 730.0
LATE_PENALTY_DAYS = 90.0
"""A payment this many days late (or more) costs the full lateness penalty of 0.5."""
UNKNOWN_LATE_DAYS = 30.0
REQUEST_KEYS = ("requested_amount", "loan_amount", "requested_limit")


def pos_flow(ctx: FeatureContext) -> tuple[dict[int, float], list[RecordView]]:
    """Return month -> POS flow (newest record wins per month) and the records used, cached per call."""
    cached = ctx.memo.get("pos_flow")
    if cached is None:
        points: dict[int, float] = {}
        used: list[RecordView] = []
        lo = ctx.month - FLOW_MONTHS
        for v in ctx.views:
            pts = [(m, x) for m, x in monthly_points(v, POS_KEYS) if lo <= m <= ctx.month and x >= 0]
            if pts:
                used.append(v)
                for m, x in pts:
                    points.setdefault(m, x)
        keep = sorted(points)[-FLOW_MONTHS:]
        cached = ({m: points[m] for m in keep}, used)
        ctx.memo["pos_flow"] = cached
    return cached


def _currency(views: list[RecordView]) -> str | None:
    return next((v.rec.currency for v in views if v.rec.currency), None) or next(
        (c for v in views if isinstance(c := v.fields.get("currency"), str)), None
    )


def cash_flow_stability(ctx: FeatureContext) -> FeatureValue:
    """Stability of monthly POS flow: 1 − coefficient of variation, shrunk toward 0.5 below 6 months.

    ``value = 0.5 + (clip(1 − CV, 0, 1) − 0.5) × min(1, (months − 1) / 5)``: one month says nothing about
    stability, six months say all the formula can.
    """
    flows, used = pos_flow(ctx)
    if not flows:
        return missing("cash_flow_stability")
    values = list(flows.values())
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in values) / n)
    cv = std / mean if mean > 0 else 1.0
    raw = max(0.0, min(1.0, 1.0 - cv))
    value = round(0.5 + (raw - 0.5) * min(1.0, (n - 1) / (FLOW_MONTHS - 1)), 4)
    facts = {
        "months": n,
        "mean": round(mean, 2),
        "cv": round(cv, 4),
        "min": min(values),
        "max": max(values),
        "currency": _currency(used),
    }
    return FeatureValue("cash_flow_stability", value, evidence(used), f"{value:.2f} over {n} months", facts)


def avg_monthly_flow(ctx: FeatureContext) -> FeatureValue:
    """Mean monthly POS flow over the same months as :func:`cash_flow_stability`."""
    flows, used = pos_flow(ctx)
    if not flows:
        return missing("avg_monthly_flow")
    mean = round(sum(flows.values()) / len(flows), 2)
    facts = {"months": len(flows), "currency": _currency(used)}
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


def repayment_history(ctx: FeatureContext) -> FeatureValue:
    """Share of payments made on time (24 months), minus a lateness penalty of up to 0.5.

    ``value = clip(on_time_share − mean(min(days_late, 90) / 90 × 0.5), 0, 1)``.
    """
    found = [(v, p) for v in ctx.within(PAYMENT_WINDOW_DAYS) if (p := _payment(v)) is not None]
    if not found:
        return missing("repayment_history")
    n = len(found)
    on_time = sum(1 for _, (ok, _) in found if ok)
    late_days = [d for _, (ok, d) in found if not ok]
    penalty = sum(min(d, LATE_PENALTY_DAYS) / LATE_PENALTY_DAYS * 0.5 for d in late_days) / n
    value = round(max(0.0, min(1.0, on_time / n - penalty)), 4)
    facts = {
        "payments": n,
        "on_time": on_time,
        "late": n - on_time,
        "avg_days_late": round(sum(late_days) / len(late_days), 1) if late_days else 0.0,
        "max_days_late": max(late_days) if late_days else 0.0,
    }
    return FeatureValue(
        "repayment_history", value, evidence(v for v, _ in found), f"{on_time}/{n} on time", facts
    )


def requested_amount(ctx: FeatureContext) -> tuple[float, RecordView, list[RecordView]] | None:
    """Return the newest requested amount of the last 180 days, its record, and every application record."""
    apps: list[tuple[RecordView, float]] = []
    for v in ctx.within(180):
        amount = next((x for k in REQUEST_KEYS if (x := parse_number(v.fields.get(k))) is not None), None)
        if amount is not None and amount > 0:
            apps.append((v, amount))
    if not apps:
        return None
    return apps[0][1], apps[0][0], [v for v, _ in apps]


def requested_amount_ratio(ctx: FeatureContext) -> FeatureValue:
    """Requested amount divided by the average monthly POS flow (evidence: applications + POS records)."""
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
