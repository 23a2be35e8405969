"""The decision engine's contract: input errors, the reference time, and speed on a busy customer."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent_crm.decisions import decide, get_spec
from agent_crm.errors import InputError, TenantError
from agent_crm.types import Decision, Interaction

TENANT = "acme"
CID = "cust-1"
AS_OF = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


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


def test_unknown_type_lists_the_valid_types() -> None:
    """An unknown decision type raises InputError naming every valid type."""
    with pytest.raises(InputError, match="credit_recommendation") as err:
        get_spec("credit_score")
    assert "next_best_action" in str(err.value)
    with pytest.raises(InputError):
        run("credit_score", [])


def test_records_of_another_tenant_or_customer_are_refused() -> None:
    """A record of another tenant is a TenantError; of another customer an InputError."""
    other_tenant = Interaction(id="x", tenant="globex", customer_id=CID, channel="note", timestamp=AS_OF)
    other_customer = Interaction(id="y", tenant=TENANT, customer_id="cust-2", channel="note", timestamp=AS_OF)
    with pytest.raises(TenantError):
        run("churn_risk", [other_tenant])
    with pytest.raises(InputError, match="cust-2"):
        run("churn_risk", [other_customer])


def test_bad_language_option_and_missing_as_of_are_input_errors() -> None:
    """Unknown language or option, and no records without as_of, are InputErrors."""
    with pytest.raises(InputError, match="language"):
        run("churn_risk", [], language="fr")
    with pytest.raises(InputError, match="bogus"):
        run("churn_risk", [], options={"bogus": 1})
    with pytest.raises(InputError, match="as_of"):
        decide("churn_risk", [], tenant=TENANT, customer_id=CID)


def test_as_of_defaults_to_the_newest_record_and_later_records_are_ignored() -> None:
    """Without as_of the newest record is the reference; with as_of, records after it do not count."""
    records = [
        rec("a", 10, "call", "回访", direction="outbound"),
        rec("b", -5, "call", "未来的记录", direction="outbound"),
    ]
    d = decide("churn_risk", records, tenant=TENANT, customer_id=CID)
    assert d.details["as_of"] == (AS_OF + timedelta(days=5)).isoformat()
    d2 = run("churn_risk", records)
    assert factor(d2, "recency").value == 10.0 and d2.details["records_considered"] == 1


def fifty_records() -> list[Interaction]:
    """A busy customer with 50 mixed records (texts in both languages, tickets, orders, POS and payments)."""
    texts = [
        "客户来电询问订单发货情况，表示物流比较慢，希望尽快处理。",
        "张主任反馈价格偏高，竞品报价低 15%，科室在等带量采购结果。",
        "We are not satisfied with the delivery delays; budget is approved for Q3.",
        "回访：客户对培训很满意，计划下个月扩大采购，预算已批 50 万。",
        "Ticket: device error after upgrade, surgery tomorrow, urgent!",
        "客户投诉售后响应太慢，非常不满意，要求退货退款。",
    ]
    channels = ["email", "call", "meeting", "ticket", "chat", "note", "order", "quote"]
    out = []
    for i in range(50):
        ch = channels[i % len(channels)]
        fields: dict[str, Any] = {}
        if ch == "ticket":
            fields = {"ticket_id": f"T{i % 3}", "status": "open" if i % 2 else "closed"}
        if ch == "quote":
            fields = {"quote_status": "rejected" if i % 16 == 7 else "sent"}
        if i % 10 == 0:
            fields["pos_monthly_flow"] = 180_000 + 100 * i
        if i % 7 == 0:
            fields["paid_on_time"] = i % 14 != 0
        out.append(
            rec(
                f"r{i}",
                i * 3.7,
                ch,
                texts[i % len(texts)],
                fields=fields,
                direction="internal" if ch in ("note", "order") else ("inbound", "outbound")[i % 2],
                amount=20_000.0 + i if ch in ("order", "quote") else None,
                contact_name="张主任" if i % 5 == 0 else None,
            )
        )
    return out


@pytest.mark.parametrize(
    "dtype", ["next_best_action", "lead_score", "churn_risk", "ticket_routing", "credit_recommendation"]
)
def test_decide_on_fifty_records_takes_well_under_two_milliseconds(dtype: str) -> None:
    """decide() on ~50 records: the best batch median is under 2 ms (it sits on a 40 ms request budget)."""
    records = fifty_records()
    for _ in range(5):
        run(dtype, records, language="zh")
    medians = []
    for _ in range(5):
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            run(dtype, records, language="zh")
            times.append(time.perf_counter() - t0)
        medians.append(statistics.median(times))
    assert min(medians) < 0.002, f"median {min(medians) * 1e3:.2f} ms"


def test_decision_json_is_identical_across_processes_with_different_hash_seeds() -> None:
    """Set and dict order never leak into a Decision: processes with other hash seeds agree byte for byte."""
    code = (
        "import sys, hashlib; sys.path[:0] = ['tests', '.'];"
        "import test_decisions_engine as e;"
        "from agent_crm.decisions import DECISION_TYPES;"
        "print(hashlib.sha256(''.join(e.run(t, e.fifty_records(), language=l).model_dump_json()"
        " for t in DECISION_TYPES for l in ('zh', 'en')).encode()).hexdigest())"
    )
    digests = set()
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
        )
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.strip())
    assert len(digests) == 1
