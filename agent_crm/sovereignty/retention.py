"""Apply a tenant's retention policy to every store, idempotently and safely next to a running ingest.

A run holds ``<tenant_dir>/.retention.lock`` (one run or erasure per tenant at a time), plans from one pass over
the record store, then applies the plan in batches. Each batch holds the tenant's fingerprint lock (ingest
writes wait for it) and compares each record's content hash with the planned one before touching it (a record
replaced since planning is skipped and left to the next run). Per batch: old chunks leave the index, the
transformed records' chunks are re-upserted, the store write is journaled into the fingerprint chain. A customer
left with no identifiable record loses their directory entry and conversation threads, and their audit personal
data is crypto-shredded; vault values whose pseudonyms no remaining record uses are erased. The run is written
to the ledger (kind ``retention``: counts per action and rule, no personal data) when it changed anything, so a
second run with the same clock is a no-op.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent_crm.errors import NotFoundError
from agent_crm.kb.directory import CustomerEntry
from agent_crm.logs import get_logger
from agent_crm.sovereignty.checkpoints import CHECKPOINTS_FILE, needles, purge_threads
from agent_crm.sovereignty.fingerprints import NO_CONTENT, Entry, record_fingerprint
from agent_crm.sovereignty.identifiers import customer_identifiers, name_owners
from agent_crm.sovereignty.journal import journaled, locked
from agent_crm.sovereignty.record_transforms import (
    CONTACT_FIELDS,
    anonymise_record,
    encrypt_record,
    is_anonymised,
    is_encrypted,
    names_of,
    pseudonyms_in,
    values_at,
)
from agent_crm.sovereignty.retention_policy import RetentionPolicy, RetentionRule
from agent_crm.sovereignty.stores import TenantStores
from agent_crm.types import Interaction

if TYPE_CHECKING:
    from agent_crm.kb.chunking import Chunker

_log = get_logger("sovereignty.retention")
BATCH = 256


@dataclass(frozen=True)
class PlannedAction:
    """One due action on one record, with the content hash it was planned against."""

    record_id: str
    customer_id: str
    action: str
    rule: str
    content_hash: str
    fields: tuple[str, ...] = ()


@dataclass
class RetentionResult:
    """What a retention run did (or, with ``dry_run``, would do)."""

    tenant: str
    now: str
    dry_run: bool
    policy: str
    policy_sha256: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Action -> rule -> records."""
    planned: int = 0
    applied: int = 0
    skipped_changed: int = 0
    """Records changed by a concurrent write since planning (left for the next run)."""
    customers_removed: int = 0
    subjects_shredded: int = 0
    checkpoint_threads: int = 0
    pseudonyms_forgotten: int = 0
    """Vault values erased because no remaining record refers to their pseudonym."""
    audit_id: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class RuleStatus:
    """Where one record stands with one rule."""

    rule: str
    action: str
    due_at: str
    remaining_seconds: float
    """Time left until the action is due (negative: overdue)."""
    done: bool


@dataclass(frozen=True)
class RecordRetention:
    """The retention status of one live record."""

    record_id: str
    customer_id: str
    region: str | None
    rules: tuple[RuleStatus, ...]

    @property
    def next(self) -> RuleStatus | None:
        """Return the earliest pending rule (None when every rule is done)."""
        pending = [r for r in self.rules if not r.done]
        return min(pending, key=lambda r: r.due_at) if pending else None


