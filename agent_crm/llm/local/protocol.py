"""Entry point of the local reasoner: messages (and an optional response format) in, text out.

``reason`` reads the ``<crm_context>`` block of the last user message, runs the task it names
(understand, compose, chat) and renders the result as plain text, as the task's native JSON, or as an
instance of a requested JSON schema. It is pure and deterministic: the same messages give
byte-identical output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from agent_crm.llm.context import extract_context, last_user_text, split_question
from agent_crm.llm.local.chat import chat_reply
from agent_crm.llm.local.compose import compose
from agent_crm.llm.local.language import detect_language
from agent_crm.llm.local.schema_fill import fill_schema
from agent_crm.llm.local.understand import understand

_CITATION_RE = re.compile(r"\[([^\[\]\s]{1,120})\]")


def requested_schema(response_format: Any) -> tuple[str, dict[str, Any] | None]:
    """Read a response format: ``("text", None)``, ``("json_object", None)`` or ``("json_schema", schema)``.

    Accepts OpenAI's dict forms (``{"type": "json_schema", "json_schema": {"schema": ...}}``), a bare
    ``{"type": "json_schema", "schema": ...}``, and a pydantic model class.
    """
    if response_format is None:
        return "text", None
    if hasattr(response_format, "model_json_schema"):
        return "json_schema", dict(response_format.model_json_schema())
    if not isinstance(response_format, Mapping):
        return "text", None
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else response_format.get("schema")
        if isinstance(schema, Mapping):
            return "json_schema", dict(schema)
        return "json_object", None
    if kind == "json_object":
        schema = response_format.get("schema") or response_format.get("response_schema")
        return ("json_schema", dict(schema)) if isinstance(schema, Mapping) else ("json_object", None)
    return "text", None


def _compose_source(ctx: Mapping[str, Any], native: Mapping[str, Any]) -> dict[str, Any]:
    decision = ctx.get("decision") if isinstance(ctx.get("decision"), Mapping) else {}
    assert isinstance(decision, Mapping)
    customer = ctx.get("customer") if isinstance(ctx.get("customer"), Mapping) else {}
    assert isinstance(customer, Mapping)
    details = decision.get("details") if isinstance(decision.get("details"), Mapping) else {}
    assert isinstance(details, Mapping)
    answer = str(native.get("answer") or "")
    known: dict[str, Mapping[str, Any]] = {}
    for group in ("evidence", "knowledge"):
        for item in ctx.get(group) or ():
            if isinstance(item, Mapping) and item.get("record_id"):
                known.setdefault(str(item["record_id"]), item)
    cited = [known[rid] for rid in dict.fromkeys(_CITATION_RE.findall(answer)) if rid in known]
    for script in native.get("scripts") or ():
        cited += [known[c] for c in script.get("citations") or () if c in known and known[c] not in cited]
    factors = [f for f in decision.get("factors") or () if isinstance(f, Mapping)]
    lines = answer.split("\n")
    source: dict[str, Any] = {str(k): v for k, v in details.items()}
    source.update(
        {
            "_native": dict(native),
            "answer": answer,
            "scripts": list(native.get("scripts") or ()),
            "summary": lines[0] if lines else "",
            "reason": next((line for line in lines[1:] if "[" in line), lines[0] if lines else ""),
            "label": decision.get("label"),
            "type": decision.get("type"),
            "decision_type": decision.get("type"),
            "score": decision.get("score"),
            "factors": factors,
            "details": dict(details),
            "customer_id": customer.get("customer_id"),
            "customer_name": customer.get("name") or customer.get("customer_id"),
            "customer": dict(customer),
            "citations": cited,
            "language": ctx.get("language") or detect_language(answer),
            "flags": list(ctx.get("flags") or ()),
            "question": ctx.get("question"),
            "action": details.get("action")
            or details.get("next_action")
            or _first_title(native)
            or decision.get("label"),
        }
    )
    return source


def _first_title(native: Mapping[str, Any]) -> str | None:
    scripts = native.get("scripts") or ()
    return str(scripts[0].get("title")) if scripts and isinstance(scripts[0], Mapping) else None


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def reason(messages: Sequence[Mapping[str, Any]], response_format: Any = None) -> str:
    """Run the local reasoner on protocol messages.

    Args:
        messages: Chat messages; the last user message may end with a ``<crm_context>`` block.
        response_format: None (plain text; the understand task still answers JSON),
            ``{"type": "json_object"}``,
            ``{"type": "json_schema", "json_schema": {"schema": ...}}`` or a pydantic model class.

    Returns:
        The reply text: plain text, or JSON that validates against the requested schema.

    Raises:
        InputError: The requested schema is invalid.
        BackendError: The requested schema cannot be satisfied.
    """
    ctx = extract_context(messages)
    question = split_question(last_user_text(messages))
    mode, schema = requested_schema(response_format)
    task = ctx.get("task") if ctx else None
    if ctx is not None and task == "understand":
        native = understand(ctx, question)
        source: dict[str, Any] = {
            **native,
            "_native": native,
            "type": native["decision_type"],
            "question": ctx.get("question") or question,
            "answer": native["clarification"],
        }
    elif ctx is not None and task == "compose":
        native = compose(ctx, question)
        if mode == "text":
            return str(native["answer"])
        source = _compose_source(ctx, native)
    else:
        text = chat_reply(str((ctx or {}).get("question") or question), ctx)
        if mode == "text":
            return text
        native = {"answer": text}
        source = {
            "_native": native,
            "answer": text,
            "summary": text,
            "question": question,
            "language": detect_language(question),
        }
    if mode == "json_schema" and schema is not None:
        return _dump(fill_schema(schema, source))
    return _dump(native)
