"""Activity features: recency, frequency, monetary (RFM), engagement, response time, tickets, urgency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_crm.decisions.features.base import FeatureContext, FeatureValue, RecordView, evidence, fmt, missing

CONVERSATION = frozenset(
    {
        "email",
        "chat",
        "call",
        "phone",
        "meeting",
        "visit",
        "wechat",
        "message",
        "sms",
        "im",
        "ticket",
        "whatsapp",
        "video",
        "complaint",
    }
)
ASYNC = frozenset({"email", "chat", "message", "sms", "wechat", "im", "whatsapp", "ticket", "complaint"})
"""Channels whose inbound messages wait for an answer (response time)."""
TWO_WAY = frozenset({"call", "phone", "meeting", "visit", "video"})
ORDER = frozenset({"order", "purchase", "sale", "transaction"})
CLOSED_STATUSES = frozenset(
    {
        "closed",
        "resolved",
        "done",
        "solved",
        "cancelled",
        "canceled",
        "completed",
        "complete",
        "已关闭",
        "关闭",
        "已解决",
        "解决",
        "已完成",
        "完成",
        "已处理",
        "已取消",
        "approved",
        "refunded",
        "exchanged",
        "replaced",
        "已批准",
        "已退款",
        "已退费",
        "已换货",
    }
)
"""Final ticket statuses (a refund or exchange that was approved or done ends the request).

