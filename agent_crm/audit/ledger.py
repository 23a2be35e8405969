"""The audit ledger: protocol, hash-chain rules and verification shared by every backend.

A tenant's ledger is one append-only chain of rows. The chain runs over *commitments*, not raw payloads:

- ``stored_payload = {"data": payload, "personal_ct": <Fernet token of canonical personal JSON or null>,
  "subject": subject}``, kept as canonical JSON text beside the chain columns;
- ``payload_hash = sha256(canonical_json(stored_payload))`` (the stored text *is* that canonical JSON, so
  verification hashes the stored bytes as they are);
- ``chain_hash = sha256(prev_chain_hash || payload_hash || canonical_json(meta))`` over the raw 32-byte
  digests, where ``meta = {seq, tenant, kind, created_at, actor, parent_id, subject}`` and the first row's
  ``prev_chain_hash`` is 64 zeros;
- ``id = "aud_" + chain_hash[:20]``. The id is derived from the chain hash, so it cannot also be an input of
  it; the tenant takes its place in ``meta`` (a row moved to another tenant no longer verifies) and
  verification checks that every id matches its chain hash.

Personal values are encrypted with a per-subject data key (:mod:`agent_crm.audit.crypto`); ``shred(subject)``
deletes the key, after which the ciphertext still hashes the same (``verify`` passes) but cannot be read back.

Records returned by :meth:`Ledger.get` carry ``payload = {"data": ..., "subject": ..., "personal": <dict or
None>, "erased": <bool>, "personal_ct": <token or None>}``; ``payload_hash`` is recomputable from
``{"data", "personal_ct", "subject"}`` with :func:`stored_payload_text`.
"""

from __future__ import annotations

import builtins
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from agent_crm.audit.canonical import canonical_json, sha256_hex
from agent_crm.audit.merkle import Anchor
from agent_crm.errors import AuditIntegrityError, ConfigError, InputError
from agent_crm.types import AuditRecord

if TYPE_CHECKING:
    from agent_crm.config import Settings

GENESIS_HASH = "0" * 64
"""``prev_hash`` of a chain's first row."""

Reason = Literal["payload_modified", "chain_broken", "row_missing", "order_changed", "head_mismatch"]
Clock = Callable[[], datetime]

_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
KNOWN_KINDS = ("decision", "correction", "approval", "erasure", "reidentification", "retention")
"""Kinds written by agent_crm itself; other lower-case identifiers are accepted for extensions."""


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of verifying a tenant's chain: ok, or the first bad row and why."""

    ok: bool
    checked: int
    """Rows that verified before the first failure (all rows when ``ok``)."""
    first_bad_seq: int | None = None
    first_bad_id: str | None = None
    reason: Reason | None = None
    detail: str = ""

    def raise_for_status(self) -> None:
        """Raise AuditIntegrityError naming the first bad row if the chain did not verify."""
        if not self.ok:
            raise AuditIntegrityError(
                f"audit ledger does not verify: {self.reason} at seq {self.first_bad_seq} "
                f"({self.first_bad_id}): {self.detail}"
            )


@dataclass(frozen=True)
class ChainRow:
    """One stored ledger row exactly as a backend keeps it."""

    tenant: str
    seq: int
    id: str
    kind: str
    created_at: str
    actor: str
    subject: str | None
    parent_id: str | None
    payload: str
    payload_hash: str
    prev_hash: str
    chain_hash: str


def utc_now() -> datetime:
    """Return the current time in UTC (the default ledger clock)."""
    return datetime.now(UTC)


