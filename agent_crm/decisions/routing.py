"""Ticket routing: the queue from bilingual lexicons over the most recent open ticket(s)."""

from __future__ import annotations

from typing import Any

from agent_crm.decisions import lexicons
from agent_crm.decisions.features.activity import is_order, is_ticket, ticket_groups, ticket_is_open
from agent_crm.decisions.features.base import TRANSACTION_CHANNELS, FeatureContext, RecordView

FALLBACK_QUEUE = "general"
CATEGORY_BONUS = 2.0
"""Score a queue gets when a record's category/queue field names it (per record, times the record weight)."""
OTHER_TICKET_WEIGHT = 0.5
"""Weight of the records of older open tickets (the newest open ticket weighs 1)."""

_CATEGORY_QUEUE = {
    "billing": "billing",
    "invoice": "billing",
    "payment": "billing",
    "账单": "billing",
    "发票": "billing",
    "计费": "billing",
    "technical": "technical",
    "tech": "technical",
    "bug": "technical",
    "技术": "technical",
    "故障": "technical",
    "returns": "returns",
    "return": "returns",
    "refund": "returns",
    "退货": "returns",
    "退换货": "returns",
    "logistics": "logistics",
    "shipping": "logistics",
    "delivery": "logistics",
    "物流": "logistics",
    "配送": "logistics",
    "complaints": "complaints",
    "complaint": "complaints",
    "投诉": "complaints",
    "sales": "sales",
    "销售": "sales",
    "咨询": "sales",
    "product": "sales",
    "pricing": "sales",
    "fee": "billing",
    "fees": "billing",
    "coupon": "billing",
    "discount": "billing",
    "手续费": "billing",
    "扣款": "billing",
    "退费": "billing",
    "退款": "returns",
    "wrong_item": "returns",
    "damaged": "returns",
    "damage": "returns",
    "quality": "returns",
    "质量": "returns",
    "exchange": "returns",
    "换货": "returns",
    "where": "logistics",
    "wismo": "logistics",
    "delay": "logistics",
    "延误": "logistics",
    "缺件": "logistics",
    "login": "technical",
    "app": "technical",
    "手机银行": "technical",
}


def routing_targets(ctx: FeatureContext) -> tuple[list[tuple[RecordView, float]], list[str]]:
    """Return the records to classify with their weights, and the open ticket keys (newest first).

    The newest open ticket's records weigh 1, other open tickets 0.5. Without open tickets, the customer's
    newest service-like record (a ticket, return, complaint or message of theirs) is classified; orders,
    payments and other transaction records are never routed.
    """
    groups = ticket_groups(ctx)
    open_groups = sorted(
        ((k, g) for k, g in groups.items() if ticket_is_open(g)), key=lambda kg: kg[1][0].rank
    )
    if open_groups:
        targets = [
            (v, 1.0 if i == 0 else OTHER_TICKET_WEIGHT) for i, (_, g) in enumerate(open_groups) for v in g
        ]
        return targets, [k for k, _ in open_groups]
    latest = next((v for v in ctx.views if _service_like(v)), None)
    return ([(latest, 1.0)] if latest is not None else []), []


def _service_like(v: RecordView) -> bool:
    """Return whether a record is a customer's service request (not an order, payment or our message)."""
    if v.channel in TRANSACTION_CHANNELS or is_order(v):
        return False
    return is_ticket(v) or v.direction == "inbound"


def _field_queue(v: RecordView) -> str | None:
    for key in ("queue", "category", "ticket_category", "type", "topic", "issue", "issue_type"):
        raw = v.fields.get(key)
        if isinstance(raw, str) and raw.strip().lower() in _CATEGORY_QUEUE:
            return _CATEGORY_QUEUE[raw.strip().lower()]
    return None


def route(ctx: FeatureContext) -> tuple[str, dict[str, Any]]:
    """Return the queue and the per-queue scores with their evidence records and matched terms."""
    targets, open_keys = routing_targets(ctx)
    scores: dict[str, float] = {}
    ev: dict[str, list[str]] = {}
    terms: dict[str, list[str]] = {}
    for v, weight in targets:
        for queue in lexicons.QUEUE_NAMES:
            found = v.terms(f"q_{queue}")
            bonus = CATEGORY_BONUS if _field_queue(v) == queue else 0.0
            if not found and not bonus:
                continue
            scores[queue] = scores.get(queue, 0.0) + weight * (len(found) + bonus)
            if v.id not in ev.setdefault(queue, []):
                ev[queue].append(v.id)
            terms.setdefault(queue, []).extend(t for t in found if t not in terms[queue])
    order = {q: i for i, q in enumerate(lexicons.QUEUE_NAMES)}
    ranked = sorted(scores, key=lambda q: (-scores[q], order[q]))
    queue = ranked[0] if ranked else FALLBACK_QUEUE
    details: dict[str, Any] = {
        "queue": queue,
        "queue_scores": {
            q: {"score": round(scores[q], 4), "evidence": ev[q], "terms": terms.get(q, [])} for q in ranked
        },
        "routed_records": [v.id for v, _ in targets],
        "open_ticket_ids": open_keys,
    }
    return queue, details
