"""Erase one customer from every store of a tenant, crypto-shred their audit personal data, and prove it.

Order (each step idempotent, so an interrupted erasure is finished by running it again):

1. index: the customer's chunks leave the vector store and the BM25 index; the BM25 base is rebuilt and its
   chunk file vacuumed so no deleted text survives in free pages;
2. record store: the records and the directory entry go, journaled into the fingerprint chain as ``erase``
   rows (null fingerprint); the chain's clear record-id column is blanked for them (the chain commits to a
   hash of the id, so it still verifies) and both files are vacuumed;
3. conversation checkpoints: threads whose state references the customer are deleted (their ``thread:<id>``
   audit subjects are shredded too);
4. quarantine files and import archives: lines naming the customer are dropped (audit lines sealed);
5. pseudonym vault: the values behind pseudonyms only the customer's records used are erased;
6. audit: ``ledger.shred(customer)`` deletes the customer's data key and appends the tombstone (counts only).

Then :func:`~agent_crm.sovereignty.erasure_check.verify_erasure` searches, scans, exports and reads the
captured log lines; the :class:`ErasureReport` names the customer only by a non-reversible reference.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_crm.errors import NotFoundError
from agent_crm.logs import get_logger
from agent_crm.sovereignty.checkpoints import CHECKPOINTS_FILE, needles, purge_threads, vacuum
from agent_crm.sovereignty.erasure_check import ErasureCheck, verify_erasure
from agent_crm.sovereignty.fingerprints import NO_CONTENT, Entry
from agent_crm.sovereignty.identifiers import CustomerIdentifiers, customer_identifiers, customer_ref
from agent_crm.sovereignty.journal import journaled
from agent_crm.sovereignty.logcapture import captured_log_lines
from agent_crm.sovereignty.record_transforms import pseudonyms_in
from agent_crm.sovereignty.stores import TenantStores

_log = get_logger("sovereignty.erasure")
_SEALED_KEEP = ("id", "seq", "kind", "created_at", "actor", "parent_id", "payload_hash", "prev_hash", "chain_hash")


@dataclass
class ErasureReport:
    """What an erasure removed and the proof that nothing of the customer remains."""

    tenant: str
    customer_ref: str
    """``cust_`` + 16 hex of sha256(tenant, customer id): names the customer without identifying them."""
    actor: str
    already_erased: bool
    counts: dict[str, int] = field(default_factory=dict)
    check: ErasureCheck = field(default_factory=lambda: ErasureCheck(ok=False))
    audit_id: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Return whether the verification found nothing of the customer."""
        return self.check.ok

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return {"tenant": self.tenant, "customer_ref": self.customer_ref, "actor": self.actor,
                "already_erased": self.already_erased, "ok": self.ok, "counts": self.counts,
                "check": self.check.to_dict(), "audit_id": self.audit_id, "seconds": self.seconds}

    def to_markdown(self) -> str:
        """Render the report for people."""
        lines = [f"# Erasure report — tenant `{self.tenant}`, customer `{self.customer_ref}`", "",
                 f"- Result: **{'VERIFIED — nothing of the customer remains' if self.ok else 'NOT VERIFIED'}**",
                 f"- Actor: {self.actor}; audit tombstone: `{self.audit_id}`; {self.seconds:.2f} s", "",
                 "| removed | count |", "|---|---|", *[f"| {k} | {v} |" for k, v in self.counts.items()], "",
                 "| check | passed |", "|---|---|", *[f"| {k} | {'yes' if v else 'NO'} |" for k, v in
                                                      self.check.checks.items()]]
        lines += ["", "Findings:", *[f"- {f}" for f in self.check.findings]] if self.check.findings else []
        lines += ["", "Notes:", *[f"- {n}" for n in self.check.notes]] if self.check.notes else []
        return "\n".join(lines) + "\n"


