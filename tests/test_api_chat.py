"""The OpenAI-compatible chat API, driven by the official ``openai`` client against a real server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from agent_crm.config import build_settings
from agent_crm.service import CRM
from tests.test_api_harness import TENANT, UPLOAD_LIMIT, ApiServer, auth, new_key, settings_for, shared_home

QUESTION = "张主任上周拒签了骨科耗材报价单，下一步怎么跟进？"


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
def agent_key(home: Path) -> str:
    """An agent key of the mini tenant."""
    return new_key(home, "agent")


@pytest.fixture(scope="module")
def client(server: ApiServer, agent_key: str) -> openai.OpenAI:
    """The official OpenAI client pointed at the server."""
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=agent_key, timeout=60, max_retries=0)


def test_non_streaming_answer_carries_the_structured_decision(client: openai.OpenAI, home: Path) -> None:
    """The content is the decision's answer; agent_crm holds factors, citations, scripts, audit id."""
    resp = client.chat.completions.create(model="agent-crm", messages=[{"role": "user", "content": QUESTION}])
    content = resp.choices[0].message.content
    assert content and resp.choices[0].finish_reason == "stop"
    assert resp.object == "chat.completion" and resp.model == "local"
    extra = resp.model_extra or {}
    d = extra["agent_crm"]
    assert d["answer"] == content
    assert d["customer_id"] == "hz-first" and d["type"] == "next_best_action"
    assert d["factors"] and sum(f["weight"] for f in d["factors"]) == pytest.approx(100.0, abs=0.05)
    assert d["citations"] and len(d["scripts"]) == 3
    assert d["model"].startswith("local")
    assert resp.usage is not None and resp.usage.completion_tokens > 0
    rec = CRM(TENANT, settings=build_settings(home=home)).audit_record(d["audit_id"])
    assert rec.kind == "decision" and rec.payload["data"]["customer_id"] == "hz-first"


def test_streaming_deltas_rebuild_the_answer_and_end_with_the_decision(client: openai.OpenAI) -> None:
    """stream=True: role, content deltas, a stop chunk with agent_crm, [DONE]; deltas == the answer."""
    plain = client.chat.completions.create(model="local", messages=[{"role": "user", "content": QUESTION}])
    stream = client.chat.completions.create(
        model="local",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    stops = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(stops) == 1
    decision = (stops[0].model_extra or {})["agent_crm"]
    assert decision["answer"] == text and decision["audit_id"]
    assert decision["audit_id"] != (plain.model_extra or {})["agent_crm"]["audit_id"]
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1


def test_thread_header_keeps_the_customer_across_turns(client: openai.OpenAI) -> None:
    """A follow-up on the same X-Thread-Id ("那他们的流失风险呢？") stays with the first turn's customer."""
    headers = {"X-Thread-Id": "conv-42"}
    first = client.chat.completions.create(
        model="agent-crm", messages=[{"role": "user", "content": QUESTION}], extra_headers=headers
    )
    second = client.chat.completions.create(
        model="agent-crm",
        extra_headers=headers,
        messages=[
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": first.choices[0].message.content or ""},
            {"role": "user", "content": "那他们的流失风险呢？"},
        ],
    )
    d1, d2 = (first.model_extra or {})["agent_crm"], (second.model_extra or {})["agent_crm"]
    assert d1["customer_id"] == d2["customer_id"] == "hz-first"
    assert d2["type"] == "churn_risk"
    assert d2["details"]["thread_id"] == f"{TENANT}:t:conv-42"


def test_user_field_continues_a_thread_and_no_thread_starts_fresh(client: openai.OpenAI) -> None:
    """The `user` field threads turns together; without header or user a follow-up has no customer context."""
    client.chat.completions.create(
        model="agent-crm", user="rep-7", messages=[{"role": "user", "content": QUESTION}]
    )
    follow = client.chat.completions.create(
        model="agent-crm", user="rep-7", messages=[{"role": "user", "content": "那他们的流失风险呢？"}]
    )
    fresh = client.chat.completions.create(
        model="agent-crm", messages=[{"role": "user", "content": "那他们的流失风险呢？"}]
    )
    d_follow, d_fresh = (follow.model_extra or {})["agent_crm"], (fresh.model_extra or {})["agent_crm"]
    assert d_follow["customer_id"] == "hz-first"
    assert d_fresh["customer_id"] != "hz-first"
    assert "rep-7" not in d_follow["details"]["thread_id"]


def test_models_lists_agent_crm_and_the_aliases_of_the_key(
    client: openai.OpenAI, server: ApiServer, home: Path
) -> None:
    """/v1/models lists 'agent-crm' and the aliases; a key restricted to no alias sees only agent-crm."""
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "agent-crm" and "local" in ids
    narrow = new_key(home, "agent", models=["nonexistent"])
    r = httpx.get(f"{server.url}/v1/models", headers=auth(narrow), timeout=30)
    assert [m["id"] for m in r.json()["data"]] == ["agent-crm"]


def test_unknown_model_is_a_404_openai_error(client: openai.OpenAI) -> None:
    """An alias missing from the models file is a 404 model_not_found error object."""
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-nope", messages=[{"role": "user", "content": QUESTION}])
    body = info.value.body
    assert isinstance(body, dict) and body["code"] == "model_not_found" and body["param"] == "model"


def test_missing_or_wrong_key_is_401(server: ApiServer) -> None:
    """No key, a malformed key and a well-formed unknown key are all 401 authentication errors."""
    body = {"model": "agent-crm", "messages": [{"role": "user", "content": QUESTION}]}
    for headers in ({}, auth("sk-not-ours"), auth("acrm_0123456789ab_" + "A" * 43)):
        r = httpx.post(f"{server.url}/v1/chat/completions", json=body, headers=headers, timeout=30)
        assert r.status_code == 401
        assert r.json()["error"]["type"] == "authentication_error"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{server.url}/v1", api_key="wrong", max_retries=0).models.list()


@pytest.mark.parametrize(
    "body,param",
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({"model": "agent-crm", "messages": []}, "messages"),
        ({"model": "agent-crm", "messages": [{"role": "wizard", "content": "hi"}]}, "messages.0.role"),
        (
            {"model": "agent-crm", "messages": [{"role": "user", "content": "hi"}], "temperature": 9},
            "temperature",
        ),
        (
            {"model": "agent-crm", "messages": [{"role": "system", "content": "only a system prompt"}]},
            "messages",
        ),
    ],
)
def test_malformed_chat_bodies_are_422_with_the_field(
    server: ApiServer, agent_key: str, body: dict[str, object], param: str
) -> None:
    """Malformed chat requests are 422 OpenAI error objects naming the bad field."""
    r = httpx.post(f"{server.url}/v1/chat/completions", json=body, headers=auth(agent_key), timeout=30)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error" and err["param"] == param


