"""Server-Sent Events in the OpenAI chat-completions stream format.

A stream is ``data: <chat.completion.chunk JSON>\\n\\n`` events: the first delta carries the role, the next
ones pieces of the answer, the last one ``finish_reason: "stop"`` (plus agent_crm's structured decision in an
extra top-level ``agent_crm`` field), then ``data: [DONE]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

DONE = b"data: [DONE]\n\n"
PIECE_CHARS = 32
"""Target characters per streamed delta."""

_BREAK = re.compile(r"(?<=[。！？；，、!?;,:：\n])|(?<=\.)(?!\d)|(?<=\s)")


def event(obj: Mapping[str, Any]) -> bytes:
    """One SSE ``data:`` event carrying a JSON object."""
    return b"data: " + json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n\n"


def split_text(text: str, size: int = PIECE_CHARS) -> list[str]:
    """Split ``text`` into pieces of about ``size`` chars at punctuation or spaces; joined they restore it."""
    if not text:
        return []
    pieces: list[str] = []
    current = ""
    for part in _BREAK.split(text):
        while len(part) > size:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(part[:size])
            part = part[size:]
        if current and len(current) + len(part) > size:
            pieces.append(current)
            current = ""
        current += part
    if current:
        pieces.append(current)
    return pieces


def chunk(
    completion_id: str, created: int, model: str, delta: Mapping[str, Any], finish_reason: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``chat.completion.chunk`` object with one choice."""
    return {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": dict(delta), "logprobs": None, "finish_reason": finish_reason}],
            **extra}


def completion_events(
    completion_id: str, created: int, model: str, answer: str, decision: Mapping[str, Any],
    usage: Mapping[str, int] | None = None,
) -> Iterator[bytes]:
    """The whole event sequence of one streamed answer (``usage`` adds the usage-only chunk before DONE)."""
    yield event(chunk(completion_id, created, model, {"role": "assistant", "content": ""}))
    for piece in split_text(answer):
        yield event(chunk(completion_id, created, model, {"content": piece}))
    yield event(chunk(completion_id, created, model, {}, "stop", agent_crm=dict(decision)))
    if usage is not None:
        yield event({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                     "model": model, "system_fingerprint": None, "choices": [], "usage": dict(usage)})
    yield DONE