def format_created_at(dt: datetime) -> str:
    """Format a timestamp as fixed-width ISO 8601 UTC (lexical order = time order); naive means UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def stored_payload_text(data: Mapping[str, Any], personal_ct: str | None, subject: str | None) -> str:
    """Return the canonical JSON text stored for a row (its sha256 is the row's ``payload_hash``)."""
    return canonical_json({"data": data, "personal_ct": personal_ct, "subject": subject}).decode("utf-8")


def compute_chain_hash(prev_hash: str, payload_hash: str, meta: Mapping[str, Any]) -> str:
    """Return ``sha256(prev || payload_hash || canonical_json(meta))`` over raw digests."""
    return sha256_hex(bytes.fromhex(prev_hash) + bytes.fromhex(payload_hash) + canonical_json(meta))


def row_meta(
    *, seq: int, tenant: str, kind: str, created_at: str, actor: str, parent_id: str | None,
    subject: str | None,
) -> dict[str, Any]:
    """Return the row metadata that enters the chain hash."""
    return {"seq": seq, "tenant": tenant, "kind": kind, "created_at": created_at, "actor": actor,
            "parent_id": parent_id, "subject": subject}


def record_id_for(chain_hash: str) -> str:
    """Return the record id derived from a chain hash."""
    return "aud_" + chain_hash[:20]


def validate_append(
    kind: str, payload: Any, actor: str, subject: str | None, personal: Any
) -> dict[str, Any] | None:
    """Check the arguments of an append; return the personal dict to encrypt (None when there is none).

    Raises:
        InputError: a malformed kind, actor, payload, subject or personal part.
    """
    if not isinstance(kind, str) or not _KIND_RE.fullmatch(kind):
        raise InputError(f"audit kind must be a lower-case identifier (e.g. decision), got {kind!r}")
    if not isinstance(actor, str) or not actor.strip() or len(actor) > 200:
        raise InputError("audit actor must be a non-empty string of at most 200 characters")
    if not isinstance(payload, Mapping):
        raise InputError(f"audit payload must be a mapping, got {type(payload).__name__}")
    if subject is not None and (not isinstance(subject, str) or not subject or len(subject) > 200):
        raise InputError("audit subject must be a non-empty string of at most 200 characters")
    if personal is not None and not isinstance(personal, Mapping):
        raise InputError(f"audit personal part must be a mapping, got {type(personal).__name__}")
    if not personal:
        return None
    if subject is None:
        raise InputError("personal data in an audit record needs the subject it belongs to")
    return dict(personal)


def build_record(
    row: ChainRow, personal: dict[str, Any] | None, erased: bool, stored: Mapping[str, Any] | None = None
) -> AuditRecord:
    """Return the public record for a stored row and its decrypted personal part (``stored``: parsed)."""
    import json

    if stored is None:
        stored = json.loads(row.payload)
    return AuditRecord(
        id=row.id, tenant=row.tenant, seq=row.seq, kind=row.kind, created_at=row.created_at, actor=row.actor,
        payload={"data": stored.get("data"), "subject": row.subject, "personal": personal, "erased": erased,
                 "personal_ct": stored.get("personal_ct")},
        payload_hash=row.payload_hash, prev_hash=row.prev_hash, chain_hash=row.chain_hash,
        parent_id=row.parent_id,
    )


def record_verifies(record: AuditRecord) -> bool:
    """Return whether a single record is self-consistent: payload, chain hash and id recomputed from it.

    With an inclusion proof of ``record.chain_hash`` under an exported anchor, this lets an auditor check one
    record without the rest of the ledger.
    """
    p = record.payload
    try:
        text = stored_payload_text(p["data"], p["personal_ct"], p["subject"])
        if sha256_hex(text.encode("utf-8")) != record.payload_hash:
            return False
        meta = row_meta(seq=record.seq, tenant=record.tenant, kind=record.kind, created_at=record.created_at,
                        actor=record.actor, parent_id=record.parent_id, subject=p["subject"])
        chain = compute_chain_hash(record.prev_hash, record.payload_hash, meta)
    except (KeyError, ValueError, InputError):
        return False
    return chain == record.chain_hash and record.id == record_id_for(chain)


def _bad(checked: int, row_seq: int | None, row_id: str | None, reason: Reason, detail: str) -> VerifyResult:
    return VerifyResult(False, checked, row_seq, row_id, reason, detail)


def verify_rows(
    rows: Iterable[ChainRow], head: tuple[int, str] | None, is_chain_hash: Callable[[str], bool]
) -> VerifyResult:
    """Verify a tenant's rows (in ascending ``seq``) against the chain rules and the recorded head.

    Args:
        rows: the tenant's stored rows, ordered by ``seq``.
        head: the ``(seq, chain_hash)`` recorded at the last append, or None if none was recorded.
        is_chain_hash: whether a hash is the chain hash of some row of the tenant (tells a row moved
            elsewhere in the chain, ``order_changed``, from a row whose link was edited, ``chain_broken``).

    Returns:
        The result naming the first bad row and the reason, checked in this order per row: sequence gap
        (``row_missing``, at the seq after the gap) or repeat (``order_changed``), payload bytes against
        ``payload_hash`` (``payload_modified``), link to the previous row (``order_changed`` if it links to
        another row of the chain, else ``chain_broken``), then the row's own chain hash and id
        (``chain_broken``). After the last row the recorded head must match it (``head_mismatch``, e.g. a
        truncated tail).
    """
    prev, expected, checked, last_id = GENESIS_HASH, 1, 0, None
    after_head_id: str | None = None
    for r in rows:
        if r.seq != expected:
            if r.seq > expected:
                return _bad(checked, r.seq, r.id, "row_missing", f"seq {expected}..{r.seq - 1} missing")
            return _bad(checked, r.seq, r.id, "order_changed", f"seq {r.seq} repeated")
        if sha256_hex(r.payload.encode("utf-8")) != r.payload_hash:
            return _bad(checked, r.seq, r.id, "payload_modified", "payload bytes do not match payload_hash")
        if r.prev_hash != prev:
            if r.prev_hash == GENESIS_HASH or is_chain_hash(r.prev_hash):
                return _bad(checked, r.seq, r.id, "order_changed", "row links to another place in the chain")
            return _bad(checked, r.seq, r.id, "chain_broken", "prev_hash does not match the previous row")
        meta = row_meta(seq=r.seq, tenant=r.tenant, kind=r.kind, created_at=r.created_at, actor=r.actor,
                        parent_id=r.parent_id, subject=r.subject)
        try:
            computed = compute_chain_hash(r.prev_hash, r.payload_hash, meta)
        except ValueError:
            return _bad(checked, r.seq, r.id, "chain_broken", "malformed hash column")
        if computed != r.chain_hash or r.id != record_id_for(computed):
            return _bad(checked, r.seq, r.id, "chain_broken", "chain_hash or id does not match the row")
        if head is not None and r.seq == head[0] + 1:
            after_head_id = r.id
        prev, expected, checked, last_id = r.chain_hash, expected + 1, checked + 1, r.id
    last_seq = expected - 1
    if head is None:
        if checked:
            return _bad(checked, last_seq, last_id, "head_mismatch", "rows exist but no head was recorded")
        return VerifyResult(True, 0)
    head_seq, head_hash = head
    if head_seq > last_seq:
        missing_id = record_id_for(head_hash) if head_seq == last_seq + 1 else None
        return _bad(checked, last_seq + 1, missing_id, "head_mismatch",
                    f"head is at seq {head_seq} but the chain ends at {last_seq} (tail rows missing)")
    if head_seq < last_seq:
        return _bad(checked, head_seq + 1, after_head_id, "head_mismatch",
                    f"rows after the recorded head seq {head_seq}")
    if head_hash != prev:
        return _bad(checked, last_seq, last_id, "head_mismatch", "last chain hash differs from the head")
    return VerifyResult(True, checked)


@runtime_checkable
class Ledger(Protocol):
    """A tenant's append-only, hash-chained audit ledger (every backend passes tests/test_audit_ledger.py)."""

    tenant: str

    def append(
        self, kind: str, payload: Mapping[str, Any], *, actor: str, subject: str | None = None,
        personal: Mapping[str, Any] | None = None, parent_id: str | None = None,
    ) -> AuditRecord:
        """Append one record at the head of the chain and return it (serialised across threads/processes)."""
        ...

    def get(self, record_id: str) -> AuditRecord:
        """Return one record of this tenant (NotFoundError if absent); personal parts decrypted or erased."""
        ...

    def list(
        self, kind: str | None = None, since: datetime | None = None, until: datetime | None = None,
        subject: str | None = None, limit: int = 100, offset: int = 0,
    ) -> builtins.list[AuditRecord]:
        """Return records in chain order, filtered (``since`` inclusive, ``until`` exclusive)."""
        ...

    def children(self, record_id: str) -> builtins.list[AuditRecord]:
        """Return the records linked to ``record_id`` by ``parent_id`` (corrections, approvals) in order."""
        ...

    def verify(self) -> VerifyResult:
        """Verify the whole chain of this tenant and name the first bad row."""
        ...

    def shred(self, subject: str, *, actor: str = "system", details: Mapping[str, Any] | None = None) -> int:
        """Delete the subject's data key, append an erasure tombstone; return records made unreadable."""
        ...

    def head(self) -> tuple[int, str]:
        """Return ``(seq, chain_hash)`` of the last record (``(0, GENESIS_HASH)`` when empty)."""
        ...

    def anchor(self, since: datetime | None = None, until: datetime | None = None) -> Anchor:
        """Return the Merkle anchor over the chain hashes of the records created in ``[since, until)``."""
        ...

    def prove(self, record_id: str, anchor: Anchor) -> builtins.list[tuple[str, str]]:
        """Return the inclusion proof of a record under an anchor made by this ledger."""
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...


_ledgers: dict[tuple[str, str], Ledger] = {}
_ledgers_lock = threading.Lock()


def tenant_ledger(settings: Settings, tenant: str) -> Ledger:
    """Return the tenant's ledger for these settings (one cached instance per ledger file and tenant).

    The SQLite ledger lives at ``tenancy.tenant_dir(settings.home, tenant) / "audit.sqlite"``; its data keys
    are wrapped with ``settings.encryption_key`` when that is set. The PostgreSQL backend
    (``audit_backend="postgres"``) is not yet available and raises ConfigError.

    Raises:
        ConfigError: the configured audit backend is not available.
        TenantError: the tenant id is invalid.
    """
    from agent_crm.tenancy import tenant_dir

    if settings.audit_backend != "sqlite":
        raise ConfigError(f"audit_backend={settings.audit_backend!r} is not yet available; use 'sqlite'")
    path: Path = tenant_dir(settings.home, tenant) / "audit.sqlite"
    key = (str(path), tenant)
    with _ledgers_lock:
        ledger = _ledgers.get(key)
        if ledger is None:
            from agent_crm.audit.sqlite import SqliteLedger

            master = settings.encryption_key.get_secret_value().encode() if settings.encryption_key else None
            ledger = SqliteLedger(path, tenant, master_key=master)
            _ledgers[key] = ledger
        return ledger
