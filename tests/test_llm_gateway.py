"""Gateway through LiteLLM's real HTTP path to the scripted server: results, hot swap, filters, cost."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent_crm.errors import InputError, NotFoundError
from agent_crm.llm.gateway import Gateway
from agent_crm.llm.registry import ModelRegistry
from agent_crm.tokens import count_tokens
from tests.support.model_server import Reply, ScriptedModelServer

WriteModels = Callable[..., Path]


def user(text: str) -> list[dict[str, Any]]:
    """Return a one-message conversation."""
    return [{"role": "user", "content": text}]


def gateway(path: Path, **kwargs: Any) -> Gateway:
    """Return a gateway over the models file at ``path``."""
    return Gateway(ModelRegistry(path), **kwargs)


def test_plain_completion_reports_text_usage_latency_model_and_alias(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """A plain call returns the server's text, usage, alias, provider/model id, region and latency."""
    model_server.script("scripted", "你好，这是回答。")
    result = gateway(models_yaml()).complete(user("hello there"))
    assert result.text == "你好，这是回答。" and result.data is None
    assert (result.alias, result.model, result.region) == ("remote", "openai/scripted", "cn")
    assert result.model_version == "scripted"  # no version in the file: the model the backend reported
    assert result.usage.completion_tokens == count_tokens("你好，这是回答。")
    assert result.usage.prompt_tokens > 0
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens
    assert result.latency_ms > 0 and result.cost_usd == 0.0 and not result.fell_back
    assert [(a.alias, a.ok) for a in result.attempts] == [("remote", True)]
    assert json.loads(json.dumps(result.to_dict()))["usage"]["total_tokens"] == result.usage.total_tokens
    (req,) = model_server.requests
    assert req.body["messages"] == user("hello there") and req.body["model"] == "scripted"
    assert req.headers["authorization"] == "Bearer sk-test" and not req.stream


