"""Prove an erasure: nothing of the customer is left in any store, search, export or log line.

Findings are described without the identifiers themselves (kinds and places only), so the check result can
be kept as evidence. Notes are observations that do not fail the check: the audit ledger keeping the customer
id as the subject key of sealed rows (by design), a vector engine's own write-ahead log still holding
superseded entries until it purges them, and mentions of the customer's names inside *other* customers'
records.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent_crm.kb.filters import SearchFilters
from agent_crm.sovereignty.checkpoints import CHECKPOINTS_FILE, needles, threads_referencing
from agent_crm.sovereignty.export import export_tenant
from agent_crm.sovereignty.fingerprint_verify import verify_fingerprints
from agent_crm.sovereignty.identifiers import CustomerIdentifiers
from agent_crm.sovereignty.stores import TenantStores

MAX_QUERIES = 8
_BLOCK = 1 << 22
_AUDIT_FILES = ("audit.sqlite", "audit.sqlite-wal", "audit.sqlite-shm")


@dataclass(frozen=True)
class ErasureCheck:
    """Result of the post-erasure verification."""

    ok: bool
    checks: dict[str, bool] = field(default_factory=dict)
    findings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return asdict(self)


class _Scanner:
    """Find a customer's identifiers in bytes: ids as whole tokens, exclusive names as substrings."""

    def __init__(self, ids: CustomerIdentifiers) -> None:
        alts = b"|".join(re.escape(i.encode()) for i in sorted(ids.ids, key=len, reverse=True))
        self._ids = re.compile(rb"(?<![\w-])(?:" + alts + rb")(?![\w-])")
        self._names = [n.encode("utf-8") for n in ids.exclusive]

        self._overlap = max((len(p) for p in (*self._names, *(i.encode() for i in ids.ids))), default=0) + 2

    def kinds(self, data: bytes, *, ids: bool = True) -> list[str]:
        found = []
        if ids and self._ids.search(data):
            found.append("id")
        if any(n in data for n in self._names):
            found.append("name")
        return found

    def file_kinds(self, path: Path, *, ids: bool = True) -> list[str]:
        """Scan a file in blocks (bounded memory; blocks overlap so no match is cut in two)."""
        found: set[str] = set()
        tail = b""
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(_BLOCK), b""):
                found.update(self.kinds(tail + block, ids=ids))
                tail = block[-self._overlap:]
        return sorted(found)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _search_check(st: TenantStores, ids: CustomerIdentifiers, scan: _Scanner) -> tuple[bool, list[str], list[str]]:
    findings, notes = [], []
    if st.index.search(ids.customer_id, k=10, filters=SearchFilters(customer_id=ids.customer_id)):
        findings.append("search: the index still returns chunks filed under the customer")
    rids = set(ids.record_ids)
    for q in [ids.customer_id, *ids.exclusive, *ids.record_ids][:MAX_QUERIES]:
        for hit in st.index.search(q, k=10):
            c = hit.chunk
            if c.customer_id == ids.customer_id or c.record_id in rids:
                findings.append(f"search: a query for one of the customer's identifiers returns chunk of record "
                                f"{'(erased)' if c.record_id in rids else c.record_id}")
            elif scan.kinds(c.text.encode("utf-8")):
                notes.append(f"search: record {c.record_id} of another customer mentions the customer's name")
    return not findings, findings, sorted(set(notes))


