"""Realistic decisions: credit, lead BANT, next best action, ticket routing and churn (zh and en)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent_crm.decisions import decide
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


def factor(d: Decision, name: str) -> Any:
    """Return the factor called ``name``."""
    return next(f for f in d.factors if f.name == name)


def merchant(flows: list[int], paid: list[bool], requested: int | None) -> list[Interaction]:
    """A small merchant with monthly POS notes, loan repayments and an optional loan application."""
    out = [
        rec(
            f"pos-{i}",
            175 - 30 * i,
            "note",
            f"POS收单流水{x}元。",
            currency="CNY",
            fields={"pos_monthly_flow": x, "month": f"2025-{i + 1:02d}"},
        )
        for i, x in enumerate(flows)
    ]
    out += [
        rec(
            f"pay-{i}",
            160 - 30 * i,
            "payment",
            "按时还款。" if ok else "本期还款逾期。",
            fields={"paid_on_time": ok, "days_late": 0 if ok else 35},
        )
        for i, ok in enumerate(paid)
    ]
    if requested is not None:
        out.append(
            rec("app", 3, "note", f"客户申请经营贷 {requested} 元。", fields={"requested_amount": requested})
        )
    return out


def test_stable_pos_and_on_time_repayment_is_approved_on_repayment_capacity() -> None:
    """Stable POS flow + on-time repayments → approve(-with-conditions), repayment capacity on top."""
    d = run(
        "credit_recommendation",
        merchant([186_000, 192_000, 188_500, 195_000, 190_200, 193_400], [True] * 6, 500_000),
        language="zh",
    )
    assert d.label in ("approve", "approve_with_conditions")
    positives = [f.name for f in d.factors if f.direction == "positive"]
    assert "cash_flow_stability" in positives[:2]
    stab = factor(d, "cash_flow_stability")
    assert stab.label == "还款能力" and "月均 19.1 万元" in stab.rationale
    assert set(stab.evidence) == {f"pos-{i}" for i in range(6)}
    assert d.details["requested_amount"] == 500_000 and d.details["requested_record"] == "app"
    assert d.details["suggested_limit"] == 500_000.0  # min(requested, 3 x 190,850)
    assert d.details["avg_monthly_flow"] == pytest.approx(190_850.0)


def test_volatile_and_late_customer_is_referred_or_declined() -> None:
    """Volatile POS flow and late repayments → refer/decline; both factors pull the score down."""
    d = run(
        "credit_recommendation",
        merchant(
            [40_000, 210_000, 15_000, 160_000, 30_000, 90_000],
            [True, False, True, False, False, True],
            300_000,
        ),
    )
    assert d.label in ("refer", "decline")
    assert factor(d, "cash_flow_stability").direction == "negative"
    assert factor(d, "repayment_history").direction == "negative"
    assert d.details["top_negative"][:2] == [d.factors[0].name, d.factors[1].name]
    assert "3 of 6 payments on time" in factor(d, "repayment_history").rationale


def test_credit_limit_is_capped_by_flow() -> None:
    """A good customer asking 20x monthly flow: approved with conditions, limit capped at 3 x flow."""
    d = run("credit_recommendation", merchant([100_000] * 6, [True] * 6, 2_000_000))
    assert factor(d, "requested_amount_ratio").value == pytest.approx(20.0)
    assert factor(d, "requested_amount_ratio").direction == "negative"
    assert d.label == "approve_with_conditions" and d.details["score_band"] == "approve"
    assert d.details["suggested_limit"] == 300_000.0 and d.details["flow_capacity"] == 300_000.0
    assert d.details["conditions"][0] == "limit_capped_by_flow"
    assert "reduced_limit" in d.details["conditions"]


def test_credit_without_pos_flow_is_referred_for_insufficient_evidence() -> None:
    """No cash-flow evidence: the decision cannot approve, is referred and flagged."""
    d = run(
        "credit_recommendation",
        [rec(f"pay-{i}", 20 + 30 * i, "payment", "还款", fields={"paid_on_time": True}) for i in range(8)]
        + [rec("app", 2, "note", "申请", fields={"requested_amount": 1e5})],
    )
    assert d.label in ("refer", "decline")
    assert "cash_flow_stability" in d.details["missing_features"]
    if d.score >= 0.55:
        assert "insufficient_evidence" in d.flags


def lead_records(*, with_budget_and_authority: bool) -> list[Interaction]:
    """An inbound lead: need and timeline always; budget and a senior contact only when asked."""
    out = [
        rec(
            "l-1",
            6,
            "email",
            "We need a better scheduling tool; our nurses struggle with double bookings.",
            direction="inbound",
            contact_name="Amy Chen (assistant)",
        ),
        rec("l-2", 4, "call", "客户希望下个月上线排班系统，对专业版感兴趣。", direction="outbound"),
    ]
    if with_budget_and_authority:
        out += [
            rec(
                "l-3",
                3,
                "meeting",
                "王院长确认预算已批 50 万，由他拍板。",
                direction="outbound",
                contact_name="王院长",
            ),
            rec("l-4", 2, "email", "Director of Nursing: budget approved for Q3.", direction="inbound"),
        ]
    return out


def test_lead_missing_budget_and_authority_is_not_qualified() -> None:
    """Need and timeline without budget or authority: not qualified, failed_bant names both."""
    d = run("lead_score", lead_records(with_budget_and_authority=False))
    assert d.label in ("nurture", "disqualified")
    assert set(d.details["failed_bant"]) == {"budget", "authority"}
    bant = d.details["bant"]
    assert bant["budget"] == {"status": "fail", "value": None, "evidence": [], "reason": "no evidence"}
    assert bant["authority"]["status"] == "fail" and bant["authority"]["evidence"] == ["l-1"]
    assert bant["need"]["status"] == "pass" and set(bant["need"]["evidence"]) == {"l-1", "l-2"}
    assert bant["timeline"]["status"] == "pass" and bant["timeline"]["evidence"] == ["l-2"]


def test_lead_with_full_bant_is_qualified() -> None:
    """All four BANT criteria with evidence → qualified, with budget and authority as positive factors."""
    d = run("lead_score", lead_records(with_budget_and_authority=True), language="zh")
    assert d.label == "qualified" and d.details["failed_bant"] == []
    assert factor(d, "budget").direction == "positive" and factor(d, "authority").value == 1.0
    assert factor(d, "authority").rationale == "决策权（接触到的最高职位：院长）提高了线索评分。"


def price_objection_customer() -> list[Interaction]:
    """A hospital that rejected a quote as too expensive, citing a cheaper competitor."""
    return [
        rec("ord-1", 60, "order", "骨科耗材订货", amount=300_000.0, currency="CNY"),
        rec(
            "quo-1",
            10,
            "quote",
            "骨科耗材年度报价单 Q-2025-031，合计 126 万元。",
            amount=1_260_000.0,
            currency="CNY",
            fields={"quote_status": "rejected"},
            direction="outbound",
        ),
        rec(
            "eml-1",
            8,
            "email",
            "张主任：你们的报价太高了，康骨医疗给的价格低 8%，这次先不签。",
            direction="inbound",
            contact_name="张主任",
        ),
        rec("mtg-1", 40, "meeting", "回访骨科，对产品效果满意。", direction="outbound"),
    ]


def test_rejected_quote_with_price_and_competitor_gets_a_price_objection_follow_up() -> None:
    """Rejected quote + price objection + competitor → price_objection_followup with record ids."""
    d = run(
        "next_best_action", price_objection_customer(), language="zh", options={"competitors": ["康骨医疗"]}
    )
    assert d.label == "price_objection_followup"
    top = d.details["actions"][0]
    assert top["action"] == "price_objection_followup"
    assert {r["feature"] for r in top["reasons"]} == {"quote_rejections", "objections", "competitor_mentions"}
    price = next(o for o in d.details["objections"] if o["category"] == "price")
    assert price["records"] == ["eml-1"] and price["label"] == "价格"
    assert "报价太高" in price["snippets"][0]["text"]
    assert d.details["competitors"] == [
        {"name": "康骨医疗", "records": ["eml-1"], "snippets": {"eml-1": price["snippets"][0]["text"]}}
    ]
    assert d.details["key_facts"]["quote_rejections"]["amounts"] == {"quo-1": 1_260_000.0}
    assert [a["action"] for a in d.details["actions"]][-1] == "nurture"


def test_qualification_objection_on_the_rejected_quote_gets_qualification_support() -> None:
    """A quote sent back for missing certificates → qualification_support ranks above a price follow-up."""
    d = run(
        "next_best_action",
        [
            rec(
                "quo-1",
                12,
                "quote",
                "监护耗材报价被李主任退回，要求补充注册证和资质文件。",
                amount=230_000.0,
                fields={"quote_status": "rejected"},
            ),
        ],
    )
    assert d.label == "qualification_support"
    assert "price_objection_followup" not in [a["action"] for a in d.details["actions"]]


def test_education_customer_with_weak_renewal_signals_gets_a_renewal_call() -> None:
    """Falling attendance, undecided renewal and a renewal date next month → renewal_call."""
    d = run(
        "next_best_action",
        [
            rec("att-1", 10, "note", "本月出勤率下降", fields={"attendance_rate": 0.55, "satisfaction": 3}),
            rec(
                "ren-1",
                5,
                "call",
                "家长表示还在考虑是否续费。",
                direction="outbound",
                fields={"renewal_status": "undecided", "renewal_date": "2025-07-20"},
            ),
        ],
    )
    assert d.label == "renewal_call"
    assert d.details["key_facts"]["renewal_signals"]["days_to_renewal"] == pytest.approx(19.5)


def test_angry_return_heavy_ticket_goes_to_returns_or_complaints_with_high_priority() -> None:
    """An open, angry ticket about a damaged, wrongly sized item → returns/complaints queue, P1/P2."""
    records = [
        rec(
            "tk-1",
            1,
            "ticket",
            "收到的鞋子尺码不对而且有破损，要求退货退款！客服一直没人理，非常不满意，"
            "再不处理我就投诉到12315！",
            direction="inbound",
            fields={"ticket_id": "TK-9", "status": "open"},
        ),
        rec(
            "tk-2",
            0.5,
            "ticket",
            "第二次催：退货申请还没处理，太失望了，尽快给我退款。",
            direction="inbound",
            fields={"ticket_id": "TK-9", "status": "open"},
        ),
        rec("ret-0", 20, "return", "上次退货：质量问题", fields={"return_reason": "质量问题"}),
        rec("old-1", 90, "ticket", "发票抬头开错了", fields={"ticket_id": "TK-1", "status": "closed"}),
    ]
    d = run("ticket_routing", records, language="zh")
    assert d.label in ("returns", "complaints")
    assert d.details["priority"] in ("P1", "P2")
    assert d.details["routed_records"] == ["tk-2", "tk-1"] and d.details["open_ticket_ids"] == ["TK-9"]
    assert set(d.details["queue_scores"][d.label]["evidence"]) <= {"tk-1", "tk-2"}
    assert "billing" not in d.details["queue_scores"] or d.details["queue_scores"]["billing"]["evidence"] != [
        "old-1"
    ]
    assert factor(d, "sentiment").direction == "positive"  # angrier → higher priority
    assert factor(d, "returns").value == 3.0
    assert sum(f.weight for f in d.factors) == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("text", "queue"),
    [
        ("The invoice was double charged, please fix the billing.", "billing"),
        ("快递还没到，物流信息三天没更新，运单号查不到。", "logistics"),
        ("App crashes with an error after the upgrade, cannot log in.", "technical"),
        ("想了解企业版的报价和折扣，能否安排演示？", "sales"),
    ],
)
def test_ticket_is_routed_by_its_wording(text: str, queue: str) -> None:
    """The newest open ticket's wording picks the queue (Chinese and English lexicons)."""
    d = run(
        "ticket_routing", [rec("tk", 0.2, "ticket", text, direction="inbound", fields={"status": "open"})]
    )
    assert d.label == queue
    assert d.details["queue_scores"][queue]["evidence"] == ["tk"]