def _scrub_lines(root: Path, ids: CustomerIdentifiers, *, seal_audit: bool) -> int:
    """Drop (or, for audit archives, seal) the lines of files under ``root`` naming the customer."""
    pattern, changed = ids.id_pattern(), 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []:
        kept, hit = [], False
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if pattern.search(line) or any(n in line for n in ids.exclusive):
                hit, changed = True, changed + 1
                if seal_audit and path.name == "audit.jsonl":
                    row = json.loads(line)
                    kept.append(json.dumps({**{k: row.get(k) for k in _SEALED_KEEP}, "sealed": True}))
                continue
            kept.append(line)
        if hit:
            if kept:
                path.write_text("".join(k + "\n" for k in kept), encoding="utf-8")
            else:
                path.unlink()
    return changed


def _remove(st: TenantStores, ids: CustomerIdentifiers, actor: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    chunks = st.index.delete_customer(ids.customer_id)
    counts["chunks"] = chunks + (st.index.delete(list(ids.record_ids)) if ids.record_ids else 0)
    lexical = getattr(st.index, "lexical", None)
    if lexical is not None:
        lexical.compact()
        vacuum(Path(lexical.dir) / "chunks.sqlite")
    entries = [Entry(rid, "erase", NO_CONTENT) for rid in ids.record_ids]
    directory_entry = any(e.customer_id == ids.customer_id for e in st.records.directory())
    with journaled(st.chain, st.records, entries):
        counts["records"] = len(st.records.delete_customer(ids.customer_id))
    counts["directory_entries"] = int(directory_entry)
    counts["fingerprint_rows_marked"] = len(entries)
    counts["fingerprint_ids_blanked"] = st.chain.forget_record_ids(ids.record_ids)
    vacuum(st.chain.path)
    vacuum(st.records.path)
    threads = purge_threads(st.directory / CHECKPOINTS_FILE, needles(ids.ids, ids.exclusive))
    counts["checkpoint_threads"] = len(threads)
    counts["thread_subjects_shredded"] = 0
    for t in threads:
        if st.ledger.list(subject=f"thread:{t}", limit=1):
            st.ledger.shred(f"thread:{t}", actor=actor, details={"reason": "erasure"})
            counts["thread_subjects_shredded"] += 1
    counts["quarantine_lines"] = _scrub_lines(st.directory / "quarantine", ids, seal_audit=False)
    counts["import_archive_lines"] = _scrub_lines(st.directory / "imports", ids, seal_audit=True)
    counts["vault_values_erased"] = st.vault.forget(ids.pseudonyms) if st.vault is not None else 0
    return counts


def erase_customer(
    st: TenantStores, customer_id: str, *, actor: str = "system", scratch: Path | None = None
) -> ErasureReport:
    """Erase ``customer_id`` from every store of the tenant and verify it (see the module docstring).

    Running it again after a completed erasure removes nothing more and re-runs the verification.

    Raises:
        NotFoundError: the tenant has no record, directory entry or audit record of this customer.
    """
    start = time.perf_counter()
    ref = customer_ref(st.tenant, customer_id)
    with captured_log_lines() as lines:
        with st.retention_lock.hold():
            ids = customer_identifiers(st.records, customer_id)
            own = pseudonyms_in(st.records.by_customer(customer_id))
            if own:
                others = pseudonyms_in(r for r in st.records.iter_all() if r.customer_id != customer_id)
                ids = dataclasses.replace(ids, pseudonyms=tuple(sorted(own - others)))
            in_directory = any(e.customer_id == customer_id for e in st.records.directory())
            audited = bool(st.ledger.list(subject=customer_id, limit=1))
            already = bool(st.ledger.list(kind="erasure", subject=customer_id, limit=1))
            if not (ids.record_ids or in_directory or audited):
                raise NotFoundError(f"customer {ref} has no data in tenant {st.tenant!r}")
            report = ErasureReport(st.tenant, ref, actor, already and not (ids.record_ids or in_directory))
            report.counts = _remove(st, ids, actor)
            if not report.already_erased:
                tomb = {k: v for k, v in report.counts.items() if v}
                report.counts["audit_records_shredded"] = st.ledger.shred(customer_id, actor=actor, details=tomb)
                report.audit_id = st.ledger.list(kind="erasure", subject=customer_id, limit=1000)[-1].id
            st.on_change()
        _log.info("erasure_done", tenant=st.tenant, customer=ref, records=report.counts.get("records", 0))
        report.check = verify_erasure(st, ids, lines, scratch=scratch)
    report.seconds = round(time.perf_counter() - start, 3)
    return report
