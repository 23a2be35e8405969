"""API keys, tenant isolation, roles and rate limits, over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agent_crm.access import KeyStore, Permission, Role, allows
from agent_crm.api.app import create_app
from agent_crm.cli.main import app as cli_app
from tests.test_api_harness import OTHER, TENANT, ApiServer, auth, new_key, settings_for, shared_home

TENANT_ROUTES: list[tuple[str, str]] = [
    ("POST", "/v1/tenants/{tenant}/ingest"),
    ("GET", "/v1/tenants/{tenant}/search"),
    ("POST", "/v1/tenants/{tenant}/decisions"),
    ("GET", "/v1/tenants/{tenant}/decisions/{audit_id}"),
    ("POST", "/v1/tenants/{tenant}/decisions/{audit_id}/corrections"),
    ("POST", "/v1/tenants/{tenant}/threads/{thread_id}/approval"),
    ("GET", "/v1/tenants/{tenant}/audit"),
    ("GET", "/v1/tenants/{tenant}/audit/verify"),
    ("GET", "/v1/tenants/{tenant}/audit/{audit_id}"),
    ("GET", "/v1/tenants/{tenant}/export"),
]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared data home."""
    return shared_home(tmp_path_factory)


@pytest.fixture(scope="module")
def server(home: Path) -> Iterator[ApiServer]:
    """This module's API server."""
    srv = ApiServer(settings_for(home)).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def admin_key(home: Path) -> str:
    """An admin key of the mini tenant (every permission)."""
    return new_key(home, "admin")


def _url(server: ApiServer, template: str, tenant: str) -> str:
    path = template.format(tenant=tenant, audit_id="aud_0000000000", thread_id="t-1")
    return f"{server.url}{path}" + ("?q=x" if path.endswith("/search") else "")


def test_route_list_covers_every_tenant_route(tmp_path: Path) -> None:
    """The cross-tenant test list equals the app's /v1/tenants routes (a new route must join the list)."""
    schema = create_app(settings_for(tmp_path)).openapi()
    found = {
        (m.upper(), p) for p, ops in schema["paths"].items() if p.startswith("/v1/tenants/") for m in ops
    }
    assert found == set(TENANT_ROUTES)


@pytest.mark.parametrize("method,template", TENANT_ROUTES)
def test_every_tenant_route_refuses_another_tenant(
    server: ApiServer, admin_key: str, method: str, template: str
) -> None:
    """A 'mini' admin key gets 403 on every route of 'other' (existing) and of a missing tenant."""
    for tenant in (OTHER, "ghost"):
        r = httpx.request(
            method, _url(server, template, tenant), headers=auth(admin_key), json={}, timeout=30
        )
        assert r.status_code == 403, (template, tenant, r.text)
        assert r.json()["error"]["code"] == "cross_tenant"


@pytest.mark.parametrize("method,template", TENANT_ROUTES)
def test_every_tenant_route_needs_a_key(server: ApiServer, method: str, template: str) -> None:
    """Without Authorization every tenant route is a 401 with a Bearer challenge."""
    r = httpx.request(method, _url(server, template, TENANT), timeout=30)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_role_matrix_is_enforced_per_route(server: ApiServer, home: Path) -> None:
    """Agents cannot ingest, correct or read audit; compliance cannot chat or search but can export."""
    agent, compliance = new_key(home, "agent"), new_key(home, "compliance")
    base = f"{server.url}/v1/tenants/{TENANT}"
    denied = [
        (agent, "POST", f"{base}/ingest"),
        (agent, "GET", f"{base}/audit"),
        (agent, "GET", f"{base}/export"),
        (agent, "POST", f"{base}/decisions/aud_x/corrections"),
        (agent, "POST", f"{base}/threads/t/approval"),
        (compliance, "GET", f"{base}/search?q=x"),
        (compliance, "POST", f"{base}/decisions"),
        (compliance, "POST", f"{server.url}/v1/chat/completions"),
        (compliance, "GET", f"{server.url}/v1/models"),
    ]
    for key, method, url in denied:
        r = httpx.request(method, url, headers=auth(key), json={}, timeout=30)
        assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_role", (method, url)
    assert httpx.get(f"{base}/audit/verify", headers=auth(compliance), timeout=30).json()["ok"] is True
    assert httpx.get(f"{base}/export", headers=auth(compliance), timeout=60).status_code == 200
    assert (
        httpx.get(f"{base}/search", params={"q": "骨科"}, headers=auth(agent), timeout=60).status_code == 200
    )


