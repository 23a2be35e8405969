"""Data portability: export a tenant (or one customer) as JSONL or CSV files with a verifiable manifest.

Layout of an export directory::

    interactions.jsonl   the records as stored (redacted), encrypted fields restored with the home key
    customers.jsonl      directory entries + facts derived from the records (+ decision features)
    decisions.jsonl      every AI decision: model calls, sources (citations), attributions, corrections
    audit.jsonl          every audit record (the customer's, with --customer); erased subjects sealed
    retention.yaml       the tenant's retention policy, when it has one (whole-tenant exports)
    manifest.json        format version, tenant, created_at, counts, and sha256/bytes/rows of every file

With ``--format csv`` the four tables are CSV (nested values as JSON text in their cells).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from agent_crm.errors import InputError
from agent_crm.logs import get_logger
from agent_crm.sovereignty.export_rows import (
    AUDIT_COLUMNS,
    CUSTOMER_COLUMNS,
    DECISION_COLUMNS,
    INTERACTION_COLUMNS,
    audit_rows,
    customer_facts,
    decision_rows,
    erased_subjects,
    interaction_row,
    iter_audit,
)
from agent_crm.sovereignty.record_transforms import marker
from agent_crm.sovereignty.stores import TenantStores
from agent_crm.types import AuditRecord, Interaction

ExportFormat = Literal["jsonl", "csv"]
EXPORT_FORMAT = "agent_crm.export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES: dict[str, tuple[str, ...]] = {
    "interactions": INTERACTION_COLUMNS, "customers": CUSTOMER_COLUMNS, "decisions": DECISION_COLUMNS,
    "audit": AUDIT_COLUMNS,
}

JSON_COLUMNS = frozenset({
    "tags", "fields", "source", "aliases", "contacts", "channels", "amounts", "consent", "features", "models",
    "attributions", "citations", "flags", "corrections", "approvals", "payload", "sealed",
})
"""CSV columns whose cells hold JSON text."""

_log = get_logger("sovereignty.export")


def _jsonl(rows: Iterable[dict[str, Any]]) -> tuple[bytes, int]:
    lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows]
    return ("".join(line + "\n" for line in lines)).encode("utf-8"), len(lines)


def _cell(column: str, value: Any) -> Any:
    if value is None:
        return ""
    if column in JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> tuple[bytes, int]:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    n = 0
    for r in rows:
        writer.writerow({c: _cell(c, r.get(c)) for c in columns})
        n += 1
    return buf.getvalue().encode("utf-8"), n


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _customer_audit(stores: TenantStores, customer_id: str) -> list[AuditRecord]:
    """Return the customer's audit records and the records linked to them, in chain order."""
    own = list(iter_audit(stores.ledger, subject=customer_id))
    seen = {r.id for r in own}
    linked = [c for r in own for c in stores.ledger.children(r.id) if c.id not in seen]
    return sorted({r.id: r for r in (*own, *linked)}.values(), key=lambda r: r.seq)


