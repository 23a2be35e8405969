"""Merkle trees over ledger chain hashes: period anchors and short inclusion proofs for single records.

Hashing follows RFC 6962's domain separation so a leaf can never pass for an inner node:
``leaf = sha256(0x00 || h)``, ``node = sha256(0x01 || left || right)``, where ``h`` is the 32-byte chain hash.
A node without a sibling on its level is promoted unchanged (no duplication, so no CVE-2012-2459-style
ambiguity). The root of an empty list is ``sha256(b"")``.

A proof is a list of ``(side, sibling)`` pairs from the leaf upwards; ``side`` is ``"L"`` when the sibling
sits on the left and ``"R"`` when it sits on the right.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from agent_crm.audit.canonical import canonical_json
from agent_crm.errors import AuditIntegrityError, InputError, NotFoundError, TenantError

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
"""Root of an empty tree."""


def _check(h: str) -> bytes:
    if not isinstance(h, str) or not _HEX64.fullmatch(h):
        raise InputError(f"not a lower-case hex sha256 digest: {h!r}")
    return bytes.fromhex(h)


def _leaf(h: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + h).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _next_level(level: list[bytes]) -> list[bytes]:
    out = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        out.append(level[-1])
    return out


def merkle_root(hashes: Sequence[str]) -> str:
    """Return the hex Merkle root over hex sha256 digests (in the given order).

    Raises:
        InputError: an item is not a lower-case hex sha256 digest.
    """
    if not hashes:
        return EMPTY_ROOT
    level = [_leaf(_check(h)) for h in hashes]
    while len(level) > 1:
        level = _next_level(level)
    return level[0].hex()


def inclusion_proof(hashes: Sequence[str], index: int) -> list[tuple[str, str]]:
    """Return the proof that ``hashes[index]`` is included under ``merkle_root(hashes)``.

    Raises:
        InputError: ``index`` is out of range or an item is not a hex sha256 digest.
    """
    if not 0 <= index < len(hashes):
        raise InputError(f"leaf index {index} out of range for {len(hashes)} leaves")
    level = [_leaf(_check(h)) for h in hashes]
    proof: list[tuple[str, str]] = []
    i = index
    while len(level) > 1:
        sibling = i ^ 1
        if sibling < len(level):
            proof.append(("L" if sibling < i else "R", level[sibling].hex()))
        level = _next_level(level)
        i //= 2
    return proof


def verify_inclusion(leaf: str, proof: Sequence[tuple[str, str]], root: str) -> bool:
    """Return whether ``proof`` links the chain hash ``leaf`` to ``root`` (False on any malformed input)."""
    try:
        acc = _leaf(_check(leaf))
        for side, sibling in proof:
            sib = _check(sibling)
            if side == "L":
                acc = _node(sib, acc)
            elif side == "R":
                acc = _node(acc, sib)
            else:
                return False
        return acc.hex() == _check(root).hex()
    except (InputError, TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Anchor:
    """A Merkle root over the chain hashes of one period's records, for export to an auditor."""

    tenant: str
    root: str
    count: int
    first_seq: int | None
    last_seq: int | None
    since: str | None
    until: str | None
    last_chain_hash: str | None
    algorithm: str = "sha256-merkle-rfc6962(leaf=chain_hash)"

    def to_json(self) -> str:
        """Return the anchor as canonical JSON text."""
        return canonical_json(asdict(self)).decode("utf-8")

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        """Parse an anchor written by :meth:`to_json`."""
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError) as exc:
            raise InputError(f"not an audit anchor: {exc}") from exc


def anchor_over(
    tenant: str, rows: Sequence[tuple[int, str, str]], since: str | None, until: str | None
) -> Anchor:
    """Return the anchor over a period's ``(seq, id, chain_hash)`` rows, in chain order."""
    return Anchor(
        tenant=tenant, root=merkle_root([h for _, _, h in rows]), count=len(rows),
        first_seq=rows[0][0] if rows else None, last_seq=rows[-1][0] if rows else None,
        since=since, until=until, last_chain_hash=rows[-1][2] if rows else None,
    )


def prove_in_period(
    tenant: str, rows: Sequence[tuple[int, str, str]], record_id: str, anchor: Anchor
) -> list[tuple[str, str]]:
    """Return the inclusion proof of ``record_id`` among the anchored period's current rows.

    Raises:
        TenantError: the anchor belongs to another tenant.
        AuditIntegrityError: the stored period no longer hashes to the anchor's root.
        NotFoundError: the record is not in the anchor's period.
    """
    if anchor.tenant != tenant:
        raise TenantError("the anchor belongs to another tenant")
    hashes = [h for _, _, h in rows]
    if merkle_root(hashes) != anchor.root:
        raise AuditIntegrityError("the anchored period no longer matches its Merkle root")
    for index, (_, rid, _) in enumerate(rows):
        if rid == record_id:
            return inclusion_proof(hashes, index)
    raise NotFoundError(f"audit record {record_id!r} is not in the anchored period")
