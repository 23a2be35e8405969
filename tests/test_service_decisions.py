"""Service-level tests: the assistant graph end to end on a real tenant (Chroma on disk, SQLite ledger, local model)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agent_crm import CRM
from agent_crm.config import build_settings
from tests.support.mini_tenant import CUSTOMERS, records

TENANT = "mini"
DOC = """# 浙江省医用耗材集中带量采购规则摘要
date: 2026-03-01
骨科耗材纳入省级集采目录，医院须按中选价格采购，非目录产品需走阳光采购平台挂网议价。
两票制要求生产企业到流通企业开一次发票，流通企业到医疗机构开一次发票。
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home with the mini tenant ingested once for the module."""
    home = tmp_path_factory.mktemp("home")
    src = tmp_path_factory.mktemp("src")
    (src / "customers.jsonl").write_text(
        "\n".join(json.dumps(c, ensure_ascii=False) for c in CUSTOMERS) + "\n", encoding="utf-8")
    (src / "interactions.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records()) + "\n", encoding="utf-8")
    (src / "procurement-rules.md").write_text(DOC, encoding="utf-8")
    crm = CRM(TENANT, settings=build_settings(home=home))
    report = crm.ingest(src)
    assert report.quarantined == 0 and report.records_ok == len(records()) + 1
    return home


@pytest.fixture()
def crm(home: Path) -> CRM:
    """A CRM object on the shared home."""
    return CRM(TENANT, settings=build_settings(home=home), actor="tester")


def test_ask_resolves_contact_and_grounds_the_decision(crm: CRM) -> None:
    """张主任 resolves to his hospital; the decision has 3 scripts, weights summing to 100, real citations."""
    d = crm.ask("张主任上周拒签了骨科耗材报价单，下一步怎么跟进？")
    assert d.customer_id == "hz-first"
    assert d.type == "next_best_action"
    assert d.language == "zh"
    assert len(d.scripts) == 3 and len({s.strategy for s in d.scripts}) == 3
    assert sum(f.weight for f in d.factors) == pytest.approx(100.0, abs=0.05)
    assert d.citations, "a grounded answer cites records"
    deps = crm._deps()
    for c in d.citations:
        rec = deps.records.get(c.record_id)
        assert rec is not None, f"cited record {c.record_id} must exist in the tenant"
        assert rec.customer_id in ("hz-first", "_kb")
        assert c.content_hash == rec.content_hash
    assert d.audit_id is not None
    audit = deps.ledger.get(d.audit_id)
    data = audit.payload.get("data", audit.payload)
    nodes = [p["node"] for p in data["graph_path"]]
    assert nodes[:5] == ["understand", "retrieve", "features", "decide", "compose"]
    assert all(len(p["sha256"]) == 64 for p in data["prompts"])
    assert {a["name"] for a in data["attributions"]} == {f.name for f in d.factors}


def test_no_raw_pii_in_answer_or_audit(crm: CRM) -> None:
    """The phone number in the rejected quote never reaches the answer, the scripts or the ledger file."""
    d = crm.ask("张主任的报价为什么被拒？")
    text = d.answer + " ".join(s.text for s in d.scripts) + " ".join(c.snippet for c in d.citations)
    assert "13812345678" not in text
    ledger_file = crm.settings.home / "tenants" / TENANT / "audit.sqlite"
    blob = b"".join(p.read_bytes() for p in ledger_file.parent.glob("audit.sqlite*"))
    assert b"13812345678" not in blob


def test_ambiguous_contact_asks_then_continues_in_thread(crm: CRM) -> None:
    """Two 李主任 → a clarifying question naming both; the answer in the same thread resolves the customer."""
    d = crm.ask("李主任那边下一步怎么跟进？", thread_id="t-ambiguous")
    assert d.type == "clarification"
    assert set(d.details["candidates"]) == {"sz-second", "nj-drum"}
    assert "李主任" in d.answer
    d2 = crm.ask("南京鼓楼医院的李主任", thread_id="t-ambiguous")
    assert d2.customer_id == "nj-drum"


def test_unknown_customer_gets_a_clarifying_question(crm: CRM) -> None:
    """A question naming no known customer is answered with a question, not a guess."""
    d = crm.ask("那家医院的下一步怎么办？")
    assert d.type == "clarification" and d.customer_id is None
    assert d.audit_id is not None


def test_credit_decision_for_stable_cash_flow(crm: CRM) -> None:
    """林记超市: stable POS flow and on-time repayments → approval with cash-flow/repayment factors on top."""
    d = crm.decide(customer="rb-lin", type="credit_recommendation", language="zh")
    assert d.label in ("approve", "approve_with_conditions")
    top = {f.name for f in d.factors[:3]}
    assert top & {"cash_flow_stability", "repayment_history", "avg_monthly_flow"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in d.factors[0].rationale)
    for f in d.factors:
        for rid in f.evidence:
            assert crm._deps().records.get(rid).customer_id == "rb-lin"  # type: ignore[union-attr]


def test_volatile_customer_scores_lower(crm: CRM) -> None:
    """A volatile, late-paying customer gets a lower credit score than a stable one."""
    good = crm.decide(customer="rb-lin", type="credit_recommendation")
    bad = crm.decide(customer="rb-wave", type="credit_recommendation")
    assert bad.score < good.score
    assert bad.label in ("refer", "decline", "approve_with_conditions")


def test_high_risk_credit_waits_for_human_approval(crm: CRM) -> None:
    """A 300万 application pauses for approval; resuming records the approval linked to the decision."""
    d = crm.ask("宏达农资申请300万贷款，给个授信建议", thread_id="t-approval")
    assert "pending_approval" in d.flags and d.audit_id is None
    done = crm.approve("t-approval", approved=False, actor="risk-officer", reason="集团担保不足", label="refer")
    assert done.audit_id is not None and done.label == "refer"
    linked = crm._deps().ledger.children(done.audit_id)
    assert [r.kind for r in linked] == ["approval"] and linked[0].actor == "risk-officer"


def test_correction_is_linked_to_the_decision(crm: CRM) -> None:
    """A human correction is appended as its own record pointing at the decision."""
    d = crm.decide(customer="hz-first", type="churn_risk")
    corr = crm.correct(d.audit_id or "", actor="lead@acme", reason="account renewed yesterday", label="low")
    assert corr.parent_id == d.audit_id and corr.kind == "correction"
    assert crm.verify_audit().ok


def test_conversation_resumes_in_a_second_process(crm: CRM, home: Path) -> None:
    """A thread started here continues in another process (SQLite checkpointer): the customer carries over."""
    first = crm.ask("张主任的骨科报价情况如何？", thread_id="t-xproc")
    assert first.customer_id == "hz-first"
    code = (
        "from agent_crm import CRM; from agent_crm.config import build_settings; import sys;"
        f"d = CRM('{TENANT}', settings=build_settings(home=sys.argv[1])).ask('那他们的流失风险呢？', thread_id='t-xproc');"
        "print(d.customer_id, d.type)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(home)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["hz-first", "churn_risk"]


def test_audit_verify_cli_names_the_tampered_record(crm: CRM, home: Path, tmp_path: Path) -> None:
    """``agent-crm audit verify`` passes on a clean chain and exits 1 naming the edited record."""
    import shutil

    crm.decide(customer="nj-drum", type="churn_risk")
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    cli = [sys.executable, "-m", "agent_crm", "--home", str(copy), "audit", "verify", "--tenant", TENANT]
    ok = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    db = sqlite3.connect(copy / "tenants" / TENANT / "audit.sqlite")
    seq = db.execute("SELECT MIN(seq) FROM ledger WHERE kind='decision'").fetchone()[0]
    db.execute("UPDATE ledger SET payload = replace(payload, 'next_best_action', 'lead_score') WHERE seq=?", (seq,))
    db.commit()
    db.close()
    bad = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert f"seq {seq}" in bad.stdout


def test_audited_features_are_the_scored_features(crm: CRM) -> None:
    """The audit's features carry each factor's exact value and evidence (one computation, no drift)."""
    d = crm.decide(customer="hz-first", type="next_best_action", language="zh")
    data = crm._deps().ledger.get(d.audit_id or "").payload["data"]
    for f in d.factors:
        assert data["features"][f.name] == {"value": f.value, "evidence": list(f.evidence)}
    assert set(d.details.get("signals", {})) <= set(data["features"])