def test_non_json_body_is_422(server: ApiServer, agent_key: str) -> None:
    """A body that is not JSON is a 422, not a 500."""
    r = httpx.post(
        f"{server.url}/v1/chat/completions",
        content=b"{not json",
        headers={**auth(agent_key), "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 422 and "error" in r.json()


def test_client_disconnect_mid_stream_leaves_server_healthy_and_audit_complete(
    server: ApiServer, agent_key: str, home: Path
) -> None:
    """Closing the stream after one chunk: next request 200, ledger verifies, the decision is recorded."""
    body = {"model": "agent-crm", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    headers = {**auth(agent_key), "X-Thread-Id": "disconnect-1"}
    with (
        httpx.Client(timeout=60) as c,
        c.stream("POST", f"{server.url}/v1/chat/completions", json=body, headers=headers) as r,
    ):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        first = next(r.iter_lines())
        assert (
            first.startswith("data: ") and json.loads(first[6:])["choices"][0]["delta"]["role"] == "assistant"
        )
    ok = httpx.get(f"{server.url}/v1/models", headers=auth(agent_key), timeout=30)
    assert ok.status_code == 200
    crm = CRM(TENANT, settings=build_settings(home=home))
    assert crm.verify_audit().ok
    recorded = [
        a
        for a in crm._deps().ledger.list(kind="decision", limit=1000)
        if a.payload["data"].get("thread_id") == f"{TENANT}:t:disconnect-1"
    ]
    assert len(recorded) == 1 and recorded[0].payload["data"]["customer_id"] == "hz-first"


def test_invalid_thread_header_is_422(server: ApiServer, agent_key: str) -> None:
    """An X-Thread-Id with unsafe characters is refused with 422 naming the header."""
    body = {"model": "agent-crm", "messages": [{"role": "user", "content": QUESTION}]}
    r = httpx.post(
        f"{server.url}/v1/chat/completions",
        json=body,
        headers={**auth(agent_key), "X-Thread-Id": "../../etc"},
        timeout=30,
    )
    assert r.status_code == 422 and r.json()["error"]["param"] == "X-Thread-Id"


def test_oversized_json_body_is_413(server: ApiServer, agent_key: str) -> None:
    """A chat body above max_upload_bytes is refused with the 413 error object, with or without Content-Length."""
    big = {"model": "agent-crm", "messages": [{"role": "user", "content": "骨" * UPLOAD_LIMIT}]}
    r = httpx.post(f"{server.url}/v1/chat/completions", json=big, headers=auth(agent_key), timeout=30)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    data = json.dumps(big).encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 8192):
            yield data[i : i + 8192]

    r = httpx.post(
        f"{server.url}/v1/chat/completions",
        content=chunks(),
        headers={**auth(agent_key), "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 413 and r.json()["error"]["type"] == "invalid_request_error"
    assert "x-request-id" in r.headers
