"""Text signal features: sentiment, objections, competitors, complaints, rejected quotes, returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_crm.decisions import lexicons, textmatch
from agent_crm.decisions.features.activity import is_ticket
from agent_crm.decisions.features.base import (
    TRANSACTION_CHANNELS,
    FeatureContext,
    FeatureValue,
    RecordView,
    customer_voice,
    evidence,
    missing,
    parse_number,
)

REJECTED_STATUSES = frozenset(
    {
        "rejected",
        "declined",
        "lost",
        "refused",
        "closed_lost",
        "拒绝",
        "已拒绝",
        "未中标",
        "落标",
        "失败",
        "丢单",
    }
)
HIGH_PRIORITIES = frozenset({"high", "urgent", "critical", "p1", "p0", "高", "紧急", "加急"})
ESCALATED_STATUSES = frozenset({"escalated", "已升级", "升级"})
RETURN_CHANNELS = frozenset({"return", "returns", "rma", "refund"})
RETURN_STATUSES = frozenset({"returned", "return_requested", "refunded", "退货", "已退货", "退货中", "退款"})
_OBJECTION_KEYS = tuple((c, f"obj_{c}") for c in lexicons.OBJECTION_CATEGORIES)
_OBJECTION_CATS = frozenset(key for _, key in _OBJECTION_KEYS)
_OBJECTION_FIELDS = ("objection", "objections", "loss_reason")
_OBJECTION_CODES = {
    **{c: c for c in lexicons.OBJECTION_CATEGORIES},
    "pricing": "price",
    "价格": "price",
    "procurement": "procurement_policy",
    "policy": "procurement_policy",
    "vbp": "procurement_policy",
    "集采": "procurement_policy",
    "带量采购": "procurement_policy",
    "资质": "qualification",
    "certification": "qualification",
    "timing": "timing",
    "时机": "timing",
    "no_need": "need",
    "需求": "need",
    "incumbent": "incumbent",
    "competitor": "incumbent",
}
"""Categorical ``fields.objection`` codes -> objection category."""
_SENTIMENT_LABELS = {
    "positive": 1.0,
    "negative": -1.0,
    "neutral": 0.0,
    "正面": 1.0,
    "负面": -1.0,
    "中性": 0.0,
}


def record_polarity(v: RecordView) -> float | None:
    """Return a record's polarity in [-1, 1], None if none.

    ``fields.sentiment`` wins, then a 1–5 star ``fields.rating`` ((rating − 3) / 2), then the lexicon.
    """
    raw = v.fields.get("sentiment")
    if isinstance(raw, str) and raw.strip().lower() in _SENTIMENT_LABELS:
        return _SENTIMENT_LABELS[raw.strip().lower()]
    num = parse_number(raw)
    if num is not None and -1.0 <= num <= 1.0:
        return num
    stars = parse_number(v.fields.get("rating"))
    if stars is not None and 1.0 <= stars <= 5.0:
        return (stars - 3.0) / 2.0
    pos = neg = 0
    cats = v.voice_cats  # the customer's turns of a chat transcript, not the agent's
    for h in cats.get("sent_pos", ()):
        pos, neg = (pos, neg + 1) if h.negated else (pos + 1, neg)
    for h in cats.get("sent_neg", ()):
        if "sent_pos" not in h.categories:
            pos, neg = (pos + 1, neg) if h.negated else (pos, neg + 1)
    if pos + neg == 0:
        return None
    return (pos - neg) / (pos + neg)


def our_fault(v: RecordView) -> bool:
    """Return whether a complaint or ticket records our own acknowledged error (reversed, refunded, apologised)."""
    return v.has("our_fault") and (is_ticket(v) or v.channel == "complaint" or v.has("complaint"))


def _counts_for(ctx: FeatureContext, v: RecordView) -> bool:
    """Return whether a record may speak about the customer's disposition in this context."""
    return not (ctx.ignore_our_faults and our_fault(v))


def sentiment(ctx: FeatureContext) -> FeatureValue:
    """Mean polarity of the last 180 days' records carrying the customer's voice (not our messages)."""
    pairs = [
        (v, p)
        for v in ctx.within(180)
        if customer_voice(v) and _counts_for(ctx, v) and (p := record_polarity(v)) is not None
    ]
    if not pairs:
        return missing("sentiment")
    value = round(sum(p for _, p in pairs) / len(pairs), 4)
    worst = min(pairs, key=lambda vp: (vp[1], vp[0].rank))
    facts = {
        "records": len(pairs),
        "negative": sum(1 for _, p in pairs if p < 0),
        "positive": sum(1 for _, p in pairs if p > 0),
        "most_negative_record": worst[0].id,
    }
    return FeatureValue("sentiment", value, evidence(v for v, _ in pairs), f"{value:+.2f}", facts)


