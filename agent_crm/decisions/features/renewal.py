"""Renewal signals: renewal status per course or contract, attendance, satisfaction, stated intent, moving away.

Subscription-like customers (course families, contracts) renew per course. Each course takes its newest
decisive status (``renewed`` 1.0, ``intends`` 0.7, ``declined`` 0.0, or ``quit`` 0.0 when the customer asked for
a refund or dropped out). A ``pending`` status with nothing decisive is an open question (0.4) while fresh and
a lapsed renewal (0.15) once it has stayed pending for :data:`LAPSE_DAYS`. A ``pending`` reminder after a
renewal is our offer for the next term: the course stays renewed and the offer is noted.
"""

from __future__ import annotations

import math
from typing import Any

from agent_crm.decisions.features.base import (
    FeatureContext,
    FeatureValue,
    RecordView,
    customer_voice,
    evidence,
    fmt,
    missing,
    parse_date,
    parse_number,
    parse_rate,
)
from agent_crm.decisions.features.events import is_relocation

LAPSE_DAYS = 60.0
"""A renewal still pending after this many days has lapsed (the term it was for has started)."""
OFFER_DAYS = 45.0
"""Our renewal offer or reminder is an open renewal window for this many days."""
WEIGHTS: dict[str, float] = {
    "renewal_status": 3.0,
    "renewal_text": 1.0,
    "attendance": 1.0,
    "satisfaction": 1.0,
}
"""Weight of each part in the renewal signal: a stated decision outweighs a good attendance."""
MOVED_AWAY_CAP = 0.1
"""A customer moving out of the service area will not renew, whatever they did before: the signal is capped."""
STATE_LEVEL: dict[str, float] = {"renewed": 1.0, "intends": 0.7, "pending": 0.4, "lapsed": 0.15}
STATE_LEVEL.update(declined=0.0, quit=0.0)
_STATUS_STATE: dict[str, str] = {
    **dict.fromkeys(
        ("renewed", "yes", "true", "已续费", "已续", "续费", "已续约", "已续报", "active"), "renewed"
    ),
    **dict.fromkeys(
        ("intends", "likely", "intent", "probably", "意向", "有意向", "考虑续费", "interested"), "intends"
    ),
    **dict.fromkeys(
        ("undecided", "pending", "unknown", "未定", "待定", "观望", "考虑中", "maybe"), "pending"
    ),
    **dict.fromkeys(
        (
            "declined",
            "not_renewing",
            "no",
            "false",
            "churned",
            "cancelled",
            "canceled",
            "lapsed",
            "不续",
            "不续费",
            "未续报",
            "退费",
            "流失",
        ),
        "declined",
    ),
}
QUIT_KEYS = ("refund_reason", "drop_reason", "cancel_reason")
"""A record with one of these fields (a refund or drop-out request) means the customer quit that course."""


_FIELD_KEYS = frozenset(
    {
        "attendance_rate",
        "attendance",
        "satisfaction",
        "csat",
        "renewal_status",
        *QUIT_KEYS,
        "reason",
        "decline_reason",
        "churn_reason",
        "loss_reason",
    }
)
"""Fields any part of the renewal signal reads (records without them or renewal words are skipped)."""
_TEXT_CATS = frozenset({"renew_pos", "renew_neg", "relocation"})


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


def _state(v: RecordView) -> str | None:
    """Return the renewal state a record states for its course (quit, renewed, pending, ...), if any."""
    f = v.fields
    if any(f.get(k) for k in QUIT_KEYS):
        return "quit"
    status = f.get("renewal_status")
    if isinstance(status, str):
        return _STATUS_STATE.get(status.strip().lower())
    return None


def _course(v: RecordView) -> str:
    raw = v.fields.get("course") or v.fields.get("contract_id") or v.rec.product
    return str(raw) if raw else ""


def _text_intent(v: RecordView) -> float | None:
    """Return the renewal intent a customer's words state (no status field): 0.1 leaving, 0.8 renewing."""
    if v.fields.get("renewal_status") is not None or not customer_voice(v):
        return None
    cats = v.voice_cats
    if cats.get("renew_neg") or any(h.negated for h in cats.get("renew_pos", ())):
        return 0.1
    return 0.8 if any(not h.negated for h in cats.get("renew_pos", ())) else None


