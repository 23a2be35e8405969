"""Expectations for decision cases, reasoned from the raw sample records (never from agent_crm's decision engine).

Each rule reads record facts the way an account manager, loan officer or support lead would, following the
tenants' own policy documents where they exist (e.g. ruralbank's credit policy: limit <= 3 x average monthly flow;
requests >= 300万 go to the head-office committee; a repayment more than 30 days late halves or stops new credit).
A rule only proposes a case when the facts make the answer clear; ambiguous customers are skipped, and where two
answers are defensible both are accepted. Factor and label names use agent_crm's decision vocabulary (names only).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Cust:
    """One customer's records, oldest first, and the tenant's reference time."""

    tenant: str
    id: str
    name: str
    recs: list[dict[str, Any]]
    as_of: datetime

    def ch(self, *channels: str) -> list[dict[str, Any]]:
        """Records of the given channels."""
        return [r for r in self.recs if r["channel"] in channels]

    def age(self, rec: dict[str, Any]) -> float:
        """Days between the record and the tenant's reference time."""
        return (self.as_of - datetime.fromisoformat(rec["timestamp"])).total_seconds() / 86400

    def inbound(self) -> list[dict[str, Any]]:
        """Records written by the customer."""
        return [r for r in self.recs if r.get("direction") == "inbound"]


@dataclass
class Proposal:
    """An expected decision for one customer."""

    customer: str
    type: str
    labels: list[str]
    top_factors: list[str] = field(default_factory=list)
    must_cite: list[str] = field(default_factory=list)
    note: str = ""
    ordered: bool = False
    """Whether ``top_factors`` is in rank order (only where the facts fix the order)."""


def F(r: dict[str, Any], key: str, default: Any = None) -> Any:
    """A record's structured field."""
    return (r.get("fields") or {}).get(key, default)


# ---------------------------------------------------------------- ruralbank
def monthly_flows(c: Cust) -> list[tuple[str, float, str]]:
    """(month, flow, record id) of the last 6 months of POS or settlement flow (latest record wins)."""
    months: dict[str, tuple[float, str]] = {}
    for r in c.recs:
        for key, value_key in (("pos_monthly_flow", "pos_flow"), ("settlement_monthly_flow", "flow")):
            for item in F(r, key) or []:
                if isinstance(item, dict) and item.get(value_key):
                    months[item["month"]] = (float(item[value_key]), r["id"])
    return [(m, v, rid) for m, (v, rid) in sorted(months.items())[-6:]]


def credit(c: Cust) -> Proposal | None:
    """Credit per the tenant's policy: flow cap, volatility, lateness, committee threshold."""
    apps = [r for r in c.recs if F(r, "requested_amount")]
    if not apps:
        return None
    app = apps[-1]
    want = float(F(app, "requested_amount"))
    flows = monthly_flows(c)
    pays = [r for r in c.ch("payment") if c.age(r) <= 366]
    late = [r for r in pays if not F(r, "paid_on_time", True)]
    worst = max(late, key=lambda r: F(r, "days_late", 0), default=None)
    worst_days = F(worst, "days_late", 0) if worst else 0
    cite = [app["id"]] + ([worst["id"]] if worst else []) + ([flows[-1][2]] if flows else [])
    if len(flows) < 3:
        return Proposal(c.id, "credit_recommendation", ["refer"], ["cash_flow_stability"], cite,
                        f"only {len(flows)} months of flow on file: the limit cannot be sized (policy: 6 months)")
    avg = statistics.fmean(v for _, v, _ in flows)
    cv = statistics.pstdev([v for _, v, _ in flows]) / avg
    ratio = want / avg
    facts = f"request {want:,.0f} = {ratio:.1f}x avg flow {avg:,.0f}, flow CV {cv:.2f}, {len(late)} late of " \
            f"{len(pays)} (worst {worst_days} d)"
    if worst_days > 30 and len(late) >= 3:
        labels, top = ["decline"], ["repayment_history", "cash_flow_stability"]
        why = "repeated lateness incl. > 30 days: policy stops new credit"
    elif worst_days > 30:
        labels, top = ["decline", "approve_with_conditions"], ["repayment_history", "cash_flow_stability"]
        why = "a repayment > 30 days late in 12 months: policy halves the limit or stops new credit"
    elif want >= 3_000_000:
        labels, top = ["refer", "approve_with_conditions"], ["requested_amount_ratio", "cash_flow_stability"]
        why = "300万 and above goes to the head-office credit committee; far above 3x flow"
    elif ratio > 3:
        labels = ["approve_with_conditions"] + (["refer"] if ratio > 6 else [])
        top, why = ["requested_amount_ratio", "cash_flow_stability"], "request above 3x monthly flow: cap the limit"
    elif cv > 0.35 or late:
        labels = ["approve_with_conditions"] + (["refer"] if cv > 0.35 and late else [])
        top = ["cash_flow_stability" if cv > 0.35 else "repayment_history", "requested_amount_ratio"]
        why = "volatile flow or a short delay: approve with monitoring"
    elif not pays:
        labels, top = ["approve", "approve_with_conditions"], ["cash_flow_stability", "requested_amount_ratio"]
        why = "stable flow within 3x, but no repayment history with the bank yet"
    else:
        labels = ["approve"]
        top = ["cash_flow_stability", "repayment_history", "requested_amount_ratio"]
        why = "stable flow, on-time repayments, request within 3x flow"
    # lateness drives a decline, the size of the request drives a cap or a committee referral
    ordered = labels[0] in ("decline", "refer") or why.startswith("request above")
    order = ["approve", "approve_with_conditions", "refer", "decline"]
    bank = {"approved": "approve", "reduced": "approve_with_conditions", "declined": "decline"}.get(
        F(app, "status", ""))
    strictest = max(order.index(x) for x in labels)
    if bank and bank not in labels and order.index(bank) == strictest + 1:
        labels.append(bank)  # the branch was stricter than the policy minimum: also defensible
        why += f"; the branch's own decision on the application was '{F(app, 'status')}'"
    return Proposal(c.id, "credit_recommendation", labels, top, cite, f"{facts}: {why}", ordered)


