"""Import an export into a (new) tenant: verify it, re-ingest its records and directory, keep its audit trail.

Records go through the normal ingest pipeline (validation, PII policy, chunking, embedding, fingerprints), so
the new tenant answers searches like the old one. Audit records cannot be re-chained under another tenant (a
row's chain hash commits to its tenant), so the exported audit and decision files are archived unchanged under
``<tenant_dir>/imports/<manifest sha256 prefix>/`` (each exported record still verifies on its own) and one
``import`` record in the new tenant's ledger commits to the manifest's sha256.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent_crm.errors import InputError
from agent_crm.kb.directory import Contact, CustomerEntry
from agent_crm.kb.record_validation import KNOWN_FIELDS
from agent_crm.logs import get_logger
from agent_crm.sovereignty.export import MANIFEST, read_manifest, read_table, verify_export
from agent_crm.sovereignty.stores import TenantStores

IngestRows = Callable[[Sequence[Mapping[str, Any]]], Any]
"""Ingest in-memory record dicts into the target tenant (the service's ``CRM.ingest``)."""

IMPORTS_DIR = "imports"
BATCH = 500
_log = get_logger("sovereignty.import")


@dataclass
class ImportReport:
    """What an import did."""

    tenant: str
    source_tenant: str
    manifest_sha256: str
    records: int = 0
    quarantined: int = 0
    customers: int = 0
    archived: list[str] = field(default_factory=list)
    policy_installed: bool = False
    audit_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return asdict(self)


def _record_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ingestible part of an exported interaction row."""
    return {k: v for k, v in row.items() if k in KNOWN_FIELDS and k != "tenant"}


def _entry(row: Mapping[str, Any]) -> CustomerEntry:
    contacts = tuple(Contact(**{k: c.get(k) for k in ("name", "title", "role")}) for c in row.get("contacts") or ())
    return CustomerEntry(customer_id=str(row["customer_id"]), name=str(row.get("name") or row["customer_id"]),
                         aliases=tuple(row.get("aliases") or ()), contacts=contacts, region=row.get("region"),
                         segment=row.get("segment"))


def import_export(src: Path, stores: TenantStores, ingest: IngestRows, *, actor: str = "import") -> ImportReport:
    """Import the export in ``src`` into the tenant of ``stores``.

    Raises:
        InputError: the export does not verify against its manifest (files listed with the problem).
    """
    problems = verify_export(src)
    if problems:
        raise InputError(f"{src}: export does not verify: " + "; ".join(problems))
    manifest = read_manifest(src)
    fmt = str(manifest["file_format"])
    digest = hashlib.sha256((src / MANIFEST).read_bytes()).hexdigest()
    report = ImportReport(stores.tenant, str(manifest["tenant"]), digest)
    customers = [_entry(r) for r in read_table(src, "customers", fmt) if not str(r["customer_id"]).startswith("_")]
    if customers:
        stores.records.upsert_customers(customers)
    report.customers = len(customers)
    rows = [_record_dict(r) for r in read_table(src, "interactions", fmt)]
    for i in range(0, len(rows), BATCH):
        result = ingest(rows[i : i + BATCH])
        report.records += int(getattr(result, "records_ok", 0)) + int(getattr(result, "duplicates", 0))
        report.quarantined += int(getattr(result, "quarantined", 0))
    archive = stores.directory / IMPORTS_DIR / digest[:16]
    archive.mkdir(parents=True, exist_ok=True)
    for name in (MANIFEST, f"audit.{fmt}", f"decisions.{fmt}"):
        if (src / name).exists():
            shutil.copyfile(src / name, archive / name)
            report.archived.append(str(archive / name))
    policy = stores.directory / "retention.yaml"
    if (src / "retention.yaml").exists() and not policy.exists():
        shutil.copyfile(src / "retention.yaml", policy)
        report.policy_installed = True
    payload = {"source_tenant": report.source_tenant, "manifest_sha256": digest, "records": report.records,
               "quarantined": report.quarantined, "customers": report.customers,
               "archive": f"{IMPORTS_DIR}/{digest[:16]}", "counts": manifest.get("counts", {})}
    report.audit_id = stores.ledger.append("import", payload, actor=actor).id
    stores.on_change()
    _log.info("import_done", tenant=stores.tenant, records=report.records, customers=report.customers)
    return report