def objection_hits(v: RecordView) -> dict[str, str]:
    """Return objection category -> snippet of its first non-negated hit in a record."""
    out: dict[str, str] = {}
    # only the customer's words object: not our messages, reminders or our turns of a chat transcript
    if _OBJECTION_CATS & v.cats.keys() and customer_voice(v):
        cats = v.voice_cats
        for cat, key in _OBJECTION_KEYS:
            h = next((h for h in cats.get(key, ()) if not h.negated), None)
            if h is not None:
                out[cat] = textmatch.snippet(v.voice, h.start, h.end)
    if not (v.fields and _OBJECTION_FIELDS & v.fields.keys()):
        return out
    for code in field_codes(v, *_OBJECTION_FIELDS):
        coded = _OBJECTION_CODES.get(code)
        if coded is not None and coded not in out:
            out[coded] = textmatch.snippet(v.text, 0, 0, width=60)
    return out


def field_codes(v: RecordView, *keys: str) -> list[str]:
    """Return the lower-cased string values of categorical fields (a string or a list of strings)."""
    out: list[str] = []
    fields = v.fields
    if not fields:
        return out
    for key in keys:
        raw = fields.get(key)
        if raw is None:
            continue
        for item in raw if isinstance(raw, list | tuple) else [raw]:
            if isinstance(item, str) and item.strip():
                out.append(item.strip().lower())
    return out


def objections(ctx: FeatureContext) -> FeatureValue:
    """Records of the last 12 months raising objections (price, procurement policy, qualification, ...)."""
    found = [(v, hits) for v in ctx.within(365) if (hits := objection_hits(v))]
    if not found:
        return missing("objections")
    categories: dict[str, list[str]] = {}
    snippets: dict[str, dict[str, str]] = {}
    for v, hits in found:
        for cat, snip in hits.items():
            categories.setdefault(cat, []).append(v.id)
            snippets.setdefault(cat, {})[v.id] = snip
    ordered = {c: categories[c] for c in lexicons.OBJECTION_CATEGORIES if c in categories}
    facts = {"categories": ordered, "snippets": snippets}
    return FeatureValue(
        "objections",
        float(len(found)),
        evidence(v for v, _ in found),
        f"{len(found)} ({', '.join(ordered)})",
        facts,
    )


def competitor_names_in(ctx: FeatureContext, v: RecordView) -> list[str]:
    """Return display names of the known competitors a record names (fields or text)."""
    names = [ctx.competitor_names[n.lower()] for n in v.competitors]
    for low in textmatch.find_names(v.low, ctx.competitor_key):
        if ctx.competitor_names[low] not in names:
            names.append(ctx.competitor_names[low])
    return names


def competitor_mentions(ctx: FeatureContext) -> FeatureValue:
    """Records of the last 12 months naming a competitor (generic words, known names, fields.competitor)."""
    by_name: dict[str, list[str]] = {}
    snippets: dict[str, str] = {}
    ev: list[RecordView] = []
    for v in ctx.within(365):
        names = competitor_names_in(ctx, v)
        generic = v.first("competitor")
        if not names and generic is None:
            continue
        ev.append(v)
        for name in names or [""]:
            by_name.setdefault(name, []).append(v.id)
        if generic is not None:
            snippets[v.id] = textmatch.snippet(v.text, generic.start, generic.end)
        elif names:
            pos = v.low.find(names[0].lower())
            snippets[v.id] = textmatch.snippet(v.text, max(pos, 0), max(pos, 0) + len(names[0]))
    if not ev:
        return missing("competitor_mentions")
    named = sorted(n for n in by_name if n)
    facts: dict[str, Any] = {
        "names": {n: by_name[n] for n in named},
        "unnamed": by_name.get("", []),
        "snippets": snippets,
    }
    display = f"{len(ev)} records" + (f" ({', '.join(named)})" if named else "")
    return FeatureValue("competitor_mentions", float(len(ev)), evidence(ev), display, facts)


def is_complaint(v: RecordView) -> bool:
    """Return whether a record is a complaint (cached per record; see :func:`_is_complaint`)."""
    found = v.memo.get("complaint")
    if found is None:
        found = v.memo["complaint"] = _is_complaint(v)
    return bool(found)


