"""Streaming through LiteLLM's real SSE path: deltas, the final result with usage, early fallback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent_crm.llm.gateway import Gateway
from agent_crm.llm.registry import ModelRegistry
from agent_crm.llm.results import ModelBackendError
from agent_crm.tokens import count_tokens
from tests.support.model_server import Reply, ScriptedModelServer

WriteModels = Callable[..., Path]
ANSWER = "张主任上周拒绝了报价，建议下周二带着新的阶梯价格方案再次拜访。"
SCHEMA = {"type": "object", "required": ["action"], "properties": {"action": {"type": "string"}}}


def user(text: str) -> list[dict[str, Any]]:
    """Return a one-message conversation."""
    return [{"role": "user", "content": text}]


@pytest.fixture
def pair(model_server: ScriptedModelServer, models_yaml: WriteModels) -> Gateway:
    """Gateway over 'primary' (model-p) falling back to 'backup' (model-b)."""
    path = models_yaml(
        model_server.entry("primary", "model-p", timeout=0.5, fallbacks=["backup"]),
        model_server.entry("backup", "model-b"),
    )
    return Gateway(ModelRegistry(path))


def test_stream_deltas_concatenate_to_the_text_and_result_has_usage(
    pair: Gateway, model_server: ScriptedModelServer
) -> None:
    """Several deltas arrive; joined they are the full text; the final result carries the server's usage."""
    model_server.script("model-p", ANSWER)
    handle = pair.stream(user("下一步怎么跟进？"))
    deltas = list(handle)
    assert len(deltas) > 3 and "".join(deltas) == ANSWER
    result = handle.result
    assert (result.text, result.alias, result.model) == (ANSWER, "primary", "openai/model-p")
    assert result.usage.completion_tokens == count_tokens(ANSWER) and result.usage.prompt_tokens > 0
    (req,) = model_server.requests
    assert req.stream and req.body["stream_options"] == {"include_usage": True}


def test_stream_result_is_unavailable_until_the_stream_ends(
    pair: Gateway, model_server: ScriptedModelServer
) -> None:
    """Reading .result before the last delta raises; a handle cannot be iterated twice."""
    model_server.script("model-p", ANSWER)
    handle = pair.stream(user("q"))
    iterator = iter(handle)
    next(iterator)
    with pytest.raises(RuntimeError, match="not finished"):
        _ = handle.result
    assert handle.collect().text == ANSWER and handle.done
    with pytest.raises(RuntimeError, match="consumed"):
        iter(handle)


def test_stream_falls_back_before_the_first_delta(pair: Gateway, model_server: ScriptedModelServer) -> None:
    """A 500 or a timeout before any delta fails over: only the backup's deltas reach the caller."""
    model_server.script("model-p", Reply.of_error(500), Reply.after(3.0))
    for expected_kind in ("server_error", "timeout"):
        handle = pair.stream(user("q"))
        assert "".join(handle) == "[model-b] ok"
        assert [(a.alias, a.error_kind) for a in handle.result.attempts] == [
            ("primary", expected_kind),
            ("backup", None),
        ]


def test_stream_failure_after_partial_output_raises(pair: Gateway, model_server: ScriptedModelServer) -> None:
    """A connection dropped mid-answer raises BackendError (no silent switch after text was given out)."""
    model_server.script("model-p", Reply.cut(ANSWER))
    got: list[str] = []
    with pytest.raises(ModelBackendError, match="after part of the answer") as err:
        for delta in pair.stream(user("q")):
            got.append(delta)
    assert got and ANSWER.startswith("".join(got)) and "".join(got) != ANSWER
    assert err.value.attempts[0].alias == "primary"
    assert model_server.requests_for("model-b") == []


def test_stream_with_schema_validates_before_giving_out_deltas(
    pair: Gateway, model_server: ScriptedModelServer
) -> None:
    """With a schema, an invalid streamed reply still fails over and only the valid reply is given out."""
    model_server.script("model-p", "not json at all")
    model_server.script("model-b", Reply.of_json({"action": "visit"}))
    handle = pair.stream(user("q"), response_schema=SCHEMA)
    assert "".join(handle) == '{"action": "visit"}'
    assert handle.result.data == {"action": "visit"}
    assert handle.result.attempts[0].error_kind == "invalid_output"


def test_stream_filters_apply_before_the_backend(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """Request filters run on streamed requests too: the server receives only filtered text."""

    def drop_email(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**m, "content": str(m["content"]).replace("li@example.com", "<EMAIL>")} for m in messages]

    gw = Gateway(ModelRegistry(models_yaml()), request_filters=[drop_email])
    assert "".join(gw.stream(user("mail li@example.com"))) == "[scripted] ok"
    assert model_server.requests[0].text() == "mail <EMAIL>"


def test_astream_yields_deltas_then_result(pair: Gateway, model_server: ScriptedModelServer) -> None:
    """astream is the async twin: deltas join to the text, fallback works, result has usage."""
    model_server.script("model-p", Reply.of_error(503))
    model_server.script("model-b", ANSWER)

    async def run() -> tuple[list[str], Any]:
        handle = pair.astream(user("q"))
        deltas = [d async for d in handle]
        return deltas, handle.result

    deltas, result = asyncio.run(run())
    assert "".join(deltas) == ANSWER and result.alias == "backup"
    assert result.usage.completion_tokens == count_tokens(ANSWER)
    assert [a.error_kind for a in result.attempts] == ["server_error", None]


def test_stream_closed_early_sends_nothing_more(pair: Gateway, model_server: ScriptedModelServer) -> None:
    """Closing a stream after the first delta stops it without a result and without calling the backup."""
    model_server.script("model-p", ANSWER)
    handle = pair.stream(user("q"))
    iterator = iter(handle)
    assert next(iterator)
    handle.close()
    assert not handle.done
    assert [r.model for r in model_server.requests] == ["model-p"]


def test_stream_cost_from_litellm_price_map(
    model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """A streamed answer of a model LiteLLM prices (gpt-4o-mini) is costed from the streamed usage."""
    gw = Gateway(ModelRegistry(models_yaml(model_server.entry("mini", "gpt-4o-mini"))))
    handle = gw.stream(user("price me"))
    assert "".join(handle) == "[gpt-4o-mini] ok"
    usage = handle.result.usage
    expected = usage.prompt_tokens * 0.15e-6 + usage.completion_tokens * 0.6e-6
    assert handle.result.cost_usd == pytest.approx(expected, rel=1e-6) and handle.result.cost_usd > 0
