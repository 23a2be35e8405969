"""Merkle anchors: roots over chain hashes, inclusion proofs that verify and fail when anything changes."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent_crm.audit.ledger import Anchor, record_verifies
from agent_crm.audit.merkle import EMPTY_ROOT, inclusion_proof, merkle_root, verify_inclusion
from agent_crm.audit.sqlite import SqliteLedger
from agent_crm.errors import InputError, NotFoundError

START = datetime(2025, 6, 1, tzinfo=UTC)


def leaves(n: int) -> list[str]:
    """Return n distinct hex sha256 digests."""
    return [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 16, 33])
def test_every_leaf_proof_verifies(n: int) -> None:
    """For trees of many shapes, each leaf's proof verifies against the root and is at most log2(n)+1 long."""
    hs = leaves(n)
    root = merkle_root(hs)
    for i, h in enumerate(hs):
        proof = inclusion_proof(hs, i)
        assert verify_inclusion(h, proof, root)
        assert len(proof) <= max(1, (n - 1).bit_length())


def test_changed_leaf_fails() -> None:
    """A different leaf, a changed sibling, a wrong side or another root all fail verification."""
    hs = leaves(9)
    root = merkle_root(hs)
    proof = inclusion_proof(hs, 4)
    assert not verify_inclusion(hs[5], proof, root)
    changed = list(hs)
    changed[4] = hashlib.sha256(b"tampered").hexdigest()
    assert merkle_root(changed) != root
    assert not verify_inclusion(changed[4], proof, root)
    bad_sibling = [(proof[0][0], "0" * 64), *proof[1:]]
    assert not verify_inclusion(hs[4], bad_sibling, root)
    flipped = [("L" if s == "R" else "R", h) for s, h in proof]
    assert not verify_inclusion(hs[4], flipped, root)
    assert not verify_inclusion(hs[4], proof, merkle_root(hs[:8]))
    assert not verify_inclusion("not-hex", proof, root)


def test_root_depends_on_order_and_leaf_is_not_a_node() -> None:
    """Reordering leaves changes the root; an inner node cannot be presented as a leaf."""
    hs = leaves(4)
    assert merkle_root(hs) != merkle_root([hs[1], hs[0], hs[2], hs[3]])
    inner = inclusion_proof(hs, 0)[1][1]  # hash of the (2, 3) subtree
    assert not verify_inclusion(inner, [("L", inclusion_proof(hs, 2)[1][1])], merkle_root(hs))
    assert merkle_root([]) == EMPTY_ROOT == hashlib.sha256(b"").hexdigest()


def test_bad_inputs_rejected() -> None:
    """Malformed digests and out-of-range indices raise InputError."""
    with pytest.raises(InputError):
        merkle_root(["xyz"])
    with pytest.raises(InputError):
        inclusion_proof(leaves(3), 3)


def test_ledger_anchor_and_record_proof(tmp_path: Path) -> None:
    """An anchor over a period covers exactly its records, exports as JSON, and proves one record."""
    ticks = itertools.count()
    ledger = SqliteLedger(tmp_path / "audit.sqlite", "acme",
                          clock=lambda: START + next(ticks) * timedelta(hours=6))
    recs = [ledger.append("decision", {"i": i}, actor="a") for i in range(12)]  # 3 days, 4 per day
    day2 = ledger.anchor(START + timedelta(days=1), START + timedelta(days=2))
    assert (day2.count, day2.first_seq, day2.last_seq) == (4, 5, 8)
    assert day2.root == merkle_root([r.chain_hash for r in recs[4:8]])
    assert day2.last_chain_hash == recs[7].chain_hash
    exported = day2.to_json()
    assert Anchor.from_json(exported) == day2
    proof = ledger.prove(recs[6].id, Anchor.from_json(exported))
    assert verify_inclusion(recs[6].chain_hash, proof, day2.root)
    assert record_verifies(ledger.get(recs[6].id))
    assert not verify_inclusion(recs[2].chain_hash, proof, day2.root)
    with pytest.raises(NotFoundError):
        ledger.prove(recs[2].id, day2)
    assert ledger.anchor().count == 12
    with pytest.raises(InputError):
        Anchor.from_json('{"root": 1}')


def test_single_record_check_detects_edits(tmp_path: Path) -> None:
    """record_verifies() accepts a record as read and rejects it once any chained field is changed."""
    ledger = SqliteLedger(tmp_path / "audit.sqlite", "acme")
    ledger.append("decision", {"i": 0}, actor="a")
    rec = ledger.append("decision", {"label": "approve"}, actor="a", subject="c1", personal={"name": "郑十"})
    assert record_verifies(rec) and record_verifies(ledger.get(rec.id))
    ledger.shred("c1")
    assert record_verifies(ledger.get(rec.id)), "an erased record still checks: the ciphertext is hashed"
    edited = rec.model_copy(update={"payload": rec.payload | {"data": {"label": "reject"}}})
    assert not record_verifies(edited)
    assert not record_verifies(rec.model_copy(update={"actor": "u:other"}))
    assert not record_verifies(rec.model_copy(update={"seq": 5}))
    assert not record_verifies(rec.model_copy(update={"payload": {"data": {}}}))
