"""Tampering with the SQLite ledger file is detected by verify() and located at the first bad row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agent_crm.audit.canonical import sha256_hex
from agent_crm.audit.ledger import compute_chain_hash, record_id_for, row_meta, stored_payload_text
from agent_crm.audit.sqlite import SqliteLedger
from agent_crm.errors import AuditIntegrityError
from agent_crm.types import AuditRecord

N = 30


@pytest.fixture
def chain(tmp_path: Path) -> tuple[SqliteLedger, list[AuditRecord]]:
    """A ledger with N clean records (every third with a personal part)."""
    ledger = SqliteLedger(tmp_path / "audit.sqlite", "acme")
    recs = [
        ledger.append("decision", {"i": i, "label": "approve" if i % 2 else "reject"}, actor="agent",
                      subject=f"c{i % 4}", personal={"name": f"客户{i}"} if i % 3 == 0 else None)
        for i in range(N)
    ]
    assert ledger.verify().ok
    return ledger, recs


def raw(ledger: SqliteLedger, *statements: tuple[str, tuple[object, ...]]) -> None:
    """Run SQL statements directly on the ledger file, as an attacker with file access would."""
    with sqlite3.connect(ledger.path) as db:
        for sql, args in statements:
            db.execute(sql, args)


def test_payload_edit_detected(chain: tuple[SqliteLedger, list[AuditRecord]]) -> None:
    """Editing a stored payload column is reported as payload_modified at that seq."""
    ledger, recs = chain
    raw(ledger, ("UPDATE ledger SET payload = replace(payload, 'reject', 'approve') WHERE seq = 17", ()))
    result = ledger.verify()
    assert (result.ok, result.reason, result.first_bad_seq, result.first_bad_id) == (
        False, "payload_modified", 17, recs[16].id)
    assert result.checked == 16
    with pytest.raises(AuditIntegrityError, match="payload_modified at seq 17"):
        result.raise_for_status()


def test_payload_and_its_hash_edited_together_detected(chain: tuple[SqliteLedger, list[AuditRecord]]) -> None:
    """Rewriting a payload and recomputing its payload_hash still breaks the chain at that seq."""
    ledger, recs = chain
    text = stored_payload_text({"i": 9, "label": "approve"}, None, recs[9].payload["subject"])
    raw(ledger, ("UPDATE ledger SET payload = ?, payload_hash = ? WHERE seq = 10",
                 (text, sha256_hex(text.encode()))))
    result = ledger.verify()
    assert (result.reason, result.first_bad_seq) == ("chain_broken", 10)


def test_chain_hash_edit_detected(chain: tuple[SqliteLedger, list[AuditRecord]]) -> None:
    """Editing a row's chain_hash is reported as chain_broken at that seq."""
    ledger, recs = chain
    raw(ledger, ("UPDATE ledger SET chain_hash = ? WHERE seq = 11", ("ab" * 32,)))
    result = ledger.verify()
    assert (result.reason, result.first_bad_seq, result.first_bad_id) == ("chain_broken", 11, recs[10].id)


def test_metadata_edit_detected(chain: tuple[SqliteLedger, list[AuditRecord]]) -> None:
    """Editing a chained metadata column (the actor) is reported as chain_broken at that seq."""
    ledger, _ = chain
    raw(ledger, ("UPDATE ledger SET actor = 'u:boss' WHERE seq = 4", ()))
    result = ledger.verify()
    assert (result.reason, result.first_bad_seq) == ("chain_broken", 4)


def test_deleted_middle_row_detected(chain: tuple[SqliteLedger, list[AuditRecord]]) -> None:
    """Deleting a middle row is reported as row_missing at the seq after the gap."""
    ledger, recs = chain
    raw(ledger, ("DELETE FROM ledger WHERE seq = 10", ()))
    result = ledger.verify()
    assert (result.reason, result.first_bad_seq, result.first_bad_id) == ("row_missing", 11, recs[10].id)
    assert result.checked == 9


