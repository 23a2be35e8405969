"""Fallback chains through real HTTP: each failure kind moves to the next alias and is recorded."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent_crm.errors import BackendError
from agent_crm.llm.gateway import Gateway
from agent_crm.llm.registry import ModelRegistry
from agent_crm.llm.results import ModelBackendError
from tests.support.model_server import Reply, ScriptedModelServer

WriteModels = Callable[..., Path]
SCHEMA = {
    "title": "Lead score",
    "type": "object",
    "required": ["score", "label"],
    "additionalProperties": False,
    "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 100}, "label": {"type": "string"}},
}


def user(text: str) -> list[dict[str, Any]]:
    """Return a one-message conversation."""
    return [{"role": "user", "content": text}]


@pytest.fixture
def pair(model_server: ScriptedModelServer, models_yaml: WriteModels) -> Gateway:
    """Gateway over 'primary' (model-p, timeout 0.5 s) falling back to 'backup' (model-b)."""
    path = models_yaml(
        model_server.entry("primary", "model-p", timeout=0.5, fallbacks=["backup"]),
        model_server.entry("backup", "model-b", region="cn"),
        default="primary",
    )
    return Gateway(ModelRegistry(path))


def kinds(result_or_error: Any) -> list[tuple[str, str | None]]:
    """Return (alias, error kind) of every attempt."""
    return [(a.alias, a.error_kind) for a in result_or_error.attempts]


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (Reply.of_error(500, "boom"), "server_error"),
        (Reply.of_error(503, "overloaded"), "server_error"),
        (Reply.of_error(429, "slow down"), "rate_limit"),
        (Reply.malformed(), "server_error"),
    ],
)
def test_fallback_on_http_failures(
    pair: Gateway, model_server: ScriptedModelServer, reply: Reply, kind: str
) -> None:
    """5xx, 429 and unreadable bodies fail over: the backup answers and the attempt records the kind."""
    model_server.script("model-p", reply)
    result = pair.complete(user("q"))
    assert (result.alias, result.model, result.text) == ("backup", "openai/model-b", "[model-b] ok")
    assert kinds(result) == [("primary", kind), ("backup", None)] and result.fell_back
    assert [r.model for r in model_server.requests] == ["model-p", "model-b"]  # no hidden retries


def test_fallback_on_timeout(pair: Gateway, model_server: ScriptedModelServer) -> None:
    """A backend slower than the alias timeout (0.5 s) is abandoned near the timeout; the backup answers."""
    model_server.script("model-p", Reply.after(3.0, "too late"))
    result = pair.complete(user("q"))
    assert result.alias == "backup" and kinds(result) == [("primary", "timeout"), ("backup", None)]
    assert 450 <= result.attempts[0].latency_ms < 2500


def test_call_timeout_overrides_the_alias_timeout(pair: Gateway, model_server: ScriptedModelServer) -> None:
    """A per-call timeout longer than the reply delay lets the primary answer."""
    model_server.script("model-p", Reply.after(0.8, "patient"))
    result = pair.complete(user("q"), timeout=5)
    assert (result.alias, result.text) == ("primary", "patient")


def test_fallback_on_connection_refused(model_server: ScriptedModelServer, models_yaml: WriteModels) -> None:
    """A backend whose port refuses connections fails over to the next alias."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    dead = model_server.entry("dead", fallbacks=["backup"], timeout=1)
    dead["litellm_params"]["api_base"] = f"http://127.0.0.1:{dead_port}/v1"
    path = models_yaml(dead, model_server.entry("backup", "model-b"))
    result = Gateway(ModelRegistry(path)).complete(user("q"))
    assert result.alias == "backup" and result.attempts[0].error_kind in ("server_error", "connection")


def test_fallback_on_invalid_json_for_a_schema_request(
    pair: Gateway, model_server: ScriptedModelServer
) -> None:
    """With a response schema, a non-JSON reply fails over; the fenced JSON of the backup is parsed."""
    model_server.script("model-p", "Sure! The score is 80.")
    model_server.script("model-b", Reply.of_json({"score": 80, "label": "hot"}, fenced=True))
    result = pair.complete(user("score this lead"), response_schema=SCHEMA)
    assert result.data == {"score": 80, "label": "hot"} and result.alias == "backup"
    assert kinds(result) == [("primary", "invalid_output"), ("backup", None)]
    assert "not JSON" in (result.attempts[0].error_message or "")
    sent = model_server.requests[0].body["response_format"]
    assert sent == {"type": "json_schema", "json_schema": {"name": "Lead_score", "schema": SCHEMA}}


def test_fallback_on_json_that_breaks_the_schema(pair: Gateway, model_server: ScriptedModelServer) -> None:
    """Valid JSON that breaks the schema also fails over; the reason names the path, not the values."""
    model_server.script("model-p", Reply.of_json({"score": 180, "label": "hot"}))
    model_server.script("model-b", Reply.of_json({"score": 18, "label": "cold"}))
    result = pair.complete(user("score"), response_schema=SCHEMA)
    assert result.data == {"score": 18, "label": "cold"}
    assert result.attempts[0].error_kind == "invalid_output"
    assert "$.score" in (result.attempts[0].error_message or "")
    assert "180" not in (result.attempts[0].error_message or "")


