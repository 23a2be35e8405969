"""SQLite backend of the audit ledger: WAL, ``synchronous=FULL``, one serialised chain per tenant.

Appends are serialised twice: a ``threading.Lock`` guards the one shared connection inside a process, and
every append runs in a ``BEGIN IMMEDIATE`` transaction that reads the head *inside* the write transaction, so
writers in other processes queue on SQLite's write lock instead of forking the chain. ``secure_delete`` is on
and the WAL is truncated after a shred, so a deleted data key does not linger in free pages or old WAL frames.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from agent_crm.audit import crypto
from agent_crm.audit.canonical import canonical_json, sha256_hex
from agent_crm.audit.ledger import (
    GENESIS_HASH,
    ChainRow,
    Clock,
    VerifyResult,
    build_record,
    compute_chain_hash,
    format_created_at,
    record_id_for,
    row_meta,
    stored_payload_text,
    utc_now,
    validate_append,
    verify_rows,
)
from agent_crm.audit.merkle import Anchor, anchor_over, prove_in_period
from agent_crm.audit.migrations import migrate
from agent_crm.errors import AuditIntegrityError, BackendError, InputError, NotFoundError
from agent_crm.logs import get_logger
from agent_crm.sqlite_db import period_clause
from agent_crm.tenancy import validate_tenant
from agent_crm.types import AuditRecord

_COLS = (
    "tenant, seq, id, kind, created_at, actor, subject, parent_id, payload, payload_hash, prev_hash, "
    "chain_hash"
)
_MAX_LIMIT = 10_000
_log = get_logger("audit.sqlite")


def _row(t: tuple[Any, ...]) -> ChainRow:
    return ChainRow(*t)


class SqliteLedger:
    """A tenant's hash-chained audit ledger in one SQLite file (see :class:`agent_crm.audit.ledger.Ledger`).

    Args:
        path: the database file (created with its parent directory if missing).
        tenant: the tenant whose chain this object reads and writes (stamped on every row, filtered on every
            read).
        clock: returns the time stamped on new records (default: UTC now); inject one for deterministic tests.
        master_key: optional Fernet key wrapping the per-subject data keys at rest.
        busy_timeout: seconds to wait for another process's write lock before failing with BackendError.
    """

    def __init__(
        self, path: Path, tenant: str, *, clock: Clock | None = None, master_key: bytes | None = None,
        busy_timeout: float = 30.0,
    ) -> None:
        self.tenant = validate_tenant(tenant)
        self.path = Path(path)
        self._clock: Clock = clock or utc_now
        self._master = master_key
        if master_key is not None:
            crypto.wrap_key(crypto.new_data_key(), master_key)  # fail fast on a malformed master key
        self._timeout = busy_timeout
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = self._connect()
        with self._lock, self._write() as db:
            migrate(db)

    # -- connection and transactions -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                str(self.path), timeout=self._timeout, check_same_thread=False, isolation_level=None
            )
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise BackendError(f"cannot put the audit ledger {self.path} in WAL mode (got {mode})")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA secure_delete=ON")
            return conn
        except sqlite3.Error as exc:
            raise BackendError(f"cannot open the audit ledger {self.path}: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """Run a ``BEGIN IMMEDIATE`` transaction on the shared connection (caller holds ``self._lock``)."""
        db = self._conn
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise BackendError(f"audit ledger {self.path} is busy: {exc}") from exc
        try:
            yield db
        except sqlite3.Error as exc:
            db.execute("ROLLBACK")
            raise BackendError(f"audit ledger write failed: {exc}") from exc
        except BaseException:
            db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            db.execute("ROLLBACK")
            raise BackendError(f"audit ledger commit failed: {exc}") from exc

    def pragmas(self) -> dict[str, Any]:
        """Return the durability pragmas of the shared connection (journal_mode, synchronous, ...)."""
        names = {"synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"},
                 "secure_delete": {0: "OFF", 1: "ON"}}
        with self._lock:
            out: dict[str, Any] = {"journal_mode": self._conn.execute("PRAGMA journal_mode").fetchone()[0]}
            for pragma, labels in names.items():
                value = self._conn.execute(f"PRAGMA {pragma}").fetchone()[0]
                out[pragma] = labels.get(value, value)
        return out

    def close(self) -> None:
        """Close the shared connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------------------

    def _head_locked(self, db: sqlite3.Connection) -> tuple[int, str]:
        found = db.execute("SELECT seq, chain_hash FROM heads WHERE tenant = ?", (self.tenant,)).fetchone()
        if found is not None:
            return int(found[0]), str(found[1])
        if db.execute("SELECT 1 FROM ledger WHERE tenant = ? LIMIT 1", (self.tenant,)).fetchone():
            raise AuditIntegrityError(f"audit ledger of {self.tenant} has rows but no recorded head")
        return 0, GENESIS_HASH

    def _data_key(
        self, db: sqlite3.Connection, subject: str, *, create: bool, now: str = ""
    ) -> bytes | None:
        found = db.execute(
            "SELECT key, wrapped FROM subject_keys WHERE tenant = ? AND subject = ?", (self.tenant, subject)
        ).fetchone()
        if found is not None:
            return crypto.unwrap_key(bytes(found[0]), bool(found[1]), self._master)
        if not create:
            return None
        key = crypto.new_data_key()
        stored, wrapped = crypto.wrap_key(key, self._master)
        db.execute(
            "INSERT INTO subject_keys (tenant, subject, key, wrapped, created_at) VALUES (?, ?, ?, ?, ?)",
            (self.tenant, subject, stored, int(wrapped), now),
        )
        return key

    def _append_locked(
        self, db: sqlite3.Connection, kind: str, payload: Mapping[str, Any], actor: str, subject: str | None,
        personal: dict[str, Any] | None, parent_id: str | None,
    ) -> ChainRow:
        if parent_id is not None and self._fetch(db, parent_id) is None:
            raise NotFoundError(f"audit record {parent_id!r} (parent) not found")
        created_at, personal_ct = format_created_at(self._clock()), None
        if personal is not None and subject is not None:
            key = self._data_key(db, subject, create=True, now=created_at)
            assert key is not None
            personal_ct = crypto.encrypt_personal(key, personal)
        text = stored_payload_text(payload, personal_ct, subject)
        payload_hash = sha256_hex(text.encode("utf-8"))
        last_seq, prev = self._head_locked(db)
        seq = last_seq + 1
        meta = row_meta(seq=seq, tenant=self.tenant, kind=kind, created_at=created_at, actor=actor,
                        parent_id=parent_id, subject=subject)
        chain = compute_chain_hash(prev, payload_hash, meta)
        row = ChainRow(self.tenant, seq, record_id_for(chain), kind, created_at, actor, subject, parent_id,
                       text, payload_hash, prev, chain)
        db.execute(f"INSERT INTO ledger ({_COLS}) VALUES ({', '.join('?' * 12)})", tuple(vars(row).values()))
        db.execute(
            "INSERT INTO heads (tenant, seq, chain_hash) VALUES (?, ?, ?) "
            "ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, chain_hash = excluded.chain_hash",
            (self.tenant, seq, chain),
        )
        return row

    def append(
        self, kind: str, payload: Mapping[str, Any], *, actor: str, subject: str | None = None,
        personal: Mapping[str, Any] | None = None, parent_id: str | None = None,
    ) -> AuditRecord:
        """Append one record at the head of the tenant's chain and return it.

        Args:
            kind: decision | correction | approval | erasure | reidentification | retention | <lower-case id>.
            payload: the non-personal content (stored in clear, hashed into the chain).
            actor: who or what caused the record (user id, agent name, ``system``).
            subject: the customer pseudonym or id whose personal data ``personal`` holds.
            personal: personal values, stored only encrypted with the subject's data key (erasable).
            parent_id: the record this one corrects or approves.

        Raises:
            InputError: malformed arguments or a payload with no canonical JSON form.
            NotFoundError: ``parent_id`` is not a record of this tenant.
            BackendError: the database stayed locked longer than ``busy_timeout`` or failed.
        """
        personal_dict = validate_append(kind, payload, actor, subject, personal)
        clean_personal = json.loads(canonical_json(personal_dict)) if personal_dict is not None else None
        with self._lock, self._write() as db:
            row = self._append_locked(db, kind, payload, actor, subject, personal_dict, parent_id)
        return build_record(row, clean_personal, False)

    def shred(self, subject: str, *, actor: str = "system", details: Mapping[str, Any] | None = None) -> int:
        """Crypto-shred a subject: delete its data key and append an ``erasure`` tombstone, atomically.

        The tombstone's payload holds the subject, the number of records made unreadable, whether a key
        existed and ``details`` (counts from other stores; never personal data). The chain still verifies.

        Returns:
            The number of this tenant's records whose personal part was readable and no longer is.
        """
        validate_append("erasure", {}, actor, subject, None)
        with self._lock:
            with self._write() as db:
                key = self._data_key(db, subject, create=False)
                erased = 0
                if key is not None:
                    for (text,) in db.execute(
                        "SELECT payload FROM ledger WHERE tenant = ? AND subject = ?", (self.tenant, subject)
                    ).fetchall():
                        token = json.loads(text).get("personal_ct")
                        if token is not None and crypto.can_decrypt(key, token):
                            erased += 1
                    db.execute(
                        "DELETE FROM subject_keys WHERE tenant = ? AND subject = ?", (self.tenant, subject)
                    )
                tomb = {"subject": subject, "records_erased": erased, "key_deleted": key is not None,
                        "details": dict(details or {})}
                self._append_locked(db, "erasure", tomb, actor, subject, None, None)
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                _log.warning("audit_wal_not_truncated", tenant=self.tenant, reason="readers active")
        return erased

    # -- reading ---------------------------------------------------------------------------------------

    def _fetch(self, db: sqlite3.Connection, record_id: str) -> ChainRow | None:
        found = db.execute(
            f"SELECT {_COLS} FROM ledger WHERE tenant = ? AND id = ?", (self.tenant, record_id)
        ).fetchone()
        return _row(found) if found is not None else None

    def _materialise(self, db: sqlite3.Connection, row: ChainRow) -> AuditRecord:
        stored = json.loads(row.payload)
        token = stored.get("personal_ct")
        if token is None or row.subject is None:
            return build_record(row, None, False, stored)
        key = self._data_key(db, row.subject, create=False)
        if key is None:
            return build_record(row, None, True, stored)
        try:
            return build_record(row, crypto.decrypt_personal(key, token), False, stored)
        except crypto.InvalidToken:
            return build_record(row, None, True, stored)

    def get(self, record_id: str) -> AuditRecord:
        """Return a record of this tenant with its personal part decrypted, or ``erased`` after a shred.

        Raises:
            NotFoundError: no record with this id in this tenant's chain.
        """
        with self._lock:
            row = self._fetch(self._conn, record_id)
            if row is None:
                raise NotFoundError(f"audit record {record_id!r} not found")
            return self._materialise(self._conn, row)

    def list(
        self, kind: str | None = None, since: datetime | None = None, until: datetime | None = None,
        subject: str | None = None, limit: int = 100, offset: int = 0,
    ) -> builtins.list[AuditRecord]:
        """Return this tenant's records in chain order (``since`` inclusive, ``until`` exclusive).

        Raises:
            InputError: ``limit`` outside 0..10000 or a negative ``offset``.
        """
        if not 0 <= limit <= _MAX_LIMIT or offset < 0:
            raise InputError(f"limit must be within 0..{_MAX_LIMIT} and offset >= 0")
        where, args = ["tenant = ?"], [self.tenant]
        bounds = [None if t is None else format_created_at(t) for t in (since, until)]
        for clause, value in (("kind = ?", kind), ("subject = ?", subject),
                              ("created_at >= ?", bounds[0]), ("created_at < ?", bounds[1])):
            if value is not None:
                where.append(clause)
                args.append(value)
        sql = f"SELECT {_COLS} FROM ledger WHERE {' AND '.join(where)} ORDER BY seq LIMIT ? OFFSET ?"
        with self._lock:
            rows = [_row(t) for t in self._conn.execute(sql, (*args, limit, offset)).fetchall()]
            return [self._materialise(self._conn, r) for r in rows]

    def children(self, record_id: str) -> builtins.list[AuditRecord]:
        """Return the records whose ``parent_id`` is ``record_id``, in chain order.

        Raises:
            NotFoundError: ``record_id`` is not a record of this tenant.
        """
        with self._lock:
            if self._fetch(self._conn, record_id) is None:
                raise NotFoundError(f"audit record {record_id!r} not found")
            rows = [_row(t) for t in self._conn.execute(
                f"SELECT {_COLS} FROM ledger WHERE tenant = ? AND parent_id = ? ORDER BY seq",
                (self.tenant, record_id),
            ).fetchall()]
            return [self._materialise(self._conn, r) for r in rows]

    def head(self) -> tuple[int, str]:
        """Return ``(seq, chain_hash)`` of the tenant's last record (``(0, GENESIS_HASH)`` when empty)."""
        with self._lock:
            return self._head_locked(self._conn)

    def verify(self) -> VerifyResult:
        """Verify this tenant's chain on a snapshot (a separate read connection; appends are not blocked)."""
        try:
            with closing(sqlite3.connect(str(self.path), timeout=self._timeout)) as db:
                db.execute("BEGIN")
                found = db.execute(
                    "SELECT seq, chain_hash FROM heads WHERE tenant = ?", (self.tenant,)
                ).fetchone()
                head = (int(found[0]), str(found[1])) if found is not None else None

                def is_chain_hash(h: str) -> bool:
                    return db.execute(
                        "SELECT 1 FROM ledger WHERE tenant = ? AND id = ? AND chain_hash = ?",
                        (self.tenant, record_id_for(h), h),
                    ).fetchone() is not None

                cursor = db.execute(
                    f"SELECT {_COLS} FROM ledger WHERE tenant = ? ORDER BY seq", (self.tenant,)
                )
                result = verify_rows((_row(t) for t in cursor), head, is_chain_hash)
                db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise BackendError(f"cannot read the audit ledger {self.path}: {exc}") from exc
        if not result.ok:
            _log.warning(
                "audit_verify_failed", tenant=self.tenant, seq=result.first_bad_seq, reason=result.reason
            )
        return result

    # -- anchors ---------------------------------------------------------------------------------------

    def _period_hashes(self, since: str | None, until: str | None) -> builtins.list[tuple[int, str, str]]:
        period, bounds = period_clause(since, until)
        where, args = ["tenant = ?", *period], [self.tenant, *bounds]
        with self._lock:
            return [(int(s), str(i), str(h)) for s, i, h in self._conn.execute(
                f"SELECT seq, id, chain_hash FROM ledger WHERE {' AND '.join(where)} ORDER BY seq", args
            ).fetchall()]

    def anchor(self, since: datetime | None = None, until: datetime | None = None) -> Anchor:
        """Return the Merkle anchor over the chain hashes of records created in ``[since, until)``."""
        s, u = (None if t is None else format_created_at(t) for t in (since, until))
        return anchor_over(self.tenant, self._period_hashes(s, u), s, u)

    def prove(self, record_id: str, anchor: Anchor) -> builtins.list[tuple[str, str]]:
        """Return the inclusion proof of ``record_id`` under ``anchor`` (see merkle.prove_in_period)."""
        rows = self._period_hashes(anchor.since, anchor.until)
        return prove_in_period(self.tenant, rows, record_id, anchor)