RB_QUEUES = {"手续费": ["billing", "complaints"], "扣款": ["billing", "complaints"], "放款慢": ["complaints"],
             "排队": ["complaints"], "营销打扰": ["complaints"], "手机银行": ["technical", "complaints"]}
MED_ISSUES = {"延误": ["logistics"], "缺件": ["logistics", "complaints"], "发票": ["billing"],
              "效期": ["returns"], "质量": ["complaints", "technical"]}
SHOP_TOPICS = {"payment": ["billing"], "invoice": ["billing"], "coupon": ["billing", "sales", "technical"],
               "product": ["sales", "general"], "where": ["logistics"], "refund": ["returns", "billing"],
               "wrong_item": ["returns", "logistics", "complaints"], "quality": ["complaints", "returns"]}
SHOP_RETURNS = {"size": ["returns"], "changed mind": ["returns"], "damaged": ["returns", "logistics"],
                "not as described": ["returns", "complaints"], "late delivery": ["returns", "logistics"]}


MESSAGE_CHANNELS = ("ticket", "return", "chat", "call", "email", "review")


def _routed(c: Cust) -> dict[str, Any] | None:
    """The item a router looks at: the newest open ticket, else the customer's newest message to us."""
    tickets = c.ch("ticket")
    open_ = [t for t in tickets if F(t, "status") not in ("closed", "resolved", "approved", "refunded")]
    if open_:
        return open_[-1]
    inbound = c.inbound()
    # only when the customer's newest inbound record is itself a message: an order or a quote reply that came
    # later leaves "the current issue" ambiguous, so no case is proposed
    return inbound[-1] if inbound and inbound[-1]["channel"] in MESSAGE_CHANNELS else None


def routing(c: Cust) -> Proposal | None:
    """Queue of the customer's current issue, from its category, issue type or topic."""
    r = _routed(c)
    if r is None:
        return None
    text = r.get("text", "")
    queues: list[str] | None = None
    if r["channel"] == "ticket":
        key = F(r, "category") or F(r, "issue") or F(r, "topic") or ""
        queues = RB_QUEUES.get(key) or MED_ISSUES.get(key) or SHOP_TOPICS.get(key)
        if queues is None and F(r, "refund_reason"):
            queues = ["returns", "billing"]
        if queues is None and "damaged" in text.lower():
            queues = ["returns", "logistics"]
    elif r["channel"] == "return":
        queues = SHOP_RETURNS.get(F(r, "return_reason", ""))
    elif c.tenant == "medtech-east" and "要求换货" in text:
        queues = ["returns"]
    if not queues:
        return None
    if "投诉" in text and "complaints" not in queues:
        queues = [*queues, "complaints"]
    prio = ["urgency", "complaints", "sentiment"] if queues[0] == "complaints" else []
    return Proposal(c.id, "ticket_routing", queues, prio, [r["id"]],
                    f"current issue {r['id']} ({r['channel']}, {F(r, 'category') or F(r, 'issue') or F(r, 'topic') or F(r, 'return_reason') or 'text'})")


