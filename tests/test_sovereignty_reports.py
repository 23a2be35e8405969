"""Cross-border log and reports: model-call destinations per customer region, sovereignty and audit reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agent_crm import CRM
from agent_crm.config import build_settings
from agent_crm.sovereignty.crossborder import classify
from agent_crm.sovereignty.report_doc import render_html, render_markdown
from tests.support.mini_tenant import CUSTOMERS, records
from tests.support.model_server import Reply, ScriptedModelServer, write_models_file
from tests.test_sovereignty_fingerprints import run_cli

EXAMPLE = Path(__file__).resolve().parents[1] / "knowledge" / "policies" / "retention.example.yaml"
COMPOSED = {"answer": "建议本周内拜访客户。", "scripts": [
    {"strategy": "value", "title": "价值", "text": "用集采价格对照说明价值。", "factors": [], "citations": []}]}


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory, model_server_session: ScriptedModelServer) -> CRM:
    """Hospital customers (CN regions, consent flags) with decisions by the local model, a CN and a US backend."""
    home = tmp_path_factory.mktemp("home")
    models = write_models_file(home / "models.yaml", [
        {"model_name": "local", "litellm_params": {"model": "local/crm-reasoner"}, "model_info": {"region": "local"}},
        model_server_session.entry("remote-us", "scripted-us", region="us-east"),
        model_server_session.entry("remote-cn", "scripted-cn", region="cn-hangzhou"),
    ], default="local")
    src = tmp_path_factory.mktemp("src")
    (src / "customers.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CUSTOMERS[:3]),
                                         encoding="utf-8")
    rows = [r for r in records() if r["customer_id"] in ("hz-first", "sz-second", "nj-drum")]
    for i, r in enumerate(rows):
        r["fields"] = {**r.get("fields", {}), "consent": ["granted", "withdrawn", "granted"][i % 3]}
    (src / "interactions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                            encoding="utf-8")
    crm = CRM("rep", settings=build_settings(home=home, models_file=models), actor="tester")
    crm.ingest(src)
    (home / "tenants" / "rep" / "retention.yaml").write_bytes(EXAMPLE.read_bytes())
    d = crm.decide(customer="hz-first", type="next_best_action")
    crm.correct(d.audit_id or "", actor="alice", reason="already discounted", label="hold")
    for model in ("scripted-us", "scripted-cn"):
        model_server_session.set_default(model, Reply.of_json(COMPOSED))
    try:
        crm.decide(customer="hz-first", type="next_best_action", model="remote-us")
        crm.decide(customer="nj-drum", type="churn_risk", model="remote-cn")
    finally:
        model_server_session.reset()
    return crm


def test_crossborder_log_classifies_each_model_call(crm: CRM) -> None:
    """Local calls stay in process, the CN backend is domestic for CN customers, the US backend crosses."""
    log = crm.sovereignty.crossborder()
    got = sorted((t.customer_id, t.customer_region, t.destination, t.status) for t in log.transfers)
    assert got == [("hz-first", "CN-ZJ", "local", "in_process"), ("hz-first", "CN-ZJ", "us-east", "cross_border"),
                   ("nj-drum", "CN-JS", "cn-hangzhou", "domestic")]
    assert log.counts() == {"cross_border": 1, "domestic": 1, "in_process": 1}
    assert classify("DE", "eu-west-1", crm.sovereignty.policy()) == "domestic"
    assert classify(None, "us-east") == "unknown"
    result = run_cli(crm.settings.home, "report", "crossborder", "--tenant", "rep",
                                      "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == log.counts()


def test_sovereignty_report_is_one_self_contained_html_file(crm: CRM, tmp_path: Path) -> None:
    """The HTML report embeds its CSS and SVG charts, loads nothing external, and covers every section."""
    out = tmp_path / "sov.html"
    result = run_cli(crm.settings.home, "report", "sovereignty", "--tenant", "rep",
                                      "--out", str(out), "--now", "2026-11-20T00:00:00+00:00")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html and html.count("<svg") >= 3
    assert not re.search(r"""(src|href)\s*=|url\(|@import|<script|<link""", html, re.I)
    for heading in ("Data locations", "Integrity", "Retention", "Cross-border transfers", "Consent and regions"):
        assert f">{heading}</h2>" in html
    assert "records.sqlite" in html and "fingerprints.sqlite" in html and "Chroma (embedded)" in html
    assert "Fingerprint chain: verified" in html and "Audit ledger: verified" in html
    assert "<td>default-delete (delete)</td><td>20</td>" in html, "CN records fall to the default rule"
    assert "withdrawn" in html and "us-east" in html and "cross_border: 1 calls" in html
    md = render_markdown(crm.sovereignty.sovereignty_report())
    assert "| consent | records |" in md and "| store | engine | location | size |" in md


def test_audit_report_lists_each_decision_with_sources_and_corrections(crm: CRM, tmp_path: Path) -> None:
    """Every decision appears with its models, attributions, cited sources and the human correction."""
    doc = crm.sovereignty.audit_report()
    md = render_markdown(doc)
    assert md.count("### next_best_action") == 2 and md.count("### churn_risk") == 1
    assert "remote-us → openai/scripted-us (us-east)" in md
    assert "| factor | weight % | direction | value | contribution | evidence |" in md
    assert "| cited record | source | content hash | record now |" in md and "interactions.jsonl:" in md
    assert "already discounted" in md and "| alice |" in md
    assert "Chain integrity: verified" in md
    html = render_html(doc)
    assert html.count('class="chart"') >= 4 and "<script" not in html
    result = run_cli(crm.settings.home, "report", "audit", "--tenant", "rep",
                                      "--since", "2000-01-01", "--out", str(tmp_path / "audit.html"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "audit.html").read_text(encoding="utf-8").count("<svg") >= 4
