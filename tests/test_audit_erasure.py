"""Crypto-shredding: after shred() nothing of the subject can be read back from the ledger's files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agent_crm.audit.sqlite import SqliteLedger

PERSONAL = {"name": "张三丰", "phone": "13912345678", "email": "zhang.sanfeng@example.com"}


def file_bytes(db_path: Path) -> bytes:
    """Return the bytes of the database file and its -wal and -shm companions."""
    out = b""
    for suffix in ("", "-wal", "-shm"):
        p = db_path.with_name(db_path.name + suffix)
        if p.exists():
            out += p.read_bytes()
    return out


def test_plaintext_never_stored_and_key_gone_after_shred(tmp_path: Path) -> None:
    """Personal values never reach the files; after shred the data key is gone from the file and the WAL."""
    path = tmp_path / "audit.sqlite"
    ledger = SqliteLedger(path, "acme")
    recs = [ledger.append("decision", {"label": "approve", "i": i}, actor="agent", subject="cust_42",
                          personal=PERSONAL) for i in range(20)]
    ledger.append("decision", {"i": 99}, actor="agent", subject="cust_7", personal={"name": "李四"})
    with sqlite3.connect(path) as db:
        key = db.execute("SELECT key FROM subject_keys WHERE subject = 'cust_42'").fetchone()[0]
    before = file_bytes(path)
    for value in PERSONAL.values():
        assert value.encode("utf-8") not in before
    assert key in before  # the search below can find key bytes when they are there

    assert ledger.shred("cust_42", actor="dpo") == 20
    after = file_bytes(path)
    assert key not in after
    for value in PERSONAL.values():
        assert value.encode("utf-8") not in after
    assert ledger.verify().ok
    got = ledger.get(recs[5].id)
    assert got.payload["erased"] is True and got.payload["personal"] is None
    assert got.payload["personal_ct"] == recs[5].payload["personal_ct"]
    assert ledger.list(subject="cust_7")[0].payload["personal"] == {"name": "李四"}


def test_shred_visible_to_another_connection(tmp_path: Path) -> None:
    """A second ledger object (another process's view) reads erased records after a shred elsewhere."""
    path = tmp_path / "audit.sqlite"
    writer, reader = SqliteLedger(path, "acme"), SqliteLedger(path, "acme")
    rec = writer.append("decision", {}, actor="a", subject="c1", personal={"name": "孙八"})
    assert reader.get(rec.id).payload["personal"] == {"name": "孙八"}
    writer.shred("c1")
    assert reader.get(rec.id).payload["erased"] is True
    assert reader.verify().ok
