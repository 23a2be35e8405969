"""Data residency: an EU tenant's or EU customer's data never reaches a model of another region."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_crm import CRM
from agent_crm.config import build_settings
from agent_crm.errors import PolicyViolation
from tests.support.model_server import Reply, ScriptedModelServer, write_models_file

CUSTOMERS = [
    {"customer_id": "c-eu", "name": "Berlin Klinikum", "region": "EU-DE"},
    {"customer_id": "c-cn", "name": "杭州一院", "region": "CN-ZJ"},
]
COMPOSE = {"answer": "Follow up with the procurement office.", "scripts": []}


def understand(customer: str) -> dict[str, Any]:
    """A valid ``understand`` reply naming ``customer``."""
    return {"intent": "decide", "decision_type": "churn_risk", "customer_id": customer, "candidates": [],
            "language": "en", "clarification": None, "matched": None}


def make_crm(tmp: Path, server: ScriptedModelServer, tenant: str, policy: dict[str, Any], *, eu_fallback: bool) -> CRM:
    """A tenant with two customers, a policy, and models remote-cn (default) -> remote-eu."""
    entries = [server.entry("remote-cn", "cn-model", region="cn", fallbacks=["remote-eu"] if eu_fallback else []),
               server.entry("remote-eu", "eu-model", region="eu")]
    models = write_models_file(tmp / "models.yaml", entries, default="remote-cn")
    home = tmp / "home"
    (home / "tenants" / tenant).mkdir(parents=True)
    (home / "tenants" / tenant / "policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    src = tmp / "src"
    src.mkdir()
    (src / "customers.jsonl").write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in CUSTOMERS))
    rows = [{"id": f"{c['customer_id']}-{i}", "customer_id": c["customer_id"], "channel": "email",
             "timestamp": f"2026-0{i + 1}-02T09:00:00+00:00", "text": f"{c['name']} asked about renewal {i}."}
            for c in CUSTOMERS for i in range(2)]
    (src / "interactions.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    crm = CRM(tenant, settings=build_settings(home=home, models_file=models))
    crm.ingest(src)
    return crm


def test_eu_tenant_is_routed_to_the_eu_fallback(tmp_path: Path, model_server: ScriptedModelServer) -> None:
    """``allowed_regions: [eu]``: the cn default is skipped, every call goes to the eu alias and is recorded."""
    crm = make_crm(tmp_path, model_server, "eu-shop", {"residency": {"allowed_regions": ["eu"]}}, eu_fallback=True)
    model_server.script("eu-model", Reply.of_json(understand("c-eu")), Reply.of_json(COMPOSE),
                        Reply.of_json(COMPOSE))
    asked = crm.ask("How is Berlin Klinikum doing?")
    decided = crm.decide(customer="c-cn", type="churn_risk")
    assert model_server.requests_for("cn-model") == []
    assert len(model_server.requests_for("eu-model")) == 3
    assert asked.customer_id == "c-eu" and decided.answer == COMPOSE["answer"]
    data = crm.audit_record(decided.audit_id or "").payload["data"]
    assert [c["region"] for c in data["model_calls"]] == ["eu"]
    assert data["model_calls"][0]["attempts"][0] == {"alias": "remote-cn", "model": "openai/cn-model", "ok": False,
                                                     "error_kind": "region"}
    assert data["residency"] == {"customer_region": "CN-ZJ", "allowed_regions": ["eu"], "destinations": ["eu"]}


def test_no_allowed_alias_is_refused_with_a_reason(tmp_path: Path, model_server: ScriptedModelServer) -> None:
    """Without an eu alias in the chain the request is refused, audited, and never sent."""
    crm = make_crm(tmp_path, model_server, "eu-only", {"residency": {"allowed_regions": ["eu"]}}, eu_fallback=False)
    with pytest.raises(PolicyViolation) as info:
        crm.decide(customer="c-eu", type="churn_risk")
    assert "may only go to region(s) eu" in str(info.value) and "remote-cn (cn)" in str(info.value)
    assert model_server.requests == []
    refusals = crm._deps().ledger.list(kind="policy_violation")
    assert len(refusals) == 1 and refusals[0].payload["data"]["allowed_regions"] == ["eu"]


def test_customer_region_rule_applies_to_that_customer_only(
    tmp_path: Path, model_server: ScriptedModelServer
) -> None:
    """``by_customer_region: {EU: [eu]}``: EU-DE data goes to eu (also at understand), CN data to the default."""
    crm = make_crm(tmp_path, model_server, "mixed", {"residency": {"by_customer_region": {"EU": ["eu"]}}},
                   eu_fallback=True)
    model_server.set_default("cn-model", Reply.of_json(COMPOSE))
    model_server.script("eu-model", Reply.of_json(COMPOSE), Reply.of_json(understand("c-eu")), Reply.of_json(COMPOSE))
    cn = crm.decide(customer="c-cn", type="churn_risk")
    eu = crm.decide(customer="c-eu", type="churn_risk")
    crm.ask("Any churn risk at Berlin Klinikum?")
    assert len(model_server.requests_for("cn-model")) == 1
    assert len(model_server.requests_for("eu-model")) == 3
    assert all("Berlin Klinikum" not in r.text() for r in model_server.requests_for("cn-model"))
    assert crm.audit_record(cn.audit_id or "").payload["data"]["residency"]["destinations"] == ["cn"]
    eu_audit = crm.audit_record(eu.audit_id or "").payload["data"]["residency"]
    assert eu_audit == {"customer_region": "EU-DE", "allowed_regions": ["eu"], "destinations": ["eu"]}


def test_refuse_mode_does_not_fall_back(tmp_path: Path, model_server: ScriptedModelServer) -> None:
    """``on_violation: refuse`` refuses an EU customer's request whose selected alias is not in the EU."""
    policy = {"residency": {"by_customer_region": {"EU": ["eu"]}, "on_violation": "refuse"}}
    crm = make_crm(tmp_path, model_server, "strict", policy, eu_fallback=True)
    with pytest.raises(PolicyViolation, match="policy says refuse"):
        crm.decide(customer="c-eu", type="churn_risk")
    assert model_server.requests == []
    model_server.script("eu-model", Reply.of_json(COMPOSE))
    assert crm.decide(customer="c-eu", type="churn_risk", model="remote-eu").answer == COMPOSE["answer"]
