"""Load a tenant's customer directory (ids, names, aliases, contacts) from JSONL or CSV.

Columns / keys: ``customer_id`` and ``name`` (required), ``aliases`` (list, or ``;``/``,`` separated text),
``contacts`` (list of ``{"name", "title", "role"}`` objects or names; in CSV a JSON array, or
``name|title|role`` items separated by ``;``), ``region``, ``segment``. Other keys are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent_crm.errors import InputError
from agent_crm.kb.field_parsers import FieldError, parse_id, parse_tags, parse_text
from agent_crm.kb.file_formats import TableSpec, iter_csv_rows, iter_jsonl_lines, read_table_file
from agent_crm.kb.issues import LoadIssue, format_issues

_FIELDS = frozenset({"customer_id", "name", "aliases", "contacts", "region", "segment"})
_ITEM_SPLIT = re.compile(r"[;；\n]")

DIRECTORY_SPEC = TableSpec(what="a customer directory", required=("customer_id", "name"), known=_FIELDS)
"""Header requirements of a directory CSV."""


class Contact(BaseModel):
    """A contact person at a customer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """Name as people write it (e.g. 张主任)."""
    title: str | None = None
    """Job title (e.g. 科室主任, CFO)."""
    role: str | None = None
    """Buying role (e.g. decision_maker, influencer, user)."""


class CustomerEntry(BaseModel):
    """One customer of the directory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: str
    name: str
    """Display name."""
    aliases: tuple[str, ...] = ()
    """Other names the customer goes by (abbreviations, former names)."""
    contacts: tuple[Contact, ...] = ()
    region: str | None = None
    segment: str | None = None
    """Segment or tier (e.g. enterprise, SMB, 三甲医院)."""


@dataclass(slots=True)
class DirectoryResult:
    """Valid directory entries and the issues of the invalid ones."""

    entries: list[CustomerEntry]
    issues: list[LoadIssue]
    file_hash: str
    format: str
    encoding: str = "utf-8"


def _contact(item: Any, position: int) -> Contact:
    """Build one contact from an object, a name, or ``name|title|role`` text."""
    if isinstance(item, str):
        parts = [p.strip() or None for p in item.split("|")]
        if len(parts) > 3:
            raise FieldError(f"contact {position} has more than 3 '|' parts (expected name|title|role)")
        parts += [None] * (3 - len(parts))
        name, title, role = parts
    elif isinstance(item, Mapping):
        name, title, role = (parse_text(item.get(k)) for k in ("name", "title", "role"))
    else:
        raise FieldError(f"contact {position} must be an object or a name")
    if not name:
        raise FieldError(f"contact {position} has no name")
    return Contact(name=name, title=title, role=role)


def parse_contacts(value: Any, from_text: bool) -> tuple[Contact, ...]:
    """Return contacts from a list (objects or names), a JSON array string or ``name|title|role; ...``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ()
    if isinstance(value, str):
        text = value.strip()
        if from_text and text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise FieldError(f"invalid JSON in contacts at column {exc.colno}: {exc.msg}") from None
        else:
            value = [s for s in (p.strip() for p in _ITEM_SPLIT.split(text)) if s]
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list | tuple):
        raise FieldError("expected a list of contacts")
    return tuple(_contact(item, i) for i, item in enumerate(value, 1))


def _entry(raw: Mapping[str, Any], from_text: bool) -> tuple[CustomerEntry | None, list[tuple[str, str]]]:
    """Validate one directory row; return the entry or every (field, reason) problem."""
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    parsers: dict[str, Any] = {
        "customer_id": lambda v: parse_id(v, "customer_id"),
        "name": lambda v: parse_id(v, "name"),
        "aliases": parse_tags,
        "contacts": lambda v: parse_contacts(v, from_text),
        "region": parse_text,
        "segment": parse_text,
    }
    for key, parser in parsers.items():
        try:
            values[key] = parser(raw.get(key))
        except FieldError as exc:
            errors.append((key, str(exc)))
    if errors:
        return None, errors
    return CustomerEntry(**values), errors


def read_directory_file(path: str | Path, *, encoding: str | None = None) -> DirectoryResult:
    """Load a directory file, keeping good entries and reporting bad ones as issues (duplicate ids included).

    Raises:
        InputError: the file is not JSONL/CSV with ``customer_id`` and ``name`` columns, or cannot be decoded.
    """
    table = read_table_file(path, DIRECTORY_SPEC, encoding=encoding)
    from_text = table.format != "jsonl"
    entries: list[CustomerEntry] = []
    issues: list[LoadIssue] = []
    seen: dict[str, int] = {}
    rows: list[tuple[int, str, Mapping[str, Any] | None, str | None]] = []
    if from_text:
        rows = [(r.line, r.raw, r.cells, r.problem) for r in iter_csv_rows(table)]
    else:
        for line, raw in iter_jsonl_lines(table.text):
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                rows.append((line, raw, None, f"invalid JSON at column {exc.colno}: {exc.msg}"))
                continue
            if isinstance(obj, dict):
                rows.append((line, raw, obj, None))
            else:
                rows.append((line, raw, None, f"expected a JSON object, got {type(obj).__name__}"))
    for line, raw, cells, problem in rows:
        if cells is None:
            issues.append(LoadIssue(table.name, line, None, problem or "unreadable row", raw))
            continue
        entry, errors = _entry(cells, from_text)
        if entry is not None and entry.customer_id in seen:
            errors = [("customer_id", f"duplicate customer_id {entry.customer_id!r} (first on line "
                                      f"{seen[entry.customer_id]})")]
        if errors or entry is None:
            issues.extend(LoadIssue(table.name, line, fld, reason, raw) for fld, reason in errors)
            continue
        seen[entry.customer_id] = line
        entries.append(entry)
    return DirectoryResult(entries, issues, table.file_hash, table.format, table.encoding)


def load_directory_file(path: str | Path, *, encoding: str | None = None) -> list[CustomerEntry]:
    """Load a customer directory file; all or nothing.

    Raises:
        InputError: the file is unusable, or an entry is invalid (listed as ``file:line: field: reason``).
    """
    result = read_directory_file(path, encoding=encoding)
    if result.issues:
        head = f"{path}: {len(result.issues)} problem(s) in the customer directory:\n"
        raise InputError(head + format_issues(result.issues))
    return result.entries
