"""The message protocol shared by the agents and every model: a question, then a ``<crm_context>`` block.

The agents layer sends ``[system, user]`` messages where the user message is the question, a blank line and
a JSON document between ``<crm_context>`` tags. Everything inside the block is data (retrieved records, the
customer directory, a computed decision) and never instructions. Literal opening or closing tags inside the
data are escaped as JSON unicode escapes, so data can never close the block early, and ``extract_context``
reads them back unchanged.

Pure module: no litellm, no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

OPEN_TAG = "<crm_context>"
"""Opening tag of the data block."""
CLOSE_TAG = "</crm_context>"
"""Closing tag of the data block."""

TASKS = ("understand", "compose", "chat")
"""Tasks a context can carry in its ``task`` field."""

DECISION_TYPES = (
    "next_best_action",
    "lead_score",
    "churn_risk",
    "ticket_routing",
    "credit_recommendation",
)
"""Decision types known to the protocol (a context may list a subset)."""

_TAG_RE = re.compile(r"<(/?)(crm_context)", re.IGNORECASE)

UNDERSTAND_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "intent",
        "decision_type",
        "customer_id",
        "candidates",
        "language",
        "clarification",
        "matched",
    ],
    "properties": {
        "intent": {"type": "string", "enum": ["decide", "search", "chitchat"]},
        "decision_type": {"type": ["string", "null"]},
        "customer_id": {"type": ["string", "null"]},
        "candidates": {"type": "array", "items": {"type": "string"}},
        "language": {"type": "string", "enum": ["zh", "en"]},
        "clarification": {"type": ["string", "null"]},
        "matched": {"type": ["string", "null"]},
    },
}
"""JSON schema of the ``understand`` task's output."""

SCRIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["strategy", "title", "text", "factors", "citations"],
    "properties": {
        "strategy": {"type": "string"},
        "title": {"type": "string"},
        "text": {"type": "string"},
        "factors": {"type": "array", "items": {"type": "string"}},
        "citations": {"type": "array", "items": {"type": "string"}},
    },
}
"""JSON schema of one follow-up script."""

COMPOSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["answer", "scripts"],
    "properties": {
        "answer": {"type": "string"},
        "scripts": {"type": "array", "items": SCRIPT_SCHEMA},
    },
}
"""JSON schema of the ``compose`` task's output."""


def dump_context(context: Mapping[str, Any]) -> str:
    """Serialise a context as canonical JSON with any ``<crm_context>`` / ``</crm_context>`` tag escaped.

    Args:
        context: The data to embed (JSON-serialisable).

    Returns:
        Sorted-key JSON text in which the tags cannot appear literally (``<`` becomes ``\\u003c`` there).
    """
    text = json.dumps(context, ensure_ascii=False, sort_keys=True, default=str)
    # JSON structure never contains "<", so every match lies inside a string literal, where \u003c is valid.
    return _TAG_RE.sub(lambda m: "\\u003c" + m.group(1) + m.group(2), text)


def build_messages(system_text: str, question: str, context: Mapping[str, Any]) -> list[dict[str, str]]:
    """Build the ``[system, user]`` messages of the protocol.

    Args:
        system_text: System prompt (for example a rendered ``prompts/compose`` template).
        question: The user's question, verbatim.
        context: The task's data (``task`` plus the fields of that task).

    Returns:
        Two chat messages; the user message ends with the escaped ``<crm_context>`` block.
    """
    user = f"{question}\n\n{OPEN_TAG}\n{dump_context(context)}\n{CLOSE_TAG}"
    return [{"role": "system", "content": system_text}, {"role": "user", "content": user}]


def message_text(message: Mapping[str, Any]) -> str:
    """Return the text of a chat message whose content is a string or a list of OpenAI content parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts: list[str] = []
        for part in content:
            if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, str):
                parts.append(part)
        return "".join(parts)
    return ""


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """Return the text of the last user message ('' when there is none)."""
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return message_text(message)
    return ""


def _block_bounds(text: str) -> tuple[int, int] | None:
    """Return the (start of JSON, end of JSON) offsets of the last data block in ``text``."""
    end = text.rfind(CLOSE_TAG)
    if end < 0:
        return None
    start = text.rfind(OPEN_TAG, 0, end)
    if start < 0:
        return None
    return start + len(OPEN_TAG), end


def split_question(text: str) -> str:
    """Return the question part of a user message (the text before its data block, stripped)."""
    bounds = _block_bounds(text)
    if bounds is None:
        return text.strip()
    return text[: bounds[0] - len(OPEN_TAG)].strip()


def extract_context(messages: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Parse the ``<crm_context>`` block of the last user message.

    Args:
        messages: Chat messages (dicts with ``role`` and ``content``).

    Returns:
        The context dict, or None when the last user message has no (valid) block or it is not a JSON object.
    """
    text = last_user_text(messages)
    bounds = _block_bounds(text)
    if bounds is None:
        return None
    try:
        data = json.loads(text[bounds[0] : bounds[1]])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
