"""Next best action and routing: the customer's voice only, service recovery first, renewals, queues."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent_crm.decisions import decide
from agent_crm.decisions.features import FeatureContext, compute_in
from agent_crm.decisions.features.transcripts import customer_turns
from agent_crm.types import Decision, Interaction

TENANT = "acme"
CID = "cust-1"
AS_OF = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def rec(rid: str, days: float, channel: str, text: str = "", **kw: Any) -> Interaction:
    """Build one record of the test customer, ``days`` before AS_OF."""
    return Interaction(
        id=rid,
        tenant=TENANT,
        customer_id=CID,
        channel=channel,
        timestamp=AS_OF - timedelta(days=days),
        text=text,
        **kw,
    )


def run(dtype: str, records: list[Interaction], **kw: Any) -> Decision:
    """Decide about the test customer at AS_OF."""
    return decide(dtype, records, tenant=TENANT, customer_id=CID, as_of=AS_OF, **kw)


def feat(name: str, records: list[Interaction]) -> Any:
    """Compute one feature over ``records`` at AS_OF."""
    return compute_in(FeatureContext(records, AS_OF), [name])[name]


# ---------------------------------------------------------------- objections: the customer's words only


@pytest.mark.parametrize(
    ("channel", "direction", "text"),
    [
        ("email", "outbound", "附件是年度报价，价格全部不高于阳光采购平台挂网价，附了注册证复印件。"),
        ("email", "outbound", "No need to return the broken mugs, just dispose of them safely."),
        ("order", "inbound", "Order SO-1 placed. Discount code WELCOME10 applied."),
        ("chat", "outbound", "寒假班早鸟报名开始了，老生9折优惠。"),
    ],
)
def test_our_outbound_text_and_order_records_raise_no_objection(
    channel: str, direction: str, text: str
) -> None:
    """Price, procurement, certificate or 'no need' words we wrote (or a system wrote) are not objections."""
    assert feat("objections", [rec("x", 3, channel, text, direction=direction)]).missing


def test_only_the_customers_turns_of_a_chat_transcript_count() -> None:
    """In 'Emma: ... / Priya: ...' only Emma's turns speak for the customer (objections and sentiment)."""
    chat = rec(
        "c",
        2,
        "chat",
        "Emma: two of the mugs arrived smashed, this is too expensive to lose.\n"
        "Priya: So sorry! You don't need to send them back, great news: a replacement is coming.",
        direction="inbound",
        contact_name="Emma Schulz",
    )
    cats = feat("objections", [chat]).facts["categories"]
    assert set(cats) == {"price"}
    assert feat("sentiment", [chat]).value < 0
    assert customer_turns("客户：太贵了\n客服：可以申请优惠", None) == "客户：太贵了"
    assert customer_turns("风险复核：流水波动大\n结论：暂缓", None) == "风险复核：流水波动大\n结论：暂缓"


def test_a_customers_own_objection_still_counts() -> None:
    """An inbound 'your quote is too high' is a price objection with its snippet."""
    fv = feat("objections", [rec("e", 3, "email", "你们的报价太高了，先不签。", direction="inbound")])
    assert fv.facts["categories"] == {"price": ["e"]} and "报价太高" in fv.facts["snippets"]["price"]["e"]


# ---------------------------------------------------------------- service recovery first


def test_a_fresh_high_priority_complaint_outranks_a_price_follow_up() -> None:
    """A high-priority delay ticket of last week comes before the rejected quote; drivers are shown."""
    records = [
        rec(
            "q", 20, "quote", "报价被拒：价格太高。", direction="inbound", fields={"quote_status": "rejected"}
        ),
        rec(
            "tk",
            6,
            "ticket",
            "李主任投诉：试剂晚到了3天，急诊差点断供。",
            direction="inbound",
            fields={"ticket_no": "TK-1", "status": "resolved", "priority": "high"},
        ),
    ]
    d = run("next_best_action", records, language="zh")
    assert d.label == "service_recovery"
    assert [a["action"] for a in d.details["actions"]][:2] == ["service_recovery", "price_objection_followup"]
    drivers = {f["feature"]: f for f in d.details["action_factors"]}
    assert drivers["incidents"]["evidence"] == ["tk"] and drivers["incidents"]["points"] > 0
    assert drivers["complaints"]["weight"] == next(f.weight for f in d.factors if f.name == "complaints")
    assert next(f for f in d.factors if f.name == "complaints").direction == "negative"


