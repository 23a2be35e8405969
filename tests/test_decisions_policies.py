"""Credit, lead (BANT) and churn rules: settlement flow, short delays, our own errors, budget, moving away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent_crm.decisions import decide
from agent_crm.decisions.features import FeatureContext, compute_in
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


def feat(name: str, records: list[Interaction], **kw: Any) -> Any:
    """Compute one feature over ``records`` at AS_OF."""
    return compute_in(FeatureContext(records, AS_OF, **kw), [name])[name]


def settlement(months: list[int]) -> Interaction:
    """One note reporting monthly corporate settlement flow (对公结算) for the last len(months) months."""
    entries = [{"month": f"2025-{6 - len(months) + i + 1:02d}", "flow": x} for i, x in enumerate(months)]
    return rec("stl", 10, "note", "对公结算及销售回款流水", fields={"settlement_monthly_flow": entries})


def repayments(late_days: list[int], *, start: int = 20) -> list[Interaction]:
    """Monthly loan repayments; a non-zero entry is that many days late."""
    return [
        rec(
            f"pay-{i}",
            start + 30 * i,
            "payment",
            "还款" if d == 0 else f"逾期{d}天补缴",
            fields={"paid_on_time": d == 0, "days_late": d},
        )
        for i, d in enumerate(late_days)
    ]


def application(amount: int, days: float = 3) -> Interaction:
    """A loan application for ``amount``."""
    return rec("app", days, "application", f"申请经营贷{amount}元", fields={"requested_amount": amount})


# ---------------------------------------------------------------- credit


def test_settlement_flow_counts_as_cash_flow_and_is_named_in_both_languages() -> None:
    """Settlement-only customers have flow data: no insufficient_evidence, rationale names the source."""
    records = [settlement([200_000, 210_000, 205_000]), *repayments([0, 0, 0, 0]), application(300_000)]
    zh = run("credit_recommendation", records, language="zh")
    en = run("credit_recommendation", records, language="en")
    assert "insufficient_evidence" not in zh.flags and zh.label in ("approve", "approve_with_conditions")
    stab = factor(zh, "cash_flow_stability")
    assert stab.evidence == ("stl",) and "对公结算流水稳定性" in stab.rationale
    assert "settlement flow stability" in factor(en, "cash_flow_stability").rationale
    assert zh.details["avg_monthly_flow"] == pytest.approx(205_000.0)


def test_too_few_flow_months_cannot_size_a_limit_and_are_referred() -> None:
    """One month of flow: the limit cannot be sized, so a good customer is referred and flagged."""
    records = [settlement([200_000]), *repayments([0, 0, 0, 0]), application(100_000)]
    d = run("credit_recommendation", records)
    assert d.label == "refer" and "insufficient_evidence" in d.flags


def test_a_single_short_delay_is_minor_and_approves_with_monitoring() -> None:
    """A 4-day delay among on-time payments costs 0.03 and gives approve_with_conditions, never decline."""
    flows = [
        rec(f"pos-{i}", 10 + 30 * i, "note", fields={"pos_monthly_flow": 150_000 + 2_000 * i})
        for i in range(6)
    ]
    records = [*flows, *repayments([0, 4, 0, 0, 0, 0]), application(300_000)]
    repay = feat("repayment_history", records)
    assert repay.value == pytest.approx(1 - (0.02 + 0.08 * 4 / 30), abs=1e-4)
    d = run("credit_recommendation", records)
    assert d.label == "approve_with_conditions" and "repayment_monitoring" in d.details["conditions"]
    assert d.details["late_payments_12m"] == ["pay-1"] and d.details["serious_late_payments_12m"] == []


def test_a_delay_beyond_30_days_halves_the_limit_or_declines() -> None:
    """A 35-day delay is decisive: at best approve_with_conditions with the limit halved, else decline."""
    flows = [rec(f"pos-{i}", 10 + 30 * i, "note", fields={"pos_monthly_flow": 150_000}) for i in range(6)]
    d = run("credit_recommendation", [*flows, *repayments([0, 35, 0, 0, 0, 0]), application(300_000)])
    assert d.label in ("approve_with_conditions", "decline")
    assert d.details["serious_late_payments_12m"] == ["pay-1"]
    if d.label == "approve_with_conditions":
        assert "limit_reduced_for_delinquency" in d.details["conditions"]
        assert d.details["suggested_limit"] <= 150_000.0
    many = run("credit_recommendation", [*flows, *repayments([8, 35, 12, 40, 0, 0]), application(300_000)])
    assert many.label == "decline" and factor(many, "repayment_history").direction == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "宋老板投诉9月那期贷款被扣了两次，很生气。查系统是批扣重复，当天冲正并致歉。",
        "Customer complained that the loan was debited twice and is angry; we reversed it and apologised.",
    ],
)
def test_a_complaint_about_our_own_error_does_not_count_against_the_borrower(text: str) -> None:
    """Credit ignores complaints about our acknowledged errors; churn still counts them."""
    ticket = rec(
        "tk", 5, "ticket", text, direction="inbound", fields={"status": "resolved", "category": "扣款"}
    )
    flows = [rec(f"pos-{i}", 10 + 30 * i, "note", fields={"pos_monthly_flow": 150_000}) for i in range(6)]
    records = [*flows, *repayments([0] * 6), application(200_000), ticket]
    credit = run("credit_recommendation", records)
    assert factor(credit, "complaints").evidence == () and factor(credit, "sentiment").evidence == ()
    churn = run("churn_risk", records)
    assert factor(churn, "complaints").evidence == ("tk",)


def test_the_newest_application_is_decided_however_old_it_is() -> None:
    """An application 300 days old is still the request: its amount is kept and the limit sized from it."""
    flows = [rec(f"pos-{i}", 10 + 30 * i, "note", fields={"pos_monthly_flow": 100_000}) for i in range(6)]
    d = run("credit_recommendation", [*flows, *repayments([0] * 6), application(250_000, days=300)])
    assert d.details["requested_amount"] == 250_000 and d.details["requested_record"] == "app"
    assert factor(d, "requested_amount_ratio").value == pytest.approx(2.5)


# ---------------------------------------------------------------- lead (BANT)


def test_budget_is_shown_by_payments_and_open_quotes_and_a_stated_no_budget_wins_when_newest() -> None:
    """Tuition paid this term → 0.8; a pending quote → 0.7 and an 'open quote' timeline; newer 'no budget' → 0."""
    paid = rec(
        "pay", 30, "payment", "秋季数学班学费4480元", amount=4480.0, direction="inbound", product="数学班"
    )
    assert feat("budget", [paid]).value == 0.8 and feat("budget", [paid]).facts["status"] == "spending"
    assert feat("need", [paid]).evidence == ("pay",)
    quote = rec(
        "q", 10, "quote", "Quote Q-7 sent as requested, awaiting reply.", fields={"quote_status": "pending"}
    )
    assert feat("budget", [quote]).value == 0.7 and feat("timeline", [quote]).value == 0.8
    broke = rec("nb", 5, "call", "客户说今年没有预算了。", direction="inbound")
    assert feat("budget", [paid, broke]).value == 0.0


def test_authority_reads_directory_roles_titles_and_payers() -> None:
    """A contact the directory calls decision_maker has full authority; a user 0.4; whoever paid 0.8."""
    msg = rec("m", 3, "email", "Please send the proposal.", direction="inbound", contact_name="Wang Lei")
    dm = [{"name": "Wang Lei", "title": "", "role": "decision_maker"}]
    assert feat("authority", [msg], contacts=dm).value == 1.0
    assert feat("authority", [msg], contacts=[{"name": "Wang Lei", "role": "user"}]).value == 0.4
    assert feat("authority", [msg], contacts=[{"name": "Wang Lei", "title": "设备科科长"}]).value == 0.7
    assert feat("authority", [msg]).missing
    paid = rec("p", 3, "payment", "缴费", amount=100.0, direction="inbound", contact_name="王女士")
    assert feat("authority", [paid]).value == 0.8
    d = run("lead_score", [msg], options={"contacts": dm})
    assert factor(d, "authority").value == 1.0 and d.details["bant"]["authority"]["status"] == "pass"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("刘女士申请退课：家里11月搬去上海。", "zh"),
        ("We are relocating to Berlin next month, please cancel.", "en"),
    ],
)
def test_a_lead_that_moved_away_is_disqualified(text: str, language: str) -> None:
    """Moving away (搬去/relocating) disqualifies a lead, with the relocation factor and a flag."""
    records = [
        rec(
            "pay",
            60,
            "payment",
            "学费",
            amount=4480.0,
            direction="inbound",
            contact_name="刘女士",
            product="数学班",
        ),
        rec("mv", 5, "ticket", text, direction="inbound"),
    ]
    d = run("lead_score", records, language=language)
    assert d.label == "disqualified" and "relocated" in d.flags
    assert factor(d, "relocation").direction == "negative" and factor(d, "relocation").evidence == ("mv",)


# ---------------------------------------------------------------- churn


def family(status: str, *, reason: str = "") -> list[Interaction]:
    """A satisfied course family whose newest renewal status is ``status``."""
    return [
        rec(
            "pay", 90, "payment", "暑期班缴费", amount=3000.0, direction="inbound", fields={"course": "数学"}
        ),
        rec(
            "att",
            60,
            "note",
            "出勤93%",
            fields={"course": "数学", "attendance_rate": 0.93, "satisfaction": 4},
        ),
        rec(
            "ren",
            20,
            "call",
            reason,
            direction="inbound",
            fields={"course": "数学", "renewal_status": status},
        ),
    ]


def test_a_declined_renewal_is_the_strongest_churn_driver() -> None:
    """A declined renewal (good attendance notwithstanding) is high risk, driven by renewal signals."""
    declined = run("churn_risk", family("declined", reason="秋季不报，时间排不开。"))
    renewed = run("churn_risk", family("renewed", reason="秋季继续报。"))
    assert declined.label in ("high", "medium") and renewed.label == "low"
    assert declined.factors[0].name == "renewal_signals" and declined.factors[0].weight > 50
    assert factor(declined, "renewal_signals").value < 0.4 < factor(renewed, "renewal_signals").value


def test_a_customer_moving_away_is_high_churn() -> None:
    """Moving away weighs in the renewal signals and flags the decision."""
    d = run("churn_risk", [*family("renewed"), rec("mv", 3, "note", "家长说下个月搬家去深圳。")])
    assert d.label == "high" and "relocated" in d.flags and d.details["relocated"] == ["mv"]


@pytest.mark.parametrize(
    "text",
    [
        "It came two weeks past your SLA and we relaunched with half-empty shelves.",
        "This is the wrong shipment again. Escalated to Tier 2.",
        "Still no reply after three emails, this is unacceptable.",
        "If I don't hear back I'm filing a chargeback.",
    ],
)
def test_english_complaint_wording_is_recognised(text: str) -> None:
    """SLA breaches, escalations, wrong shipments, chargebacks count as complaints and raise churn."""
    records = [rec("o", 40, "order", "order", amount=500.0), rec("c", 5, "email", text, direction="inbound")]
    d = run("churn_risk", records)
    assert factor(d, "complaints").evidence == ("c",) and factor(d, "complaints").direction == "positive"


def test_an_escalated_ticket_is_a_complaint_and_open() -> None:
    """Status 'escalated' keeps a ticket open (ticket_no groups its records) and makes it a complaint."""
    records = [
        rec(
            "t1",
            9,
            "ticket",
            "Hoodies arrived in green instead of grey.",
            direction="inbound",
            fields={"ticket_no": "TK-1", "status": "open"},
        ),
        rec(
            "t2",
            8,
            "ticket",
            "Tier 2 is on it.",
            direction="inbound",
            fields={"ticket_no": "TK-1", "status": "escalated"},
        ),
    ]
    tickets = feat("open_tickets", records)
    assert tickets.value == 1.0 and tickets.facts["open_tickets"] == ["TK-1"]
    assert "t2" in feat("complaints", records).evidence