def test_context_window_too_small_is_skipped_without_a_request(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """An alias whose context window cannot hold prompt + max_tokens is skipped; the server never sees it."""
    path = models_yaml(
        model_server.entry("tiny", "model-tiny", context_window=64, fallbacks=["big"]),
        model_server.entry("big", "model-big", context_window=32000),
    )
    result = Gateway(ModelRegistry(path)).complete(user("客户拜访纪要 " * 40), max_tokens=16)
    assert result.alias == "big" and kinds(result) == [("tiny", "context_window"), ("big", None)]
    assert result.attempts[0].skipped and result.attempts[0].latency_ms == 0.0
    assert model_server.requests_for("model-tiny") == [] and len(model_server.requests_for("model-big")) == 1


def test_disallowed_region_is_skipped_without_a_request(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """Per call, an alias outside allowed_regions is skipped and the in-region fallback answers."""
    path = models_yaml(
        model_server.entry("us", "model-us", region="us", fallbacks=["cn"]),
        model_server.entry("cn", "model-cn", region="cn"),
    )
    gw = Gateway(ModelRegistry(path))
    result = gw.complete(user("q"), allowed_regions={"cn"})
    assert (result.alias, result.region) == ("cn", "cn")
    assert kinds(result) == [("us", "region"), ("cn", None)]
    assert model_server.requests_for("model-us") == []
    assert gw.complete(user("q")).alias == "us"  # without the restriction the primary answers


def test_constructor_and_call_regions_intersect(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """A call cannot widen the gateway's allowed regions: both sets apply."""
    path = models_yaml(
        model_server.entry("us", "model-us", region="us", fallbacks=["cn"]),
        model_server.entry("cn", "model-cn", region="cn"),
    )
    gw = Gateway(ModelRegistry(path), allowed_regions={"cn"})
    with pytest.raises(ModelBackendError) as err:
        gw.complete(user("q"), allowed_regions={"us"})
    assert kinds(err.value) == [("us", "region"), ("cn", "region")]
    assert model_server.requests == []


def test_missing_env_key_skips_to_the_fallback(
    model_server: ScriptedModelServer, models_yaml: WriteModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An alias whose os.environ key is unset is skipped (nothing sent) and the fallback answers."""
    monkeypatch.delenv("AGENT_CRM_UNSET_KEY", raising=False)
    path = models_yaml(
        model_server.entry(
            "keyed", "model-k", api_key="os.environ/AGENT_CRM_UNSET_KEY", fallbacks=["backup"]
        ),
        model_server.entry("backup", "model-b"),
    )
    result = Gateway(ModelRegistry(path)).complete(user("q"))
    assert kinds(result) == [("keyed", "missing_key"), ("backup", None)]
    assert "AGENT_CRM_UNSET_KEY" in (result.attempts[0].error_message or "")
    assert model_server.requests_for("model-k") == []


def test_all_failing_raises_backend_error_listing_every_attempt(
    pair: Gateway, model_server: ScriptedModelServer
) -> None:
    """When every alias fails, BackendError names each alias and its reason and carries the attempts."""
    model_server.script("model-p", Reply.of_error(500, "primary down"))
    model_server.script("model-b", Reply.of_error(429, "backup busy"))
    with pytest.raises(BackendError) as err:
        pair.complete(user("q"))
    assert isinstance(err.value, ModelBackendError)
    assert kinds(err.value) == [("primary", "server_error"), ("backup", "rate_limit")]
    message = str(err.value)
    assert (
        "primary (openai/model-p): server_error" in message
        and "backup (openai/model-b): rate_limit" in message
    )
    assert "sk-test" not in message


def test_auth_error_stops_the_chain(pair: Gateway, model_server: ScriptedModelServer) -> None:
    """A 401 is a configuration mistake a fallback would hide: the chain stops, the backup is not called."""
    model_server.script("model-p", Reply.of_error(401, "bad key"))
    with pytest.raises(ModelBackendError, match="auth") as err:
        pair.complete(user("q"))
    assert kinds(err.value) == [("primary", "auth")]
    assert model_server.requests_for("model-b") == []


def test_async_complete_falls_back_like_the_sync_one(
    pair: Gateway, model_server: ScriptedModelServer
) -> None:
    """acomplete fails over on a 500 and a timeout the same way complete does."""
    model_server.script("model-p", Reply.of_error(500), Reply.after(3.0))

    async def run() -> list[Any]:
        return [await pair.acomplete(user("q")), await pair.acomplete(user("q"))]

    first, second = asyncio.run(run())
    assert kinds(first) == [("primary", "server_error"), ("backup", None)]
    assert kinds(second) == [("primary", "timeout"), ("backup", None)]
    assert first.text == second.text == "[model-b] ok"
