"""Model backend failures through the API: a failing backend is 502, a slow one 504, never a stack trace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent_crm.service import CRM
from tests.support.mini_tenant import CUSTOMERS, records
from tests.support.model_server import Reply, ScriptedModelServer, write_models_file
from tests.test_api_harness import TENANT, ApiServer, auth, new_key, settings_for

QUESTION = "张主任上周拒签了骨科耗材报价单，下一步怎么跟进？"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home of its own (its models file differs from the other modules')."""
    return tmp_path_factory.mktemp("backend-home")


@pytest.fixture(scope="module")
def key(home: Path) -> str:
    """An admin key of the tenant."""
    return new_key(home, "admin")


@pytest.fixture(scope="module")
def server(home: Path, model_server_session: ScriptedModelServer) -> Iterator[ApiServer]:
    """A server whose models file has the local alias plus 'broken' (HTTP 500) and 'slow' (times out)."""
    models = write_models_file(
        home / "models.yaml",
        [
            {"model_name": "local", "litellm_params": {"model": "local/crm-reasoner"}},
            model_server_session.entry("broken", "broken"),
            model_server_session.entry("slow", "slow", timeout=0.5),
        ],
        default="local",
    )
    settings = settings_for(home, models_file=models)
    hz = [dict(r) for r in records() if r["customer_id"] == "hz-first"][-4:]
    directory = {
        "customer_id": "hz-first",
        "name": CUSTOMERS[0]["name"],
        "contacts": CUSTOMERS[0]["contacts"],
    }
    (home / "customers.jsonl").write_text(json.dumps(directory, ensure_ascii=False) + "\n", "utf-8")
    crm = CRM(TENANT, settings=settings)
    crm.ingest(home / "customers.jsonl")
    crm.ingest(hz)
    srv = ApiServer(settings).start()
    yield srv
    srv.stop()


def _script(model_server: ScriptedModelServer) -> None:
    model_server.set_default("broken", Reply.of_error(500, "upstream exploded"))
    model_server.set_default("slow", Reply.after(3.0, "too late"))


def test_failing_backend_is_502_with_a_reason(
    server: ApiServer, key: str, model_server_session: ScriptedModelServer
) -> None:
    """A backend answering HTTP 500 (no fallback) makes chat a 502 naming the alias, with no trace."""
    _script(model_server_session)
    r = httpx.post(
        f"{server.url}/v1/chat/completions",
        headers=auth(key),
        json={"model": "broken", "messages": [{"role": "user", "content": QUESTION}]},
        timeout=60,
    )
    assert r.status_code == 502, r.text
    err = r.json()["error"]
    assert err["code"] == "backend_error" and "broken" in err["message"]
    assert "Traceback" not in r.text and "sk-test" not in r.text
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_slow_backend_is_504(server: ApiServer, key: str, model_server_session: ScriptedModelServer) -> None:
    """A backend slower than its alias timeout makes a decision request a 504 backend_timeout."""
    _script(model_server_session)
    r = httpx.post(
        f"{server.url}/v1/tenants/{TENANT}/decisions",
        headers=auth(key),
        json={"customer": "hz-first", "type": "next_best_action", "model": "slow"},
        timeout=60,
    )
    assert r.status_code == 504, r.text
    assert r.json()["error"]["code"] == "backend_timeout"


def test_default_alias_still_answers_after_failures(server: ApiServer, key: str) -> None:
    """After backend failures the same server answers with the local default alias (200)."""
    r = httpx.post(
        f"{server.url}/v1/chat/completions",
        headers=auth(key),
        json={"model": "agent-crm", "messages": [{"role": "user", "content": QUESTION}]},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    assert r.json()["agent_crm"]["customer_id"] == "hz-first"
