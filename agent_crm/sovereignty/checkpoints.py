"""Conversation checkpoints (langgraph's SQLite saver file): remove the threads that mention a customer.

The saver stores each thread's state as msgpack (and metadata as JSON) blobs. A thread references a customer
when a blob holds one of the customer's ids as a whole string value (matched in its msgpack and JSON
encodings, so ``c1`` does not match ``c10``) or one of the names only that customer uses. Matching threads lose
every checkpoint and pending write; the file is then vacuumed so the rows do not linger in free pages or the
write-ahead log.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

CHECKPOINTS_FILE = "checkpoints.sqlite"
_BLOBS = {"checkpoints": ("checkpoint", "metadata"), "writes": ("value",)}


def _msgpack_str(value: str) -> bytes:
    data = value.encode("utf-8")
    n = len(data)
    if n < 32:
        head = bytes([0xA0 | n])
    elif n < 256:
        head = bytes([0xD9, n])
    elif n < 65536:
        head = bytes([0xDA]) + n.to_bytes(2, "big")
    else:
        head = bytes([0xDB]) + n.to_bytes(4, "big")
    return head + data


def needles(ids: Iterable[str], names: Iterable[str]) -> list[bytes]:
    """Return the byte patterns that mark a blob as referencing the customer."""
    out: list[bytes] = []
    for i in ids:
        out += [_msgpack_str(i), json.dumps(i, ensure_ascii=False).encode("utf-8"), json.dumps(i).encode()]
    out += [n.encode("utf-8") for n in names]
    return sorted(set(out))


def _tables(db: sqlite3.Connection) -> list[str]:
    found = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [t for t in _BLOBS if t in found]


def threads_referencing(path: Path, patterns: list[bytes]) -> list[str]:
    """Return the ids of threads whose stored state contains any of ``patterns``."""
    if not path.exists() or not patterns:
        return []
    found: set[str] = set()
    with closing(sqlite3.connect(str(path), timeout=30.0)) as db:
        for table in _tables(db):
            for column in _BLOBS[table]:
                for p in patterns:
                    rows = db.execute(
                        f"SELECT DISTINCT thread_id FROM {table} WHERE instr(CAST({column} AS BLOB), ?) > 0", (p,))
                    found.update(str(r[0]) for r in rows)
    return sorted(found)


def purge_threads(path: Path, patterns: list[bytes]) -> list[str]:
    """Delete every thread referencing the patterns, vacuum the file; return the deleted thread ids."""
    threads = threads_referencing(path, patterns)
    if not threads:
        return []
    with closing(sqlite3.connect(str(path), timeout=30.0, isolation_level=None)) as db:
        db.execute("PRAGMA secure_delete=ON")
        db.execute("BEGIN IMMEDIATE")
        for table in _tables(db):
            db.executemany(f"DELETE FROM {table} WHERE thread_id = ?", [(t,) for t in threads])
        db.execute("COMMIT")
    vacuum(path)
    return threads


def vacuum(path: Path) -> None:
    """Rewrite a SQLite file without free pages and truncate its write-ahead log."""
    if not path.exists():
        return
    with closing(sqlite3.connect(str(path), timeout=30.0, isolation_level=None)) as db:
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
