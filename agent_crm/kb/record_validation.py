"""Turn one raw interaction mapping (a JSONL object, a CSV row, an SDK dict) into a validated Interaction.

The parsers of ``field_parsers`` return clean values or raise ``FieldError``; the ``RecordBuilder``
collects every field problem of a record (so one pass shows all of them) and the caller turns them into
``LoadIssue``s with file, line and raw text. Also the canonical content hash of a record.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from agent_crm.kb.field_parsers import (
    FieldError,
    FieldProblem,
    kind_of,
    parse_amount,
    parse_channel,
    parse_currency,
    parse_direction,
    parse_fields,
    parse_id,
    parse_tags,
    parse_text,
    parse_timestamp,
    present,
)
from agent_crm.types import Interaction, SourceRef

KNOWN_FIELDS = frozenset({
    "id", "tenant", "customer_id", "customer_name", "channel", "timestamp", "direction", "author",
    "contact_name", "subject", "text", "amount", "currency", "product", "department", "region", "tags",
    "fields",
})
"""Top-level keys with a meaning of their own; any other key (or CSV column) is kept in ``fields``."""

_OPTIONAL_TEXT = ("customer_name", "author", "contact_name", "subject", "product", "department", "region")
_HASH_RE = re.compile(r"[0-9a-f]{64}")


def _json_default(value: Any) -> Any:
    """Serialise the few non-JSON values SDK users pass in ``fields`` (dates, decimals, tuples, sets)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"value of type {type(value).__name__} is not JSON-serialisable")


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default
)


def canonical_json(value: Any) -> str:
    """Serialise to canonical JSON: sorted keys, no whitespace, UTF-8 text, no NaN."""
    return _CANONICAL.encode(value)


def _utc_iso(ts: datetime) -> str:
    """Format a timestamp as ISO 8601 in UTC (naive means UTC)."""
    return (ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)).isoformat()


def content_hash_of(content: Mapping[str, Any]) -> str:
    """Hash a record's content mapping (every Interaction field but source and content_hash)."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def record_content_hash(rec: Interaction) -> str:
    """Return sha256 over the canonical JSON of a record's content (every field but source, content_hash)."""
    content = {name: getattr(rec, name) for name in KNOWN_FIELDS}
    content["timestamp"] = _utc_iso(rec.timestamp)
    content["tags"] = list(rec.tags)
    return content_hash_of(content)


def _is_own_source(value: Any) -> bool:
    """Tell whether a ``source`` value is agent_crm's own SourceRef (re-ingested export), not user data."""
    if isinstance(value, SourceRef):
        return True
    return isinstance(value, Mapping) and set(value) <= {"file", "line"} and "file" in value


