"""Decisions through LiteLLM's real HTTP path: hot swap and fallbacks, with the audit naming who answered."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent_crm import CRM
from agent_crm.config import build_settings
from tests.support.mini_tenant import CUSTOMERS, records
from tests.support.model_server import Reply, ScriptedModelServer, write_models_file

LOCAL = {"model_name": "local", "litellm_params": {"model": "local/crm-reasoner"}, "model_info": {"region": "local"}}
QUESTION = "张主任上周拒签了骨科耗材报价单，下一步怎么跟进？"
UNDERSTOOD = {"intent": "decide", "decision_type": "next_best_action", "customer_id": "hz-first", "candidates": [],
              "language": "zh", "clarification": None, "matched": "张主任"}
COMPOSED = {"answer": "建议本周内携集采目录对照表拜访张主任。", "scripts": [
    {"strategy": "value", "title": "价值", "text": "用集采价格对照说明价值。", "factors": [], "citations": []}]}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home with the mini tenant ingested (embedded Chroma, SQLite)."""
    home = tmp_path_factory.mktemp("home")
    crm = CRM("mini", settings=build_settings(home=home))
    assert crm.ingest(records()).records_ok == len(records())
    crm._deps().records.upsert_customers(_entries())
    return home


def _entries() -> list[Any]:
    from agent_crm.kb.directory import Contact, CustomerEntry

    return [CustomerEntry(customer_id=c["customer_id"], name=c["name"], aliases=tuple(c["aliases"]),
                          contacts=tuple(Contact(name=x["name"], title=x.get("title")) for x in c["contacts"]))
            for c in CUSTOMERS]


@pytest.fixture()
def crm_with(home: Path, tmp_path: Path, model_server: ScriptedModelServer) -> Callable[..., CRM]:
    """Build a CRM whose models file has ``local`` plus a ``remote`` alias at the scripted server."""

    def make(*, timeout: float = 2.0, default: str = "local") -> CRM:
        remote = model_server.entry("remote", timeout=timeout, fallbacks=["local"], version="2025-01")
        path = write_models_file(tmp_path / "models.yaml", [LOCAL, remote], default=default)
        return CRM("mini", settings=build_settings(home=home, models_file=path), actor="tester")

    return make


def _calls(crm: CRM, audit_id: str | None) -> list[dict[str, Any]]:
    rec = crm._deps().ledger.get(audit_id or "")
    return list(rec.payload["data"]["model_calls"])


def test_hot_swap_between_remote_and_local_without_restart(crm_with: Callable[..., CRM],
                                                          model_server: ScriptedModelServer) -> None:
    """models.use() switches the backend on the next request; the audit names the model that answered."""
    crm = crm_with()
    model_server.script("scripted", Reply.of_json(UNDERSTOOD), Reply.of_json(COMPOSED))
    crm.models.use("remote")
    d = crm.ask(QUESTION)
    assert d.model == "remote -> openai/scripted"
    assert d.answer.startswith("建议本周内")
    assert [c["alias"] for c in _calls(crm, d.audit_id)] == ["remote", "remote"]
    assert len(model_server.requests_for("scripted")) == 2
    crm.models.use("local")
    d2 = crm.ask(QUESTION)
    assert d2.model == "local -> local/crm-reasoner"
    assert len(model_server.requests_for("scripted")) == 2, "the local backend must not call the server"
    assert d2.customer_id == "hz-first" and d2.label == d.label


def test_editing_the_models_file_switches_the_default(crm_with: Callable[..., CRM], tmp_path: Path,
                                                      model_server: ScriptedModelServer) -> None:
    """Rewriting the models file's default alias takes effect on the next request of the same process."""
    import os
    import time

    crm = crm_with(default="local")
    assert crm.ask(QUESTION).model.startswith("local")
    path = tmp_path / "models.yaml"
    doc = path.read_text(encoding="utf-8").replace("default: local", "default: remote")
    time.sleep(0.25)
    path.write_text(doc, encoding="utf-8")
    os.utime(path, None)
    time.sleep(0.25)
    model_server.script("scripted", Reply.of_json(UNDERSTOOD), Reply.of_json(COMPOSED))
    assert crm.ask(QUESTION).model == "remote -> openai/scripted"


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (Reply.of_error(500, "upstream exploded"), "server_error"),
        (Reply.after(3.0, json.dumps(UNDERSTOOD)), "timeout"),
        (Reply.of_text("this is not json at all"), "invalid_output"),
    ],
    ids=["http-500", "timeout", "invalid-json"],
)
def test_fallback_still_delivers_the_decision(crm_with: Callable[..., CRM], model_server: ScriptedModelServer,
                                              reply: Reply, kind: str) -> None:
    """A failing remote model falls back to local: the decision arrives and the audit says who answered."""
    crm = crm_with(timeout=1.0)
    model_server.set_default("scripted", reply)
    crm.models.use("remote")
    d = crm.ask(QUESTION)
    assert d.customer_id == "hz-first" and d.factors and d.answer
    assert d.model == "local -> local/crm-reasoner"
    calls = _calls(crm, d.audit_id)
    assert {c["alias"] for c in calls} == {"local"}
    first = calls[0]["attempts"][0]
    assert first["alias"] == "remote" and not first["ok"]
    assert first["error_kind"] == kind
