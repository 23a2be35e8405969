"""Record fingerprints: a per-tenant hash chain over what the record store holds, in ``fingerprints.sqlite``.

Every write of a record (put, replace, anonymise, encrypt) appends a row with the record's fingerprint,
``sha256(canonical_json(stored redacted record))``; a delete or an erasure appends a row with the null
fingerprint. Rows are chained like the audit ledger, over commitments:

- ``ref = sha256("agent_crm.fingerprint.ref" 0x00 tenant 0x00 record_id)`` names the record inside the chain;
  the clear ``record_id`` column sits beside the chain (it locates problems) and is blanked when the customer
  is erased, which leaves every chain hash intact;
- ``chain = sha256(prev || fingerprint || canonical_json({seq, tenant, op, ref, created_at}))`` over raw
  digests, ``prev`` of the first row being 64 zeros; the ``head`` table keeps the last ``(seq, chain)`` so a
  truncated tail is detected.

Crash safety: a write is journaled. The writer takes the tenant's fingerprint lock, commits its *intent*
(``pending`` rows) before touching the record store, and chains the rows after the store committed. A writer
killed in between leaves pending rows; the next lock holder resolves them against the store (an intent whose
effect is visible is chained, any other is dropped), so the chain never misses a committed record and never
claims one that was not committed.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from agent_crm.audit.canonical import canonical_json, sha256_hex
from agent_crm.audit.ledger import format_created_at
from agent_crm.logs import get_logger
from agent_crm.sovereignty.locks import TenantFileLock
from agent_crm.sqlite_db import connect, migrate, period_clause
from agent_crm.tenancy import validate_tenant
from agent_crm.types import Interaction

Op = Literal["put", "replace", "delete", "anonymise", "encrypt", "erase"]
OPS: tuple[str, ...] = ("put", "replace", "delete", "anonymise", "encrypt", "erase")
LIVE_OPS = frozenset({"put", "replace", "anonymise", "encrypt"})
"""Ops after which the record must be in the store with the row's fingerprint."""
GENESIS = "0" * 64
NO_CONTENT = "0" * 64
"""Fingerprint of a delete or erase row (the record has no content any more)."""
FILE_NAME = "fingerprints.sqlite"
LOCK_NAME = ".fingerprints.lock"

CurrentFingerprints = Callable[[Sequence[str]], Mapping[str, str | None]]
"""Record ids -> fingerprint of the record in the store now (None when absent)."""

_log = get_logger("sovereignty.fingerprints")

_MIGRATIONS = [
    (
        "001_fingerprints",
        """CREATE TABLE fingerprints (
            seq INTEGER PRIMARY KEY,
            record_id TEXT,
            ref TEXT NOT NULL,
            op TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            prev TEXT NOT NULL,
            chain TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX fingerprints_ref ON fingerprints(ref, seq);
        CREATE TABLE head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, chain TEXT NOT NULL);
        CREATE TABLE pending (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            batch TEXT NOT NULL,
            record_id TEXT,
            ref TEXT NOT NULL,
            op TEXT NOT NULL,
            fingerprint TEXT NOT NULL
        )""",
    ),
]


def record_fingerprint(rec: Interaction) -> str:
    """Return sha256 over the canonical JSON of a stored (redacted) record, every field included."""
    return sha256_hex(canonical_json(rec.model_dump(mode="python")))


def record_ref(tenant: str, record_id: str) -> str:
    """Return the chain's name for a record: a domain-separated sha256 of tenant and record id."""
    return sha256_hex(b"agent_crm.fingerprint.ref\x00" + tenant.encode() + b"\x00" + record_id.encode())


def chain_hash(prev: str, fingerprint: str, meta: Mapping[str, object]) -> str:
    """Return ``sha256(prev || fingerprint || canonical_json(meta))`` over the raw 32-byte digests."""
    return sha256_hex(bytes.fromhex(prev) + bytes.fromhex(fingerprint) + canonical_json(meta))


def row_meta(seq: int, tenant: str, op: str, ref: str, created_at: str) -> dict[str, object]:
    """Return the row metadata entering the chain hash."""
    return {"seq": seq, "tenant": tenant, "op": op, "ref": ref, "created_at": created_at}


