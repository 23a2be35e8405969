"""Ordered, named schema migrations of the SQLite audit ledger, recorded in a ``migrations`` table.

Each migration is a function registered with :func:`migration`; its name is its identity, so never rename
or reorder an applied migration: add a new one. :func:`migrate` applies the missing ones in registration order
and must run inside the caller's write transaction (``BEGIN IMMEDIATE``), so two processes opening a new file
at the same time cannot both apply a migration.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[Migration] = []
"""Registered migrations, in the order they are applied."""


def migration(fn: Migration) -> Migration:
    """Register ``fn`` as the next migration (its ``__name__`` is recorded once it is applied)."""
    MIGRATIONS.append(fn)
    return fn


def applied(db: sqlite3.Connection) -> list[str]:
    """Return the names of the migrations applied to ``db``, in the order they were applied."""
    db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    return [r[0] for r in db.execute("SELECT name FROM migrations ORDER BY rowid")]


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations ``db`` is missing, in order; return the names applied now."""
    done = set(applied(db))
    now: list[str] = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        fn(db)
        db.execute(
            "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
            (fn.__name__, datetime.now(UTC).isoformat(timespec="seconds")),
        )
        now.append(fn.__name__)
    return now


@migration
def m001_ledger(db: sqlite3.Connection) -> None:
    """Create the chained ledger table (one chain per tenant; payload JSON beside the chain columns)."""
    db.execute(
        """
        CREATE TABLE ledger (
            tenant TEXT NOT NULL,
            seq INTEGER NOT NULL,
            id TEXT NOT NULL,
            kind TEXT NOT NULL,
            created_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            subject TEXT,
            parent_id TEXT,
            payload TEXT NOT NULL,
            payload_hash TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            chain_hash TEXT NOT NULL,
            PRIMARY KEY (tenant, seq)
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX ledger_tenant_id ON ledger (tenant, id)")


@migration
def m002_heads(db: sqlite3.Connection) -> None:
    """Create the per-tenant head table (detects a truncated tail)."""
    db.execute("CREATE TABLE heads (tenant TEXT PRIMARY KEY, seq INTEGER NOT NULL, chain_hash TEXT NOT NULL)")


@migration
def m003_subject_keys(db: sqlite3.Connection) -> None:
    """Create the per-subject data key table (deleting a row crypto-shreds the subject)."""
    db.execute(
        """
        CREATE TABLE subject_keys (
            tenant TEXT NOT NULL,
            subject TEXT NOT NULL,
            key BLOB NOT NULL,
            wrapped INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (tenant, subject)
        )
        """
    )


@migration
def m004_filter_indexes(db: sqlite3.Connection) -> None:
    """Index the columns that list() and children() filter on."""
    db.execute("CREATE INDEX ledger_kind ON ledger (tenant, kind, seq)")
    db.execute("CREATE INDEX ledger_created ON ledger (tenant, created_at)")
    db.execute("CREATE INDEX ledger_subject ON ledger (tenant, subject, seq)")
    db.execute("CREATE INDEX ledger_parent ON ledger (tenant, parent_id, seq)")