def test_an_open_damage_ticket_gets_service_recovery() -> None:
    """Smashed goods with an open replacement ticket → service_recovery, not a discount follow-up."""
    records = [
        rec("o", 12, "order", "Order SO-9, discount code applied.", amount=118.0, direction="inbound"),
        rec(
            "tk",
            2,
            "ticket",
            "Damaged in transit: 2 of 8 mugs broken, carton crushed.",
            direction="inbound",
            fields={"ticket_no": "T-9", "status": "pending_replacement", "priority": "normal"},
        ),
    ]
    d = run("next_best_action", records)
    assert d.label == "service_recovery" and "objections" not in [
        r["feature"] for r in d.details["action_factors"]
    ]


def test_a_customer_we_failed_and_told_so_gets_service_recovery() -> None:
    """We cancelled the class (机构原因) and refunded: recover before a generic reactivation call."""
    records = [
        rec(
            "pay",
            140,
            "payment",
            "暑期编程班缴费",
            amount=2980.0,
            direction="inbound",
            fields={"course": "编程"},
        ),
        rec(
            "rf",
            120,
            "ticket",
            "家长选择退费，按机构原因（人数不足取消开班）全额退。",
            direction="inbound",
            fields={"course": "编程", "refund_reason": "class_cancelled", "status": "approved"},
        ),
    ]
    d = run("next_best_action", records, language="zh")
    assert d.label == "service_recovery" and d.details["action_factors"][0]["feature"] == "our_faults"


def test_a_customer_who_bought_again_after_our_error_is_recovered() -> None:
    """An apology followed by a new order no longer calls for service recovery (the fault is recovered)."""
    records = [
        rec(
            "sorry",
            60,
            "email",
            "Apologies, this was a picking error at our warehouse.",
            direction="outbound",
        ),
        rec("o2", 20, "order", "New order SO-8", amount=80.0, direction="inbound"),
    ]
    faults = feat("our_faults", records)
    assert faults.value == 0.0 and faults.evidence == ("o2", "sorry")
    assert "service_recovery" not in [
        a["action"] for a in run("next_best_action", records).details["actions"]
    ]
    assert feat("our_faults", records[:1]).value == 1.0


def test_action_scores_are_their_base_plus_the_points_of_their_reasons() -> None:
    """Every ranked action's score is base + Σ points (capped at 0.95)."""
    records = [
        rec(
            "q",
            20,
            "quote",
            "Quote rejected: too expensive, Medtronic is cheaper.",
            direction="inbound",
            fields={"quote_status": "rejected", "competitor": "Medtronic"},
        ),
    ]
    actions = run("next_best_action", records).details["actions"]
    assert len(actions) >= 2
    for action in actions:
        total = action["base"] + math.fsum(r["points"] for r in action["reasons"])
        assert action["score"] == pytest.approx(min(total, 0.95), abs=1e-4)


# ---------------------------------------------------------------- renewals


def family(*extra: Interaction) -> list[Interaction]:
    """An active course family: paid and renewed this term, satisfied, good attendance."""
    return [
        rec(
            "pay",
            80,
            "payment",
            "秋季数学班缴费",
            amount=4480.0,
            direction="inbound",
            fields={"course": "数学"},
        ),
        rec("ren", 80, "note", "", fields={"course": "数学", "renewal_status": "renewed"}),
        rec(
            "att",
            40,
            "note",
            "出勤93%",
            fields={"course": "数学", "attendance_rate": 0.93, "satisfaction": 5},
        ),
        *extra,
    ]


def test_an_active_family_with_an_early_bird_offer_gets_a_renewal_call() -> None:
    """Our winter early-bird reminder opens a renewal window for an active family: renewal_call."""
    offer = rec(
        "eb",
        5,
        "chat",
        "寒假数学班早鸟报名开始了，老生9折。",
        direction="outbound",
        fields={"course": "数学", "renewal_status": "pending"},
    )
    d = run("next_best_action", family(offer), language="zh")
    assert d.label == "renewal_call" and d.details["key_facts"]["renewal_signals"]["open_offer"] == "eb"
    assert next(f for f in d.factors if f.name == "renewal_signals").evidence