# ---------------------------------------------------------------- medtech-east
def med_nba(c: Cust) -> Proposal | None:
    """Next step after the latest quote decision or a fresh complaint."""
    recent_complaint = [t for t in c.ch("ticket") if c.age(t) <= 30 and F(t, "priority") == "high"]
    if recent_complaint:
        t = recent_complaint[-1]
        return Proposal(c.id, "next_best_action", ["service_recovery"], ["open_tickets", "complaints"], [t["id"]],
                        "a high-priority complaint in the last 30 days comes first")
    quotes = [q for q in c.ch("quote") if F(q, "quote_status") in ("accepted", "rejected")]
    if not quotes or F(quotes[-1], "quote_status") != "rejected" or c.age(quotes[-1]) > 150:
        return None
    q = quotes[-1]
    objections = F(q, "objections") or [F(q, "objection")]
    cite = [q["id"]]
    if "price" in objections:
        labels = ["price_objection_followup"] + (["procurement_policy_briefing"]
                                                 if "procurement_policy" in objections else [])
        top = ["quote_rejections", "objections", "competitor_mentions"] if F(q, "competitor") else \
            ["quote_rejections", "objections"]
        return Proposal(c.id, "next_best_action", labels, top, cite,
                        f"latest quote {F(q, 'quote_no')} rejected on price" +
                        (f" against {F(q, 'competitor')}" if F(q, "competitor") else ""))
    single = {"qualification": ("qualification_support", "registration/qualification gap"),
              "procurement_policy": ("procurement_policy_briefing", "lost to the volume-based procurement winner"),
              "clinical_preference": ("competitor_defense", "surgeons prefer the competitor's instruments"),
              "budget": ("nurture", "department budget exhausted until next year")}
    for key, (action, why) in single.items():
        if key in objections:
            top = ["quote_rejections", "objections"] + (["competitor_mentions"] if F(q, "competitor") else [])
            return Proposal(c.id, "next_best_action", [action], top, cite,
                            f"latest quote {F(q, 'quote_no')} rejected: {why}")
    return None


def _order_halves(c: Cust) -> tuple[float, float]:
    orders = c.ch("order")
    recent = sum(float(o.get("amount") or 0) for o in orders if c.age(o) <= 182)
    before = sum(float(o.get("amount") or 0) for o in orders if 182 < c.age(o) <= 365)
    return recent, before


def med_churn(c: Cust) -> Proposal | None:
    """Churn: lost quotes to competitors and shrinking orders vs steady orders and accepted quotes."""
    lost = [q for q in c.ch("quote") if F(q, "quote_status") == "rejected" and c.age(q) <= 180]
    accepted = [q for q in c.ch("quote") if F(q, "quote_status") == "accepted" and c.age(q) <= 180]
    rivals = [r for r in c.recs if F(r, "competitor") and c.age(r) <= 180]
    recent, before = _order_halves(c)
    if lost and F(lost[-1], "competitor") and (recent < before * 0.8 or c.age(lost[-1]) <= 60):
        return Proposal(c.id, "churn_risk", ["high", "medium"], ["competitor_mentions", "quote_rejections"],
                        [lost[-1]["id"]], f"lost a quote to {F(lost[-1], 'competitor')} "
                                          f"{c.age(lost[-1]):.0f} days ago, orders {recent:,.0f} vs {before:,.0f} "
                                          f"in the half-year before")
    orders = c.ch("order")
    active = len([o for o in orders if c.age(o) <= 182]) >= 2 and bool(orders) and c.age(orders[-1]) <= 60
    if accepted and not lost and not any(F(t, "priority") == "high" for t in c.ch("ticket") if c.age(t) <= 90) \
            and recent >= before * 0.8 and len(rivals) <= 1 and active:
        small = recent < 100_000  # a small account buying steadily: low, or medium for its thin volume
        return Proposal(c.id, "churn_risk", ["low", "medium"] if small else ["low"],
                        ["frequency", "monetary", "recency"], [accepted[-1]["id"]],
                        f"accepted quotes, steady orders ({recent:,.0f} vs {before:,.0f}), no lost quote")
    return None


def med_lead(c: Cust) -> Proposal | None:
    """BANT on the open opportunity: pending quotes with an engaged department head qualify; no budget nurtures."""
    quotes = c.ch("quote")
    pending = [q for q in quotes if F(q, "quote_status") == "pending" and c.age(q) <= 60]
    if pending:
        labels = ["qualified"] if len(pending) >= 2 else ["qualified", "nurture"]
        return Proposal(c.id, "lead_score", labels, ["budget", "timeline", "need"], [pending[-1]["id"]],
                        f"{len(pending)} quote(s) requested in the last 60 days and awaiting reply: need and "
                        "budget shown, decision maker engaged")
    no_budget = [q for q in quotes if "budget" in (F(q, "objections") or [])]
    if no_budget and quotes[-1] is no_budget[-1] and c.age(no_budget[-1]) <= 200:
        return Proposal(c.id, "lead_score", ["nurture"], ["budget", "timeline"], [no_budget[-1]["id"]],
                        "interest, but this year's budget is used up: revisit next year")
    return None