def test_declared_version_params_and_metadata_handling(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """The file's version is reported; temperature and max_tokens are sent; metadata never reaches it."""
    path = models_yaml(model_server.entry("v", version="2025-01", temperature=0.2, max_tokens=64))
    result = gateway(path).complete(user("hi"), metadata={"tenant": "acme"})
    assert result.model_version == "2025-01"
    body = model_server.requests[0].body
    assert body["temperature"] == 0.2 and body["max_tokens"] == 64
    assert "metadata" not in body and "acme" not in str(body)


def test_max_tokens_is_capped_by_the_alias_output_limit(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """A requested max_tokens above the alias's max_output_tokens is capped before sending."""
    entry = model_server.entry("capped")
    entry["model_info"]["max_output_tokens"] = 100
    gateway(models_yaml(entry)).complete(user("hi"), max_tokens=5000)
    assert model_server.requests[0].body["max_tokens"] == 100


def test_env_api_key_is_read_at_call_time(
    model_server: ScriptedModelServer, models_yaml: WriteModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An os.environ/NAME key is looked up per call: changing the variable changes the key sent."""
    gw = gateway(models_yaml(model_server.entry("k", api_key="os.environ/AGENT_CRM_TEST_KEY")))
    monkeypatch.setenv("AGENT_CRM_TEST_KEY", "sk-first")
    gw.complete(user("one"))
    monkeypatch.setenv("AGENT_CRM_TEST_KEY", "sk-second")
    gw.complete(user("two"))
    assert [r.headers["authorization"] for r in model_server.requests] == [
        "Bearer sk-first",
        "Bearer sk-second",
    ]


def test_hot_swap_of_default_alias_on_the_same_gateway(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """Rewriting the file's default between two calls sends the second call to the new alias, no restart."""
    entries = (model_server.entry("first", "model-one"), model_server.entry("second", "model-two"))
    path = models_yaml(*entries, default="first")
    gw = gateway(path)
    assert gw.complete(user("q")).alias == "first"
    models_yaml(*entries, default="second")
    time.sleep(0.25)  # the registry stats the file at most every 0.2 s
    result = gw.complete(user("q"))
    assert (result.alias, result.text) == ("second", "[model-two] ok")
    assert [r.model for r in model_server.requests] == ["model-one", "model-two"]


def test_hot_swap_of_an_alias_target_on_the_same_gateway(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """Pointing an alias at another model in the file takes effect on the next call of the same gateway."""
    path = models_yaml(model_server.entry("main", "old-model"))
    gw = gateway(path)
    assert gw.complete(user("q")).model == "openai/old-model"
    models_yaml(model_server.entry("main", "new-model", region="eu"))
    time.sleep(0.25)
    result = gw.complete(user("q"))
    assert (result.alias, result.model, result.region) == ("main", "openai/new-model", "eu")
    assert model_server.requests[-1].model == "new-model"


def test_set_default_override_routes_calls(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """registry.set_default (the SDK's models.use) sends alias-less calls to the chosen alias."""
    path = models_yaml(model_server.entry("a", "model-a"), model_server.entry("b", "model-b"), default="a")
    gw = gateway(path)
    gw.registry.set_default("b")
    assert gw.complete(user("q")).alias == "b"
    assert gw.complete(user("q"), alias="a").alias == "a"
    gw.registry.set_default(None)
    assert gw.complete(user("q")).alias == "a"


def test_request_filters_transform_what_the_backend_receives_once(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """Filters run once per request, before the first attempt; every backend sees only filtered text."""
    calls: list[int] = []

    def mask_phone(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        calls.append(1)
        return [{**m, "content": str(m["content"]).replace("13812345678", "<PHONE>")} for m in messages]

    path = models_yaml(
        model_server.entry("a", "model-a", fallbacks=["b"]), model_server.entry("b", "model-b")
    )
    model_server.script("model-a", Reply.of_error(500))
    original = user("客户电话 13812345678，请回电")
    result = gateway(path, request_filters=[mask_phone]).complete(original)
    assert result.alias == "b" and len(calls) == 1
    assert len(model_server.requests) == 2
    assert all("13812345678" not in r.text() and "<PHONE>" in r.text() for r in model_server.requests)
    assert original[0]["content"] == "客户电话 13812345678，请回电"  # the caller's messages are untouched


def test_cost_comes_from_the_models_file_prices(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """Prices declared per 1k tokens in the models file give the cost of the call."""
    entry = model_server.entry("priced")
    entry["model_info"].update(input_cost_per_1k=1.0, output_cost_per_1k=2.0)
    result = gateway(models_yaml(entry)).complete(user("what does it cost"))
    expected = (result.usage.prompt_tokens * 1.0 + result.usage.completion_tokens * 2.0) / 1000
    assert result.cost_usd == pytest.approx(expected) and result.cost_usd > 0


def test_cost_comes_from_litellm_price_map_for_known_models(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """A model LiteLLM knows (gpt-4o-mini, served here by the scripted server) is priced from its map."""
    result = gateway(models_yaml(model_server.entry("mini", "gpt-4o-mini"))).complete(user("price me"))
    # gpt-4o-mini in LiteLLM's bundled map: $0.15 / 1M prompt tokens, $0.60 / 1M completion tokens
    expected = result.usage.prompt_tokens * 0.15e-6 + result.usage.completion_tokens * 0.6e-6
    assert result.cost_usd == pytest.approx(expected, rel=1e-6) and result.cost_usd > 0


@pytest.mark.parametrize(
    ("messages", "kwargs", "error"),
    [
        ([], {}, InputError),
        ("just a string", {}, InputError),
        ([{"content": "no role"}], {}, InputError),
        (user("x"), {"max_tokens": 0}, InputError),
        (user("x"), {"timeout": -1}, InputError),
        (user("x"), {"response_schema": {"type": "no-such-type"}}, InputError),
        (user("x"), {"alias": "ghost"}, NotFoundError),
        (user("x"), {"temperature": 0.3}, TypeError),
    ],
)
def test_bad_requests_fail_before_any_backend_is_called(
    model_server: ScriptedModelServer,
    models_yaml: WriteModels,
    messages: Any,
    kwargs: dict[str, Any],
    error: type[Exception],
) -> None:
    """Malformed messages, options, schemas or aliases raise at once and send nothing."""
    with pytest.raises(error):
        gateway(models_yaml()).complete(messages, **kwargs)
    assert model_server.requests == []


def test_scripted_server_speaks_the_openai_wire_format(model_server: ScriptedModelServer) -> None:
    """The official OpenAI client lists the server's models and reads a scripted completion from it."""
    import openai

    model_server.set_default("scripted", "wire ok")
    client = openai.OpenAI(base_url=model_server.url, api_key="sk-test", timeout=5, max_retries=0)
    assert "scripted" in [m.id for m in client.models.list()]
    reply = client.chat.completions.create(model="scripted", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "wire ok" and reply.usage is not None
