"""API harness (a real uvicorn server on 127.0.0.1 over a real tenant) and tests of what all routes share.

The other ``test_api_*`` modules import :class:`ApiServer`, :func:`shared_home` and :func:`new_key` from here;
the mini tenant is ingested once per session into one data home that every module's server serves.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from agent_crm.access import KeyStore
from agent_crm.api.app import create_app
from agent_crm.config import Settings, build_settings
from agent_crm.logs import configure_logging
from agent_crm.service import CRM
from tests.support.mini_tenant import CUSTOMERS, records

TENANT = "mini"
OTHER = "other"
UPLOAD_LIMIT = 64 * 1024
DOC = """# 浙江省医用耗材集中带量采购规则摘要
date: 2026-03-01
骨科耗材纳入省级集采目录，医院须按中选价格采购，非目录产品需走阳光采购平台挂网议价。
"""

_home_lock = threading.Lock()
_home: dict[str, Path] = {}


def write_sources(src: Path) -> Path:
    """Write the mini tenant's customers, interactions and one knowledge document into ``src``."""
    src.mkdir(parents=True, exist_ok=True)
    (src / "customers.jsonl").write_text(
        "\n".join(json.dumps(c, ensure_ascii=False) for c in CUSTOMERS) + "\n", encoding="utf-8"
    )
    (src / "interactions.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records()) + "\n", encoding="utf-8"
    )
    (src / "procurement-rules.md").write_text(DOC, encoding="utf-8")
    return src


def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's data home with the mini tenant (and a second tenant ``other``) ingested once."""
    with _home_lock:
        if "home" not in _home:
            home = tmp_path_factory.mktemp("api-home")
            src = write_sources(tmp_path_factory.mktemp("api-src"))
            report = CRM(TENANT, settings=settings_for(home)).ingest(src)
            assert report.quarantined == 0 and report.records_ok == len(records()) + 1
            CRM(OTHER, settings=settings_for(home)).ingest([dict(records()[0], id="o-1")])
            _home["home"] = home
        return _home["home"]


def settings_for(home: Path, **overrides: Any) -> Settings:
    """Settings of the test servers: the given home, a small upload limit."""
    return build_settings(home=home, max_upload_bytes=UPLOAD_LIMIT, **overrides)


def new_key(home: Path, role: str, tenant: str = TENANT, **kw: Any) -> str:
    """Create an API key in the home's key store and return its plaintext."""
    store = KeyStore.for_home(home)
    try:
        return store.create(tenant, role, f"test-{role}", **kw)[1]
    finally:
        store.close()


class ApiServer:
    """``create_app(settings)`` served by uvicorn in a daemon thread on a free 127.0.0.1 port."""

    def __init__(self, settings: Settings, threads: int | None = None) -> None:
        """Build the app (not started yet)."""
        self.app = create_app(settings, threads=threads)
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiServer:
        """Bind a free port and serve until :meth:`stop`."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("API server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)


def auth(key: str) -> dict[str, str]:
    """The Authorization header of a key."""
    return {"Authorization": f"Bearer {key}"}


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
def client(server: ApiServer) -> Iterator[httpx.Client]:
    """An HTTP client on the server."""
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def test_healthz_needs_no_key_and_carries_a_request_id(client: httpx.Client) -> None:
    """/healthz answers 200 without a key, with a generated X-Request-Id."""
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert len(r.headers["x-request-id"]) == 32


def test_readyz_checks_settings_models_and_home(client: httpx.Client) -> None:
    """/readyz reports each check and is ready on a writable home with the packaged models file."""
    r = client.get("/readyz")
    body = r.json()
    assert r.status_code == 200, body
    assert body["status"] == "ready"
    assert body["checks"]["settings"] == "ok" and body["checks"]["home"] == "ok"
    assert body["checks"]["models"]["ok"] and body["checks"]["models"]["aliases"] >= 1


def test_readyz_fails_when_the_home_is_not_writable(tmp_path: Path) -> None:
    """A home that is a file (not a directory) makes /readyz answer 503 naming the home check."""
    blocker = tmp_path / "home"
    srv = ApiServer(settings_for(tmp_path / "ok")).start()
    try:
        srv.app.state.settings = settings_for(blocker)
        blocker.write_text("not a directory")
        r = httpx.get(f"{srv.url}/readyz", timeout=30)
        assert r.status_code == 503
        assert r.json()["checks"]["home"].startswith("error")
    finally:
        srv.stop()


def test_request_id_is_echoed_and_every_error_has_the_openai_shape(client: httpx.Client) -> None:
    """A caller's X-Request-Id comes back; an unknown route is a 404 OpenAI error object with the id."""
    r = client.get("/v1/nowhere", headers={"X-Request-Id": "req-123.abc"})
    assert r.status_code == 404
    assert r.headers["x-request-id"] == "req-123.abc"
    err = r.json()["error"]
    assert set(err) >= {"message", "type", "param", "code"}
    bad = client.get("/healthz", headers={"X-Request-Id": "x" * 300})
    assert bad.headers["x-request-id"] != "x" * 300


def test_openapi_docs_list_every_route(client: httpx.Client) -> None:
    """/docs is served and the OpenAPI schema names the chat, model and tenant routes."""
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/v1/chat/completions",
        "/v1/models",
        "/v1/tenants/{tenant}/ingest",
        "/v1/tenants/{tenant}/export",
        "/v1/tenants/{tenant}/threads/{thread_id}/approval",
        "/v1/tenants/{tenant}/audit/verify",
    ):
        assert p in paths


def test_request_log_has_route_template_status_latency_and_no_key(server: ApiServer, home: Path) -> None:
    """Each request logs request id, tenant, route template, status, latency — never the key or raw ids."""
    key = new_key(home, "compliance")
    buf = io.StringIO()
    configure_logging(level="INFO", fmt="json", stream=buf)
    try:
        r = httpx.get(
            f"{server.url}/v1/tenants/{TENANT}/audit/aud_doesnotexist", headers=auth(key), timeout=30
        )
        assert r.status_code == 404
        httpx.get(f"{server.url}/v1/tenants/{OTHER}/audit", headers=auth(key), timeout=30)
    finally:
        configure_logging(level="WARNING")
    lines = [json.loads(x) for x in buf.getvalue().splitlines() if x.startswith("{")]
    req = [e for e in lines if e.get("event") == "http.request"]
    assert req, buf.getvalue()
    first = req[0]
    assert first["route"] == "/v1/tenants/{tenant}/audit/{audit_id}"
    assert first["status"] == 404 and first["tenant"] == TENANT and first["latency_ms"] >= 0
    assert first["request_id"] == r.headers["x-request-id"]
    denied = [e for e in lines if e.get("event") == "access.cross_tenant_denied"]
    assert (
        denied
        and denied[0]["requested_tenant"] == OTHER
        and denied[0]["route"] == "/v1/tenants/{tenant}/audit"
    )
    secret = key.split("_", 2)[2]  # acrm_<key id>_<secret>; the secret itself may contain '_'
    assert key not in buf.getvalue() and secret not in buf.getvalue()
    assert "aud_doesnotexist" not in json.dumps(req)
