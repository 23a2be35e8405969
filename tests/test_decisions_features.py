"""Decision features: bilingual lexicons with negation, RFM, cash flow, repayment, BANT, tickets; scoring."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent_crm.decisions import (
    DECISION_TYPES,
    FEATURES,
    ScoringModel,
    compute_features,
    get_spec,
    percent_weights,
    score,
)
from agent_crm.decisions.features import FEATURE_FUNCS, FeatureContext, compute_in
from agent_crm.decisions.scoring import sigmoid
from agent_crm.errors import InputError
from agent_crm.types import Interaction

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


def feat(name: str, records: list[Interaction], competitors: tuple[str, ...] = ()) -> Any:
    """Compute one feature over ``records`` at AS_OF."""
    return compute_in(FeatureContext(records, AS_OF, competitors), [name])[name]


def test_catalog_specs_use_five_to_nine_known_features_each_computed_by_one_function() -> None:
    """Every decision type scores 5–9 catalog features; every catalog feature has a function."""
    assert set(FEATURE_FUNCS) == set(FEATURES)
    for t in DECISION_TYPES:
        spec = get_spec(t)
        assert 5 <= len(spec.features) <= 9
        assert set(spec.all_features) <= set(FEATURES)
        assert spec.label_of(spec.features[0], "zh") != spec.label_of(spec.features[0], "en")
    assert get_spec("credit_recommendation").label_of("cash_flow_stability", "zh") == "还款能力"


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("客户对服务非常满意，没问题。", 1),
        ("客户很不满意，太失望了。", -1),
        ("We are not happy with the delay.", -1),
        ("No problem, thanks a lot!", 1),
        ("产品不错，不过物流让人失望。", 0),
        ("I'm not disappointed at all, great work.", 1),
    ],
)
def test_sentiment_reads_both_languages_and_negations(text: str, sign: int) -> None:
    """Polarity follows the lexicon with negation cues (不/没/not/no) flipping the term."""
    fv = feat("sentiment", [rec("s", 1, "email", text, direction="inbound")])
    assert fv.value is not None and (fv.value > 0) - (fv.value < 0) == sign
    assert fv.evidence == ("s",)


def test_outbound_messages_do_not_count_as_customer_sentiment() -> None:
    """A rep's polite outbound email is not the customer's mood; a call summary is."""
    assert feat("sentiment", [rec("o", 1, "email", "感谢您的支持！", direction="outbound")]).missing
    assert feat("sentiment", [rec("c", 1, "call", "客户很满意。", direction="outbound")]).value == 1.0


def test_missing_feature_has_no_value_and_no_evidence() -> None:
    """Without matching records a feature is missing: value None, no evidence."""
    fv = feat("repayment_history", [rec("a", 1, "note", "普通备注")])
    assert fv.missing and fv.value is None and fv.evidence == ()


def test_rfm_features_use_their_windows() -> None:
    """Recency counts days to the newest two-way record; frequency 180 days of orders; monetary 12 months."""
    records = [
        rec("o1", 10, "order", amount=1000.0, currency="CNY"),
        rec("o2", 200, "order", amount=2000.0, currency="CNY"),
        rec("o3", 400, "order", amount=4000.0, currency="CNY"),
        rec("c1", 12.5, "call", "回访", direction="outbound"),
        rec("n1", 1, "note", "内部备注", direction="internal"),
    ]
    assert feat("recency", records).value == 12.5
    assert feat("recency", records).evidence == ("c1",)
    assert feat("frequency", records).value == 1.0 and feat("frequency", records).evidence == ("o1",)
    money = feat("monetary", records)
    assert money.value == 3000.0 and money.evidence == ("o1", "o2") and money.facts["currency"] == "CNY"


def test_cash_flow_stability_is_one_minus_cv_over_six_months() -> None:
    """Six monthly flows (list entries with a pos_flow key) → 1 − std/mean, average flow alongside."""
    flows = [186_000, 192_000, 188_500, 195_000, 190_200, 193_400]
    records = [
        rec(
            f"p{i}",
            170 - 30 * i,
            "note",
            fields={"pos_monthly_flow": [{"month": f"2025-{i + 1:02d}", "pos_flow": x}]},
        )
        for i, x in enumerate(flows)
    ]
    fv = feat("cash_flow_stability", records)
    expected = 1 - statistics.pstdev(flows) / statistics.mean(flows)
    assert fv.value == pytest.approx(expected, abs=1e-4)
    assert fv.facts["months"] == 6 and fv.facts["mean"] == pytest.approx(statistics.mean(flows), abs=0.01)
    assert fv.evidence == tuple(f"p{i}" for i in reversed(range(6)))
    assert feat("avg_monthly_flow", records).value == pytest.approx(190_850.0)


def test_cash_flow_stability_reads_mapping_fields_and_one_month_says_nothing() -> None:
    """Two equal months (a month -> amount mapping, amounts as text) are stable; a single month is 0.5."""
    fv = feat(
        "cash_flow_stability",
        [rec("p", 5, "note", fields={"pos_flow": {"2025-05": "10万", "2025-06": 100000}})],
    )
    assert fv.value == pytest.approx(1.0) and fv.facts["months"] == 2
    assert fv.facts["mean"] == 100_000.0
    one = feat("cash_flow_stability", [rec("p", 5, "note", fields={"pos_monthly_flow": 80_000})])
    assert one.value == 0.5 and one.facts["months"] == 1


def test_old_pos_months_are_outside_the_window() -> None:
    """POS months older than the last seven calendar months are ignored (missing if nothing remains)."""
    assert feat("cash_flow_stability", [rec("p", 400, "note", fields={"pos_monthly_flow": 50_000})]).missing


def test_repayment_history_is_one_minus_the_cost_of_late_payments() -> None:
    """Three of four on time, the late one 45 days late (serious, > 30 days): 1 − (0.4 + 0.3 × 15/60)."""
    records = [rec(f"p{i}", 30 * i + 5, "payment", fields={"paid_on_time": True}) for i in range(3)]
    records.append(rec("late", 100, "repayment", fields={"paid_on_time": "否", "days_late": 45}))
    fv = feat("repayment_history", records)
    assert fv.value == pytest.approx(1 - (0.4 + 0.3 * 15 / 60))
    assert fv.facts == {
        "payments": 4,
        "on_time": 3,
        "late": 1,
        "avg_days_late": 45.0,
        "max_days_late": 45.0,
        "serious_late_12m": ["late"],
        "late_12m": ["late"],
    }


def test_requested_amount_ratio_uses_the_application_and_the_pos_records() -> None:
    """Requested / average monthly flow, with evidence from both; without POS the ratio is missing."""
    pos = [rec(f"p{i}", 10 + 30 * i, "note", fields={"pos_monthly_flow": 100_000}) for i in range(3)]
    app = rec("app", 2, "note", "申请贷款", fields={"requested_amount": "30万"})
    fv = feat("requested_amount_ratio", [*pos, app])
    assert fv.value == pytest.approx(3.0) and fv.evidence == ("app", "p0", "p1", "p2")
    alone = feat("requested_amount_ratio", [app])
    assert alone.missing and alone.facts["requested_amount"] == 300_000.0


def test_response_time_pairs_inbound_messages_with_the_next_outbound_contact() -> None:
    """An email answered by a call 5 h later and one unanswered message (capped) give the mean hours."""
    records = [
        rec("in1", 10, "email", "请问发货时间？", direction="inbound"),
        rec("out1", 10 - 5 / 24, "call", "电话回复", direction="outbound"),
        rec("in2", 1, "chat", "还在吗？", direction="inbound"),
        rec("note", 0.5, "note", "内部记录", direction="internal"),
    ]
    fv = feat("response_time", records)
    assert fv.value == pytest.approx((5.0 + 24.0) / 2)
    assert set(fv.evidence) == {"in1", "out1", "in2"} and fv.facts["unanswered"] == 1


def test_open_tickets_take_the_newest_status_of_each_ticket() -> None:
    """One ticket id: the newest status decides whether it is open; all ticket records are evidence."""
    records = [
        rec("a1", 10, "ticket", "无法登录", fields={"ticket_id": "T1", "status": "open"}),
        rec("a2", 5, "ticket", "已处理", fields={"ticket_id": "T1", "status": "已解决"}),
        rec("b1", 3, "ticket", "发票错误", fields={"ticket_id": "T2", "status": "pending"}),
        rec("c1", 200, "ticket", "老问题"),
    ]
    fv = feat("open_tickets", records)
    assert fv.value == 1.0 and fv.facts["open_tickets"] == ["T2"]
    assert set(fv.evidence) == {"a1", "a2", "b1", "c1"}


def test_competitors_from_fields_options_and_generic_words() -> None:
    """Named competitors (fields or tenant knowledge) and generic words count, each with its records."""
    records = [
        rec("f", 20, "call", "客户提到康骨医疗的新品", fields={"competitor": "康骨医疗"}),
        rec("t", 10, "email", "Medtronic quoted 10% less.", direction="inbound"),
        rec("g", 5, "note", "客户在评估竞品方案"),
        rec("n", 3, "note", "普通回访"),
    ]
    fv = feat("competitor_mentions", records, competitors=("Medtronic",))
    assert fv.value == 3.0 and fv.evidence == ("g", "t", "f")
    assert fv.facts["names"] == {"Medtronic": ["t"], "康骨医疗": ["f"]} and fv.facts["unnamed"] == ["g"]


def test_objections_are_grouped_by_category_with_snippets() -> None:
    """Price, procurement policy (集采/带量采购) and qualification objections, in both languages."""
    records = [
        rec("p", 9, "email", "The price is too high for us.", direction="inbound"),
        rec("v", 8, "call", "医院要等省级带量采购结果。", direction="inbound"),
        rec("q", 7, "note", "要求补充注册证。"),
        rec("x", 6, "note", "价格并不太贵。"),
    ]
    fv = feat("objections", records)
    assert fv.facts["categories"] == {"price": ["p"], "procurement_policy": ["v"], "qualification": ["q"]}
    assert "too high" in fv.facts["snippets"]["price"]["p"]
    assert fv.value == 3.0


def test_bant_signals() -> None:
    """Budget with an amount, a senior title, a need and a near-term timeline are read in zh and en."""
    assert feat("budget", [rec("b", 3, "note", "预算已批 50 万元")]).value == 1.0
    assert feat("budget", [rec("b", 3, "note", "科室今年没有预算")]).value == 0.0
    assert feat("budget", [rec("b", 3, "email", "Budget is being discussed")]).value == 0.7
    assert feat("authority", [rec("a", 3, "call", "回访", contact_name="王院长")]).value == 1.0
    assert feat("authority", [rec("a", 3, "call", "回访", contact_name="张主任")]).value == 0.7
    assert (
        feat("authority", [rec("a", 3, "email", "hi", fields={"title": "Procurement assistant"})]).value
        == 0.3
    )
    assert (
        feat("need", [rec("n", 3, "email", "We are looking for a new LIS.", direction="inbound")]).value
        == 1.0
    )
    assert feat("timeline", [rec("t", 3, "call", "计划下个月采购")]).value == 0.9
    assert (
        feat("timeline", [rec("t", 3, "note", "", fields={"expected_close_date": "2025-08-15"})]).value == 1.0
    )
    assert feat("timeline", [rec("t", 3, "note", "订单号 SO-2025-0012 已登记")]).missing


def test_surgery_volume_trend_is_the_relative_monthly_slope() -> None:
    """Volumes 300, 320, 340, 360 → slope 20 / mean 330 per month."""
    records = [
        rec(
            f"v{i}",
            120 - 30 * i,
            "note",
            fields={"surgery_volume_monthly": 300 + 20 * i, "month": f"2025-{i + 3:02d}"},
        )
        for i in range(4)
    ]
    fv = feat("surgery_volume_trend", records)
    assert fv.value == pytest.approx(20 / 330, abs=1e-4) and fv.facts["months"] == 4


def test_returns_and_renewal_signals() -> None:
    """Returns count with reasons; renewal signals average attendance, satisfaction and status."""
    ret = feat(
        "returns",
        [
            rec("r1", 5, "email", "尺码不对，申请退货", direction="inbound"),
            rec("r2", 9, "return", "", fields={"return_reason": "质量问题"}),
        ],
    )
    assert ret.value == 2.0 and ret.facts["reasons"] == {"size": ["r1"], "quality": ["r2"]}
    ren = feat(
        "renewal_signals",
        [
            rec(
                "e",
                5,
                "note",
                "",
                fields={"attendance_rate": "60%", "satisfaction": 3, "renewal_status": "undecided"},
            )
        ],
    )
    # a stated renewal status weighs 3, attendance and satisfaction 1 each
    assert ren.value == pytest.approx((0.6 + 0.5 + 3 * 0.4) / 5)


def test_records_after_as_of_are_ignored_and_compute_features_covers_the_type() -> None:
    """compute_features returns the scored then auxiliary features; future records do not count."""
    out = compute_features(
        "credit_recommendation", [rec("f", -3, "payment", fields={"paid_on_time": False})], as_of=AS_OF
    )
    assert list(out) == list(get_spec("credit_recommendation").all_features)
    assert out["repayment_history"].missing
    with pytest.raises(InputError):
        compute_features("nope", [], as_of=AS_OF)


def test_score_is_bias_plus_additive_contributions() -> None:
    """logit = bias + Σ w·(t(x) − t(b))/s with clipping and log1p; a missing feature contributes 0."""
    model = ScoringModel(
        "churn_risk",
        -1.0,
        {"a": 2.0, "b": -1.0, "c": 0.5, "d": 1.0},
        {"a": 1.0, "b": 0.0, "c": 10.0, "d": 3.0},
        {"a": 0.5, "b": 2.0, "c": 1.0, "d": 1.0},
        transforms={"c": "log1p"},
        bounds={"b": (0.0, 4.0)},
    )
    res = score(model, {"a": 2.0, "b": 10.0, "c": 99.0, "d": None})
    assert res.contributions == {
        "a": pytest.approx(4.0),
        "b": pytest.approx(-2.0),
        "c": pytest.approx(0.5 * (math.log(100) - math.log(11))),
        "d": 0.0,
    }
    assert res.logit == pytest.approx(-1.0 + sum(res.contributions.values()))
    assert res.score == pytest.approx(1 / (1 + math.exp(-res.logit)))
    assert sigmoid(-800.0) == 0.0 and sigmoid(800.0) == 1.0


@pytest.mark.parametrize(
    ("contribs", "expected"),
    [
        ([1.0, 1.0, 1.0], [33.4, 33.3, 33.3]),
        ([2.0, -1.0], [66.7, 33.3]),
        ([0.0, 0.0], [0.0, 0.0]),
        ([5.0], [100.0]),
        ([1e-9, 1.0, -1.0, 0.0], [0.0, 50.0, 50.0, 0.0]),
        ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], [3.6, 7.1, 10.7, 14.3, 17.9, 21.4, 25.0]),
    ],
)
def test_percent_weights_round_to_tenths_and_sum_to_exactly_100(
    contribs: list[float], expected: list[float]
) -> None:
    """Largest-remainder rounding: tenths that add up to exactly 100.0 (or all 0 when nothing contributes)."""
    got = percent_weights(contribs)
    assert got == expected
    if any(contribs):
        assert math.fsum(got) == 100.0
