"""Journaled record-store writes: fingerprint intents before the store commits, chain rows after it.

:func:`journaled` is the one way records change with fingerprints kept in step (ingest, retention, erasure);
:class:`IngestGuard` is the form the ingest pipeline calls around each flush (``Ingestor(write_guard=...)``),
so the index upsert, the record commit and the chain append of a batch run under the tenant's fingerprint lock
and a crash at any point leaves a state that the next lock holder settles.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from agent_crm.sovereignty.fingerprints import (
    LIVE_OPS,
    CurrentFingerprints,
    Entry,
    FingerprintChain,
    chain_for,
    record_fingerprint,
)
from agent_crm.types import Interaction

if TYPE_CHECKING:
    from agent_crm.kb.records import RecordStore


def store_fingerprints(records: RecordStore) -> CurrentFingerprints:
    """Return a function giving the current fingerprint of records in ``records`` (None when absent)."""

    def current(record_ids: Sequence[str]) -> Mapping[str, str | None]:
        out: dict[str, str | None] = {}
        for rid in record_ids:
            rec = records.get(rid)
            out[rid] = record_fingerprint(rec) if rec is not None else None
        return out

    return current


@contextmanager
def locked(chain: FingerprintChain, records: RecordStore) -> Iterator[None]:
    """Hold the tenant's fingerprint lock; on first entry, settle intents left by a crashed writer."""
    with chain.lock.hold() as outermost:
        if outermost and chain.pending_count():
            chain.resolve(store_fingerprints(records))
        yield


@contextmanager
def journaled(chain: FingerprintChain, records: RecordStore, entries: Sequence[Entry]) -> Iterator[None]:
    """Record ``entries`` as intents, run the store write in the block, then chain them.

    If the block raises, the intents are settled against the store (what did commit is chained).
    """
    with locked(chain, records):
        batch = chain.intend(entries) if entries else None
        try:
            yield
        except BaseException:
            if batch is not None:
                chain.resolve(store_fingerprints(records), batch)
            raise
        if batch is not None:
            chain.complete(batch)


def put_entries(chain: FingerprintChain, batch: Sequence[Interaction]) -> list[Entry]:
    """Return put/replace entries for records about to be stored (replace when the chain has them live)."""
    last = chain.last_ops([r.id for r in batch])
    out: list[Entry] = []
    for rec in batch:
        prior = last.get(rec.id)
        live = prior is not None and prior.op in LIVE_OPS
        out.append(Entry(rec.id, "replace" if live else "put", record_fingerprint(rec)))
    return out


class IngestGuard:
    """The ingest pipeline's write guard: ``with guard(batch): <index upsert; records.put_many(batch)>``.

    Args:
        tenant_directory: the tenant's directory (``fingerprints.sqlite`` lives there).
        tenant: the tenant id.
        records: the tenant's record store (read to settle intents after a crash).
    """

    def __init__(self, tenant_directory: Path, tenant: str, records: RecordStore) -> None:
        self.chain = chain_for(tenant_directory, tenant)
        self.records = records

    @contextmanager
    def __call__(self, batch: Sequence[Interaction]) -> Iterator[None]:
        """Fingerprint ``batch`` around the block that stores it."""
        with locked(self.chain, self.records), journaled(self.chain, self.records, put_entries(self.chain, batch)):
            yield
