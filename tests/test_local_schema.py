"""The local reasoner's structured output, chat replies, determinism and speed (pure, no litellm)."""

from __future__ import annotations

import json
import time
from typing import Any

import jsonschema
import pytest

from agent_crm.errors import BackendError, InputError
from agent_crm.llm.context import build_messages
from agent_crm.llm.local import reason, samples
from agent_crm.llm.local.language import detect_language

JSON_OBJECT = {"type": "json_object"}


def compose(ctx: dict[str, Any], response_format: Any = JSON_OBJECT) -> str:
    """Run the compose task on a context and return the raw reply text."""
    return reason(build_messages("system", ctx["question"], ctx), response_format)


ARBITRARY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["decision", "confidence", "reasons", "customer", "sources", "summary", "escalate", "owner"],
    "properties": {
        "decision": {"type": "string", "enum": ["low", "medium", "high"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "reasons": {"type": "array", "maxItems": 2, "items": {"$ref": "#/$defs/reason"}},
        "customer": {"type": "string"},
        "sources": {"type": "array", "items": {"type": "string"}},
        "summary": {"type": "string", "maxLength": 80},
        "escalate": {"type": "boolean"},
        "owner": {"type": "string"},
    },
    "$defs": {
        "reason": {
            "type": "object",
            "additionalProperties": False,
            "required": ["factor", "impact", "records"],
            "properties": {
                "factor": {"type": "string"},
                "impact": {"type": "number"},
                "records": {"type": "array", "items": {"type": "string"}},
            },
        }
    },
}


def test_arbitrary_schema_is_filled_and_valid() -> None:
    """Any requested schema is filled from the decision (aliases, $ref, enum, limits) and validates."""
    rf = {"type": "json_schema", "json_schema": {"name": "churn", "schema": ARBITRARY_SCHEMA, "strict": True}}
    out = json.loads(compose(samples.compose_context_en(), rf))
    jsonschema.validate(out, ARBITRARY_SCHEMA)
    assert out["decision"] == "high" and out["confidence"] == 0.81
    assert out["reasons"][0] == {"factor": "recency", "impact": 40.0, "records": ["acme-7"]}
    assert len(out["reasons"]) == 2
    assert out["customer"] == "Acme Medical Supplies"
    assert "acme-7" in out["sources"] and out["owner"] == ""


def test_understand_schema_and_invalid_schema() -> None:
    """The understand output fills a differently named schema; an invalid schema is an InputError."""
    ctx = samples.understand_context("李主任的流失风险")
    msgs = build_messages("s", ctx["question"], ctx)
    schema = {
        "type": "object",
        "required": ["kind", "options"],
        "properties": {"kind": {"type": ["string", "null"]}, "options": {"type": "array"}},
    }
    out = json.loads(reason(msgs, {"type": "json_schema", "json_schema": {"schema": schema}}))
    assert out == {"kind": "churn_risk", "options": ["H001", "H002"]}
    with pytest.raises(InputError):
        reason(msgs, {"type": "json_schema", "json_schema": {"schema": {"type": "nonsense"}}})


def test_unsatisfiable_schema_raises() -> None:
    """A schema no instance can meet is reported as a BackendError, never returned invalid."""
    schema = {
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string", "pattern": "^X\\d{9}$"}},
    }
    with pytest.raises(BackendError):
        compose(samples.compose_context_en(), {"type": "json_schema", "json_schema": {"schema": schema}})


def test_chat_and_missing_context() -> None:
    """Without a data block the reasoner says it needs CRM context, in the question's language."""
    zh = reason([{"role": "user", "content": "张主任的流失风险多高？"}])
    assert "CRM 上下文" in zh and detect_language(zh) == "zh"
    en = reason([{"role": "user", "content": "What is Acme's churn risk?"}])
    assert "CRM context" in en
    hello = json.loads(reason([{"role": "user", "content": "hello"}], JSON_OBJECT))
    assert hello["answer"].startswith("Hello")


def test_deterministic_byte_identical() -> None:
    """The same messages give byte-identical output, for every task and format."""
    cases = [
        (samples.compose_context_zh(), None),
        (samples.compose_context_zh(), JSON_OBJECT),
        (samples.compose_context_en(), {"type": "json_schema", "json_schema": {"schema": ARBITRARY_SCHEMA}}),
        (samples.understand_context("李主任的流失风险"), None),
    ]
    for ctx, rf in cases:
        msgs = build_messages("s", ctx["question"], ctx)
        assert reason(msgs, rf).encode() == reason(json.loads(json.dumps(msgs)), rf).encode()


def test_compose_is_fast() -> None:
    """A compose over ten evidence items takes well under 3 ms (median of repeated runs)."""
    msgs = build_messages("s", "q", samples.compose_context_zh())
    assert len(samples.compose_context_zh()["evidence"]) == 10
    reason(msgs, JSON_OBJECT)
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        reason(msgs, JSON_OBJECT)
        timings.append(time.perf_counter() - start)
    assert sorted(timings)[len(timings) // 2] < 0.003


def test_nested_objects_map_customer_and_decision() -> None:
    """Nested objects are filled from the matching part of the context (customer id, decision label/score)."""
    schema = {
        "type": "object",
        "required": ["customer", "decision"],
        "properties": {
            "customer": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
            },
            "decision": {
                "type": "object",
                "required": ["label", "score"],
                "properties": {"label": {"type": "string"}, "score": {"type": "number"}},
            },
        },
    }
    out = json.loads(
        compose(samples.credit_context_zh(), {"type": "json_schema", "json_schema": {"schema": schema}})
    )
    assert out == {
        "customer": {"id": "K001", "name": "明德口腔诊所"},
        "decision": {"label": "approve_with_conditions", "score": 0.62},
    }
