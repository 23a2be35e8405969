"""Customer events: service incidents, our own acknowledged faults, and the customer moving away."""

from __future__ import annotations

from collections.abc import Callable

from agent_crm.decisions.features.activity import is_order
from agent_crm.decisions.features.base import (
    TRANSACTION_CHANNELS,
    FeatureContext,
    FeatureValue,
    RecordView,
    evidence,
    missing,
)
from agent_crm.decisions.features.signals import (
    HIGH_PRIORITIES,
    field_codes,
    is_complaint,
    is_return,
    return_reasons,
    status_of,
)

PURCHASE_CHANNELS = frozenset({"payment", "order", "purchase"})
FAILURE_RETURNS = frozenset({"quality", "damaged", "not_as_described", "late"})
"""Return reasons that are our failure (not a change of mind or a size that did not fit)."""
INCIDENT_DAYS = 30.0
"""Service incidents of this many days are fresh enough to come before any sales motion."""
OUR_FAULT_DAYS = 180.0
"""A customer we failed (and told so) in this window is owed a recovery before anything else."""
_REASON_FIELDS = ("reason", "refund_reason", "decline_reason", "churn_reason", "loss_reason")
_MOVED_CODES = frozenset({"relocation", "relocated", "moved", "moving", "搬家"})


def is_incident(v: RecordView) -> bool:
    """Return whether a customer record reports a service failure: a complaint, or a delay/damage/defect."""
    if v.direction == "outbound" or v.channel in TRANSACTION_CHANNELS:
        return False
    return (
        is_complaint(v)
        or v.has("incident")
        or (is_return(v) and bool(FAILURE_RETURNS & set(return_reasons(v))))
    )


def incidents(ctx: FeatureContext) -> FeatureValue:
    """Service failures the customer reported in the last 30 days (complaints, delays, damage, defects)."""
    ev = [v for v in ctx.within(INCIDENT_DAYS) if is_incident(v)]
    if not ev:
        return missing("incidents")
    high = [v.id for v in ev if status_of(v, "priority") in HIGH_PRIORITIES or is_complaint(v)]
    facts = {"incidents": len(ev), "serious": high, "latest": ev[0].id}
    return FeatureValue("incidents", float(len(ev)), evidence(ev), f"{len(ev)} incidents", facts)


def _purchase(v: RecordView) -> bool:
    """Return whether a record is the customer buying or paying (an order or payment, not ours)."""
    bought = v.channel in PURCHASE_CHANNELS or is_order(v)
    return bought and v.direction != "outbound" and (v.rec.amount or 0.0) > 0


def our_faults(ctx: FeatureContext) -> FeatureValue:
    """Acknowledged errors of ours (apology, reversal, our-fault refund) the customer has not bought since.

    180 days. ``value`` counts the faults with no purchase after them (0 when the customer came back);
    evidence: the fault records and the purchases made after the first of them.
    """
    faults = [
        v for v in ctx.within(OUR_FAULT_DAYS) if v.channel not in TRANSACTION_CHANNELS and v.has("our_fault")
    ]
    if not faults:
        return missing("our_faults")
    first = faults[-1].ts
    bought = [v for v in ctx.views if v.ts > first and _purchase(v)]
    last_buy = bought[0].ts if bought else None
    open_faults = [v for v in faults if last_buy is None or v.ts >= last_buy]
    facts = {
        "latest": faults[0].id,
        "unrecovered": [v.id for v in open_faults],
        "since": [v.id for v in bought],
    }
    display = f"{len(open_faults)} of {len(faults)} not recovered"
    return FeatureValue("our_faults", float(len(open_faults)), evidence([*faults, *bought]), display, facts)


def is_relocation(v: RecordView) -> bool:
    """Return whether a record says the customer moved (or is moving) away (cached per record)."""
    found = v.memo.get("relocation")
    if found is None:
        found = v.memo["relocation"] = _is_relocation(v)
    return bool(found)


def _is_relocation(v: RecordView) -> bool:
    if v.direction != "outbound" and v.has("relocation"):
        return True
    if not (v.fields and _REASON_FIELDS & v.fields.keys()):
        return False
    return any(c in _MOVED_CODES for c in field_codes(v, *_REASON_FIELDS))


def relocation(ctx: FeatureContext) -> FeatureValue:
    """Records of the last 12 months saying the customer moved away (out of the service area)."""
    ev = [v for v in ctx.within(365) if is_relocation(v)]
    if not ev:
        return missing("relocation")
    return FeatureValue(
        "relocation", float(len(ev)), evidence(ev), f"moved away ({ev[0].id})", {"latest": ev[0].id}
    )


FUNCS: dict[str, Callable[[FeatureContext], FeatureValue]] = {
    "incidents": incidents,
    "our_faults": our_faults,
    "relocation": relocation,
}
