"""Audit reports: what an auditor receives for a period (integrity, counts, anchor), as data and Markdown."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from agent_crm.audit.ledger import Anchor, Ledger, VerifyResult

_PAGE = 1000


@dataclass(frozen=True)
class AuditReport:
    """Integrity and activity of one tenant's ledger over a period."""

    tenant: str
    since: datetime | None
    until: datetime | None
    verify: VerifyResult
    """Verification of the whole chain (not only the period: a period is only as sound as its chain)."""
    head: tuple[int, str]
    anchor: Anchor
    kinds: dict[str, int] = field(default_factory=dict)
    """Records per kind in the period."""
    actors: dict[str, int] = field(default_factory=dict)
    """Records per actor in the period."""
    decisions_corrected: int = 0
    """Decisions of the period with at least one correction linked to them in the period."""
    subjects_erased: int = 0
    """Erasure tombstones in the period."""

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (the anchor included, for export)."""
        return {
            "tenant": self.tenant,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "verify": {"ok": self.verify.ok, "checked": self.verify.checked, "reason": self.verify.reason,
                       "first_bad_seq": self.verify.first_bad_seq, "first_bad_id": self.verify.first_bad_id},
            "head": {"seq": self.head[0], "chain_hash": self.head[1]},
            "anchor": asdict(self.anchor),
            "kinds": self.kinds, "actors": self.actors, "decisions_corrected": self.decisions_corrected,
            "subjects_erased": self.subjects_erased,
        }

    def to_markdown(self) -> str:
        """Render the report as Markdown for people."""
        v = self.verify
        status = (f"OK — {v.checked} records verified" if v.ok else
                  f"FAILED — {v.reason} at seq {v.first_bad_seq} (record {v.first_bad_id}): {v.detail}")
        since, until = (t.isoformat() if t else "…" for t in (self.since, self.until))
        a = self.anchor
        lines = [
            f"# Audit report — tenant `{self.tenant}`", "",
            f"- Period: {since} → {until}",
            f"- Chain integrity: **{status}**",
            f"- Head: seq {self.head[0]}, chain hash `{self.head[1]}`",
            f"- Period anchor: {a.count} records (seq {a.first_seq}–{a.last_seq}), Merkle root `{a.root}`",
            f"- Decisions corrected in the period: {self.decisions_corrected}",
            f"- Erasures (crypto-shredded subjects): {self.subjects_erased}", "",
            "| kind | records |", "|---|---|",
            *[f"| {k} | {n} |" for k, n in sorted(self.kinds.items())], "",
            "| actor | records |", "|---|---|",
            *[f"| {a} | {n} |" for a, n in sorted(self.actors.items())],
        ]
        return "\n".join(lines) + "\n"


def build_report(ledger: Ledger, since: datetime | None = None, until: datetime | None = None) -> AuditReport:
    """Verify the ledger and summarise the records created in ``[since, until)``.

    Works on any :class:`~agent_crm.audit.ledger.Ledger` backend (it pages through ``list``).
    """
    kinds: Counter[str] = Counter()
    actors: Counter[str] = Counter()
    decisions: set[str] = set()
    corrected: set[str] = set()
    offset = 0
    while True:
        page = ledger.list(since=since, until=until, limit=_PAGE, offset=offset)
        for rec in page:
            kinds[rec.kind] += 1
            actors[rec.actor] += 1
            if rec.kind == "decision":
                decisions.add(rec.id)
            elif rec.kind == "correction" and rec.parent_id is not None:
                corrected.add(rec.parent_id)
        if len(page) < _PAGE:
            break
        offset += _PAGE
    return AuditReport(
        tenant=ledger.tenant, since=since, until=until, verify=ledger.verify(), head=ledger.head(),
        anchor=ledger.anchor(since, until), kinds=dict(kinds), actors=dict(actors),
        decisions_corrected=len(decisions & corrected), subjects_erased=kinds.get("erasure", 0),
    )
