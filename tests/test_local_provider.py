"""The local reasoner served through LiteLLM as the custom provider ``local/crm-reasoner``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from agent_crm.offline import ensure_offline_env

ensure_offline_env()

import litellm  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from agent_crm.llm.context import COMPOSE_SCHEMA, build_messages  # noqa: E402
from agent_crm.llm.local import reason, samples  # noqa: E402
from agent_crm.llm.local.provider import (  # noqa: E402
    MODEL_ID,
    PROVIDER,
    VERSION,
    LocalReasonerLLM,
    stream_pieces,
)
from agent_crm.tokens import count_tokens  # noqa: E402

MODEL = "local/crm-reasoner"


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    """Register the local provider with LiteLLM for the test, restoring the previous map afterwards."""
    previous = list(litellm.custom_provider_map)
    litellm.custom_provider_map = [{"provider": PROVIDER, "custom_handler": LocalReasonerLLM()}]
    yield
    litellm.custom_provider_map = previous


def messages() -> list[dict[str, str]]:
    """Return the Chinese compose sample as protocol messages."""
    ctx = samples.compose_context_zh()
    return build_messages("system", ctx["question"], ctx)


def stream_text(response: Any) -> tuple[str, list[Any]]:
    """Collect a sync LiteLLM stream into (text, chunks)."""
    chunks = list(response)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, chunks


def test_constants() -> None:
    """The provider is local/crm-reasoner, versioned."""
    assert (PROVIDER, MODEL_ID) == ("local", MODEL)
    assert VERSION.count(".") == 2


def test_completion_non_stream() -> None:
    """litellm.completion returns the reasoner's text, model id, stop reason and token usage."""
    msgs = messages()
    response = litellm.completion(model=MODEL, messages=msgs)
    text = response.choices[0].message.content
    assert text == reason(msgs)
    assert response.model == MODEL
    assert response.choices[0].finish_reason == "stop"
    assert response.usage.completion_tokens == count_tokens(text)
    assert response.usage.prompt_tokens > count_tokens(msgs[1]["content"]) // 2
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens


def test_stream_concatenates_to_non_stream() -> None:
    """Streamed pieces concatenate to the non-stream text; usage arrives on the final chunk."""
    msgs = messages()
    full = litellm.completion(model=MODEL, messages=msgs).choices[0].message.content
    text, chunks = stream_text(
        litellm.completion(model=MODEL, messages=msgs, stream=True, stream_options={"include_usage": True})
    )
    assert text == full
    assert len(chunks) > 10
    usages = [c.usage for c in chunks if getattr(c, "usage", None) is not None]
    assert usages and usages[-1].completion_tokens == count_tokens(full)


def test_stream_pieces_are_small_and_lossless() -> None:
    """Pieces hold a few words or CJK characters and join back to the text."""
    text = "杭州市第一人民医院的结论：value review meeting now please，评分 0.68。\n下一行"
    pieces = stream_pieces(text)
    assert "".join(pieces) == text
    assert all(len(p) <= 40 for p in pieces) and len(pieces) >= 5


def test_json_schema_response_format() -> None:
    """A json_schema response_format yields JSON that validates, through LiteLLM."""
    rf = {"type": "json_schema", "json_schema": {"name": "compose", "schema": COMPOSE_SCHEMA, "strict": True}}
    response = litellm.completion(model=MODEL, messages=messages(), response_format=rf)
    out = json.loads(response.choices[0].message.content)
    jsonschema.validate(out, COMPOSE_SCHEMA)
    assert len(out["scripts"]) == 3


def test_pydantic_response_format() -> None:
    """A pydantic model as response_format is filled from the decision."""

    class Verdict(BaseModel):
        label: str
        score: float
        customer_id: str

    response = litellm.completion(model=MODEL, messages=messages(), response_format=Verdict)
    verdict = Verdict.model_validate_json(response.choices[0].message.content)
    assert verdict == Verdict(label="value_review_meeting", score=0.68, customer_id="H001")


def test_async_completion_and_stream() -> None:
    """acompletion and async streaming give the same text as the sync call."""
    msgs = messages()
    expected = reason(msgs)

    async def run() -> tuple[str, str]:
        response = await litellm.acompletion(model=MODEL, messages=msgs)
        stream = await litellm.acompletion(model=MODEL, messages=msgs, stream=True)
        parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        return response.choices[0].message.content, "".join(parts)

    single, streamed = asyncio.run(run())
    assert single == expected and streamed == expected


def test_understand_through_litellm_is_deterministic() -> None:
    """The understand task answers JSON through LiteLLM, identically on repeated calls."""
    ctx = samples.understand_context("张主任拒签了，下一步怎么跟进？")
    msgs = build_messages("system", ctx["question"], ctx)
    first = litellm.completion(model=MODEL, messages=msgs).choices[0].message.content
    second = litellm.completion(model=MODEL, messages=msgs).choices[0].message.content
    assert first == second
    assert json.loads(first)["customer_id"] == "H001"
