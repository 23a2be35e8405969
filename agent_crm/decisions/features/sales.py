"""Sales features: BANT (budget, authority, need, timeline) and surgery volume trend."""

from __future__ import annotations

import re
from collections.abc import Callable

from agent_crm.decisions import textmatch
from agent_crm.decisions.features.activity import CONVERSATION, is_order
from agent_crm.decisions.features.base import (
    FeatureContext,
    FeatureValue,
    RecordView,
    evidence,
    missing,
    monthly_points,
    parse_date,
    parse_number,
)

_DIGIT = re.compile(r"\d")
_TEXT_YM = re.compile(r"(?<![\w-])(20\d{2})\s*[-/.年]\s*(\d{1,2})(?!\d)")
_TEXT_M = re.compile(r"(?<![\d个])(1[0-2]|[1-9])\s*月(?:份|底|初|中)?")
TITLE_FIELDS = ("title", "contact_title", "role", "position", "job_title")
DATE_FIELDS = ("expected_close_date", "decision_date", "close_date", "purchase_date", "target_date")
PAYMENT_CHANNELS = frozenset({"payment", "repayment", "installment"})
SPEND_DAYS = 180.0
"""A purchase or payment this recent shows the customer has money to spend (budget) and a need."""
QUOTE_DAYS = 90.0
QUOTE_TIMELINE = 0.8
"""Timeline of an open quote: the customer is in a buying cycle that ends within the quote's validity."""
"""A quote the customer asked for, or one still awaiting their answer, this recent signals budget."""
OPEN_QUOTE_STATUSES = frozenset(
    {
        "pending",
        "sent",
        "open",
        "submitted",
        "awaiting",
        "requested",
        "待回复",
        "等待回复",
        "已发送",
        "审批中",
    }
)
_OBJECTION_KEYS = ("objection", "objections", "loss_reason")
_BUDGET_CODES = frozenset({"budget", "no_budget", "预算", "预算不足", "没有预算"})
"""Categorical objection codes saying the customer has no budget."""
ROLE_LEVELS: dict[str, float] = {
    **dict.fromkeys(
        (
            "decision_maker",
            "economic_buyer",
            "approver",
            "owner",
            "founder",
            "executive",
            "sponsor",
            "signatory",
            "parent",
            "guardian",
            "account_holder",
            "决策人",
            "负责人",
            "家长",
        ),
        1.0,
    ),
    **dict.fromkeys(("procurement", "purchasing", "buyer", "champion", "finance", "manager", "采购"), 0.7),
    **dict.fromkeys(("influencer", "user", "staff", "technical", "evaluator", "assistant", "使用者"), 0.4),
}
"""Authority of a directory contact's role (a parent decides a child's course; a buyer places orders)."""
PAYER_LEVEL = 0.8
"""Authority of a named contact who paid us: whoever pays can decide to buy."""


def _stated_budget(v: RecordView) -> tuple[float, str] | None:
    """Return what a record says about budget: an amount 1.0, a mention 0.7, none 0.0."""
    amount = parse_number(v.fields.get("budget"))
    negative = v.has("budget_neg")
    positive = v.cats.get("budget", ())
    codes = {c.strip().lower() for k in _OBJECTION_KEYS if k in v.fields for c in _codes(v, k)}
    if negative or codes & _BUDGET_CODES:
        return 0.0, "none"
    if amount is not None and amount > 0:
        return 1.0, "confirmed"
    for h in positive:
        if h.negated:
            return 0.0, "none"
        if _DIGIT.search(v.low[max(0, h.start - 12) : h.end + 16]):
            return 1.0, "confirmed"
    return (0.7, "mentioned") if positive else None


def _codes(v: RecordView, key: str) -> list[str]:
    raw = v.fields.get(key) if v.fields else None
    return [x for x in (raw if isinstance(raw, list | tuple) else [raw]) if isinstance(x, str)]


def _spent(v: RecordView) -> bool:
    """Return whether a record is the customer paying us (a payment or an order with an amount)."""
    paid = v.channel in PAYMENT_CHANNELS or is_order(v)
    return paid and v.direction != "outbound" and (v.rec.amount or 0.0) > 0 and v.age_days <= SPEND_DAYS