@dataclass(frozen=True)
class Entry:
    """One record operation to fingerprint."""

    record_id: str
    op: Op
    fingerprint: str


@dataclass(frozen=True)
class FingerprintRow:
    """One stored chain row."""

    seq: int
    record_id: str | None
    ref: str
    op: str
    fingerprint: str
    prev: str
    chain: str
    created_at: str


_ROW_COLS = "seq, record_id, ref, op, fingerprint, prev, chain, created_at"


class FingerprintChain:
    """The fingerprint chain of ONE tenant (one SQLite file; one instance per process via :func:`chain_for`).

    Args:
        path: the database file.
        tenant: the tenant whose records are chained.
        lock_timeout: seconds to wait for another process's journaled write.
    """

    def __init__(self, path: Path, tenant: str, *, lock_timeout: float | None = 300.0) -> None:
        self.path = Path(path)
        self.tenant = validate_tenant(tenant)
        self._conn = connect(self.path, durable=True)
        self._conn.execute("PRAGMA secure_delete=ON")
        migrate(self._conn, _MIGRATIONS)
        self._db_lock = threading.RLock()
        self.lock = TenantFileLock(self.path.parent / LOCK_NAME, timeout=lock_timeout)
        """Serialises journaled writes of the tenant's records across threads and processes."""

    # ------------------------------------------------------------------ reading
    def head(self) -> tuple[int, str]:
        """Return ``(seq, chain)`` of the last row, ``(0, GENESIS)`` when empty."""
        return self.recorded_head() or (0, GENESIS)

    def recorded_head(self) -> tuple[int, str] | None:
        """Return the head as recorded (None when no head row exists)."""
        with self._db_lock:
            row = self._conn.execute("SELECT seq, chain FROM head WHERE id = 1").fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def rows(self) -> Iterator[FingerprintRow]:
        """Yield every chain row in ``seq`` order (one snapshot read on a separate connection)."""
        with closing(sqlite3.connect(str(self.path), timeout=30.0)) as db:
            for r in db.execute(f"SELECT {_ROW_COLS} FROM fingerprints ORDER BY seq"):
                yield FingerprintRow(*r)

    def last_ops(self, record_ids: Sequence[str]) -> dict[str, FingerprintRow]:
        """Return record id -> its latest chain row, for the given ids that have one."""
        refs = {record_ref(self.tenant, rid): rid for rid in record_ids}
        out: dict[str, FingerprintRow] = {}
        keys = list(refs)
        with self._db_lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                sql = (f"SELECT {_ROW_COLS} FROM fingerprints WHERE seq IN "
                       f"(SELECT MAX(seq) FROM fingerprints WHERE ref IN ({marks}) GROUP BY ref)")
                for r in self._conn.execute(sql, part):
                    row = FingerprintRow(*r)
                    out[refs[row.ref]] = row
        return out

    def period_rows(self, since: str | None, until: str | None) -> list[tuple[int, str, str]]:
        """Return ``(seq, "fp_<seq>", chain)`` of rows created in ``[since, until)`` (ISO UTC bounds)."""
        period, args = period_clause(since, until)
        where = ["1 = 1", *period]
        with self._db_lock:
            rows = self._conn.execute(
                f"SELECT seq, chain FROM fingerprints WHERE {' AND '.join(where)} ORDER BY seq", args).fetchall()
        return [(int(s), f"fp_{s}", str(c)) for s, c in rows]

    def count(self) -> int:
        """Return the number of chain rows."""
        with self._db_lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM fingerprints").fetchone()[0])

    def pending_count(self) -> int:
        """Return the number of journaled intents not yet chained (non-zero only around a write or a crash)."""
        with self._db_lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM pending").fetchone()[0])

    # ------------------------------------------------------------------ journaled writing
    def intend(self, entries: Sequence[Entry]) -> str:
        """Durably record the intent to apply ``entries`` to the store; return the batch token.

        Call with :attr:`lock` held, before the store write; then :meth:`complete` (or :meth:`resolve` when
        the store write failed).
        """
        batch = uuid.uuid4().hex
        rows = [(batch, e.record_id, record_ref(self.tenant, e.record_id), e.op, e.fingerprint) for e in entries]
        with self._db_lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT INTO pending (batch, record_id, ref, op, fingerprint) VALUES (?,?,?,?,?)", rows)
            self._conn.execute("COMMIT")
        return batch

    def complete(self, batch: str) -> int:
        """Chain every intent of ``batch`` (the store write committed); return the rows appended."""
        return self._settle("batch = ?", (batch,), None)

    def resolve(self, current: CurrentFingerprints, batch: str | None = None) -> int:
        """Settle intents (of one batch, or all) by the store's state: chain those whose effect is visible.

        An intent is visible when the store holds the intended fingerprint (put-like ops) or no record
        (delete, erase). Returns the rows appended; the other intents are dropped.
        """
        where, args = ("batch = ?", (batch,)) if batch is not None else ("1 = 1", ())
        return self._settle(where, args, current)

    def _settle(self, where: str, args: tuple[str, ...], current: CurrentFingerprints | None) -> int:
        with self._db_lock:
            pending = self._conn.execute(
                f"SELECT record_id, ref, op, fingerprint FROM pending WHERE {where} ORDER BY id", args).fetchall()
            if not pending:
                return 0
            keep = pending
            if current is not None:
                now = current([str(p[0]) for p in pending if p[0] is not None])
                keep = [p for p in pending if _visible(p[2], p[3], now.get(p[0]) if p[0] is not None else None)]
            db = self._conn
            db.execute("BEGIN IMMEDIATE")
            try:
                found = db.execute("SELECT seq, chain FROM head WHERE id = 1").fetchone()
                seq, prev = (int(found[0]), str(found[1])) if found else (0, GENESIS)
                created = format_created_at(datetime.now(UTC))
                rows: list[tuple[object, ...]] = []
                for record_id, ref, op, fp in keep:
                    seq += 1
                    new = chain_hash(prev, fp, row_meta(seq, self.tenant, op, ref, created))
                    rows.append((seq, record_id, ref, op, fp, prev, new, created))
                    prev = new
                db.executemany(f"INSERT INTO fingerprints ({_ROW_COLS}) VALUES (?,?,?,?,?,?,?,?)", rows)
                if rows:
                    db.execute("INSERT INTO head (id, seq, chain) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE "
                               "SET seq = excluded.seq, chain = excluded.chain", (seq, prev))
                db.execute(f"DELETE FROM pending WHERE {where}", args)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        if current is not None and len(keep) != len(pending):
            _log.info("fingerprint_intents_dropped", tenant=self.tenant, dropped=len(pending) - len(keep))
        return len(rows)

    # ------------------------------------------------------------------ erasure support
    def forget_record_ids(self, record_ids: Sequence[str]) -> int:
        """Blank the clear record id of every row (and intent) of these records; the chain still verifies."""
        refs = [record_ref(self.tenant, rid) for rid in record_ids]
        changed = 0
        with self._db_lock:
            self._conn.execute("BEGIN IMMEDIATE")
            for i in range(0, len(refs), 500):
                part = refs[i : i + 500]
                marks = ",".join("?" * len(part))
                changed += self._conn.execute(
                    f"UPDATE fingerprints SET record_id = NULL WHERE ref IN ({marks}) AND record_id IS NOT NULL",
                    part).rowcount
                self._conn.execute(f"UPDATE pending SET record_id = NULL WHERE ref IN ({marks})", part)
            self._conn.execute("COMMIT")
        return changed

    def close(self) -> None:
        """Close the database connection."""
        with self._db_lock:
            self._conn.close()


def _visible(op: str, intended: str, now: str | None) -> bool:
    if op in LIVE_OPS:
        return now == intended
    return now is None


_chains: dict[str, FingerprintChain] = {}
_chains_lock = threading.Lock()


def chain_for(tenant_directory: Path, tenant: str) -> FingerprintChain:
    """Return the process's one FingerprintChain of a tenant directory (its lock must not be opened twice)."""
    path = (Path(tenant_directory) / FILE_NAME).resolve()
    with _chains_lock:
        found = _chains.get(str(path))
        if found is None:
            found = FingerprintChain(path, tenant)
            _chains[str(path)] = found
        return found
