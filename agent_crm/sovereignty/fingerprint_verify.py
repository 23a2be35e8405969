"""Verify a tenant's fingerprint chain and the record store against it, locating every problem.

Two passes over one consistent snapshot (taken under the tenant's fingerprint lock, after settling intents a
crashed writer left):

1. the chain: sequence gaps (``row_missing``), rows whose link points elsewhere in the chain
   (``row_reordered``), rows whose content no longer hashes to their chain hash, or whose clear record id does
   not match the committed ref (``row_modified``), and a head that does not match the last row
   (``head_mismatch``, e.g. a truncated tail);
2. the store: every live record is recomputed and compared with its latest chain row (``record_modified``),
   records the chain does not know or knows as deleted (``record_unfingerprinted``), and records the chain says
   are live but the store lacks (``record_missing``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from agent_crm.logs import get_logger
from agent_crm.sovereignty.fingerprints import (
    GENESIS,
    LIVE_OPS,
    FingerprintChain,
    FingerprintRow,
    chain_hash,
    record_fingerprint,
    record_ref,
    row_meta,
)
from agent_crm.sovereignty.journal import store_fingerprints

if TYPE_CHECKING:
    from agent_crm.kb.records import RecordStore

IssueKind = Literal[
    "row_missing", "row_reordered", "row_modified", "head_mismatch",
    "record_modified", "record_missing", "record_unfingerprinted",
]

_log = get_logger("sovereignty.verify")


@dataclass(frozen=True)
class FingerprintIssue:
    """One located problem: the chain row (seq) and/or the record (id) concerned, and why."""

    kind: IssueKind
    seq: int | None
    record_id: str | None
    detail: str

    def __str__(self) -> str:
        where = " ".join(p for p in (f"seq {self.seq}" if self.seq is not None else "",
                                     f"record {self.record_id}" if self.record_id else "") if p)
        return f"{self.kind} at {where or 'chain'}: {self.detail}"


@dataclass(frozen=True)
class FingerprintReport:
    """Outcome of ``fingerprints verify``: ok, or every located issue."""

    tenant: str
    ok: bool
    rows: int
    """Chain rows checked."""
    records: int
    """Live records recomputed."""
    issues: tuple[FingerprintIssue, ...] = ()
    recovered: int = 0
    """Intents of a crashed writer settled (chained) before verifying."""
    head: tuple[int, str] = (0, GENESIS)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return asdict(self)


def check_rows(rows: Iterable[FingerprintRow], head: tuple[int, str] | None, tenant: str) -> tuple[
    list[FingerprintIssue], dict[str, FingerprintRow], int
]:
    """Check the chain rows; return the issues, the latest row per ref, and the number of rows."""
    issues: list[FingerprintIssue] = []
    latest: dict[str, FingerprintRow] = {}
    all_rows = list(rows)
    chains = {r.chain for r in all_rows}
    prev, expected, last = GENESIS, 1, None
    for r in all_rows:
        gap = r.seq != expected
        if gap:
            issues.append(FingerprintIssue("row_missing", expected, None,
                                           f"chain rows {expected}..{r.seq - 1} are missing"))
        if r.prev != prev and not gap:
            kind: IssueKind = "row_reordered" if (r.prev in chains or r.prev == GENESIS) else "row_modified"
            issues.append(FingerprintIssue(kind, r.seq, r.record_id,
                                           "row links to another place in the chain" if kind == "row_reordered"
                                           else "prev does not match the previous row"))
        else:
            try:
                ok = chain_hash(r.prev, r.fingerprint, row_meta(r.seq, tenant, r.op, r.ref, r.created_at)) == r.chain
            except ValueError:
                ok = False
            if not ok:
                issues.append(FingerprintIssue("row_modified", r.seq, r.record_id,
                                               "row content does not hash to its chain hash"))
            elif r.record_id is not None and record_ref(tenant, r.record_id) != r.ref:
                issues.append(FingerprintIssue("row_modified", r.seq, r.record_id,
                                               "record_id column does not match the committed ref"))
        latest[r.ref] = r
        prev, expected, last = r.chain, r.seq + 1, r
    last_seq = last.seq if last is not None else 0
    if head is None:
        if last is not None:
            issues.append(FingerprintIssue("head_mismatch", last_seq, None, "rows exist but no head is recorded"))
    elif head[0] > last_seq:
        issues.append(FingerprintIssue("row_missing", last_seq + 1, None,
                                       f"head is at seq {head[0]} but the chain ends at {last_seq} (tail removed)"))
    elif head[0] < last_seq:
        issues.append(FingerprintIssue("head_mismatch", head[0] + 1, None, f"rows after the head seq {head[0]}"))
    elif head[1] != prev:
        issues.append(FingerprintIssue("head_mismatch", last_seq, None, "last chain hash differs from the head"))
    return issues, latest, len(all_rows)


def verify_fingerprints(chain: FingerprintChain, records: RecordStore) -> FingerprintReport:
    """Verify the chain and every live record of the tenant; the report locates each problem."""
    with chain.lock.hold() as outermost:
        recovered = chain.resolve(store_fingerprints(records)) if outermost and chain.pending_count() else 0
        head = chain.recorded_head()
        issues, latest, n_rows = check_rows(chain.rows(), head, chain.tenant)
        bad_seqs = {i.seq for i in issues if i.kind != "row_missing"}
        bad_refs = {ref for ref, row in latest.items() if row.seq in bad_seqs}
        seen: set[str] = set()
        n_records = 0
        for rec in records.iter_all():
            n_records += 1
            ref = record_ref(chain.tenant, rec.id)
            seen.add(ref)
            row = latest.get(ref)
            if ref in bad_refs:
                continue  # its chain row is already reported
            if row is None or row.op not in LIVE_OPS:
                why = "no fingerprint" if row is None else f"the chain records it as {row.op}d at seq {row.seq}"
                issues.append(FingerprintIssue("record_unfingerprinted", row.seq if row else None, rec.id,
                                               f"record in the store but {why}"))
            elif record_fingerprint(rec) != row.fingerprint:
                issues.append(FingerprintIssue("record_modified", row.seq, rec.id,
                                               "stored record does not match its fingerprint"))
        for ref, row in latest.items():
            if row.op in LIVE_OPS and ref not in seen and ref not in bad_refs:
                issues.append(FingerprintIssue("record_missing", row.seq, row.record_id,
                                               f"chain says live ({row.op} at seq {row.seq}) but the store lacks it"))
    report = FingerprintReport(chain.tenant, not issues, n_rows, n_records, tuple(issues), recovered,
                               head or (0, GENESIS))
    if issues:
        _log.warning("fingerprints_verify_failed", tenant=chain.tenant, issues=len(issues),
                     first=issues[0].kind, seq=issues[0].seq)
    return report