def test_a_renewal_pending_for_months_has_lapsed_and_gets_a_renewal_call() -> None:
    """A renewal still 'pending' 80 days later has lapsed: renewal_call, with the course listed as lapsed."""
    records = [
        rec(
            "pay",
            120,
            "payment",
            "Summer phonics class",
            amount=3580.0,
            direction="inbound",
            fields={"course": "Phonics"},
        ),
        rec(
            "rem",
            80,
            "call",
            "Parent says still thinking about the autumn class.",
            direction="outbound",
            fields={"course": "Phonics", "renewal_status": "pending"},
        ),
    ]
    d = run("next_best_action", records)
    assert d.label == "renewal_call"
    assert d.details["key_facts"]["renewal_signals"]["courses"] == {
        "Phonics": {"state": "lapsed", "record": "rem"}
    }


def test_a_student_who_quit_the_course_gets_no_renewal_call() -> None:
    """A refund because the child lost interest: no renewal call for that course."""
    records = [
        rec(
            "pay", 130, "payment", "书法班缴费", amount=1980.0, direction="inbound", fields={"course": "书法"}
        ),
        rec(
            "rf",
            110,
            "ticket",
            "孩子说手疼，不想学了，申请退费。",
            direction="inbound",
            fields={"course": "书法", "refund_reason": "lost_interest", "status": "approved"},
        ),
    ]
    d = run("next_best_action", records, language="zh")
    assert "renewal_call" not in [a["action"] for a in d.details["actions"]]
    assert d.label in ("nurture", "reactivation_call")


# ---------------------------------------------------------------- routing


@pytest.mark.parametrize(
    ("text", "queues"),
    [
        ("刘女士申请退费：剩余14次课按规定退。", {"returns", "billing"}),
        ("Please refund my order, I returned it last week.", {"returns", "billing"}),
        ("It's been 24 days and DHL shows 'in transit' since 12 September.", {"logistics"}),
        ("The grey linen cover lost so much dye after one wash, it is patchy.", {"returns", "complaints"}),
        (
            "We received 120 hoodies in green instead of grey: wrong shipment.",
            {"returns", "complaints", "logistics"},
        ),
    ],
)
def test_tickets_route_refunds_transit_and_quality_problems(text: str, queues: set[str]) -> None:
    """Refunds, stuck parcels, fading and wrong items reach a queue that can act on them."""
    d = run("ticket_routing", [rec("tk", 1, "ticket", text, direction="inbound", fields={"status": "open"})])
    assert d.label in queues and "no_queue_signal" not in d.flags


def test_an_escalated_ticket_is_routed_as_open() -> None:
    """The escalated ticket is the one routed, ahead of an older closed one."""
    records = [
        rec(
            "old",
            30,
            "ticket",
            "Invoice copy please.",
            direction="inbound",
            fields={"ticket_no": "A", "status": "closed"},
        ),
        rec(
            "esc",
            3,
            "ticket",
            "Wrong colour delivered. Escalated to Tier 2.",
            direction="inbound",
            fields={"ticket_no": "B", "status": "escalated", "topic": "wrong_item"},
        ),
    ]
    d = run("ticket_routing", records)
    assert d.details["open_ticket_ids"] == ["B"] and d.label == "returns"


def test_without_open_tickets_orders_are_never_routed() -> None:
    """No open ticket: the newest service-like message is routed, not a later order; only orders → general."""
    records = [
        rec("msg", 10, "email", "My parcel never arrived, tracking hasn't moved.", direction="inbound"),
        rec("ord", 2, "order", "New order SO-5, card charged.", amount=30.0, direction="inbound"),
    ]
    d = run("ticket_routing", records)
    assert d.details["routed_records"] == ["msg"] and d.label == "logistics"
    only = run("ticket_routing", [records[1], rec("pay", 1, "payment", "付款成功", direction="inbound")])
    assert only.label == "general" and {"no_queue_signal", "nothing_to_route"} <= set(only.flags)
