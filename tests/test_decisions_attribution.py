"""Faithful attribution: removing evidence moves the logit by exactly the contribution; weights sum to 100."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_crm.decisions import DECISION_TYPES, decide, get_spec
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


def run(dtype: str, records: Sequence[Interaction], **kw: Any) -> Decision:
    """Decide at the fixed AS_OF (so removing records never moves the reference time)."""
    return decide(dtype, list(records), tenant=TENANT, customer_id=CID, as_of=AS_OF, **kw)


def contributions(d: Decision) -> dict[str, float]:
    """Return factor name -> raw contribution."""
    return {f.name: f.contribution for f in d.factors}


def components(d: Decision) -> list[set[str]]:
    """Group the factors that have evidence into sets whose evidence overlaps (connected components)."""
    ev = {f.name: set(f.evidence) for f in d.factors if f.evidence}
    groups: list[tuple[set[str], set[str]]] = []
    for name, ids in ev.items():
        merged_names, merged_ids = {name}, set(ids)
        rest = []
        for names, gids in groups:
            if gids & merged_ids:
                merged_names |= names
                merged_ids |= gids
            else:
                rest.append((names, gids))
        groups = [*rest, (merged_names, merged_ids)]
    return [names for names, _ in groups]


def assert_removal_is_exact(dtype: str, records: Sequence[Interaction], names: set[str], **kw: Any) -> None:
    """Remove every evidence record of ``names``; the logit must move by exactly their summed contribution."""
    before = run(dtype, records, **kw)
    base = contributions(before)
    removed = {rid for f in before.factors if f.name in names for rid in f.evidence}
    after = run(dtype, [r for r in records if r.id not in removed], **kw)
    now = contributions(after)
    expected = math.fsum(base[n] for n in names)
    assert before.details["logit"] - after.details["logit"] == pytest.approx(expected, abs=1e-9)
    for name in base:
        if name in names:
            assert now[name] == 0.0
            assert next(f for f in after.factors if f.name == name).evidence == ()
        else:
            assert now[name] == pytest.approx(base[name], abs=1e-12), f"{name} changed when removing {names}"


# ---------------------------------------------------------------- random customers (hypothesis)

TEXTS = [
    "客户对服务很满意，感谢及时处理。",
    "张主任认为报价太高，竞品报价更低。",
    "需要符合集采带量采购目录价格。",
    "We are not happy with the delay, this is unacceptable.",
    "Thanks, the demo was great!",
    "要求补充注册证等资质文件。",
    "收到的商品有破损，要求退货退款。",
    "系统报错无法登录，紧急！",
    "预算已批 50 万，计划下个月采购。",
    "We have budget approved and want to go live next quarter.",
    "客户投诉售后态度差。",
    "The invoice was double charged, please refund.",
    "物流太慢，快递还没到。",
    "A competitor offered a 10% discount.",
    "暂不考虑，以后再说。",
    "学员出勤率下降，家长考虑不续费。",
    "No problem, everything works now.",
    "我们在评估别家的方案。",
    "家里下个月搬去上海，申请退费。",
    "宋老板投诉贷款被重复扣款，查系统是批扣重复，当天冲正并致歉。",
    "Customer: the price is too high for us.\nAgent: No need to worry, discount code applied.",
    "王女士：孩子不想学了，秋季不报。\n赵老师：好的，理解。",
    "Our order arrived two weeks past your SLA and the wrong colour. Escalated to Tier 2.",
    "寒假班早鸟报名开始了，老生9折。",
    "Tracking says in transit for 24 days, it never arrived.",
    "",
]
CHANNELS = [
    "email",
    "call",
    "meeting",
    "ticket",
    "chat",
    "note",
    "order",
    "quote",
    "payment",
    "return",
    "visit",
    "review",
    "application",
]
FIELDS = st.one_of(
    st.just({}),
    st.builds(lambda x: {"pos_monthly_flow": x}, st.integers(0, 400_000)),
    st.builds(
        lambda ok, late: {"paid_on_time": ok, "days_late": 0 if ok else late},
        st.booleans(),
        st.integers(1, 120),
    ),
    st.builds(lambda x: {"requested_amount": x}, st.integers(10_000, 2_000_000)),
    st.builds(
        lambda t, s: {"ticket_id": t, "status": s},
        st.sampled_from(["T1", "T2", "T3"]),
        st.sampled_from(["open", "closed", "pending", "已解决"]),
    ),
    st.builds(lambda s: {"quote_status": s}, st.sampled_from(["rejected", "sent", "accepted"])),
    st.builds(lambda c: {"competitor": c}, st.sampled_from(["Medtronic", "美敦力", "康骨医疗"])),
    st.builds(lambda v: {"surgery_volume_monthly": v}, st.integers(50, 600)),
    st.builds(
        lambda a, s: {"attendance_rate": a, "renewal_status": s},
        st.floats(0, 1),
        st.sampled_from(["undecided", "renewed", "not_renewing"]),
    ),
    st.builds(lambda b: {"budget": b}, st.integers(0, 500_000)),
    st.builds(
        lambda d: {"expected_close_date": d}, st.sampled_from(["2025-07-15", "2026-03-01", "2024-01-01"])
    ),
    st.builds(lambda r: {"return_reason": r}, st.sampled_from(["尺码不对", "wrong size", "质量问题"])),
    st.builds(lambda s: {"sentiment": s}, st.sampled_from(["negative", "positive", 0.4])),
    st.builds(lambda t: {"title": t}, st.sampled_from(["院长", "科员", "Head of Procurement"])),
)


@st.composite
def customers(draw: st.DrawFn) -> list[Interaction]:
    """A random customer: up to 16 records mixing channels, directions, texts and structured fields."""
    out = []
    for i in range(draw(st.integers(0, 16))):
        amount = draw(st.one_of(st.none(), st.sampled_from([899.0, 52_000.0, 300_000.0])))
        out.append(
            rec(
                f"r{i:02d}",
                draw(st.floats(0, 420, allow_nan=False)),
                draw(st.sampled_from(CHANNELS)),
                " ".join(draw(st.lists(st.sampled_from(TEXTS), max_size=3))),
                direction=draw(st.sampled_from([None, "inbound", "outbound", "internal"])),
                fields={k: v for part in draw(st.lists(FIELDS, max_size=2)) for k, v in part.items()},
                amount=amount,
                currency="CNY" if amount else None,
                contact_name=draw(st.sampled_from([None, "张主任", "王院长", "Amy (assistant)"])),
            )
        )
    return out


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(customers(), st.sampled_from(DECISION_TYPES))
def test_removing_each_evidence_component_moves_logit_by_its_contributions(
    records: list[Interaction], dtype: str
) -> None:
    """For each group of factors with overlapping evidence, removing it removes exactly their share."""
    d = run(dtype, records)
    for names in components(d):
        assert_removal_is_exact(dtype, records, names)


@PROPERTY
@given(customers(), st.sampled_from(DECISION_TYPES), st.sampled_from(["zh", "en"]))
def test_weights_sum_to_100_and_evidence_is_real(
    records: list[Interaction], dtype: str, language: str
) -> None:
    """Weights sum to 100 (or are all 0 with a flag), follow the contributions and cite input records only."""
    d = run(dtype, records, language=language)
    spec = get_spec(dtype)
    weights = [f.weight for f in d.factors]
    if "no_attribution" in d.flags:
        assert all(w == 0.0 for w in weights) and all(f.contribution == 0.0 for f in d.factors)
    else:
        assert math.fsum(weights) == pytest.approx(100.0, abs=1e-9)
        assert all(abs(w * 10 - round(w * 10)) < 1e-9 for w in weights)
    assert weights == sorted(weights, reverse=True)
    assert [f.name for f in d.factors] and {f.name for f in d.factors} == set(spec.features)
    assert d.details["logit"] == pytest.approx(
        d.details["bias"] + math.fsum(f.contribution for f in d.factors)
    )
    assert 0.0 <= d.score <= 1.0 and d.label in spec.labels
    by_id = {r.id: r for r in records}
    for f in d.factors:
        assert f.direction == (
            "positive" if f.contribution > 0 else "negative" if f.contribution < 0 else "neutral"
        )
        assert set(f.evidence) <= set(by_id)
        stamps = [by_id[i].timestamp for i in f.evidence]
        assert stamps == sorted(stamps, reverse=True), "evidence is newest first"
        assert f.rationale


@PROPERTY
@given(st.data(), customers(), st.sampled_from(DECISION_TYPES))
def test_same_input_gives_identical_decision_json(
    data: st.DataObject, records: list[Interaction], dtype: str
) -> None:
    """Deciding twice, with the records in any order, gives byte-identical Decision JSON."""
    shuffled = data.draw(st.permutations(records))
    first = run(dtype, records, language="zh").model_dump_json()
    assert run(dtype, records, language="zh").model_dump_json() == first
    assert run(dtype, shuffled, language="zh").model_dump_json() == first


# ---------------------------------------------------------------- designed customers (disjoint evidence)


def bank_customer(*, application: bool) -> list[Interaction]:
    """A merchant: six months of POS notes, repayments, a complaint and (optionally) an application."""
    flows = [186_000, 192_000, 188_500, 195_000, 190_200, 193_400]
    out = [
        rec(
            f"pos-{m}",
            170 - 30 * i,
            "note",
            f"POS收单流水 {flows[i]} 元",
            fields={"pos_monthly_flow": [{"month": f"2025-{m:02d}", "pos_flow": flows[i]}]},
            currency="CNY",
        )
        for i, m in enumerate(range(1, 7))
    ]
    out += [
        rec(
            f"pay-{i}",
            165 - 30 * i,
            "payment",
            "本期贷款还款",
            fields={"paid_on_time": i != 2, "days_late": 0 if i != 2 else 12},
        )
        for i in range(6)
    ]
    out.append(rec("cmp-1", 20, "call", "客户投诉柜台排队太久，很不满意。", direction="inbound"))
    out.append(
        rec("cmp-2", 12, "email", "The bank of another competitor offered a lower rate.", direction="inbound")
    )
    if application:
        out.append(rec("app-1", 4, "note", "林老板申请50万元经营贷。", fields={"requested_amount": 500_000}))
    return out


def sales_customer() -> list[Interaction]:
    """A hospital account: orders, a rejected quote, a competitor call, a happy meeting, surgery volumes."""
    out = [
        rec(f"ord-{i}", 20 + 30 * i, "order", "骨科耗材订货", amount=180_000.0, currency="CNY")
        for i in range(5)
    ]
    out.append(
        rec(
            "quo-1",
            9,
            "quote",
            "骨科耗材年度报价单",
            amount=1_260_000.0,
            currency="CNY",
            fields={"quote_status": "rejected"},
        )
    )
    out.append(
        rec(
            "cmp-1",
            25,
            "note",
            "竞品康骨医疗在本院铺货，张主任提到同事在试用。",
            fields={"competitor": "康骨医疗"},
        )
    )
    out.append(rec("obj-1", 8, "note", "张主任认为价格偏高。"))
    out.append(rec("mtg-1", 3, "meeting", "张主任对手术效果很满意。", direction="outbound"))
    out += [
        rec(f"vol-{i}", 150 - 30 * i, "note", "手术量统计", fields={"surgery_volume_monthly": 300 + 25 * i})
        for i in range(5)
    ]
    return out


@pytest.mark.parametrize(
    ("dtype", "records", "factor"),
    [
        ("credit_recommendation", bank_customer(application=True), "repayment_history"),
        ("credit_recommendation", bank_customer(application=False), "cash_flow_stability"),
        ("credit_recommendation", bank_customer(application=True), "competitor_mentions"),
        ("next_best_action", sales_customer(), "competitor_mentions"),
        ("next_best_action", sales_customer(), "quote_rejections"),
        ("next_best_action", sales_customer(), "surgery_volume_trend"),
        ("next_best_action", sales_customer(), "objections"),
        ("churn_risk", sales_customer(), "competitor_mentions"),
    ],
)
def test_removing_a_disjoint_factors_evidence_moves_logit_by_exactly_its_contribution(
    dtype: str, records: list[Interaction], factor: str
) -> None:
    """Evidence no other factor shares: removing it moves the logit by exactly the contribution."""
    d = run(dtype, records)
    f = next(x for x in d.factors if x.name == factor)
    assert f.evidence and f.contribution != 0.0, "the designed customer gives this factor evidence and weight"
    others = {rid for x in d.factors if x.name != factor for rid in x.evidence}
    assert not set(f.evidence) & others, "the designed evidence is disjoint"
    assert_removal_is_exact(dtype, records, {factor})


def test_requested_amount_shares_pos_evidence_so_both_leave_together() -> None:
    """The requested-amount ratio also reads the POS records; removing both factors' evidence is exact."""
    records = bank_customer(application=True)
    d = run("credit_recommendation", records)
    ratio = next(f for f in d.factors if f.name == "requested_amount_ratio")
    assert "app-1" in ratio.evidence and "pos-6" in ratio.evidence
    assert_removal_is_exact(
        "credit_recommendation", records, {"cash_flow_stability", "requested_amount_ratio"}
    )


