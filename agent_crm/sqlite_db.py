"""Shared SQLite connection setup and ordered, named migrations for the knowledge-base stores."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

Migration = tuple[str, str]
"""A migration: (unique name, SQL script)."""


def connect(path: Path, *, durable: bool = True) -> sqlite3.Connection:
    """Open a SQLite database in WAL mode, shared across threads (callers serialise writes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Apply the migrations not yet recorded in the ``migrations`` table, in order; return the applied names."""
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    applied: list[str] = []
    for name, sql in migrations:
        if name in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in sql.split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO migrations(name, applied_at) VALUES (?, datetime('now'))", (name,))
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def period_clause(since: str | None, until: str | None, column: str = "created_at") -> tuple[list[str], list[str]]:
    """SQL conditions and parameters selecting rows whose ``column`` (ISO UTC text) lies in ``[since, until)``."""
    where: list[str] = []
    args: list[str] = []
    if since is not None:
        where.append(f"{column} >= ?")
        args.append(since)
    if until is not None:
        where.append(f"{column} < ?")
        args.append(until)
    return where, args