def _export_check(st: TenantStores, scan: _Scanner, scratch: Path | None) -> tuple[list[str], list[str]]:
    findings, notes = [], []
    base = Path(tempfile.mkdtemp(prefix="erasure-check-", dir=scratch))
    try:
        out = base / "export"
        export_tenant(st, out, features=False, unseal=False)
        for path in _files(out):
            with path.open("rb") as fh:
                for n, line in enumerate(fh, 1):
                    kinds = scan.kinds(line)
                    if not kinds:
                        continue
                    if path.name.startswith("interactions") and kinds == ["name"]:
                        notes.append(f"export: {path.name} line {n} (another customer's record) mentions the name")
                    else:
                        findings.append(f"export: {path.name} line {n} holds the customer's {'/'.join(kinds)}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return findings, notes


def verify_erasure(
    st: TenantStores, ids: CustomerIdentifiers, log_lines: Sequence[str], *, scratch: Path | None = None
) -> ErasureCheck:
    """Check every store, a search per identifier, a fresh export and the captured log lines."""
    scan = _Scanner(ids)
    checks: dict[str, bool] = {}
    findings: list[str] = []
    notes: list[str] = []
    left = st.records.by_customer(ids.customer_id) or [r for r in ids.record_ids if st.records.get(r) is not None]
    checks["records"] = not left
    checks["directory"] = all(e.customer_id != ids.customer_id for e in st.records.directory())
    checks["search"], found, mentions = _search_check(st, ids, scan)
    findings += found
    notes += mentions
    fp = verify_fingerprints(st.chain, st.records)
    checks["fingerprint_chain"] = fp.ok
    findings += [f"fingerprints: {issue}" for issue in fp.issues]
    clear = {r.record_id for r in st.chain.rows() if r.record_id is not None} & set(ids.record_ids)
    checks["fingerprint_ids"] = not clear
    if clear:
        findings.append(f"fingerprints: {len(clear)} chain rows still name erased records")
    if st.vault is not None and ids.pseudonyms:
        values = st.vault.lookup(ids.pseudonyms)
        checks["vault"] = not values
        if values:
            findings.append(f"vault: {len(values)} pseudonyms of the customer can still be re-identified")
    threads = threads_referencing(st.directory / CHECKPOINTS_FILE, needles(ids.ids, ids.exclusive))
    checks["checkpoints"] = not threads
    if threads:
        findings.append(f"checkpoints: {len(threads)} conversation threads still reference the customer")
    audit = st.ledger.verify()
    checks["audit_chain"] = audit.ok
    if not audit.ok:
        findings.append(f"audit: chain does not verify ({audit.reason} at seq {audit.first_bad_seq})")
    readable = [r.seq for r in st.ledger.list(subject=ids.customer_id, limit=10_000) if r.payload.get("personal")]
    checks["audit_personal"] = not readable
    if readable:
        findings.append(f"audit: {len(readable)} records of the customer still have readable personal data")
    for path in _files(st.directory):
        kinds = scan.file_kinds(path, ids=path.name not in _AUDIT_FILES)
        if kinds:
            findings.append(f"files: {path.relative_to(st.directory)} holds the customer's {'/'.join(kinds)}")
    checks["files"] = not any(f.startswith("files:") for f in findings)
    if st.ledger.list(subject=ids.customer_id, limit=1):
        notes.append("audit: the ledger keeps the customer id only as the subject key of crypto-shredded records "
                     "(chain commitments, exported sealed); no personal part is readable")
    chroma = st.settings.home / "chroma"
    engine = [p.name for p in _files(chroma) if p.name.startswith("chroma.sqlite3") and scan.file_kinds(p)]
    if engine and st.settings.chroma_mode == "embedded":
        notes.append(f"vector engine: chroma's own write-ahead log ({', '.join(sorted(set(engine)))}) still holds "
                     "superseded entries of the customer until chroma purges its log; queries no longer return them")
    found, mentions = _export_check(st, scan, scratch)
    checks["export"] = not found
    findings += found
    notes += mentions
    bad_lines = [n for n, line in enumerate(log_lines, 1) if scan.kinds(line.encode("utf-8"))]
    checks["logs"] = not bad_lines
    if bad_lines:
        findings.append(f"logs: {len(bad_lines)} log lines written during the erasure hold the customer's identifiers")
    return ErasureCheck(ok=not findings, checks=checks, findings=tuple(findings), notes=tuple(notes))