class RecordBuilder:
    """Validate raw mappings into Interactions for one tenant and one source, detecting duplicate ids.

    Args:
        tenant: the (validated) tenant the records are loaded into; stamped on every record.
        file: the source name written into each record's ``SourceRef``.
        from_text: True for CSV rows (all values are text, ``fields`` is a JSON string, blanks are absent).
    """

    def __init__(self, tenant: str, file: str, *, from_text: bool) -> None:
        self.tenant = tenant
        self.file = file
        self.from_text = from_text
        self.seen: dict[str, int] = {}

    def build(self, raw: Mapping[str, Any], line: int) -> tuple[Interaction | None, list[FieldProblem]]:
        """Return (record, []) for a valid mapping, else (None, [(field, reason), ...]) naming each issue."""
        try:
            rec = self._build_fast(raw, line)
        except (FieldError, ValidationError):
            rec = None
        if rec is not None:
            return rec, []
        return self._build_reporting(raw, line)

    def _build_fast(self, raw: Mapping[str, Any], line: int) -> Interaction | None:
        """Build a valid record in one straight pass; raise FieldError or return None at the first problem.

        The common case on the ingest path; any problem sends the record through ``_build_reporting``, which
        produces the same record or names every problem.
        """
        get = raw.get
        rec_id = parse_id(get("id"), "id")
        if rec_id in self.seen:
            return None
        owner = get("tenant")
        if owner is not None and owner != self.tenant and present(owner):
            return None
        text = get("text")
        if text is None:
            text = ""
        elif isinstance(text, str):
            text = text.replace("\r\n", "\n").strip()
        else:
            return None
        subject = parse_text(get("subject"))
        if not text and not subject:
            return None
        currency = parse_currency(get("currency"))
        amount, code = parse_amount(get("amount"))
        if code:
            if currency and code != currency:
                return None
            currency = code
        problems: list[FieldProblem] = []
        fields = self._merge_extra(raw, parse_fields(get("fields"), self.from_text), problems)
        if problems:
            return None
        values: dict[str, Any] = {
            "id": rec_id, "tenant": self.tenant,
            "customer_id": parse_id(get("customer_id"), "customer_id"),
            "channel": parse_channel(get("channel")),
            "timestamp": parse_timestamp(get("timestamp")),
            "direction": parse_direction(get("direction")),
            "customer_name": parse_text(get("customer_name")),
            "author": parse_text(get("author")),
            "contact_name": parse_text(get("contact_name")),
            "subject": subject, "text": text, "amount": amount, "currency": currency,
            "product": parse_text(get("product")),
            "department": parse_text(get("department")),
            "region": parse_text(get("region")),
            "tags": parse_tags(get("tags")),
            "fields": fields,
        }
        content = dict(values)
        content["timestamp"] = _utc_iso(values["timestamp"])
        content["tags"] = list(values["tags"])
        try:
            values["content_hash"] = content_hash_of(content)
        except (TypeError, ValueError):
            return None
        values["source"] = SourceRef(file=self.file, line=line)
        rec = Interaction(**values)
        self.seen[rec_id] = line
        return rec

    def _build_reporting(
        self, raw: Mapping[str, Any], line: int
    ) -> tuple[Interaction | None, list[FieldProblem]]:
        """Validate every field, collecting all problems (the slow path, taken for records with any)."""
        errors: list[FieldProblem] = []
        values: dict[str, Any] = {}

        def take(name: str, parser: Any, *args: Any) -> Any:
            try:
                return parser(raw.get(name), *args)
            except FieldError as exc:
                errors.append((name, str(exc)))
                return None

        rec_id = take("id", parse_id, "id")
        if rec_id is not None:
            first = self.seen.get(rec_id)
            if first is not None:
                errors.append(("id", f"duplicate id {rec_id!r} (first seen on line {first})"))
            else:
                self.seen[rec_id] = line
        owner = raw.get("tenant")
        if present(owner) and (not isinstance(owner, str) or owner.strip() != self.tenant):
            errors.append(("tenant", f"record belongs to tenant {owner!r}, loading into {self.tenant!r}"))
        values["customer_id"] = take("customer_id", parse_id, "customer_id")
        values["channel"] = take("channel", parse_channel)
        values["timestamp"] = take("timestamp", parse_timestamp)
        values["direction"] = take("direction", parse_direction)
        for name in _OPTIONAL_TEXT:
            values[name] = take(name, parse_text)
        text = raw.get("text")
        if text is None or (isinstance(text, str) and not text.strip()):
            values["text"] = ""
        elif isinstance(text, str):
            values["text"] = text.replace("\r\n", "\n").strip()
        else:
            errors.append(("text", f"expected a string, got {kind_of(text)}"))
        told = any(e[0] in ("text", "subject") for e in errors)
        if not values.get("text") and not values["subject"] and not told:
            errors.append(("text", "record has neither text nor subject (one of them is required)"))
        values["currency"] = take("currency", parse_currency)
        values["amount"] = None
        amount = take("amount", parse_amount)
        if amount is not None:
            values["amount"], code = amount
            if code and values["currency"] and code != values["currency"]:
                errors.append(("amount", f"amount is in {code} but currency is {values['currency']}"))
            elif code and not values["currency"] and "currency" not in (e[0] for e in errors):
                values["currency"] = code
        values["tags"] = take("tags", parse_tags) or ()
        fields = take("fields", parse_fields, self.from_text)
        values["fields"] = self._merge_extra(raw, fields or {}, errors)
        if errors:
            return None, errors
        values["id"] = rec_id
        values["tenant"] = self.tenant
        values["content_hash"] = self._hash(values, errors)
        if errors:
            return None, errors
        values["source"] = SourceRef(file=self.file, line=line)
        try:
            return Interaction(**values), errors
        except ValidationError as exc:
            return None, [(str(e["loc"][0]) if e["loc"] else None, e["msg"]) for e in exc.errors()]

    def _merge_extra(
        self, raw: Mapping[str, Any], fields: dict[str, Any], errors: list[FieldProblem]
    ) -> dict[str, Any]:
        """Move unknown keys (CSV columns) into ``fields``; never overwrite a key given inside ``fields``."""
        extra = [k for k in raw if k not in KNOWN_FIELDS]
        if not extra:
            return fields
        merged = dict(fields)
        for key in extra:
            value = raw[key]
            if key == "content_hash" and isinstance(value, str) and _HASH_RE.fullmatch(value):
                continue  # our own hash from a re-ingested export: recomputed below
            if key == "source" and _is_own_source(value):
                continue  # our own SourceRef from a re-ingested export: replaced by this file and line
            if self.from_text and (value is None or (isinstance(value, str) and not value.strip())):
                continue
            if key in merged:
                errors.append((key, f"{key!r} is given both as its own column/key and inside fields"))
                continue
            merged[key] = value
        return merged

    def _hash(self, values: dict[str, Any], errors: list[FieldProblem]) -> str:
        """Compute the content hash, reporting fields that cannot be serialised."""
        content = {name: values[name] for name in KNOWN_FIELDS if name in values}
        content["timestamp"] = _utc_iso(values["timestamp"])
        content["tags"] = list(values["tags"])
        try:
            return content_hash_of(content)
        except (TypeError, ValueError) as exc:
            errors.append(("fields", f"fields must be JSON values: {exc}"))
            return ""
