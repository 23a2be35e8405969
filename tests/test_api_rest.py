"""The tenant REST API: ingest uploads, search, decisions, corrections, approvals, audit and export."""

from __future__ import annotations

import asyncio
import json
import random
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from agent_crm.api.uploads import save_multipart
from tests.support.mini_tenant import records
from tests.test_api_harness import TENANT, UPLOAD_LIMIT, ApiServer, auth, new_key, settings_for, shared_home

FRESH = "fresh"


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
def admin(server: ApiServer, home: Path) -> Iterator[httpx.Client]:
    """An HTTP client carrying an admin key of the mini tenant."""
    with httpx.Client(
        base_url=f"{server.url}/v1/tenants/{TENANT}", headers=auth(new_key(home, "admin")), timeout=60
    ) as c:
        yield c


@pytest.fixture(scope="module")
def analyst(server: ApiServer, home: Path) -> Iterator[httpx.Client]:
    """An HTTP client carrying an analyst key of the mini tenant."""
    with httpx.Client(
        base_url=f"{server.url}/v1/tenants/{TENANT}", headers=auth(new_key(home, "analyst")), timeout=60
    ) as c:
        yield c


def test_ingest_upload_reports_and_quarantines_like_the_cli(server: ApiServer, home: Path) -> None:
    """A multipart upload into a new tenant stores valid records, quarantines the bad line, is searchable."""
    key = new_key(home, "admin", tenant=FRESH)
    good = [dict(r, id=f"f-{i}") for i, r in enumerate(records()[:3])]
    lines = [json.dumps(r, ensure_ascii=False) for r in good] + ['{"id": "broken", "customer_id": ']
    files = [
        ("files", ("logs.jsonl", ("\n".join(lines) + "\n").encode(), "application/x-ndjson")),
        ("files", ("notes.md", "# 回访纪要\n张主任希望下周收到集采目录对照表。\n".encode(), "text/markdown")),
    ]
    r = httpx.post(f"{server.url}/v1/tenants/{FRESH}/ingest", files=files, headers=auth(key), timeout=120)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["tenant"] == FRESH and rep["records_ok"] == 4 and rep["documents"] == 1
    assert rep["quarantined"] == 1 and rep["issues"][0]["line"] == 4
    assert rep["files_received"] == ["logs.jsonl", "notes.md"]
    assert all(Path(q).exists() for q in rep["quarantine_files"])
    assert not (home / "tenants" / FRESH / "uploads" / rep["upload_id"]).exists()
    again = httpx.post(f"{server.url}/v1/tenants/{FRESH}/ingest", files=files, headers=auth(key), timeout=120)
    assert again.json()["files_skipped"] == 2 and again.json()["records_ok"] == 0
    hits = httpx.get(
        f"{server.url}/v1/tenants/{FRESH}/search", params={"q": "集采目录"}, headers=auth(key), timeout=60
    ).json()["data"]
    assert hits and all(h["record_id"].startswith(("f-", "doc:")) for h in hits)


def test_ingest_refuses_unknown_file_types_and_empty_uploads(admin: httpx.Client) -> None:
    """A .exe part and a body without files are 422 naming the 'files' field."""
    r = admin.post("/ingest", files=[("files", ("tool.exe", b"MZ\x00", "application/octet-stream"))])
    assert r.status_code == 422 and r.json()["error"]["param"] == "files"
    r = admin.post("/ingest", data={"note": "no file"}, files=[])
    assert r.status_code == 422


