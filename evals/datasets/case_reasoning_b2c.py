"""Expectations for the consumer-facing sample tenants (eduspring, shopglobal), reasoned from raw records.

Same principles as ``case_reasoning``: facts a person would weigh, only clear-cut cases, both answers accepted where
two are defensible; never agent_crm's decision engine.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from case_reasoning import Cust, F, Proposal


# ---------------------------------------------------------------- eduspring
@dataclass
class Family:
    """Enrolment facts of one eduspring family."""

    summer: set[str]
    autumn: set[str]
    declined: list[dict[str, Any]]
    refunds: list[dict[str, Any]]
    satisfaction: list[float]
    attendance: list[float]


def family(c: Cust) -> Family:
    """Courses paid per season, declines, refund requests, satisfaction and attendance."""
    pays = c.ch("payment")
    return Family(
        summer={F(p, "course") for p in pays if F(p, "season") == "暑期"},
        autumn={F(p, "course") for p in pays if F(p, "season") == "秋季"}
        | {F(r, "course") for r in c.recs if F(r, "renewal_status") == "renewed"},
        declined=[r for r in c.recs if F(r, "renewal_status") == "declined"],
        refunds=[r for r in c.recs if F(r, "refund_reason")],
        satisfaction=[float(F(r, "satisfaction")) for r in c.recs if F(r, "satisfaction") is not None],
        attendance=[float(F(r, "attendance_rate")) for r in c.recs if F(r, "attendance_rate") is not None],
    )


def _last(c: Cust, status: str) -> list[str]:
    """Id of the newest record with this renewal status (as a must-cite list)."""
    found = [r["id"] for r in c.recs if F(r, "renewal_status") == status]
    return found[-1:]


def _happy(f: Family) -> bool:
    return min(f.satisfaction, default=5) >= 4 and min(f.attendance, default=1) >= 0.8


def edu_churn(c: Cust) -> Proposal | None:
    """Churn two months into the autumn term: refunds and non-renewal are churn; renewed and happy is safe."""
    f = family(c)
    if f.refunds:
        r = f.refunds[-1]
        return Proposal(c.id, "churn_risk", ["high"], ["complaints", "renewal_signals"], [r["id"]],
                        f"refund requested ({F(r, 'refund_reason')})")
    if f.declined and not f.autumn:
        return Proposal(c.id, "churn_risk", ["high", "medium"] if _happy(f) else ["high"], ["renewal_signals"],
                        [f.declined[-1]["id"]],
                        f"declined the autumn renewal ({F(f.declined[-1], 'decline_reason')}), no autumn class")
    if f.summer and not f.autumn:
        return Proposal(c.id, "churn_risk", ["high", "medium"], ["renewal_signals"], _last(c, "pending"),
                        "no autumn enrolment two months into the term (renewal still 'pending')")
    if f.autumn and f.summer <= f.autumn and _happy(f) and not f.declined:
        return Proposal(c.id, "churn_risk", ["low"], ["renewal_signals"], _last(c, "renewed"),
                        "renewed every summer course for autumn; satisfied, good attendance")
    return None


def edu_nba(c: Cust) -> Proposal | None:
    """Next step for a family: recover after a refund, win back a lapsed renewal, sell winter to the happy."""
    f = family(c)
    refund_actions = {"teacher_change": ["service_recovery"], "class_cancelled": ["service_recovery", "renewal_call"],
                      "lost_interest": ["nurture", "reactivation_call"]}
    if f.refunds and F(f.refunds[-1], "refund_reason") in refund_actions:
        r = f.refunds[-1]
        reason = F(r, "refund_reason")
        return Proposal(c.id, "next_best_action", refund_actions[reason], ["complaints", "sentiment"], [r["id"]],
                        f"refund requested ({reason}): recover when we caused it, keep warm when interest faded")
    if f.declined and not f.autumn:
        return Proposal(c.id, "next_best_action", ["nurture", "renewal_call"], ["renewal_signals"],
                        [f.declined[-1]["id"]], "declined for now: keep warm, offer another schedule later")
    if f.summer and not f.autumn and _happy(f):
        return Proposal(c.id, "next_best_action", ["renewal_call", "reactivation_call"], ["renewal_signals"],
                        _last(c, "pending"),
                        "satisfied summer family that has not enrolled for autumn: call about renewal")
    if f.autumn and _happy(f) and not f.refunds:
        return Proposal(c.id, "next_best_action", ["renewal_call", "upsell"], ["renewal_signals"],
                        _last(c, "renewed"),
                        "active and satisfied: winter early-bird renewal or an extra course")
    return None


def edu_lead(c: Cust) -> Proposal | None:
    """BANT for the winter class: paying and happy families qualify; relocated families are out."""
    f = family(c)
    moved = [r for r in f.refunds if F(r, "refund_reason") == "relocation"]
    if moved:
        return Proposal(c.id, "lead_score", ["disqualified"], ["need"], [moved[-1]["id"]],
                        "the family moved away (relocation refund): no need any more")
    if f.autumn and _happy(f) and not f.refunds and not f.declined:
        return Proposal(c.id, "lead_score", ["qualified"], ["budget", "need", "timeline"], _last(c, "renewed"),
                        "pays this term (budget), parent engaged (authority), satisfied (need), early-bird window")
    return None


# ---------------------------------------------------------------- shopglobal
BAD_RETURNS = {"damaged", "late delivery", "not as described"}
BAD_TOPICS = {"refund", "wrong_item", "quality"}
ANGER = ("chargeback", "dispute", "third email", "still nothing", "past your sla", "unacceptable", "no reply")


def shop_negatives(c: Cust) -> list[dict[str, Any]]:
    """Records showing a bad experience: bad returns, low ratings, escalations, angry messages."""
    out = []
    for r in c.recs:
        text = r.get("text", "").lower()
        if (r["channel"] == "return" and F(r, "return_reason") in BAD_RETURNS) \
                or (r["channel"] == "review" and (F(r, "rating") or 5) <= 2) \
                or (r["channel"] == "ticket" and (F(r, "topic") in BAD_TOPICS or F(r, "status") == "escalated")) \
                or (r.get("direction") == "inbound" and any(a in text for a in ANGER)):
            out.append(r)
    return out


def shop_churn(c: Cust) -> Proposal | None:
    """High after repeated bad experiences with no order since; low for recent buyers with good reviews only."""
    bad = shop_negatives(c)
    orders = c.ch("order")
    ratings = [F(r, "rating") for r in c.ch("review") if F(r, "rating")]
    if len(bad) >= 2:
        after = [o for o in orders if o["timestamp"] > bad[-1]["timestamp"]]
        return Proposal(c.id, "churn_risk", ["high"] if len(bad) >= 3 and not after else ["high", "medium"],
                        ["complaints", "returns", "sentiment"], [bad[-1]["id"]],
                        f"{len(bad)} bad experiences (returns, escalations, angry messages)")
    if not bad and orders and c.age(orders[-1]) <= 90 and ratings and statistics.fmean(ratings) >= 4:
        return Proposal(c.id, "churn_risk", ["low"], ["recency", "frequency", "sentiment"], [orders[-1]["id"]],
                        f"ordered {c.age(orders[-1]):.0f} days ago, average rating {statistics.fmean(ratings):.1f}")
    return None


def shop_nba(c: Cust) -> Proposal | None:
    """Fix an open problem first; otherwise win back lapsed buyers or upsell happy regulars."""
    open_ = [t for t in c.ch("ticket") if F(t, "status") not in ("closed",) and c.age(t) <= 30
             and (F(t, "topic") in ("where", "payment", "wrong_item", "refund") or "damaged" in t["text"].lower())]
    if open_:
        return Proposal(c.id, "next_best_action", ["service_recovery"], ["open_tickets"], [open_[-1]["id"]],
                        f"unresolved ticket {F(open_[-1], 'ticket_no')} ({F(open_[-1], 'topic') or 'damage'})")
    orders = c.ch("order")
    if shop_negatives(c) or not orders:
        return None
    if len(orders) >= 2 and c.age(orders[-1]) >= 150:
        return Proposal(c.id, "next_best_action", ["reactivation_call"], ["recency"], [orders[-1]["id"]],
                        f"regular buyer, no order for {c.age(orders[-1]):.0f} days")
    ratings = [F(r, "rating") for r in c.ch("review") if F(r, "rating")]
    if len(orders) >= 3 and c.age(orders[-1]) <= 60 and ratings and min(ratings) >= 4:
        return Proposal(c.id, "next_best_action", ["upsell", "nurture"], ["sentiment", "engagement"],
                        [orders[-1]["id"]], "recent repeat buyer with only good reviews: cross-sell, or keep warm")
    return None


def shop_lead(c: Cust) -> Proposal | None:
    """A wholesale inquiry naming volume, season and asking for prices is a qualified lead."""
    for r in c.inbound():
        text = r.get("text", "").lower()
        if "units" in text and ("pricing" in text or "price" in text) and ("season" in text or "before" in text):
            converted = any(o["timestamp"] > r["timestamp"] for o in c.ch("order"))
            cold = not converted and c.age(r) > 60
            return Proposal(c.id, "lead_score", ["qualified", "nurture"] if cold else ["qualified"],
                            ["need", "timeline", "budget"], [r["id"]],
                            "wholesale inquiry with volume, a season deadline and a pricing request"
                            + ("; no order or reply since, so it may have gone cold" if cold else ""))
    return None
