"""Structured output: fill any requested JSON schema from the reasoner's result and validate it."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from agent_crm.errors import BackendError, InputError
from agent_crm.llm.local.language import fmt_number

MAX_DEPTH = 12
"""Deepest nesting filled (guards recursive schemas)."""

_ALIASES: dict[str, tuple[str, ...]] = {}


def _alias(canonical: str, *names: str) -> None:
    for name in (canonical, *names):
        key = _norm(name)
        _ALIASES[key] = (*_ALIASES.get(key, ()), canonical)


@functools.lru_cache(maxsize=1024)
def _norm(name: str) -> str:
    """Normalise a property name: camelCase and snake_case alike, lower-case, no separators."""
    return re.sub(r"[^a-z0-9]", "", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower())


for _canonical, _names in {
    "label": (
        "decision",
        "outcome",
        "result",
        "verdict",
        "recommendation",
        "classification",
        "category",
        "class",
        "prediction",
        "risk_level",
        "risk",
        "level",
        "tier",
        "grade",
        "decision_label",
    ),
    "score": ("probability", "confidence", "risk_score", "likelihood", "rating", "decision_score"),
    "type": ("decision_type", "kind", "task"),
    "decision_type": ("type",),
    "factors": (
        "reasons",
        "drivers",
        "attributions",
        "explanations",
        "key_factors",
        "top_factors",
        "features",
    ),
    "answer": ("response", "reply", "text", "message", "content", "explanation", "output", "body", "script"),
    "summary": ("headline", "overview", "tldr", "conclusion", "title"),
    "reason": ("rationale", "why", "justification", "because", "description", "detail"),
    "scripts": ("follow_ups", "followups", "follow_up_scripts", "talking_points", "next_steps"),
    "customer_id": ("account_id", "client_id", "customer_ids"),
    "customer": ("account", "client"),
    "customer_name": ("account_name", "client_name", "name"),
    "citations": ("sources", "evidence", "references", "record_ids", "evidence_ids", "cited", "records"),
    "language": ("lang", "locale"),
    "action": ("next_action", "next_step", "recommended_action", "next_best_action"),
    "name": ("factor", "feature", "key", "heading"),
    "weight": ("impact", "importance", "share", "percent", "percentage", "contribution"),
    "direction": ("sign", "polarity", "effect"),
    "evidence": ("records", "citations", "sources", "record_ids", "references"),
    "rationale": ("explanation", "reason", "why", "description"),
    "text": ("script", "content", "body", "message"),
    "title": ("name", "heading", "subject"),
    "strategy": ("approach", "kind", "type"),
    "candidates": ("options", "matches", "customer_ids"),
    "clarification": ("clarifying_question", "follow_up_question", "question_back"),
    "snippet": ("quote", "excerpt"),
    "record_id": ("record",),
}.items():
    _alias(_canonical, *_names)
_ALIASES["id"] = ("record_id", "customer_id", "name")


def lookup(prop: str, source: Mapping[str, Any]) -> Any:
    """Find the value for a schema property in ``source`` (exact, normalised, alias, then last name part)."""
    if prop in source:
        return source[prop]
    normalised = {_norm(k): k for k in source if isinstance(k, str)}
    key = _norm(prop)
    if key in normalised:
        return source[normalised[key]]
    for canonical in _ALIASES.get(key, ()):
        if canonical in source:
            return source[canonical]
    parts = [p for p in re.split(r"[_\W]+", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", prop).lower()) if p]
    for part in reversed(parts[1:] if len(parts) > 1 else []):
        for canonical in (part, *_ALIASES.get(part, ())):
            if canonical in source:
                return source[canonical]
    return None


def _resolve(schema: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and seen < MAX_DEPTH:
        ref = schema["$ref"]
        if not ref.startswith("#"):
            raise InputError(f"response schema: only local $ref is supported, got {ref!r}")
        node: Any = root
        for part in [p for p in ref[1:].split("/") if p]:
            node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping):
            raise InputError(f"response schema: unresolvable $ref {ref!r}")
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema if isinstance(schema, Mapping) else {}


def _types(schema: Mapping[str, Any]) -> list[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [str(x) for x in t]
    if "properties" in schema:
        return ["object"]
    if "items" in schema:
        return ["array"]
    return []


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return fmt_number(value)
    if isinstance(value, Mapping):
        for key in ("record_id", "label", "text", "title", "name", "answer", "customer_id"):
            if isinstance(value.get(key), str) and value[key]:
                return str(value[key])
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, Sequence):
        return "; ".join(_as_text(v) for v in value)
    return str(value)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = re.search(r"-?\d+(?:\.\d+)?", value)
        return float(m.group(0)) if m else None
    return None


def _fill_enum(options: Sequence[Any], value: Any) -> Any:
    if value in options:
        return value
    text = _as_text(value).casefold()
    for opt in options:
        if isinstance(opt, str) and opt.casefold() == text:
            return opt
    for opt in options:
        if isinstance(opt, str) and text and (opt.casefold() in text or text in opt.casefold()):
            return opt
    return options[0] if options else None


def _fill_number(schema: Mapping[str, Any], value: Any, integer: bool) -> int | float:
    num = _as_number(value)
    num = 0.0 if num is None else num
    lo = schema.get("minimum", schema.get("exclusiveMinimum"))
    hi = schema.get("maximum", schema.get("exclusiveMaximum"))
    if isinstance(lo, int | float) and num < lo:
        num = float(lo) + (1 if "exclusiveMinimum" in schema and integer else 0)
    if isinstance(hi, int | float) and num > hi:
        num = float(hi) - (1 if "exclusiveMaximum" in schema and integer else 0)
    return round(num) if integer else num


def _fill_string(schema: Mapping[str, Any], value: Any, source: Mapping[str, Any]) -> str:
    text = _as_text(value)
    min_len = schema.get("minLength")
    if isinstance(min_len, int) and len(text) < min_len:
        longer = _as_text(source.get("answer") or source.get("summary") or "")
        text = longer if len(longer) >= min_len else text.ljust(min_len)
    max_len = schema.get("maxLength")
    if isinstance(max_len, int) and len(text) > max_len:
        text = text[:max_len]
    return text


def _fill_array(
    schema: Mapping[str, Any], value: Any, source: Mapping[str, Any], root: Any, depth: int
) -> list[Any]:
    items_schema = schema.get("items") if isinstance(schema.get("items"), Mapping) else {}
    if value is None:
        elements: list[Any] = []
    elif isinstance(value, list | tuple):
        elements = list(value)
    else:
        elements = [value]
    max_items = schema.get("maxItems")
    if isinstance(max_items, int):
        elements = elements[:max_items]
    out = [fill(items_schema, e, e if isinstance(e, Mapping) else source, root, depth + 1) for e in elements]
    min_items = schema.get("minItems")
    while isinstance(min_items, int) and len(out) < min_items:
        out.append(fill(items_schema, None, source, root, depth + 1))
    if schema.get("uniqueItems"):
        unique: list[Any] = []
        for e in out:
            if e not in unique:
                unique.append(e)
        out = unique
    return out


def _fill_object(
    schema: Mapping[str, Any], value: Any, source: Mapping[str, Any], root: Any, depth: int
) -> Any:
    props = schema.get("properties")
    child_source: Mapping[str, Any] = value if isinstance(value, Mapping) else source
    if not isinstance(props, Mapping) or not props:
        if isinstance(value, Mapping):
            return dict(value)
        return {} if depth else dict(source.get("_native") or {})
    required = [r for r in schema.get("required") or () if isinstance(r, str)]
    out: dict[str, Any] = {}
    for name, sub in props.items():
        found = lookup(name, child_source)
        if found is None and child_source is not source:
            found = lookup(name, source) if depth <= 1 else None
        if found is None and name not in required:
            continue
        out[name] = fill(sub, found, child_source, root, depth + 1)
    for name in required:
        if name not in out:
            out[name] = ""
    return out


def fill(schema: Any, value: Any, source: Mapping[str, Any], root: Any, depth: int = 0) -> Any:
    """Build an instance of ``schema`` from ``value`` (the matched source value) and ``source`` (lookups).

    Args:
        schema: The (sub)schema to satisfy.
        value: The value found for this position (None when nothing matched: type defaults apply).
        source: Where the properties of objects are looked up.
        root: The root schema (for local ``$ref``).
        depth: Current depth.
    """
    node = _resolve(schema, root)
    if depth > MAX_DEPTH:
        return None
    if "const" in node:
        return node["const"]
    if isinstance(node.get("enum"), list):
        return _fill_enum(node["enum"], value)
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if isinstance(options, list) and options:
            return _fill_alternatives(options, value, source, root, depth)
    if isinstance(node.get("allOf"), list):
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in node["allOf"]:
            part = _resolve(part, root)
            merged["properties"].update(part.get("properties") or {})
            merged["required"] += list(part.get("required") or ())
        return fill(merged, value, source, root, depth)
    types = _types(node)
    if value is None and "null" in types:
        return None
    kind = next((t for t in types if t != "null"), None)
    if kind is None:
        return value if value is not None else ""
    if kind == "object":
        return _fill_object(node, value, source, root, depth)
    if kind == "array":
        return _fill_array(node, value, source, root, depth)
    if kind in ("number", "integer"):
        return _fill_number(node, value, kind == "integer")
    if kind == "boolean":
        if isinstance(value, str):
            return value.strip().lower() in ("true", "yes", "1", "是")
        return bool(value)
    if kind == "null":
        return None
    return _fill_string(node, value, source)


def _fill_alternatives(
    options: list[Any], value: Any, source: Mapping[str, Any], root: Any, depth: int
) -> Any:
    resolved = [_resolve(o, root) for o in options]
    if value is None and any("null" in _types(o) for o in resolved):
        return None
    first: Any = None
    for option in resolved:
        if _types(option) == ["null"]:
            continue
        candidate = fill(option, value, source, root, depth)
        if first is None:
            first = candidate
        if not list(_validator(json.dumps({**option, **_defs(root)}, sort_keys=True)).iter_errors(candidate)):
            return candidate
    return first


def _defs(root: Any) -> dict[str, Any]:
    if not isinstance(root, Mapping):
        return {}
    return {k: root[k] for k in ("$defs", "definitions") if k in root}


@functools.lru_cache(maxsize=64)
def _validator(schema_json: str) -> Any:
    from jsonschema import validators

    schema = json.loads(schema_json)
    cls = validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except Exception as exc:  # jsonschema.SchemaError
        raise InputError(f"response schema is not a valid JSON schema: {exc}") from exc
    return cls(schema)


def validation_errors(instance: Any, schema: Mapping[str, Any]) -> list[str]:
    """Return the validation error messages of ``instance`` against ``schema`` (empty when valid)."""
    validator = _validator(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]


def fill_schema(schema: Mapping[str, Any], source: Mapping[str, Any]) -> Any:
    """Fill ``schema`` from ``source`` and validate the result.

    Args:
        schema: A JSON schema (draft 4 to 2020-12; local ``$ref`` supported).
        source: The reasoner's values by canonical name (label, score, factors, answer, scripts, ...);
            ``_native`` holds the task's own output, used for free-form objects.

    Returns:
        A JSON-serialisable instance that validates against ``schema``.

    Raises:
        InputError: The schema is invalid or uses a remote ``$ref``.
        BackendError: No valid instance could be built (e.g. an unsatisfiable pattern).
    """
    _validator(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    native = source.get("_native")
    props = schema.get("properties")
    own = isinstance(native, Mapping) and isinstance(props, Mapping) and list(props) == list(native)
    if own and isinstance(native, Mapping) and not validation_errors(dict(native), schema):
        return dict(native)  # the task's own schema: no filling needed
    instance = fill(schema, None, source, schema)
    errors = validation_errors(instance, schema)
    if errors:
        if isinstance(native, Mapping) and not validation_errors(dict(native), schema):
            return dict(native)
        raise BackendError("local reasoner could not satisfy the response schema: " + "; ".join(errors[:3]))
    return instance
