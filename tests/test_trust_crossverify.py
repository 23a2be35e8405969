"""cross_verify: an amount in a request or a model output needs two independent records, else it is flagged."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from agent_crm import CRM
from agent_crm.config import build_settings
from agent_crm.policy.crossverify import check_amounts, extract_amounts
from agent_crm.types import Interaction
from tests.support.model_server import Reply, ScriptedModelServer, write_models_file

TS = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def rec(rid: str, channel: str, text: str = "", amount: float | None = None, **kw: object) -> Interaction:
    """Build a record of customer c1."""
    return Interaction.model_validate({"id": rid, "tenant": "t", "customer_id": "c1", "channel": channel,
                                       "timestamp": TS, "text": text, "amount": amount, "content_hash": rid} | kw)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("报价126万元，首付30%", [1_260_000.0]),
        ("合同额¥1,260,000.50，共12个月", [1_260_000.5]),
        ("budget of $5k or USD 1.2 million", [5_000.0, 1_200_000.0]),
        ("申请300万贷款，月手术量约420台，2万次调用", [3_000_000.0]),
        ("POS流水186000元；订单SO-2024-0012；电话<PHONE#123456>", [186_000.0]),
        ("about 2.5 million yuan and 40000 CNY", [2_500_000.0, 40_000.0]),
    ],
)
def test_amounts_are_found_in_many_writings(text: str, values: list[float]) -> None:
    """Amounts with a currency or a 万/亿 magnitude are read; counts, ids, percentages and dates are not."""
    assert [a.value for a in extract_amounts(text)] == values


def test_two_independent_records_verify_an_amount() -> None:
    """126万 backed by a quote and an e-mail passes; 5.2万 with one record and an invented 987万 do not."""
    records = [
        rec("q1", "quote", "报价单总价126万元", 1_260_000.0),
        rec("e1", "email", "确认合同金额1,260,000元"),
        rec("e2", "email", "确认合同金额1,260,000元", content_hash="e1"),  # a copy of e1 is not a second source
        rec("o1", "order", "试用装订单", 52_000.0),
    ]
    checks = check_amounts({"answer": "按126万元推进，试用5.2万元，返点987万元"}, records)
    by_text = {c.text: c for c in checks}
    assert by_text["126万元"].verified and by_text["126万元"].records == ("e1", "q1")
    assert by_text["126万元"].channels == ("email", "quote")
    assert not by_text["5.2万元"].verified and by_text["5.2万元"].records == ("o1",)
    assert not by_text["987万元"].verified and by_text["987万元"].records == ()
    only_copies = check_amounts({"answer": "1,260,000元"}, records[1:3])
    assert not only_copies[0].verified


def test_engine_numbers_pass_for_outputs_not_for_requests() -> None:
    """A limit the decision engine computed may be restated by the model; the user's own amount may not."""
    records = [rec("n1", "note", "申请300万元贷款", fields={"requested_amount": 3_000_000})]
    computed = {"details": {"limit": 1_800_000, "requested_amount": 3_000_000}}
    out = check_amounts({"answer": "建议额度180万元"}, records, computed=computed)
    assert out[0].verified and out[0].basis == "decision"
    req = check_amounts({"request": "申请300万贷款"}, records, fields=("requested_amount",))
    assert not req[0].verified and req[0].records == ("n1",)


@pytest.fixture()
def crm(tmp_path: Path, model_server: ScriptedModelServer) -> CRM:
    """A tenant with ``amount: cross_verify`` whose compose model is the scripted server."""
    models = write_models_file(tmp_path / "models.yaml", [model_server.entry("remote", "writer")], default="remote")
    home = tmp_path / "home"
    (home / "tenants" / "xv").mkdir(parents=True)
    (home / "tenants" / "xv" / "policy.yaml").write_text(yaml.safe_dump({"fields": {"amount": "cross_verify"}}))
    src = tmp_path / "src"
    src.mkdir()
    rows = [
        {"id": "q1", "customer_id": "c1", "channel": "quote", "timestamp": "2026-03-01T09:00:00+08:00",
         "text": "骨科耗材报价单总价126万元，待张主任确认。", "amount": 1260000, "currency": "CNY"},
        {"id": "e1", "customer_id": "c1", "channel": "email", "timestamp": "2026-03-03T09:00:00+08:00",
         "text": "客户邮件确认合同金额1,260,000元，下周签约。"},
        {"id": "o1", "customer_id": "c1", "channel": "order", "timestamp": "2026-02-01T09:00:00+08:00",
         "text": "试用装订单。", "amount": 52000, "currency": "CNY"},
    ]
    (src / "customers.jsonl").write_text(json.dumps({"customer_id": "c1", "name": "华东医院"}, ensure_ascii=False))
    (src / "interactions.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    crm = CRM("xv", settings=build_settings(home=home, models_file=models))
    crm.ingest(src)
    return crm


def test_invented_amount_is_flagged_and_audited(crm: CRM, model_server: ScriptedModelServer) -> None:
    """A model answer inventing 987万 gets ``unverified_amount``; the audit record says which amount."""
    model_server.script("writer", Reply.of_json({"answer": "建议按126万元推进，另给予987万元返点 [q1]。", "scripts": []}))
    d = crm.decide(customer="c1", type="next_best_action", language="zh")
    assert "unverified_amount" in d.flags
    report = d.details["cross_verify"]
    assert [u["text"] for u in report["unverified"]] == ["987万元"]
    data = crm.audit_record(d.audit_id or "").payload["data"]
    assert "unverified_amount" in data["flags"]
    assert data["decision"]["details"]["cross_verify"]["unverified"][0]["value"] == 9_870_000.0


def test_amount_backed_by_two_records_passes(crm: CRM, model_server: ScriptedModelServer) -> None:
    """The same answer without the invented amount passes: 126万 is in the quote and the e-mail."""
    model_server.script("writer", Reply.of_json({"answer": "建议按126万元推进 [q1][e1]。", "scripts": []}))
    d = crm.decide(customer="c1", type="next_best_action", language="zh")
    assert "unverified_amount" not in d.flags
    assert d.details["cross_verify"]["checked"] >= 1 and d.details["cross_verify"]["unverified"] == []