def _as_utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _batches(items: Sequence[PlannedAction], size: int) -> Iterator[Sequence[PlannedAction]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class RetentionEngine:
    """Plan, apply and report a retention policy over one tenant's stores."""

    def __init__(self, stores: TenantStores, policy: RetentionPolicy, *, batch_size: int = BATCH) -> None:
        self.stores = stores
        self.policy = policy
        self.batch_size = batch_size

    def pseudonym(self, customer_id: str) -> str:
        """Return the anonymised customer id: ``anon-`` + the vault's salted hash (per tenant, not reversible)."""
        token = self.stores.require_vault().hash_token("CUSTOMER", customer_id)
        return "anon-" + token.rsplit("#", 1)[-1].rstrip(">")

    # ------------------------------------------------------------------ evaluation
    def _regions(self) -> dict[str, str | None]:
        return {e.customer_id: e.region for e in self.stores.records.directory()}

    @staticmethod
    def _done(rec: Interaction, rule: RetentionRule) -> bool:
        if rule.action == "anonymise":
            return is_anonymised(rec)
        if rule.action == "encrypt":
            return is_encrypted(rec) or is_anonymised(rec) or not values_at(rec, rule.fields or CONTACT_FIELDS)
        return False

    def evaluate(self, rec: Interaction, now: datetime, regions: dict[str, str | None]) -> RecordRetention:
        """Return the status of one record under the policy at ``now``."""
        region = rec.region or regions.get(rec.customer_id)
        ts = _as_utc(rec.timestamp)
        out = []
        for rule in self.policy.rules_for(region):
            due = ts + rule.after
            out.append(RuleStatus(rule.name, rule.action, due.isoformat(), (due - now).total_seconds(),
                                  self._done(rec, rule)))
        return RecordRetention(rec.id, rec.customer_id, region, tuple(out))

    def _action_for(self, rec: Interaction, now: datetime, regions: dict[str, str | None]) -> PlannedAction | None:
        region = rec.region or regions.get(rec.customer_id)
        due = [r for r in self.policy.rules_for(region)
               if _as_utc(rec.timestamp) + r.after <= now and not self._done(rec, r)]
        for action in ("delete", "anonymise", "encrypt"):
            rule = next((r for r in due if r.action == action), None)
            if rule is not None:
                fields = rule.fields or (CONTACT_FIELDS if action == "encrypt" else ())
                return PlannedAction(rec.id, rec.customer_id, action, rule.name, rec.content_hash, fields)
        return None

    def plan(self, now: datetime) -> list[PlannedAction]:
        """Return the actions due at ``now`` (one per record: delete over anonymise over encrypt)."""
        now = _as_utc(now)
        regions = self._regions()
        planned = [a for rec in self.stores.records.iter_all() if (a := self._action_for(rec, now, regions))]
        return sorted(planned, key=lambda a: a.record_id)

    def status(self, now: datetime, record_id: str | None = None) -> list[RecordRetention]:
        """Return each live record's status (or one record's), soonest pending action first.

        Raises:
            NotFoundError: ``record_id`` is not a live record of the tenant.
        """
        now = _as_utc(now)
        regions = self._regions()
        if record_id is not None:
            rec = self.stores.records.get(record_id)
            if rec is None:
                raise NotFoundError(f"record {record_id!r} not found in tenant {self.stores.tenant!r}")
            return [self.evaluate(rec, now, regions)]
        out = [self.evaluate(rec, now, regions) for rec in self.stores.records.iter_all()]
        return sorted(out, key=lambda s: (s.next.due_at if s.next else "~", s.record_id))

    # ------------------------------------------------------------------ running
    def _result(self, now: datetime, dry_run: bool, planned: int) -> RetentionResult:
        return RetentionResult(self.stores.tenant, now.isoformat(), dry_run, Path(self.policy.source).name,
                               self.policy.sha256, planned=planned)

    def run(self, now: datetime, *, dry_run: bool = False, actor: str = "retention") -> RetentionResult:
        """Plan and (unless ``dry_run``) apply the policy at ``now``; see the module docstring."""
        start = time.perf_counter()
        now = _as_utc(now)
        with self.stores.retention_lock.hold():
            plan = self.plan(now)
            if dry_run:
                result = self._result(now, True, len(plan))
                for a in plan:
                    result.counts.setdefault(a.action, {}).setdefault(a.rule, 0)
                    result.counts[a.action][a.rule] += 1
            else:
                result = self.apply(plan, now=now, actor=actor)
        result.seconds = round(time.perf_counter() - start, 3)
        _log.info("retention_run", tenant=self.stores.tenant, dry_run=dry_run, planned=result.planned,
                  applied=result.applied, skipped=result.skipped_changed, seconds=result.seconds)
        return result

    def apply(self, plan: list[PlannedAction], *, now: datetime, actor: str = "retention") -> RetentionResult:
        """Apply a plan made by :meth:`plan` at ``now``; records whose content changed since are skipped."""
        with self.stores.retention_lock.hold():
            result = self._result(_as_utc(now), False, len(plan))
            self._apply(plan, result, actor)
        return result

    def _transform(self, rec: Interaction, a: PlannedAction, ctx: _Snapshot) -> Interaction | None:
        if a.action == "encrypt":
            return encrypt_record(rec, self.stores.require_vault().seal, a.fields, a.rule)
        if a.customer_id not in ctx.names:
            ids = customer_identifiers(self.stores.records, a.customer_id, directory=ctx.directory, owners=ctx.owners)
            ctx.names[a.customer_id] = names_of(a.customer_id, ids.names, ids.contacts)
        return anonymise_record(rec, pseudonym=self.pseudonym(a.customer_id), names=ctx.names[a.customer_id],
                                drop=a.fields, rule=a.rule)

    def _apply(self, plan: list[PlannedAction], result: RetentionResult, actor: str) -> None:
        st = self.stores
        chunker = st.chunker()
        directory = st.records.directory()
        ctx = _Snapshot(directory, name_owners(directory))
        removed_from: dict[str, list[str]] = defaultdict(list)
        for batch in _batches(plan, self.batch_size):
            with locked(st.chain, st.records):
                self._apply_batch(batch, ctx, removed_from, result, chunker)
        self._forget_gone_customers(removed_from, ctx, result, actor)
        if ctx.pseudonyms and st.vault is not None:  # vault values no remaining record refers to any more
            result.pseudonyms_forgotten = st.vault.forget(ctx.pseudonyms - pseudonyms_in(st.records.iter_all()))
        if result.applied or result.customers_removed:
            st.on_change()
            payload = {"policy": result.policy, "policy_sha256": result.policy_sha256, "now": result.now,
                       "counts": result.counts, "applied": result.applied, "skipped_changed": result.skipped_changed,
                       "customers_removed": result.customers_removed, "subjects_shredded": result.subjects_shredded,
                       "checkpoint_threads": result.checkpoint_threads,
                       "pseudonyms_forgotten": result.pseudonyms_forgotten}
            result.audit_id = st.ledger.append("retention", payload, actor=actor).id

    def _apply_batch(
        self, batch: Sequence[PlannedAction], ctx: _Snapshot, removed_from: dict[str, list[str]],
        result: RetentionResult, chunker: Chunker,
    ) -> None:
        """Apply one batch (the caller holds the fingerprint lock): compare-and-set, index, journaled store."""
        st = self.stores
        current = st.records.hashes([a.record_id for a in batch])
        deletes: list[str] = []
        writes: list[Interaction] = []
        entries: list[Entry] = []
        for a in batch:
            rec = st.records.get(a.record_id) if current.get(a.record_id) == a.content_hash else None
            if rec is None:
                result.skipped_changed += 1
                continue
            if a.action == "delete":
                deletes.append(a.record_id)
                entries.append(Entry(a.record_id, "delete", NO_CONTENT))
            else:
                new = self._transform(rec, a, ctx)
                if new is None:
                    continue
                writes.append(new)
                entries.append(Entry(a.record_id, "anonymise" if a.action == "anonymise" else "encrypt",
                                     record_fingerprint(new)))
            if a.action != "encrypt":
                ctx.pseudonyms |= pseudonyms_in([rec])
                removed_from[a.customer_id].append(a.rule)
            result.counts.setdefault(a.action, {}).setdefault(a.rule, 0)
            result.counts[a.action][a.rule] += 1
        if not entries:
            return
        st.index.delete([*deletes, *(r.id for r in writes)])
        chunks = [c for r in writes for c in chunker(r)]
        if chunks:
            st.index.upsert(chunks)
        with journaled(st.chain, st.records, entries):
            if deletes:
                st.records.delete(deletes)
            if writes:
                st.records.put_many(writes)
        if deletes:  # the chain keeps clear ids of live records only
            st.chain.forget_record_ids(deletes)
        result.applied += len(entries)

    def _forget_gone_customers(
        self, removed_from: dict[str, list[str]], ctx: _Snapshot, result: RetentionResult, actor: str
    ) -> None:
        """Remove customers left without records: directory entry, conversation threads, audit personal data."""
        st = self.stores
        gone = sorted(cid for cid in removed_from if not st.records.by_customer(cid))
        if not gone:
            return
        entries = {e.customer_id: e for e in ctx.directory}
        names = sorted({n for cid in gone if (e := entries.get(cid)) is not None
                        for n in (e.name, *e.aliases, *(c.name for c in e.contacts))
                        if n and n != cid and len(n) >= 2 and ctx.owners.get(n, set()) <= {cid}})
        threads = purge_threads(st.directory / CHECKPOINTS_FILE, needles(gone, names))
        result.checkpoint_threads += len(threads)
        for cid in gone:
            st.records.delete_customer(cid)
            result.customers_removed += 1
        rules = sorted({r for cid in gone for r in removed_from[cid]})
        for subject in (*gone, *(f"thread:{t}" for t in threads)):
            if st.ledger.list(subject=subject, limit=1):
                st.ledger.shred(subject, actor=actor, details={"reason": "retention", "rules": rules})
                result.subjects_shredded += 1


@dataclass
class _Snapshot:
    """The directory as it was when a run started, with who uses which name, and the names map per customer."""

    directory: tuple[CustomerEntry, ...]
    owners: dict[str, set[str]]
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    pseudonyms: set[str] = field(default_factory=set)
    """Vault pseudonyms found in the records deleted or anonymised by the run."""