def _quote_open(v: RecordView) -> bool:
    """Return whether a record is a recent quote the customer asked for or has not answered yet."""
    if v.age_days > QUOTE_DAYS:
        return False
    status = v.fields.get("quote_status")
    if isinstance(status, str) and status.strip().lower() in OPEN_QUOTE_STATUSES:
        return True
    return v.direction == "inbound" and v.has("quote") and v.channel != "quote"


def _budget_level(v: RecordView) -> tuple[float, str, bool] | None:
    """Return (level, status, stated) of a record: stated budget wins over what spending implies."""
    stated = _stated_budget(v)
    if stated is not None:
        return stated[0], stated[1], True
    if _spent(v):
        return 0.8, "spending", False
    if _quote_open(v):
        return 0.7, "quote_requested", False
    return None


def budget(ctx: FeatureContext) -> FeatureValue:
    """Budget signal 0..1 (BANT) from what the customer says and does (12 months).

    Stated: an amount 1.0, a mention 0.7, "no budget" 0.0. Shown: a recent payment or order 0.8 (money is
    being spent), a quote requested or awaiting an answer 0.7. The value is the strongest signal, unless the
    newest signal is a stated "no budget", which wins.
    """
    found = [(v, lv) for v in ctx.within(365) if (lv := _budget_level(v)) is not None]
    if not found:
        return missing("budget")
    latest, (value, status, _) = found[0]
    if value > 0.0:
        latest, (value, status, _) = max(found, key=lambda f: (f[1][0], -f[0].rank))
    facts = {"status": status, "record": latest.id, "amount": parse_number(latest.fields.get("budget"))}
    return FeatureValue("budget", value, evidence(v for v, _ in found), status, facts)


def _authority_level(
    v: RecordView, ctx_contacts: tuple[tuple[str, str, str], ...] = ()
) -> tuple[float, str] | None:
    best: tuple[float, str] | None = None
    people = " ".join(
        s for s in (v.rec.contact_name, *(v.fields.get(k) for k in TITLE_FIELDS)) if isinstance(s, str) and s
    )
    candidates: list[tuple[float, str]] = []
    for h in textmatch.scan(people.lower()) if people else ():
        if h.negated:
            continue
        level = 1.0 if "auth_high" in h.categories else 0.7 if "auth_mid" in h.categories else 0.3
        if h.categories & {"auth_high", "auth_mid", "auth_low"}:
            candidates.append((level, h.term))
    candidates.extend((0.8, h.term) for h in v.cats.get("auth_high", ()) if not h.negated)
    contact = (v.rec.contact_name or "").strip()
    if contact and ctx_contacts:
        for name, title, role in ctx_contacts:
            if name == contact:
                role_level = ROLE_LEVELS.get(role.strip().lower())
                if role_level is not None:
                    candidates.append((role_level, role.strip()))
                for h in textmatch.scan(title.lower()) if title else ():
                    if not h.negated and h.categories & {"auth_high", "auth_mid"}:
                        candidates.append((1.0 if "auth_high" in h.categories else 0.7, h.term))
    if contact and v.channel in PAYMENT_CHANNELS and v.direction != "outbound" and (v.rec.amount or 0.0) > 0:
        candidates.append((PAYER_LEVEL, "payer"))
    # only explicit phrases (做不了主 / needs approval), not bare titles, say the contact lacks authority
    candidates.extend((0.2, h.term) for h in v.cats.get("auth_low", ()) if len(h.term) >= 4)
    for cand in candidates:
        if best is None or cand[0] > best[0]:
            best = cand
    return best


def authority(ctx: FeatureContext) -> FeatureValue:
    """Seniority 0..1 of the most senior contact engaged (12 months).

    Titles in contact names and fields, text cues (拍板, decision maker), the directory contact's role and
    title (``decision_maker``, ``parent`` 1.0; ``procurement`` 0.7; ``user`` 0.4), and 0.8 for a named contact
    who paid us. Evidence: the records engaging those contacts.
    """
    found = [(v, lv) for v in ctx.within(365) if (lv := _authority_level(v, ctx.contacts)) is not None]
    if not found:
        return missing("authority")
    top_view, (value, title) = max(found, key=lambda f: (f[1][0], -f[0].rank))
    facts = {"title": title, "record": top_view.id, "contact": top_view.rec.contact_name}
    return FeatureValue("authority", value, evidence(v for v, _ in found), title, facts)


