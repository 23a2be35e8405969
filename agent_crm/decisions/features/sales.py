"""Sales features: BANT (budget, authority, need, timeline), renewal signals, surgery volume trend."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agent_crm.decisions import textmatch
from agent_crm.decisions.features.activity import CONVERSATION
from agent_crm.decisions.features.base import (
    FeatureContext,
    FeatureValue,
    RecordView,
    evidence,
    fmt,
    missing,
    monthly_points,
    parse_date,
    parse_number,
    parse_rate,
)

_DIGIT = re.compile(r"\d")
_TEXT_YM = re.compile(r"(?<![\w-])(20\d{2})\s*[-/.年]\s*(\d{1,2})(?!\d)")
_TEXT_M = re.compile(r"(?<![\d个])(1[0-2]|[1-9])\s*月(?:份|底|初|中)?")
TITLE_FIELDS = ("title", "contact_title", "role", "position", "job_title")
DATE_FIELDS = ("expected_close_date", "decision_date", "close_date", "purchase_date", "target_date")


def _budget_level(v: RecordView) -> tuple[float, str] | None:
    amount = parse_number(v.fields.get("budget"))
    negative = v.has("budget_neg")
    positive = v.cats.get("budget", ())
    if negative:
        return 0.0, "none"
    if amount is not None and amount > 0:
        return 1.0, "confirmed"
    for h in positive:
        if h.negated:
            return 0.0, "none"
        if _DIGIT.search(v.low[max(0, h.start - 12) : h.end + 16]):
            return 1.0, "confirmed"
    return (0.7, "mentioned") if positive else None


def budget(ctx: FeatureContext) -> FeatureValue:
    """Budget signal 0..1 from the newest record discussing budget (amount 1.0, mention 0.7, none 0.0)."""
    found = [(v, lv) for v in ctx.within(365) if (lv := _budget_level(v)) is not None]
    if not found:
        return missing("budget")
    (latest, (value, status)) = found[0]
    facts = {"status": status, "record": latest.id, "amount": parse_number(latest.fields.get("budget"))}
    return FeatureValue("budget", value, evidence(v for v, _ in found), status, facts)


def _authority_level(v: RecordView) -> tuple[float, str] | None:
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
    # only explicit phrases (做不了主 / needs approval), not bare titles, say the contact lacks authority
    candidates.extend((0.2, h.term) for h in v.cats.get("auth_low", ()) if len(h.term) >= 4)
    for cand in candidates:
        if best is None or cand[0] > best[0]:
            best = cand
    return best


def authority(ctx: FeatureContext) -> FeatureValue:
    """Seniority 0..1 of the most senior contact engaged (titles in contact names and fields, text cues)."""
    found = [(v, lv) for v in ctx.within(365) if (lv := _authority_level(v)) is not None]
    if not found:
        return missing("authority")
    top_view, (value, title) = max(found, key=lambda f: (f[1][0], -f[0].rank))
    facts = {"title": title, "record": top_view.id, "contact": top_view.rec.contact_name}
    return FeatureValue("authority", value, evidence(v for v, _ in found), title, facts)


def need(ctx: FeatureContext) -> FeatureValue:
    """Records of the last 12 months expressing a need or pain, or a customer's product interest."""
    ev: list[RecordView] = []
    terms: list[str] = []
    products: list[str] = []
    for v in ctx.within(365):
        hit_terms = v.terms("need")
        interest = v.direction == "inbound" and v.channel in CONVERSATION and bool(v.rec.product)
        if hit_terms or interest:
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


_RENEWAL_STATUS = {
    1.0: ("renewed", "yes", "true", "已续费", "已续", "续费", "已续约", "active"),
    0.7: ("intends", "likely", "intent", "probably", "意向", "有意向", "考虑续费", "interested"),
    0.4: ("undecided", "pending", "unknown", "未定", "待定", "观望", "考虑中", "maybe"),
    0.0: (
        "not_renewing",
        "no",
        "false",
        "churned",
        "cancelled",
        "canceled",
        "不续",
        "不续费",
        "退费",
        "流失",
    ),
}
_STATUS_LEVEL = {s: lv for lv, names in _RENEWAL_STATUS.items() for s in names}


def _satisfaction(raw: Any) -> float | None:
    if isinstance(raw, str):
        s = raw.strip()
        if s in ("满意", "非常满意"):
            return 1.0
        if s in ("一般",):
            return 0.5
        if s in ("不满意", "很不满意"):
            return 0.0
        if "/" in s:
            top_s, _, den_s = s.partition("/")
            n, d = parse_number(top_s), parse_number(den_s)
            return None if n is None or not d else max(0.0, min(1.0, n / d))
    num = parse_number(raw)
    if num is None or num < 0:
        return None
    for top in (1.0, 5.0, 10.0, 100.0):
        if num <= top:
            return (num - 1.0) / 4.0 if top == 5.0 and num >= 1.0 else num / top
    return None


def _renewal_parts(v: RecordView) -> dict[str, float]:
    parts: dict[str, float] = {}
    f = v.fields
    if f:
        att = parse_rate(f.get("attendance_rate", f.get("attendance")))
        if att is not None:
            parts["attendance"] = att
        sat = _satisfaction(f.get("satisfaction", f.get("csat")))
        if sat is not None:
            parts["satisfaction"] = round(sat, 4)
        status = f.get("renewal_status")
        if isinstance(status, str) and status.strip().lower() in _STATUS_LEVEL:
            parts["renewal_status"] = _STATUS_LEVEL[status.strip().lower()]
    if v.has("renew_neg") or v.has("renew_pos", negated=True):
        parts["renewal_text"] = 0.1
    elif v.has("renew_pos"):
        parts["renewal_text"] = 0.8
    return parts


def renewal_signals(ctx: FeatureContext) -> FeatureValue:
    """Mean of the newest attendance rate, satisfaction, renewal status and renewal wording (12 months)."""
    latest: dict[str, tuple[float, str]] = {}
    ev: list[RecordView] = []
    due: tuple[float, str] | None = None
    for v in ctx.within(365):
        parts = _renewal_parts(v)
        if parts:
            ev.append(v)
            for k, val in parts.items():
                latest.setdefault(k, (val, v.id))
    for v in ctx.views:
        when = parse_date(v.fields.get("renewal_date") or v.fields.get("contract_end"))
        if when is not None:
            due = (round((when - ctx.as_of).total_seconds() / 86400.0, 1), v.id)
            break
    facts: dict[str, Any] = {k: val for k, (val, _) in latest.items()}
    if due is not None:
        facts["days_to_renewal"], facts["renewal_date_record"] = due
    if not latest:
        return missing("renewal_signals", **facts)
    value = round(sum(val for val, _ in latest.values()) / len(latest), 4)
    return FeatureValue("renewal_signals", value, evidence(ev), fmt(value), facts)


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
    "renewal_signals": renewal_signals,
    "surgery_volume_trend": surgery_volume_trend,
}
