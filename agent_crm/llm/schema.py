"""Structured output: the response_format sent to backends and the check of a reply against a JSON schema.

Validation uses ``jsonschema``, which LiteLLM itself depends on (so it adds nothing to the install).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from agent_crm.errors import InputError

_FENCE_RE = re.compile(r"^```[A-Za-z0-9_-]*[ \t]*\n(?P<body>.*?)\n?```$", re.DOTALL)
_NAME_RE = re.compile(r"[^A-Za-z0-9_-]+")


class StructuredOutputError(ValueError):
    """A reply is not JSON, or its JSON does not satisfy the requested schema (the reason names no values)."""


@functools.lru_cache(maxsize=128)
def _validator_for(canonical: str) -> Any:
    from jsonschema import SchemaError
    from jsonschema.validators import validator_for

    schema = json.loads(canonical)
    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        raise InputError(f"response_schema is not a valid JSON schema: {exc.message}") from None
    return cls(schema)


def schema_validator(schema: Mapping[str, Any]) -> Any:
    """Return a cached jsonschema validator for ``schema``; raise InputError if the schema is invalid."""
    try:
        canonical = json.dumps(schema, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"response_schema must be JSON-serialisable ({exc})") from None
    return _validator_for(canonical)


def response_format(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Return the OpenAI-style ``response_format`` asking a backend for JSON matching ``schema``."""
    title = schema.get("title")
    name = _NAME_RE.sub("_", title).strip("_")[:64] if isinstance(title, str) else ""
    return {"type": "json_schema", "json_schema": {"name": name or "response", "schema": dict(schema)}}


def strip_fences(text: str) -> str:
    """Return the body of a Markdown code fence (```json ... ```) around ``text``, or ``text`` stripped."""
    stripped = text.strip()
    match = _FENCE_RE.match(stripped)
    return match.group("body").strip() if match else stripped


def parse_structured(text: str, validator: Any) -> Any:
    """Parse a reply as JSON (fences removed) and validate it; raise StructuredOutputError otherwise."""
    try:
        data = json.loads(strip_fences(text))
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise StructuredOutputError(f"reply is not JSON ({exc.msg} at {where})") from None
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(data))
    if error is not None:
        raise StructuredOutputError(
            f"reply does not match the schema: {error.json_path} fails '{error.validator}'")
    return data