def need(ctx: FeatureContext) -> FeatureValue:
    """Records of the last 12 months expressing a need or pain, a product interest (an inquiry or a quote
    awaiting the customer's answer), or a recent purchase."""
    ev: list[RecordView] = []
    terms: list[str] = []
    products: list[str] = []
    for v in ctx.within(365):
        hit_terms = v.terms("need")
        interest = v.direction == "inbound" and v.channel in CONVERSATION and bool(v.rec.product)
        if hit_terms or interest or _quote_open(v) or (_spent(v) and bool(v.rec.product)):
            ev.append(v)
            terms.extend(t for t in hit_terms if t not in terms)
            if v.rec.product and v.rec.product not in products:
                products.append(v.rec.product)
    if not ev:
        return missing("need")
    return FeatureValue(
        "need", float(len(ev)), evidence(ev), f"{len(ev)} records", {"terms": terms[:8], "products": products}
    )


def _months_ahead(ctx: FeatureContext, year: int | None, month: int) -> int:
    if year is None:
        return (month - 1 - ctx.as_of.month + 1) % 12
    return year * 12 + month - 1 - ctx.month


def _timing_level(months_ahead: int) -> float:
    if 0 <= months_ahead <= 3:
        return 1.0
    if 0 < months_ahead <= 6:
        return 0.7
    return 0.4 if months_ahead > 0 else 0.3


def _timeline_level(ctx: FeatureContext, v: RecordView) -> tuple[float, str] | None:
    for key in DATE_FIELDS if v.fields else ():
        when = parse_date(v.fields.get(key))
        if when is not None:
            return _timing_level(
                when.year * 12 + when.month - 1 - ctx.month
            ), f"{key}={when.date().isoformat()}"
    if v.has("time_none"):
        return 0.1, "no timeline"
    if _quote_open(v):
        return QUOTE_TIMELINE, "open quote"
    near = v.terms("time_near")
    if near:
        return 0.9, near[0]
    m = _TEXT_YM.search(v.low)
    if m and 1 <= int(m.group(2)) <= 12:
        return _timing_level(_months_ahead(ctx, int(m.group(1)), int(m.group(2)))), m.group(0)
    m = _TEXT_M.search(v.low)
    if m:
        return _timing_level(_months_ahead(ctx, None, int(m.group(1)))), m.group(0)
    vague = v.terms("time_vague")
    return (0.5, vague[0]) if vague else None


def timeline(ctx: FeatureContext) -> FeatureValue:
    """Purchase timing 0..1 from the newest record stating one (dates, 下月/本季度/next month/Q1, ...)."""
    found = [(v, lv) for v in ctx.within(365) if (lv := _timeline_level(ctx, v)) is not None]
    if not found:
        return missing("timeline")
    latest, (value, cue) = found[0]
    return FeatureValue(
        "timeline", value, evidence(v for v, _ in found), cue, {"cue": cue, "record": latest.id}
    )


def surgery_volume_trend(ctx: FeatureContext) -> FeatureValue:
    """Relative monthly change of surgery volume over the last 12 months (least-squares slope / mean)."""
    points: dict[int, float] = {}
    ev: list[RecordView] = []
    lo = ctx.month - 11
    for v in ctx.views:
        pts = [
            (m, x)
            for m, x in monthly_points(v, ("surgery_volume_monthly", "surgery_volume"))
            if lo <= m <= ctx.month
        ]
        if pts:
            ev.append(v)
            for m, x in pts:
                points.setdefault(m, x)
    if len(points) < 2:
        return missing("surgery_volume_trend")
    months = sorted(points)
    xs = [float(m - months[0]) for m in months]
    ys = [points[m] for m in months]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    value = round(slope / my, 4) if my > 0 else 0.0
    facts = {"months": len(months), "first": ys[0], "last": ys[-1], "mean": round(my, 2)}
    return FeatureValue("surgery_volume_trend", value, evidence(ev), f"{value * 100:+.1f}%/month", facts)


FUNCS: dict[str, Callable[[FeatureContext], FeatureValue]] = {
    "budget": budget,
    "authority": authority,
    "need": need,
    "timeline": timeline,
    "surgery_volume_trend": surgery_volume_trend,
}