def test_oversized_upload_with_content_length_is_413(admin: httpx.Client) -> None:
    """An upload whose Content-Length exceeds max_upload_bytes is 413 before any ingest happens."""
    big = b'{"id": "x"}\n' * (UPLOAD_LIMIT // 8)
    r = admin.post("/ingest", files=[("files", ("big.jsonl", big, "application/x-ndjson"))])
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_oversized_chunked_upload_is_refused_while_streaming(server: ApiServer, home: Path) -> None:
    """Without Content-Length the server answers 413 past the limit, before the body is even complete."""
    key = new_key(home, "admin")
    boundary = "XyZ"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.jsonl"\r\n'
        "Content-Type: application/x-ndjson\r\n\r\n"
    ).encode()
    payload = head + b"a" * (UPLOAD_LIMIT + 1024)
    request = (
        f"POST /v1/tenants/{TENANT}/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {key}\r\nTransfer-Encoding: chunked\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request + f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
        # the final chunk and the closing boundary are never sent: the server must answer without them
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_search_filters_by_customer_and_channel(admin: httpx.Client) -> None:
    """GET search returns cited hits restricted to the customer and channel asked for."""
    hits = admin.get(
        "/search", params={"q": "报价", "customer": "hz-first", "channel": "quote", "k": 5}
    ).json()
    assert hits["object"] == "list" and hits["data"]
    assert all(h["customer_id"] == "hz-first" and h["channel"] == "quote" for h in hits["data"])
    assert all("13812345678" not in h["text"] for h in hits["data"])
    assert admin.get("/search", params={"q": "", "k": 0}).status_code == 422


def test_decide_read_back_and_correct(admin: httpx.Client, analyst: httpx.Client) -> None:
    """POST decisions → Decision; GET it from the ledger; a correction links with the key as its actor."""
    r = admin.post("/decisions", json={"customer": "hz-first", "type": "churn_risk", "language": "zh"})
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["type"] == "churn_risk" and d["customer_id"] == "hz-first" and d["factors"] and d["audit_id"]
    view = analyst.get(f"/decisions/{d['audit_id']}").json()
    assert view["label"] == d["label"] and view["customer_id"] == "hz-first"
    assert {f["name"] for f in view["factors"]} == {f["name"] for f in d["factors"]}
    c = analyst.post(
        f"/decisions/{d['audit_id']}/corrections",
        json={"label": "high", "reason": "客户已发函终止合作", "changes": {"note": "x"}},
    )
    assert c.status_code == 201, c.text
    corr = c.json()
    assert corr["kind"] == "correction" and corr["parent_id"] == d["audit_id"]
    assert corr["actor"].startswith("key:") and "test-analyst" in corr["actor"]
    view = analyst.get(f"/decisions/{d['audit_id']}").json()
    assert [x["kind"] for x in view["linked"]] == ["correction"]
    assert analyst.get("/audit/verify").json()["ok"] is True


def test_decision_errors_are_404_and_422(admin: httpx.Client) -> None:
    """Unknown customer, model alias or audit id are 404; an unknown decision type or extra field is 422."""
    assert admin.post("/decisions", json={"customer": "nobody", "type": "churn_risk"}).status_code == 404
    r = admin.post("/decisions", json={"customer": "hz-first", "type": "churn_risk", "model": "gpt-x"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    assert admin.post("/decisions", json={"customer": "hz-first", "type": "horoscope"}).status_code == 422
    assert (
        admin.post("/decisions", json={"customer": "hz-first", "type": "churn_risk", "x": 1}).status_code
        == 422
    )
    assert admin.post("/decisions", json={"type": "churn_risk"}).json()["error"]["param"] == "customer"
    assert admin.get("/decisions/aud_nope").status_code == 404
    assert admin.get("/audit/aud_nope").status_code == 404
    assert admin.post("/decisions/aud_nope/corrections", json={"reason": "x"}).status_code == 404
    assert admin.post("/decisions/aud_nope/corrections", json={}).status_code == 422


def test_high_risk_decision_is_approved_through_the_thread_route(
    admin: httpx.Client, analyst: httpx.Client
) -> None:
    """A 300万 credit decision waits; the analyst's approval resumes it, recorded with the key as actor."""
    d = admin.post("/decisions", json={"customer": "rb-big", "type": "credit_recommendation"}).json()
    assert "pending_approval" in d["flags"] and d["audit_id"] is None
    thread = d["details"]["thread_id"]
    done = analyst.post(
        f"/threads/{thread}/approval", json={"approved": False, "reason": "担保不足", "label": "refer"}
    )
    assert done.status_code == 200, done.text
    out = done.json()
    assert out["label"] == "refer" and out["audit_id"]
    linked = analyst.get(f"/audit/{out['audit_id']}").json()["linked"]
    assert [x["kind"] for x in linked] == ["approval"] and linked[0]["actor"].startswith("key:")
    again = analyst.post(f"/threads/{thread}/approval", json={"approved": True})
    assert again.status_code == 404


def test_audit_list_filters_by_kind_and_limit(admin: httpx.Client) -> None:
    """GET audit?kind=decision&limit=2 returns at most two decision records in chain order."""
    rows = admin.get("/audit", params={"kind": "decision", "limit": 2}).json()["data"]
    assert 1 <= len(rows) <= 2 and all(r["kind"] == "decision" for r in rows)
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    assert admin.get("/audit", params={"limit": 0}).status_code == 422


def test_export_streams_records_then_audit_records(admin: httpx.Client) -> None:
    """GET export is JSONL: a header line, every record of the tenant, then its audit records."""
    r = admin.get("/export")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert lines[0]["kind"] == "export" and lines[0]["tenant"] == TENANT
    kinds = [x["kind"] for x in lines[1:]]
    assert kinds.count("record") >= len(records()) and "audit" in kinds
    assert kinds.index("audit") > max(i for i, k in enumerate(kinds) if k == "record")
    assert all(x["data"]["tenant"] == TENANT for x in lines[1:])
    assert "13812345678" not in r.text


@pytest.mark.parametrize("seed", range(5))
def test_multipart_parser_survives_any_chunking(tmp_path: Path, seed: int) -> None:
    """Files split at random points (boundary-like bytes inside) are written back byte for byte."""
    rng = random.Random(seed)
    boundary = "----agentcrm" + str(seed)
    contents = {
        "a.jsonl": b"\r\n".join(rng.randbytes(rng.randint(0, 300)) for _ in range(5)) + b"\r\n--" + b"x",
        "customers.csv": ("--" + boundary[:-1] + "\r\n").encode() * 3,
        "notes.md": "# 纪要\r\n\r\n张主任\r\n".encode(),
    }
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
        for name, data in contents.items()
    )
    body = b"preamble\r\n" + body + f"--{boundary}--\r\n".encode()

    async def chunks() -> AsyncIterator[bytes]:
        i = 0
        while i < len(body):
            n = rng.randint(1, 97)
            yield body[i : i + n]
            i += n

    paths = asyncio.run(
        save_multipart(chunks(), f"multipart/form-data; boundary={boundary}", tmp_path / "up", 10**6)
    )
    assert [p.name for p in paths] == list(contents)
    assert {p.name: p.read_bytes() for p in paths} == contents
