"""Period anchors: one Merkle root over a period's fingerprint rows and audit records, small enough to sign.

The anchor file holds the RFC 6962-style Merkle root of the fingerprint chain hashes created in the period,
the audit ledger's own anchor for the same period, and a combined root over the two, as canonical JSON (sorted
keys, no whitespace) so a detached signature over its bytes is stable.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent_crm.audit.canonical import canonical_json
from agent_crm.audit.ledger import format_created_at
from agent_crm.audit.merkle import Anchor, anchor_over, inclusion_proof, merkle_root
from agent_crm.errors import NotFoundError
from agent_crm.sovereignty.fingerprints import FingerprintChain

if TYPE_CHECKING:
    from agent_crm.audit.ledger import Ledger

ANCHOR_FORMAT = "agent_crm.anchor/v1"


def fingerprint_anchor(chain: FingerprintChain, since: datetime | None, until: datetime | None) -> Anchor:
    """Return the Merkle anchor over the fingerprint chain hashes created in ``[since, until)``."""
    s, u = (None if t is None else format_created_at(t) for t in (since, until))
    return anchor_over(chain.tenant, chain.period_rows(s, u), s, u)


def period_anchor(
    chain: FingerprintChain, ledger: Ledger, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    """Return the period anchor of a tenant: fingerprint root, audit root and the root over both."""
    fp = fingerprint_anchor(chain, since, until)
    audit = ledger.anchor(since, until)
    return {
        "format": ANCHOR_FORMAT,
        "tenant": chain.tenant,
        "since": fp.since,
        "until": fp.until,
        "fingerprints": asdict(fp),
        "audit": asdict(audit),
        "root": merkle_root([fp.root, audit.root]),
        "algorithm": "sha256-merkle-rfc6962(leaves=[fingerprints.root, audit.root])",
    }


def anchor_bytes(anchor: dict[str, Any]) -> bytes:
    """Return the canonical JSON bytes of an anchor (what gets signed)."""
    return canonical_json(anchor)


def write_anchor(anchor: dict[str, Any], path: Path) -> Path:
    """Write an anchor as canonical JSON (plus a final newline) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(anchor_bytes(anchor) + b"\n")
    return path


def anchor_still_matches(anchor: dict[str, Any], chain: FingerprintChain, ledger: Ledger) -> bool:
    """Return whether the stored period still hashes to the anchor (both roots and the combined one)."""
    since = datetime.fromisoformat(anchor["since"]) if anchor.get("since") else None
    until = datetime.fromisoformat(anchor["until"]) if anchor.get("until") else None
    fresh = period_anchor(chain, ledger, since, until)
    return all(fresh[k] == anchor.get(k) for k in ("tenant", "root", "fingerprints", "audit"))


def prove_fingerprint_row(chain: FingerprintChain, seq: int, anchor: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the inclusion proof of chain row ``seq`` under the anchor's fingerprint root.

    Raises:
        NotFoundError: the row is not in the anchored period.
    """
    fp = anchor["fingerprints"]
    rows = chain.period_rows(fp.get("since"), fp.get("until"))
    for index, (s, _, _) in enumerate(rows):
        if s == seq:
            return inclusion_proof([h for _, _, h in rows], index)
    raise NotFoundError(f"fingerprint row {seq} is not in the anchored period")