def _is_complaint(v: RecordView) -> bool:
    """Return whether a record is a complaint.

    A complaint channel, tag or category; an escalated ticket; a high-priority ticket reporting a service
    failure (delay, damage, missing part...); or complaint wording in the customer's own words.
    """
    if v.channel == "complaint" or any(t.lower() in ("complaint", "投诉") for t in v.rec.tags):
        return True
    kind = v.fields.get("type") or v.fields.get("category")
    if isinstance(kind, str) and kind.strip().lower() in ("complaint", "投诉"):
        return True
    if v.direction == "outbound" or v.channel in TRANSACTION_CHANNELS:
        return False
    if is_ticket(v) and (
        status_of(v, "status", "ticket_status") in ESCALATED_STATUSES
        or (status_of(v, "priority") in HIGH_PRIORITIES and v.has("incident"))
    ):
        return True
    return v.has("complaint")


def complaints(ctx: FeatureContext) -> FeatureValue:
    """Complaint records of the last 12 months (for credit: not those about our own acknowledged errors)."""
    ev = [v for v in ctx.within(365) if is_complaint(v) and _counts_for(ctx, v)]
    if not ev:
        return missing("complaints")
    return FeatureValue(
        "complaints",
        float(len(ev)),
        evidence(ev),
        f"{len(ev)} complaints",
        {"complaints": len(ev), "latest": ev[0].id},
    )


def status_of(v: RecordView, *keys: str) -> str:
    """Return the first non-empty of the string fields ``keys``, lower-cased ("" if none)."""
    for key in keys:
        raw = v.fields.get(key)
        if isinstance(raw, str) and raw.strip():
            return raw.strip().lower()
    return ""


def is_rejected_quote(v: RecordView) -> bool:
    """Return whether a record is a quote that the customer rejected."""
    is_quote = v.channel == "quote" or "quote_id" in v.fields or "quote_status" in v.fields
    if not is_quote and not v.has("quote"):
        return False
    status = status_of(v, "quote_status", "status")
    if status:
        return status in REJECTED_STATUSES
    return v.has("reject")


def quote_rejections(ctx: FeatureContext) -> FeatureValue:
    """Rejected quotes of the last 12 months."""
    ev = [v for v in ctx.within(365) if is_rejected_quote(v)]
    if not ev:
        return missing("quote_rejections")
    amounts = {v.id: v.rec.amount for v in ev if v.rec.amount is not None}
    facts = {
        "quotes": [v.id for v in ev],
        "amounts": amounts,
        "latest": ev[0].id,
        "currency": next((v.rec.currency for v in ev if v.rec.currency), None),
    }
    return FeatureValue("quote_rejections", float(len(ev)), evidence(ev), f"{len(ev)} rejected", facts)


def return_reasons(v: RecordView) -> list[str]:
    """Return the return reasons (quality, size, damaged, ...) named by a record."""
    return [r for r in lexicons.RETURN_REASON_NAMES if v.has(f"ret_{r}")]


def is_return(v: RecordView) -> bool:
    """Return whether a record reports a return."""
    if (
        v.channel in RETURN_CHANNELS
        or "return_reason" in v.fields
        or "return" in (t.lower() for t in v.rec.tags)
    ):
        return True
    if status_of(v, "status", "order_status") in RETURN_STATUSES:
        return True
    return v.direction != "outbound" and v.has("return")


def returns(ctx: FeatureContext) -> FeatureValue:
    """Returns of the last 180 days, with their reasons."""
    ev = [v for v in ctx.within(180) if is_return(v)]
    if not ev:
        return missing("returns")
    reasons: dict[str, list[str]] = {}
    for v in ev:
        for r in return_reasons(v):
            reasons.setdefault(r, []).append(v.id)
    display = f"{len(ev)} returns" + (f" ({', '.join(reasons)})" if reasons else "")
    return FeatureValue(
        "returns",
        float(len(ev)),
        evidence(ev),
        display,
        {"returns": len(ev), "reasons": reasons, "amount": round(sum(v.rec.amount or 0.0 for v in ev), 2)},
    )


FUNCS: dict[str, Callable[[FeatureContext], FeatureValue]] = {
    "sentiment": sentiment,
    "objections": objections,
    "competitor_mentions": competitor_mentions,
    "complaints": complaints,
    "quote_rejections": quote_rejections,
    "returns": returns,
}