def test_swapped_rows_detected(chain: tuple[SqliteLedger, list[AuditRecord]]) -> None:
    """Swapping two rows' seq values is reported as order_changed at the first swapped position."""
    ledger, recs = chain
    raw(ledger,
        ("UPDATE ledger SET seq = -1 WHERE seq = 5", ()),
        ("UPDATE ledger SET seq = 5 WHERE seq = 9", ()),
        ("UPDATE ledger SET seq = 9 WHERE seq = -1", ()))
    result = ledger.verify()
    assert (result.reason, result.first_bad_seq, result.first_bad_id) == ("order_changed", 5, recs[8].id)


def test_swapped_adjacent_rows_detected(chain: tuple[SqliteLedger, list[AuditRecord]]) -> None:
    """Swapping two neighbouring rows is reported as order_changed too."""
    ledger, _ = chain
    raw(ledger,
        ("UPDATE ledger SET seq = -1 WHERE seq = 20", ()),
        ("UPDATE ledger SET seq = 20 WHERE seq = 21", ()),
        ("UPDATE ledger SET seq = 21 WHERE seq = -1", ()))
    result = ledger.verify()
    assert (result.reason, result.first_bad_seq) == ("order_changed", 20)


def test_truncated_tail_detected(chain: tuple[SqliteLedger, list[AuditRecord]]) -> None:
    """Deleting the last row is caught by the head check and names the missing record."""
    ledger, recs = chain
    raw(ledger, ("DELETE FROM ledger WHERE seq = ?", (N,)))
    result = ledger.verify()
    assert (result.reason, result.first_bad_seq, result.first_bad_id) == ("head_mismatch", N, recs[-1].id)
    assert result.checked == N - 1


def test_forged_tail_row_detected(chain: tuple[SqliteLedger, list[AuditRecord]]) -> None:
    """A well-formed row added behind the ledger's back (head not advanced) is reported after the head."""
    ledger, recs = chain
    text = stored_payload_text({"label": "approve"}, None, None)
    payload_hash = sha256_hex(text.encode())
    meta = row_meta(seq=N + 1, tenant="acme", kind="approval", created_at=recs[-1].created_at, actor="u:x",
                    parent_id=None, subject=None)
    forged = compute_chain_hash(recs[-1].chain_hash, payload_hash, meta)
    raw(ledger, ("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 ("acme", N + 1, record_id_for(forged), "approval", recs[-1].created_at, "u:x", None, None,
                  text, payload_hash, recs[-1].chain_hash, forged)))
    result = ledger.verify()
    assert (result.reason, result.first_bad_seq, result.first_bad_id) == (
        "head_mismatch", N + 1, record_id_for(forged))


def test_row_moved_in_from_other_tenant_detected(tmp_path: Path) -> None:
    """A row of tenant B relabelled as tenant A's next row (head bumped too) breaks A's chain."""
    a = SqliteLedger(tmp_path / "audit.sqlite", "alpha")
    b = SqliteLedger(tmp_path / "audit.sqlite", "beta")
    for i in range(3):
        a.append("decision", {"i": i}, actor="a")
    stolen = [b.append("decision", {"i": i}, actor="b") for i in range(5)][-1]
    raw(a,
        ("UPDATE ledger SET tenant = 'alpha', seq = 4 WHERE tenant = 'beta' AND seq = 5", ()),
        ("UPDATE heads SET seq = 4, chain_hash = ? WHERE tenant = 'alpha'", (stolen.chain_hash,)))
    result = a.verify()
    assert (result.reason, result.first_bad_seq) == ("chain_broken", 4)
    b_result = b.verify()
    assert (b_result.reason, b_result.first_bad_seq) == ("head_mismatch", 5)


def test_prove_refuses_tampered_period(chain: tuple[SqliteLedger, list[AuditRecord]]) -> None:
    """An inclusion proof is refused once the anchored period's chain hashes changed."""
    ledger, recs = chain
    anchor = ledger.anchor()
    assert ledger.prove(recs[3].id, anchor)
    raw(ledger, ("UPDATE ledger SET chain_hash = ? WHERE seq = 2", ("cd" * 32,)))
    with pytest.raises(AuditIntegrityError):
        ledger.prove(recs[3].id, anchor)