Anything else is open: ``open``, ``pending``, ``escalated``, ``pending_replacement``, ``waiting_on_customer``..."""
TICKET_KEYS = ("ticket_id", "ticket_no", "case_id")
STALE_TICKET_DAYS = 90.0
"""A ticket without any status is taken as open only while its newest record is at most this old."""
UNANSWERED_CAP_HOURS = 240.0


NOT_ORDER = CONVERSATION | {"review", "return", "returns", "rma", "refund", "quote", "note"}
"""Channels that mention an order (by its number) without being one."""


def is_order(v: RecordView) -> bool:
    """Return whether a record is an order: an order channel, or an order id on a record with an amount.

    Messages, tickets, reviews and returns that merely quote an order number are not orders.
    """
    if v.channel in ORDER:
        return True
    has_id = "order_id" in v.fields or "order_no" in v.fields
    return has_id and v.channel not in NOT_ORDER and bool(v.rec.amount)


def is_ticket(v: RecordView) -> bool:
    """Return whether a record belongs to a support ticket."""
    return v.channel == "ticket" or any(k in v.fields for k in TICKET_KEYS)


def recency(ctx: FeatureContext) -> FeatureValue:
    """Days since the newest inbound or outbound record (evidence: every directional record)."""
    ev = [v for v in ctx.views if v.direction in ("inbound", "outbound")]
    if not ev:
        return missing("recency")
    days = round(ev[0].age_days, 2)
    facts = {"days": days, "last_record": ev[0].id, "last_channel": ev[0].channel, "interactions": len(ev)}
    return FeatureValue("recency", days, evidence(ev), f"{fmt(days, 1)} days", facts)


def frequency(ctx: FeatureContext) -> FeatureValue:
    """Number of orders in the last 180 days."""
    ev = [v for v in ctx.within(180) if is_order(v)]
    if not ev:
        return missing("frequency")
    return FeatureValue("frequency", float(len(ev)), evidence(ev), f"{len(ev)} orders", {"orders": len(ev)})


def monetary(ctx: FeatureContext) -> FeatureValue:
    """Sum of order amounts in the last 12 months."""
    ev = [v for v in ctx.within(365) if is_order(v) and v.rec.amount is not None and v.rec.amount > 0]
    if not ev:
        return missing("monetary")
    total = round(sum(v.rec.amount or 0.0 for v in ev), 2)
    currency = next((v.rec.currency for v in ev if v.rec.currency), None)
    facts = {"total": total, "orders": len(ev), "currency": currency}
    return FeatureValue("monetary", total, evidence(ev), f"{fmt(total)} {currency or ''}".strip(), facts)


def engagement(ctx: FeatureContext) -> FeatureValue:
    """Two-way interactions in the last 90 days: calls/meetings/visits and customer messages."""
    ev = [
        v
        for v in ctx.within(90)
        if (v.channel in TWO_WAY and v.direction != "internal")
        or (v.direction == "inbound" and v.channel in CONVERSATION)
    ]
    if not ev:
        return missing("engagement")
    return FeatureValue(
        "engagement", float(len(ev)), evidence(ev), f"{len(ev)} interactions", {"interactions": len(ev)}
    )


def response_time(ctx: FeatureContext) -> FeatureValue:
    """Mean hours from each inbound written message to the next outbound contact (180 days).

    Inbound messages are asynchronous channels (email, chat, ticket, ...); any outbound conversation
    (a reply, a call, a visit) answers them. Unanswered messages count the hours until ``as_of`` (capped).
    """
    conv = [
        v
        for v in ctx.within(180)
        if (v.direction == "inbound" and v.channel in ASYNC)
        or (v.direction == "outbound" and v.channel in CONVERSATION)
    ]
    conv.sort(key=lambda v: (v.ts, v.id))
    pending: list[RecordView] = []
    used: list[RecordView] = []
    hours: list[float] = []
    for v in conv:
        if v.direction == "inbound":
            pending.append(v)
        elif pending:
            hours.extend((v.ts - p.ts).total_seconds() / 3600.0 for p in pending)
            used.extend(pending)
            used.append(v)
            pending = []
    for p in pending:
        hours.append(min(UNANSWERED_CAP_HOURS, p.age_days * 24.0))
        used.append(p)
    if not hours:
        return missing("response_time")
    mean = round(sum(hours) / len(hours), 2)
    facts = {"inbound": len(hours), "unanswered": len(pending), "max_hours": round(max(hours), 2)}
    return FeatureValue("response_time", mean, evidence(used), f"{fmt(mean, 1)} h", facts)


def ticket_groups(ctx: FeatureContext) -> dict[str, list[RecordView]]:
    """Group ticket records of the last 12 months by ``fields.ticket_id`` (else record id), newest first."""
    cached: dict[str, list[RecordView]] | None = ctx.memo.get("ticket_groups")
    if cached is None:
        cached = {}
        for v in ctx.within(365):
            if is_ticket(v):
                key = next((v.fields[k] for k in TICKET_KEYS if v.fields.get(k)), v.id)
                cached.setdefault(str(key), []).append(v)
        ctx.memo["ticket_groups"] = cached
    return cached


def ticket_is_open(group: list[RecordView]) -> bool:
    """Return whether a ticket (its records, newest first) is open: the newest status decides."""
    for v in group:
        status = v.fields.get("status") or v.fields.get("ticket_status")
        if isinstance(status, str) and status.strip():
            return status.strip().lower() not in CLOSED_STATUSES
    return group[0].age_days <= STALE_TICKET_DAYS


def open_tickets(ctx: FeatureContext) -> FeatureValue:
    """Number of open tickets (evidence: every ticket record of the last 12 months, open or closed)."""
    groups = ticket_groups(ctx)
    if not groups:
        return missing("open_tickets")
    open_keys = [k for k, g in groups.items() if ticket_is_open(g)]
    all_views = [v for g in groups.values() for v in g]
    open_records = evidence(v for k in open_keys for v in groups[k])
    facts: dict[str, Any] = {
        "open": len(open_keys),
        "total": len(groups),
        "open_tickets": open_keys,
        "open_records": list(open_records),
    }
    return FeatureValue(
        "open_tickets",
        float(len(open_keys)),
        evidence(all_views),
        f"{len(open_keys)} open of {len(groups)}",
        facts,
    )


def urgency(ctx: FeatureContext) -> FeatureValue:
    """Customer records of the last 30 days with urgent wording (紧急/尽快/urgent/asap...)."""
    ev = [v for v in ctx.within(30) if v.direction != "outbound" and v.has("urgency")]
    if not ev:
        return missing("urgency")
    terms = sorted({t for v in ev for t in v.terms("urgency")})
    return FeatureValue("urgency", float(len(ev)), evidence(ev), f"{len(ev)} urgent", {"terms": terms})


FUNCS: dict[str, Callable[[FeatureContext], FeatureValue]] = {
    "recency": recency,
    "frequency": frequency,
    "monetary": monetary,
    "engagement": engagement,
    "response_time": response_time,
    "open_tickets": open_tickets,
    "urgency": urgency,
}