def _course_states(views: list[RecordView]) -> dict[str, tuple[str, RecordView, RecordView | None]]:
    """Return course -> (state, record deciding it, our open offer) from records newest first."""
    out: dict[str, tuple[str, RecordView, RecordView | None]] = {}
    pending: dict[str, RecordView] = {}
    for v in views:
        state = _state(v)
        course = _course(v)
        if state is None or course in out:
            continue
        if state == "pending":
            pending.setdefault(course, v)
            continue
        offer = pending.get(course)
        out[course] = (state, v, offer if offer is not None and offer.age_days <= OFFER_DAYS else None)
    for course, v in pending.items():
        if course not in out:
            out[course] = ("lapsed" if v.age_days > LAPSE_DAYS else "pending", v, None)
    return out


def renewal_signals(ctx: FeatureContext) -> FeatureValue:
    """Weighted mean of renewal status (per course), stated intent, attendance and satisfaction.

    12 months; weights :data:`WEIGHTS`; moving away caps the value at :data:`MOVED_AWAY_CAP`. Facts list the
    courses by state and our open renewal offer (a reminder or early-bird offer of the last
    :data:`OFFER_DAYS` days for a course that is not lost).
    """
    parts: dict[str, tuple[float, str]] = {}
    ev: list[RecordView] = []
    moved: list[str] = []
    stated: list[RecordView] = []
    for v in ctx.within(365):
        f = v.fields
        if not (_TEXT_CATS & v.cats.keys() or (f and _FIELD_KEYS & f.keys())):
            continue  # nothing about renewal in this record (the common case: skip it cheaply)
        used = False
        if f:
            att = parse_rate(f.get("attendance_rate", f.get("attendance")))
            if att is not None:
                parts.setdefault("attendance", (att, v.id))
                used = True
            sat = _satisfaction(f.get("satisfaction", f.get("csat")))
            if sat is not None:
                parts.setdefault("satisfaction", (round(sat, 4), v.id))
                used = True
            if _state(v) is not None:
                stated.append(v)
                used = True
        intent = _text_intent(v)
        if intent is not None:
            parts.setdefault("renewal_text", (intent, v.id))
            used = True
        if is_relocation(v):
            moved.append(v.id)
            used = True
        if used:
            ev.append(v)
    courses = _course_states(stated)
    if courses:
        level = sum(STATE_LEVEL[s] for s, _, _ in courses.values()) / len(courses)
        parts["renewal_status"] = (round(level, 4), "")
    offers = [o for s, _, o in courses.values() if o is not None and s not in ("declined", "quit")]
    offers += [v for s, v, _ in courses.values() if s == "pending" and v.age_days <= OFFER_DAYS]
    facts: dict[str, Any] = {k: val for k, (val, _) in parts.items()}
    facts["courses"] = {c: {"state": s, "record": v.id} for c, (s, v, _) in sorted(courses.items())}
    for state in ("renewed", "pending", "lapsed", "declined", "quit"):
        facts[state] = sorted(c for c, (s, _, _) in courses.items() if s == state)
    facts["open_offer"] = min(offers, key=lambda o: o.rank).id if offers else None
    for v in ctx.views:
        when = parse_date(v.fields.get("renewal_date") or v.fields.get("contract_end"))
        if when is not None:
            facts["days_to_renewal"] = round((when - ctx.as_of).total_seconds() / 86400.0, 1)
            facts["renewal_date_record"] = v.id
            break
    if moved:
        facts["relocation"] = moved
    if not parts and not moved:
        return missing("renewal_signals", **facts)
    total = math.fsum(WEIGHTS[k] for k in parts)
    value = math.fsum(WEIGHTS[k] * val for k, (val, _) in parts.items()) / total if parts else MOVED_AWAY_CAP
    value = round(min(value, MOVED_AWAY_CAP) if moved else value, 4)
    return FeatureValue("renewal_signals", value, evidence(ev), fmt(value), facts)