def export_tenant(
    stores: TenantStores, out: Path, *, customer: str | None = None, fmt: ExportFormat = "jsonl",
    features: bool = True, unseal: bool = True, actor: str = "export", created_at: datetime | None = None,
) -> dict[str, Any]:
    """Write an export of the tenant (or of one customer) into ``out`` and return its manifest.

    Values a retention rule encrypted at rest are exported in clear (``unseal``; one ``reidentification``
    audit record per export says which fields and how many records); values the trust policy sealed or
    pseudonymized at ingest stay as stored.

    Raises:
        InputError: ``out`` exists and is not empty, or the format is unknown.
    """
    if fmt not in ("jsonl", "csv"):
        raise InputError(f"unknown export format {fmt!r}: use jsonl or csv")
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out}: export directory must be empty or new")
    out.mkdir(parents=True, exist_ok=True)
    records = stores.records
    recs: list[Interaction] = list(records.by_customer(customer)) if customer else list(records.iter_all())
    opener = stores.vault.unseal if unseal and stores.vault is not None else None
    rows, decrypted, opened = [], 0, set()
    for rec in recs:
        row, was = interaction_row(rec, opener)
        rows.append(row)
        if was:
            decrypted += 1
            opened.update(marker(rec).get("sealed", []))
    if decrypted:  # opening encrypted fields is a re-identification: audited (fields and count, no values)
        stores.ledger.append("reidentification", {"fields": sorted(opened), "count": decrypted,
                                                  "purpose": "portability export"}, actor=actor)
    directory = {e.customer_id: e for e in records.directory()}
    by_customer: dict[str, list[Interaction]] = {}
    for rec in recs:
        by_customer.setdefault(rec.customer_id, []).append(rec)
    ids = [customer] if customer else sorted(set(directory) | set(by_customer))
    as_of = records.latest_timestamp()
    facts = [customer_facts(directory.get(c), c, sorted(by_customer.get(c, []), key=lambda r: (r.timestamp, r.id)),
                            as_of, features) for c in ids if c in directory or c in by_customer]
    ledger_records = _customer_audit(stores, customer) if customer else list(iter_audit(stores.ledger))
    audit = audit_rows(ledger_records, erased_subjects(stores.ledger))
    tables = {"interactions": rows, "customers": facts, "decisions": decision_rows(ledger_records, audit),
              "audit": audit}
    files: dict[str, dict[str, Any]] = {}
    for name, table in tables.items():
        data, n = _jsonl(table) if fmt == "jsonl" else _csv(table, TABLES[name])
        path = out / f"{name}.{fmt}"
        path.write_bytes(data)
        files[path.name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "rows": n}
    policy = stores.directory / "retention.yaml"
    if customer is None and policy.exists():
        shutil.copyfile(policy, out / "retention.yaml")
        files["retention.yaml"] = {"sha256": _sha256(out / "retention.yaml"),
                                   "bytes": (out / "retention.yaml").stat().st_size, "rows": None}
    counts = {"interactions": len(rows), "customers": len(facts), "decisions": len(tables["decisions"]),
              "audit_records": len(audit), "sealed_audit_records": sum(1 for a in audit if a["sealed"]),
              "decrypted_records": decrypted}
    manifest: dict[str, Any] = {
        "format": EXPORT_FORMAT, "format_version": FORMAT_VERSION, "tenant": stores.tenant, "customer": customer,
        "created_at": (created_at or datetime.now(UTC)).isoformat(), "file_format": fmt, "files": files,
        "counts": counts,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                encoding="utf-8")
    _log.info("export_written", tenant=stores.tenant, scoped=customer is not None, fmt=fmt, **counts)
    return manifest


def read_manifest(src: Path) -> dict[str, Any]:
    """Read an export's manifest.

    Raises:
        InputError: no manifest, not JSON, or not an agent_crm export of a known version.
    """
    path = src / MANIFEST
    if not path.exists():
        raise InputError(f"{src}: not an agent_crm export (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{path}: invalid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT:
        raise InputError(f"{path}: not an agent_crm export manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InputError(f"{path}: export format version {manifest.get('format_version')!r} is not supported "
                         f"(this version reads {FORMAT_VERSION})")
    return manifest


def verify_export(src: Path) -> list[str]:
    """Recompute every file's sha256, size and row count against the manifest; return the problems found."""
    manifest = read_manifest(src)
    problems = []
    for name, meta in sorted(manifest.get("files", {}).items()):
        path = src / name
        if not path.exists():
            problems.append(f"{name}: listed in the manifest but missing")
            continue
        if _sha256(path) != meta.get("sha256"):
            problems.append(f"{name}: sha256 differs from the manifest (file changed)")
        elif path.stat().st_size != meta.get("bytes"):
            problems.append(f"{name}: size differs from the manifest")
        elif meta.get("rows") is not None and _count_rows(path) != meta["rows"]:
            problems.append(f"{name}: row count differs from the manifest")
    listed = set(manifest.get("files", {})) | {MANIFEST}
    problems += [f"{p.name}: not listed in the manifest" for p in sorted(src.iterdir()) if p.name not in listed]
    return problems


def _count_rows(path: Path) -> int:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            return sum(1 for _ in csv.DictReader(fh))
    with path.open(encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def read_table(src: Path, name: str, fmt: str) -> list[dict[str, Any]]:
    """Read one exported table back into dicts (CSV cells holding JSON are decoded)."""
    path = src / f"{name}.{fmt}"
    if not path.exists():
        return []
    if fmt == "jsonl":
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for raw in csv.DictReader(fh):
            row: dict[str, Any] = {}
            for k, v in raw.items():
                if v != "":
                    row[k] = json.loads(v) if k in JSON_COLUMNS else v
            rows.append(row)
    return rows
