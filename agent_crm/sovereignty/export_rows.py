"""Rows of a tenant export: interactions, customer facts, decisions with attributions, audit records.

Audit records of erased subjects (and records hanging off them) are exported *sealed*: their chain columns
(seq, id, kind, time, hashes) without payload or subject, so the exported chain can still be checked and
nothing of the erased customer is exported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agent_crm.errors import AgentCRMError, ConfigError
from agent_crm.logs import get_logger
from agent_crm.sovereignty.record_transforms import decrypt_record, is_encrypted
from agent_crm.types import AuditRecord, Interaction

if TYPE_CHECKING:
    from agent_crm.audit.ledger import Ledger
    from agent_crm.kb.directory import CustomerEntry

_log = get_logger("sovereignty.export")
_PAGE = 1000

INTERACTION_COLUMNS = (
    "id", "customer_id", "customer_name", "channel", "timestamp", "direction", "author", "contact_name", "subject",
    "text", "amount", "currency", "product", "department", "region", "tags", "fields", "source", "content_hash",
)
CUSTOMER_COLUMNS = (
    "customer_id", "name", "aliases", "contacts", "region", "segment", "records", "first_contact", "last_contact",
    "channels", "amounts", "consent", "features",
)
DECISION_COLUMNS = (
    "audit_id", "created_at", "customer_id", "type", "label", "score", "models", "attributions", "citations",
    "flags", "corrections", "approvals",
)
AUDIT_COLUMNS = (
    "id", "seq", "kind", "created_at", "actor", "subject", "parent_id", "payload", "payload_hash", "prev_hash",
    "chain_hash", "sealed",
)


def interaction_row(rec: Interaction, unseal: Callable[[str], Any] | None) -> tuple[dict[str, Any], bool]:
    """Return the export row of a record (values a retention rule encrypted restored with ``unseal``)."""
    decrypted = False
    if unseal is not None and is_encrypted(rec):
        try:
            rec, decrypted = decrypt_record(rec, unseal), True
        except ConfigError:
            _log.warning("export_record_left_encrypted", tenant=rec.tenant)
    row = rec.model_dump(mode="json", exclude={"tenant"}, exclude_none=True)
    return row, decrypted


def _consent(records: Sequence[Interaction]) -> Any:
    for rec in reversed(records):
        if "consent" in rec.fields:
            return rec.fields["consent"]
    return None


def customer_facts(
    entry: CustomerEntry | None, customer_id: str, records: Sequence[Interaction], as_of: datetime | None,
    with_features: bool = True,
) -> dict[str, Any]:
    """Return the directory entry of a customer with facts derived from their records."""
    amounts: dict[str, float] = {}
    for r in records:
        if r.amount is not None:
            amounts[r.currency or "?"] = amounts.get(r.currency or "?", 0.0) + r.amount
    row: dict[str, Any] = {
        "customer_id": customer_id,
        "name": entry.name if entry else next((r.customer_name for r in records if r.customer_name), customer_id),
        "aliases": list(entry.aliases) if entry else [],
        "contacts": [c.model_dump(exclude_none=True) for c in entry.contacts] if entry else [],
        "region": (entry.region if entry else None) or next((r.region for r in records if r.region), None),
        "segment": entry.segment if entry else None,
        "records": len(records),
        "first_contact": records[0].timestamp.isoformat() if records else None,
        "last_contact": records[-1].timestamp.isoformat() if records else None,
        "channels": dict(sorted(Counter(r.channel for r in records).items())),
        "amounts": {k: round(v, 2) for k, v in sorted(amounts.items())},
        "consent": _consent(records),
    }
    if with_features and records and as_of is not None and not customer_id.startswith("_"):
        row["features"] = decision_features(records, as_of)
    return row


def decision_features(records: Sequence[Interaction], as_of: datetime) -> dict[str, dict[str, float | None]]:
    """Return decision type -> feature -> value for one customer (the decision engine's features).

    ``agent_crm.decisions`` sits on the same layer as this package; it is imported here, lazily and
    optionally, only to enrich the export.
    """
    try:
        from agent_crm.decisions import DECISION_TYPES, compute_features
    except ImportError:  # pragma: no cover - decisions is part of the package
        return {}
    out: dict[str, dict[str, float | None]] = {}
    for dtype in DECISION_TYPES:
        try:
            feats = compute_features(dtype, records, as_of=as_of)
        except AgentCRMError:
            continue
        out[dtype] = {name: f.value for name, f in feats.items()}
    return out


def iter_audit(ledger: Ledger, subject: str | None = None) -> Iterator[AuditRecord]:
    """Yield the tenant's audit records in chain order (of one subject, when given)."""
    offset = 0
    while True:
        page = ledger.list(subject=subject, limit=_PAGE, offset=offset)
        yield from page
        if len(page) < _PAGE:
            return
        offset += _PAGE


def erased_subjects(ledger: Ledger) -> set[str]:
    """Return the subjects the ledger holds an erasure tombstone for."""
    out: set[str] = set()
    offset = 0
    while True:
        page = ledger.list(kind="erasure", limit=_PAGE, offset=offset)
        out.update(str(r.payload["subject"]) for r in page if r.payload.get("subject"))
        if len(page) < _PAGE:
            return out
        offset += _PAGE


def audit_rows(records: Sequence[AuditRecord], erased: set[str]) -> list[dict[str, Any]]:
    """Return audit export rows, sealing records of erased subjects and the records hanging off them."""
    sealed_ids: set[str] = set()
    rows = []
    for r in records:
        p = r.payload
        sealed = bool(p.get("erased")) or p.get("subject") in erased or r.parent_id in sealed_ids
        row: dict[str, Any] = {
            "id": r.id, "seq": r.seq, "kind": r.kind, "created_at": r.created_at, "actor": r.actor,
            "parent_id": r.parent_id, "payload_hash": r.payload_hash, "prev_hash": r.prev_hash,
            "chain_hash": r.chain_hash, "sealed": sealed,
        }
        if sealed:
            sealed_ids.add(r.id)
        else:
            row["subject"] = p.get("subject")
            row["payload"] = {"data": p.get("data"), "personal": p.get("personal"),
                              "personal_ct": p.get("personal_ct")}
        rows.append(row)
    return rows


def decision_rows(records: Sequence[AuditRecord], audit: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return one row per (unsealed) decision: model calls, sources, attributions, corrections, approvals."""
    sealed = {a["id"] for a in audit if a["sealed"]}
    children: dict[str, list[AuditRecord]] = {}
    for r in records:
        if r.parent_id:
            children.setdefault(r.parent_id, []).append(r)
    out = []
    for r in records:
        if r.kind != "decision" or r.id in sealed:
            continue
        data = r.payload.get("data") or {}
        decision = data.get("decision") or {}
        kids = children.get(r.id, [])
        out.append({
            "audit_id": r.id, "created_at": r.created_at, "customer_id": data.get("customer_id"),
            "type": decision.get("type"), "label": decision.get("label"), "score": decision.get("score"),
            "models": [{k: c.get(k) for k in ("purpose", "alias", "model", "region")}
                       for c in data.get("model_calls", [])],
            "attributions": data.get("attributions", []), "citations": data.get("citations", []),
            "flags": data.get("flags", []),
            "corrections": [{"audit_id": c.id, "created_at": c.created_at, "actor": c.actor,
                             **(c.payload.get("data") or {}), "reason": (c.payload.get("personal") or {}).get("reason")}
                            for c in kids if c.kind == "correction"],
            "approvals": [{"audit_id": c.id, "created_at": c.created_at, "actor": c.actor,
                           **(c.payload.get("data") or {})} for c in kids if c.kind == "approval"],
        })
    return out
