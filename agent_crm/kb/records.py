"""Per-tenant record store (SQLite): redacted interactions, the customer directory, ingested file hashes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent_crm.kb.directory import Contact, CustomerEntry
from agent_crm.sqlite_db import connect, migrate
from agent_crm.types import Interaction

_MIGRATIONS = [
    (
        "001_records",
        """CREATE TABLE records (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            ts REAL NOT NULL,
            content_hash TEXT NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX records_customer ON records(customer_id, ts);
        CREATE TABLE customers (
            customer_id TEXT PRIMARY KEY,
            data TEXT NOT NULL
        );
        CREATE TABLE files (
            file_hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            records INTEGER NOT NULL,
            ingested_at TEXT NOT NULL
        )""",
    ),
]


def _dump(rec: Interaction) -> str:
    return rec.model_dump_json(exclude_defaults=True)


class RecordStore:
    """Redacted interaction records of ONE tenant, with its customer directory and ingested-file ledger.

    Reads are served from an in-memory per-customer cache that writes invalidate, so the decision hot path does
    no I/O after the first read of a customer.
    """

    def __init__(self, path: Path, tenant: str) -> None:
        self.path = path
        self.tenant = tenant
        self._conn = connect(path, durable=True)
        migrate(self._conn, _MIGRATIONS)
        self._lock = threading.RLock()
        self._by_customer: dict[str, tuple[Interaction, ...]] = {}
        self._directory: tuple[CustomerEntry, ...] | None = None
        self._data_version = self._version()
        self.generation = 0
        """Bumped whenever the records change (here or in another process): derived caches key on it."""

    # ------------------------------------------------------------------ writes
    def put_many(self, records: Sequence[Interaction]) -> None:
        """Insert or replace records (they must belong to this store's tenant)."""
        rows = []
        for r in records:
            if r.tenant != self.tenant:
                raise ValueError(f"record {r.id} belongs to tenant {r.tenant}, not {self.tenant}")
            rows.append((r.id, r.customer_id, r.channel, r.timestamp.timestamp(), r.content_hash, _dump(r)))
        with self._lock:
            # the previous owners' cached records go stale too (a replaced record may change customer)
            owners = {r.customer_id for r in records}
            for i in range(0, len(rows), 500):
                part = [row[0] for row in rows[i : i + 500]]
                owners.update(o for (o,) in self._conn.execute(
                    f"SELECT customer_id FROM records WHERE id IN ({','.join('?' * len(part))})", part))
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?)", rows)
            self._conn.execute("COMMIT")
            self._invalidate(owners)

    def delete(self, record_ids: Iterable[str]) -> int:
        """Delete records by id; return how many existed."""
        ids = list(record_ids)
        if not ids:
            return 0
        with self._lock:
            marks = ",".join("?" * len(ids))
            customers = {r[0] for r in self._conn.execute(
                f"SELECT customer_id FROM records WHERE id IN ({marks})", ids)}
            cur = self._conn.execute(f"DELETE FROM records WHERE id IN ({marks})", ids)
            self._invalidate(customers)
            return cur.rowcount

    def delete_customer(self, customer_id: str) -> list[str]:
        """Delete every record and the directory entry of one customer; return the deleted record ids."""
        with self._lock:
            ids = [r[0] for r in self._conn.execute("SELECT id FROM records WHERE customer_id=?", (customer_id,))]
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM records WHERE customer_id=?", (customer_id,))
            self._conn.execute("DELETE FROM customers WHERE customer_id=?", (customer_id,))
            self._conn.execute("COMMIT")
            self._invalidate({customer_id})
            return ids

    def upsert_customers(self, entries: Sequence[CustomerEntry]) -> None:
        """Insert or replace customer directory entries."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT OR REPLACE INTO customers VALUES (?,?)",
                [(e.customer_id, json.dumps(_entry_dict(e), ensure_ascii=False)) for e in entries],
            )
            self._conn.execute("COMMIT")
            self._directory = None

    def mark_file(self, file_hash: str, name: str, records: int) -> None:
        """Remember that a file with this content hash was ingested."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO files VALUES (?,?,?,?)",
                (file_hash, name, records, datetime.now(UTC).isoformat()),
            )

    # ------------------------------------------------------------------ reads
    def _version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _fresh(self) -> None:
        """Drop the caches when another process (another API worker, a retention run) committed changes."""
        version = self._version()
        if version != self._data_version:
            with self._lock:
                self._data_version = version
                self._by_customer.clear()
                self._directory = None
                self.generation += 1

    def file_seen(self, file_hash: str) -> int | None:
        """Number of records of an already-ingested file with this content hash, or None if it is new."""
        row = self._conn.execute("SELECT records FROM files WHERE file_hash=?", (file_hash,)).fetchone()
        return int(row[0]) if row is not None else None

    def hashes(self, record_ids: Sequence[str]) -> dict[str, str]:
        """Content hashes of the given record ids that exist."""
        out: dict[str, str] = {}
        for i in range(0, len(record_ids), 500):
            part = list(record_ids[i : i + 500])
            marks = ",".join("?" * len(part))
            out.update(self._conn.execute(
                f"SELECT id, content_hash FROM records WHERE id IN ({marks})", part).fetchall())
        return out

    def get(self, record_id: str) -> Interaction | None:
        """One record by id, or None."""
        row = self._conn.execute("SELECT data FROM records WHERE id=?", (record_id,)).fetchone()
        return Interaction.model_validate_json(row[0]) if row else None

    def by_customer(self, customer_id: str) -> tuple[Interaction, ...]:
        """All records of one customer, oldest first (cached until the customer's records change)."""
        self._fresh()
        cached = self._by_customer.get(customer_id)
        if cached is not None:
            return cached
        rows = self._conn.execute(
            "SELECT data FROM records WHERE customer_id=? ORDER BY ts, id", (customer_id,)).fetchall()
        recs = tuple(Interaction.model_validate_json(r[0]) for r in rows)
        with self._lock:
            self._by_customer[customer_id] = recs
        return recs

    def iter_all(self) -> Iterator[Interaction]:
        """Every record, ordered by customer then time."""
        for (data,) in self._conn.execute("SELECT data FROM records ORDER BY customer_id, ts, id"):
            yield Interaction.model_validate_json(data)

    def current_generation(self) -> int:
        """The records' generation after picking up other processes' commits."""
        self._fresh()
        return self.generation

    def customer_ids(self) -> list[str]:
        """Ids of customers that have records."""
        return [r[0] for r in self._conn.execute("SELECT DISTINCT customer_id FROM records ORDER BY customer_id")]

    def count(self) -> int:
        """Number of records."""
        return int(self._conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def latest_timestamp(self) -> datetime | None:
        """Timestamp of the newest record (the tenant's 'as of' for deterministic decisions)."""
        # knowledge documents carry file times, not interaction times: they must not move the reference date
        row = self._conn.execute("SELECT MAX(ts) FROM records WHERE channel != 'doc'").fetchone()
        return datetime.fromtimestamp(row[0], UTC) if row and row[0] is not None else None

    def directory(self) -> tuple[CustomerEntry, ...]:
        """The customer directory: loaded entries merged with names and contacts seen in records."""
        self._fresh()
        if self._directory is not None:
            return self._directory
        entries: dict[str, CustomerEntry] = {}
        for cid, data in self._conn.execute("SELECT customer_id, data FROM customers ORDER BY customer_id"):
            entries[cid] = _entry_from(json.loads(data))
        seen = self._conn.execute(
            "SELECT customer_id, json_extract(data, '$.customer_name'), json_extract(data, '$.contact_name') "
            "FROM records WHERE channel != 'doc' GROUP BY customer_id, 2, 3 ORDER BY customer_id"
        ).fetchall()
        for cid, name, contact in seen:
            e = entries.get(cid) or CustomerEntry(customer_id=cid, name=name or cid)
            contacts = e.contacts
            if contact and all(c.name != contact for c in contacts):
                contacts = (*contacts, Contact(name=contact))
            entries[cid] = CustomerEntry(
                customer_id=cid, name=e.name or name or cid, aliases=e.aliases, contacts=contacts,
                region=e.region, segment=e.segment,
            )
        self._directory = tuple(entries[k] for k in sorted(entries))
        return self._directory

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def _invalidate(self, customers: Iterable[str]) -> None:
        self.generation += 1
        for c in customers:
            self._by_customer.pop(c, None)
        self._directory = None


def _entry_dict(e: CustomerEntry) -> dict[str, Any]:
    return {
        "customer_id": e.customer_id, "name": e.name, "aliases": list(e.aliases),
        "contacts": [{"name": c.name, "title": c.title, "role": c.role} for c in e.contacts],
        "region": e.region, "segment": e.segment,
    }


def _entry_from(d: dict[str, Any]) -> CustomerEntry:
    return CustomerEntry(
        customer_id=d["customer_id"], name=d.get("name") or d["customer_id"], aliases=tuple(d.get("aliases") or ()),
        contacts=tuple(Contact(name=c["name"], title=c.get("title"), role=c.get("role")) for c in d.get("contacts") or ()),
        region=d.get("region"), segment=d.get("segment"),
    )