def test_role_matrix_table() -> None:
    """Admin holds every permission; only admin ingests; compliance is read-only."""
    assert all(allows(Role.ADMIN, p) for p in Permission)
    assert [r for r in Role if allows(r, Permission.INGEST)] == [Role.ADMIN]
    assert not any(
        allows(Role.COMPLIANCE, p) for p in (Permission.CHAT, Permission.DECIDE, Permission.CORRECT)
    )


def test_keys_are_stored_hashed(home: Path) -> None:
    """access.sqlite (and its WAL) never holds a key's secret; the store verifies only the exact key."""
    store = KeyStore.for_home(home)
    key_id, plain = store.create(TENANT, "agent", "hash-check")
    secret = plain.split("_", 2)[2]  # acrm_<key id>_<secret>; the secret may contain "_"
    blob = b"".join(p.read_bytes() for p in home.glob("access.sqlite*"))
    assert secret.encode() not in blob and plain.encode() not in blob
    assert key_id.encode() in blob
    info = store.verify(plain)
    assert info is not None and info.tenant == TENANT and info.role is Role.AGENT and info.rate_limit == 600
    assert store.verify(plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None
    store.close()


def test_revoked_key_is_refused_at_once(server: ApiServer, home: Path) -> None:
    """A revoked key is 401 on the next request of the running server."""
    store = KeyStore.for_home(home)
    key_id, plain = store.create(TENANT, "agent", "to-revoke")
    assert httpx.get(f"{server.url}/v1/models", headers=auth(plain), timeout=30).status_code == 200
    store.revoke(key_id)
    store.close()
    assert httpx.get(f"{server.url}/v1/models", headers=auth(plain), timeout=30).status_code == 401


def test_rate_limit_answers_429_with_retry_after(server: ApiServer, home: Path) -> None:
    """A key limited to 3 requests/minute gets 429 + Retry-After on the fourth; other keys are unaffected."""
    slow = new_key(home, "agent", rate_limit=3)
    codes = [
        httpx.get(f"{server.url}/v1/models", headers=auth(slow), timeout=30).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    r = httpx.get(f"{server.url}/v1/models", headers=auth(slow), timeout=30)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["type"] == "rate_limit_error"
    other = new_key(home, "agent")
    assert httpx.get(f"{server.url}/v1/models", headers=auth(other), timeout=30).status_code == 200


def test_key_of_a_tenant_without_data_gets_404(server: ApiServer, home: Path) -> None:
    """A valid key whose tenant has no data directory gets 404 tenant_not_found on chat and tenant routes."""
    ghost = new_key(home, "admin", tenant="ghost-tenant")
    r = httpx.post(
        f"{server.url}/v1/chat/completions",
        headers=auth(ghost),
        timeout=30,
        json={"model": "agent-crm", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "tenant_not_found"
    r = httpx.get(f"{server.url}/v1/tenants/ghost-tenant/audit", headers=auth(ghost), timeout=30)
    assert r.status_code == 404


def test_cli_keys_create_list_revoke(home: Path) -> None:
    """`agent-crm keys create/list/revoke` round-trip: the key is shown once, lists never show secrets."""
    runner = CliRunner()
    out = runner.invoke(
        cli_app,
        [
            "--home",
            str(home),
            "keys",
            "create",
            "--tenant",
            TENANT,
            "--role",
            "analyst",
            "--name",
            "cli",
            "--rate-limit",
            "42",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    made = json.loads(out.output)
    assert made["key"].startswith(f"acrm_{made['key_id']}_") and made["rate_limit"] == 42
    listed = runner.invoke(cli_app, ["--home", str(home), "keys", "list", "--tenant", TENANT, "--json"])
    rows = json.loads(listed.output)
    assert any(r["key_id"] == made["key_id"] and r["role"] == "analyst" for r in rows)
    assert made["key"].split("_", 2)[2] not in listed.output
    revoked = runner.invoke(cli_app, ["--home", str(home), "keys", "revoke", made["key_id"]])
    assert revoked.exit_code == 0
    store = KeyStore.for_home(home)
    assert store.verify(made["key"]) is None
    store.close()
    bad = runner.invoke(
        cli_app, ["--home", str(home), "keys", "create", "--tenant", TENANT, "--role", "root"]
    )
    assert bad.exit_code != 0


def test_serve_refuses_workers_with_embedded_chroma(home: Path) -> None:
    """`agent-crm serve --workers 2` exits 2 with a clear message when Chroma is embedded."""
    out = CliRunner().invoke(cli_app, ["--home", str(home), "serve", "--workers", "2"])
    assert out.exit_code == 2
    assert "AGENT_CRM_CHROMA_MODE=server" in out.output
