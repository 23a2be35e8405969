"""Load interaction records from JSONL/CSV/TSV files or in-memory mappings, validating every field.

Record format (one JSON object per line, or one CSV row under a header row):

- ``id``, ``customer_id`` (required), ``channel`` (required, lower-cased token), ``timestamp`` (required,
  ISO 8601; naive means UTC; ``2026-11-13 10:20:00`` and ``2026-11-13`` accepted; stored in UTC);
- ``text`` or ``subject`` (at least one); ``direction`` (inbound/outbound/internal, or in/out); ``author``,
  ``contact_name``, ``customer_name``, ``product``, ``department``, ``region``;
- ``amount`` (number, or text such as ``12,000.50`` / ``¥12,000.50`` / ``USD 1,200``) and ``currency``
  (ISO 4217);
- ``tags`` (list, or a ``;``/``,`` separated string); ``fields`` (object; a JSON object string in CSV);
- ``tenant`` (optional; when given it must be the tenant being loaded).

Any other key or CSV column is kept in ``fields`` (CSV cells stay strings). One bad record never stops a
file: it becomes ``LoadIssue``s with file, line, field and reason, and every good record is kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_crm.kb.directory import (
    Contact,
    CustomerEntry,
    DirectoryResult,
    load_directory_file,
    read_directory_file,
)
from agent_crm.kb.file_formats import TableFile, TableSpec, iter_csv_rows, iter_jsonl_lines, read_table_file
from agent_crm.kb.issues import LoadIssue, format_issues
from agent_crm.kb.record_validation import KNOWN_FIELDS, RecordBuilder, canonical_json, record_content_hash
from agent_crm.logs import get_logger
from agent_crm.tenancy import validate_tenant
from agent_crm.types import Interaction

__all__ = [
    "INTERACTION_SPEC",
    "Contact",
    "CustomerEntry",
    "DirectoryResult",
    "LoadIssue",
    "LoadResult",
    "format_issues",
    "load_directory_file",
    "load_file",
    "load_records",
    "read_directory_file",
    "record_content_hash",
]

INTERACTION_SPEC = TableSpec(
    what="interaction records",
    required=("id", "customer_id", "channel", "timestamp"),
    any_of=("text", "subject"),
    known=KNOWN_FIELDS,
)
"""Header requirements of an interaction CSV."""

_log = get_logger("kb.loaders")


@dataclass(slots=True)
class LoadResult:
    """The valid records of one input and the issues of the invalid ones."""

    records: list[Interaction]
    """Valid records, in input order, each with ``source`` and ``content_hash`` set."""
    issues: list[LoadIssue]
    """Problems, in input order (a record with several bad fields has several issues)."""
    file_hash: str
    """sha256 of the file's bytes (of the canonical JSON of the inputs for ``load_records``)."""
    format: str
    """``jsonl``, ``csv``, ``tsv`` or ``records`` (in-memory)."""
    encoding: str = "utf-8"
    """Text encoding the file was decoded with."""
    rejected: int = field(default=0)
    """Number of records (lines/rows) rejected; each has at least one issue."""


def load_file(path: str | Path, tenant: str, *, encoding: str | None = None) -> LoadResult:
    """Load and validate the interaction records of one JSONL/CSV/TSV file for ``tenant``.

    Args:
        path: the file; its name (as given) becomes each record's ``source.file``.
        tenant: tenant the records are loaded into (records naming another tenant are rejected).
        encoding: force a text encoding (default: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030).

    Returns:
        The valid records and the issues of the invalid ones.

    Raises:
        InputError: the file cannot be read, decoded, or is not JSONL/CSV with the required header columns.
        TenantError: ``tenant`` is not a valid tenant id.
    """
    tenant = validate_tenant(tenant)
    table = read_table_file(path, INTERACTION_SPEC, encoding=encoding)
    builder = RecordBuilder(tenant, table.name, from_text=table.format != "jsonl")
    if table.format == "jsonl":
        records, issues, rejected = _load_jsonl(table, builder)
    else:
        records, issues, rejected = _load_csv(table, builder)
    _log.info(
        "file_loaded", file=table.name, format=table.format, encoding=table.encoding,
        records=len(records), rejected=rejected,
    )
    return LoadResult(records, issues, table.file_hash, table.format, table.encoding, rejected)