def test_ticket_without_signal_goes_to_general_with_a_flag() -> None:
    """No queue words at all → the fallback queue, flagged for a human."""
    d = run("ticket_routing", [rec("tk", 0.2, "ticket", "您好。", direction="inbound")])
    assert d.label == "general" and "no_queue_signal" in d.flags


def test_silent_unhappy_customer_has_high_churn_risk_and_active_happy_one_low() -> None:
    """Long silence, complaints, negative sentiment, competitor talk → high; recent happy buyer → low."""
    risky = run(
        "churn_risk",
        [
            rec("c-1", 150, "email", "对售后非常不满意，已经投诉两次了。", direction="inbound"),
            rec("c-2", 140, "call", "客户说在评估别家的方案，价格更低。", direction="inbound"),
            rec("c-3", 130, "ticket", "设备故障一直没人处理", direction="inbound", fields={"status": "open"}),
        ],
    )
    happy = run(
        "churn_risk",
        [rec(f"o-{i}", 10 + 20 * i, "order", "订货", amount=80_000.0) for i in range(6)]
        + [rec("h-1", 3, "call", "客户对服务很满意，计划续约。", direction="inbound")],
    )
    assert risky.label == "high" and happy.label == "low"
    assert {"recency", "sentiment"} <= set(risky.details["drivers"])
    assert risky.score > happy.score