def test_orders_feed_frequency_and_monetary_so_both_leave_together() -> None:
    """Order records are the evidence of both RFM order features; removing them removes both contributions."""
    records = sales_customer()
    d = run("churn_risk", records)
    freq = next(f for f in d.factors if f.name == "frequency")
    money = next(f for f in d.factors if f.name == "monetary")
    assert set(freq.evidence) == set(money.evidence) == {f"ord-{i}" for i in range(5)}
    assert_removal_is_exact("churn_risk", records, {"frequency", "monetary"})


def test_complaint_and_its_sentiment_share_a_record_and_leave_together() -> None:
    """The complaint call also carries the customer's sentiment: removing the shared record removes both."""
    records = bank_customer(application=True)
    d = run("credit_recommendation", records)
    assert next(f for f in d.factors if f.name == "sentiment").evidence == ("cmp-1",)
    assert_removal_is_exact("credit_recommendation", records, {"complaints", "sentiment"})


def test_both_directions_are_shown() -> None:
    """A mixed customer shows factors pushing up and pulling down, named in details."""
    d = run("next_best_action", sales_customer())
    assert {f.direction for f in d.factors} >= {"positive", "negative"}
    assert d.details["top_positive"] and d.details["top_negative"]
    assert set(d.details["top_positive"]).isdisjoint(d.details["top_negative"])