def _load_jsonl(table: TableFile, builder: RecordBuilder) -> tuple[list[Interaction], list[LoadIssue], int]:
    """Parse JSON Lines: one issue per malformed line, per-field issues per invalid record."""
    records: list[Interaction] = []
    issues: list[LoadIssue] = []
    rejected = 0
    name = table.name
    loads = json.loads
    for line, raw in iter_jsonl_lines(table.text):
        try:
            obj = loads(raw)
        except json.JSONDecodeError as exc:
            issues.append(LoadIssue(name, line, None, f"invalid JSON at column {exc.colno}: {exc.msg}", raw))
            rejected += 1
            continue
        except RecursionError:
            issues.append(LoadIssue(name, line, None, "invalid JSON: nested too deeply", raw))
            rejected += 1
            continue
        if not isinstance(obj, dict):
            kind = "array" if isinstance(obj, list) else type(obj).__name__
            issues.append(LoadIssue(name, line, None, f"expected a JSON object, got {kind}", raw))
            rejected += 1
            continue
        rec, errors = builder.build(obj, line)
        if rec is not None:
            records.append(rec)
        else:
            rejected += 1
            issues.extend(LoadIssue(name, line, fld, reason, raw) for fld, reason in errors)
    return records, issues, rejected


def _load_csv(table: TableFile, builder: RecordBuilder) -> tuple[list[Interaction], list[LoadIssue], int]:
    """Parse CSV/TSV rows: rows with a wrong cell count are issues, others are validated field by field."""
    records: list[Interaction] = []
    issues: list[LoadIssue] = []
    rejected = 0
    name = table.name
    for row in iter_csv_rows(table):
        if row.cells is None:
            issues.append(LoadIssue(name, row.line, None, row.problem or "unreadable row", row.raw))
            rejected += 1
            continue
        rec, errors = builder.build(row.cells, row.line)
        if rec is not None:
            records.append(rec)
        else:
            rejected += 1
            issues.extend(LoadIssue(name, row.line, fld, reason, row.raw) for fld, reason in errors)
    return records, issues, rejected


def _raw_text(item: Any) -> str:
    """Render an in-memory input as canonical JSON for issues and the input hash (repr as a last resort)."""
    try:
        return canonical_json(item)
    except (TypeError, ValueError):
        return json.dumps(item, sort_keys=True, ensure_ascii=False, default=repr)


def load_records(
    dicts: Iterable[Mapping[str, Any] | Interaction], tenant: str, source_name: str = "sdk"
) -> LoadResult:
    """Validate in-memory records (SDK/API path) exactly like file records; ``line`` is the index + 1.

    Args:
        dicts: mappings with the record fields (values may be Python objects: datetime, Decimal, ...) or
            Interaction objects (their ``source`` and ``content_hash`` are recomputed).
        tenant: tenant the records are loaded into.
        source_name: written into each record's ``source.file`` (e.g. ``sdk`` or ``api``).

    Returns:
        The valid records and the issues of the invalid ones; ``format`` is ``records``.
    """
    tenant = validate_tenant(tenant)
    builder = RecordBuilder(tenant, source_name, from_text=False)
    records: list[Interaction] = []
    issues: list[LoadIssue] = []
    digest = hashlib.sha256()
    rejected = 0
    for line, item in enumerate(dicts, 1):
        if isinstance(item, Interaction):
            item = item.model_dump(exclude={"source", "content_hash"})
        raw = _raw_text(item)
        digest.update(raw.encode("utf-8") + b"\n")
        if not isinstance(item, Mapping):
            reason = f"expected a mapping, got {type(item).__name__}"
            issues.append(LoadIssue(source_name, line, None, reason, raw))
            rejected += 1
            continue
        rec, errors = builder.build(item, line)
        if rec is not None:
            records.append(rec)
        else:
            rejected += 1
            issues.extend(LoadIssue(source_name, line, fld, reason, raw) for fld, reason in errors)
    return LoadResult(records, issues, digest.hexdigest(), "records", "utf-8", rejected)
