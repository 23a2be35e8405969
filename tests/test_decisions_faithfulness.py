"""Faithful attribution holds for the newer signals: settlement flow, renewals per course, moving away,
our own errors, incidents, chat transcripts and directory contacts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_crm.decisions import DECISION_TYPES, decide
from agent_crm.types import Decision, Interaction

TENANT = "acme"
CID = "cust-1"
AS_OF = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
CONTACTS = [
    {"name": "张主任", "title": "骨科主任", "role": "decision_maker"},
    {"name": "Emma Schulz", "title": "Customer", "role": "buyer"},
    {"name": "王女士", "title": "妈妈", "role": "parent"},
]


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
    """Decide at the fixed AS_OF with the directory contacts (removing records never moves the time)."""
    return decide(dtype, list(records), tenant=TENANT, customer_id=CID, as_of=AS_OF, **kw)


def components(d: Decision) -> list[set[str]]:
    """Group the factors that have evidence into sets whose evidence overlaps (connected components)."""
    groups: list[tuple[set[str], set[str]]] = []
    for f in d.factors:
        if not f.evidence:
            continue
        names, ids = {f.name}, set(f.evidence)
        rest = []
        for other_names, other_ids in groups:
            if other_ids & ids:
                names |= other_names
                ids |= other_ids
            else:
                rest.append((other_names, other_ids))
        groups = [*rest, (names, ids)]
    return [names for names, _ in groups]


def assert_removal_is_exact(dtype: str, records: Sequence[Interaction], names: set[str], **kw: Any) -> None:
    """Remove every evidence record of ``names``; the logit moves by exactly their summed contribution."""
    before = run(dtype, records, **kw)
    base = {f.name: f.contribution for f in before.factors}
    removed = {rid for f in before.factors if f.name in names for rid in f.evidence}
    after = run(dtype, [r for r in records if r.id not in removed], **kw)
    now = {f.name: f.contribution for f in after.factors}
    expected = math.fsum(base[n] for n in names)
    assert before.details["logit"] - after.details["logit"] == pytest.approx(expected, abs=1e-9)
    for name in base:
        assert now[name] == (0.0 if name in names else pytest.approx(base[name], abs=1e-12)), name


TEXTS = [
    "家里11月搬去上海，申请退课。",
    "We are relocating to Berlin next month.",
    "宋老板投诉贷款被扣了两次，查系统是批扣重复，当天冲正并致歉。",
    "Customer complained about a double debit; we reversed it and apologised.",
    "Emma: two mugs arrived smashed, too expensive to lose.\nPriya: No need to send them back!",
    "王女士：秋季不报了，价格太贵。\n赵琳：好的，寒假班早鸟9折。",
    "Two weeks past your SLA, wrong shipment again. Escalated.",
    "配送晚了3天，影响了择期手术安排。",
    "寒假班早鸟报名开始了，老生续报9折。",
    "星湖医院询价，已出报价，等待回复。",
    "按机构原因（人数不足取消开班）全额退费。",
    "",
]
FIELDS = st.one_of(
    st.just({}),
    st.builds(
        lambda x: {
            "settlement_monthly_flow": [{"month": "2025-05", "flow": x}, {"month": "2025-06", "flow": x + 9}]
        },
        st.integers(1, 300_000),
    ),
    st.builds(
        lambda c, s: {"course": c, "renewal_status": s},
        st.sampled_from(["数学", "Phonics"]),
        st.sampled_from(["renewed", "pending", "declined", "intends"]),
    ),
    st.builds(
        lambda c, r: {"course": c, "refund_reason": r, "status": "approved"},
        st.sampled_from(["数学", "Phonics"]),
        st.sampled_from(["relocation", "lost_interest", "class_cancelled"]),
    ),
    st.builds(
        lambda t, s, p, topic: {"ticket_no": t, "status": s, "priority": p, "topic": topic},
        st.sampled_from(["TK-1", "TK-2"]),
        st.sampled_from(["open", "escalated", "resolved", "approved", "pending_replacement"]),
        st.sampled_from(["high", "normal"]),
        st.sampled_from(["where", "wrong_item", "refund", "quality", "payment"]),
    ),
    st.builds(lambda s: {"quote_status": s}, st.sampled_from(["pending", "rejected", "accepted"])),
    st.builds(lambda r: {"rating": r}, st.integers(1, 5)),
    st.builds(
        lambda ok, d: {"paid_on_time": ok, "days_late": 0 if ok else d}, st.booleans(), st.integers(1, 60)
    ),
    st.builds(lambda a: {"requested_amount": a}, st.integers(10_000, 900_000)),
    st.builds(lambda a, s: {"attendance_rate": a, "satisfaction": s}, st.floats(0, 1), st.integers(1, 5)),
)


@st.composite
def customers(draw: st.DrawFn) -> list[Interaction]:
    """A random customer mixing the newer signals across channels, directions and contacts."""
    out = []
    for i in range(draw(st.integers(0, 14))):
        amount = draw(st.one_of(st.none(), st.sampled_from([2980.0, 118.0, 250_000.0])))
        out.append(
            rec(
                f"r{i:02d}",
                draw(st.floats(0, 420, allow_nan=False)),
                draw(
                    st.sampled_from(["ticket", "chat", "email", "call", "note", "payment", "order", "quote"])
                ),
                draw(st.sampled_from(TEXTS)),
                direction=draw(st.sampled_from([None, "inbound", "outbound", "internal"])),
                fields={k: v for part in draw(st.lists(FIELDS, max_size=2)) for k, v in part.items()},
                amount=amount,
                contact_name=draw(st.sampled_from([None, "张主任", "Emma Schulz", "王女士"])),
                product=draw(st.sampled_from([None, "数学班"])),
            )
        )
    return out


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(customers(), st.sampled_from(DECISION_TYPES), st.booleans())
def test_removing_each_evidence_component_is_exact_for_the_newer_signals(
    records: list[Interaction], dtype: str, with_contacts: bool
) -> None:
    """Each group of factors with overlapping evidence leaves with exactly its contributions."""
    kw: dict[str, Any] = {"options": {"contacts": CONTACTS}} if with_contacts else {}
    d = run(dtype, records, **kw)
    for names in components(d):
        assert_removal_is_exact(dtype, records, names, **kw)


@PROPERTY
@given(customers(), st.sampled_from(DECISION_TYPES))
def test_weights_sum_to_100_and_action_scores_add_up(records: list[Interaction], dtype: str) -> None:
    """Weights sum to 100 (or all 0); evidence cites input records; action scores are base + points."""
    d = run(dtype, records, options={"contacts": CONTACTS})
    if "no_attribution" not in d.flags:
        assert math.fsum(f.weight for f in d.factors) == pytest.approx(100.0, abs=1e-9)
    ids = {r.id for r in records}
    assert all(set(f.evidence) <= ids for f in d.factors)
    for action in d.details.get("actions", []):
        total = action["base"] + math.fsum(r["points"] for r in action["reasons"])
        assert action["score"] == pytest.approx(min(total, 0.95), abs=1e-4)
        assert all(set(r["evidence"]) <= ids for r in action["reasons"])


def family() -> list[Interaction]:
    """A course family: a payment, a renewal, the parent's message, and a note that they moved away."""
    return [
        rec("pay-1", 40, "payment", "秋季数学班缴费", amount=4480.0, fields={"course": "数学"}),
        rec("ren-1", 30, "note", "", fields={"course": "数学", "renewal_status": "renewed"}),
        rec("msg-1", 20, "chat", "王女士：需要寒假班的资料。", direction="inbound", contact_name="王女士"),
        rec("mov-1", 5, "note", "家里搬去外地了，孩子不再上课。", direction="internal"),
    ]


@pytest.mark.parametrize(
    ("dtype", "factor"),
    [
        ("lead_score", "relocation"),
        ("next_best_action", "renewal_signals"),
        ("churn_risk", "renewal_signals"),
    ],
)
def test_removing_a_newer_factors_disjoint_evidence_moves_logit_by_its_contribution(
    dtype: str, factor: str
) -> None:
    """Moving away and renewal status have their own records: removing them removes exactly their share."""
    d = run(dtype, family())
    f = next(x for x in d.factors if x.name == factor)
    assert f.evidence and f.contribution != 0.0
    others = {rid for x in d.factors if x.name != factor for rid in x.evidence}
    assert not set(f.evidence) & others
    assert_removal_is_exact(dtype, family(), {factor})