def test_chinese_rationales_for_zh_and_english_for_en() -> None:
    """language=zh gives Chinese labels and sentences built from the numbers; en gives English ones."""
    records = bank_customer(application=True)
    zh = run("credit_recommendation", records, language="zh")
    en = run("credit_recommendation", records, language="en")
    stab_zh = next(f for f in zh.factors if f.name == "cash_flow_stability")
    stab_en = next(f for f in en.factors if f.name == "cash_flow_stability")
    assert stab_zh.label == "还款能力" and stab_en.label == "repayment capacity"
    assert "POS流水稳定性" in stab_zh.rationale and "万元" in stab_zh.rationale
    assert stab_zh.rationale.endswith("提高了授信评分。")
    assert stab_en.rationale.startswith("Repayment capacity (POS flow stability 0.9")
    assert "raises the credit score" in stab_en.rationale
    for f in zh.factors:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in f.rationale)
    for f in en.factors:
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in f.rationale), f.rationale
    assert zh.language == "zh" and en.language == "en"


def test_no_evidence_at_all_gives_zero_weights_and_a_flag() -> None:
    """A customer without records: every factor is neutral, weights are 0 and the decision is flagged."""
    d = run("churn_risk", [])
    assert "no_attribution" in d.flags
    assert all(f.weight == 0.0 and f.direction == "neutral" and f.value is None for f in d.factors)
    assert d.details["logit"] == d.details["bias"]
