"""Benchmark data sovereignty: fingerprint + chain overhead per ingested record, retention over 100k records.

Run: ``python -m evals.perf.bench_sovereignty [--records 100000] [--ingest 3000] [--dir /path/on/the/real/disk]``.

1. *Fingerprint overhead.* The same batches (256 records, the ingest pipeline's batch) are written to a record
   store twice: plain ``put_many``, and inside the ingest write guard (fingerprint of every record, intents
   committed before the store write, chain rows after it; both SQLite files use ``synchronous=FULL``). The
   difference per record is what fingerprinting adds to an ingest; the embedding of the same record (not
   measured here, identical in both) costs 10-80 ms on 2 cores, so the overhead is well under 1 %.
2. *Retention over 100k records.* The records are written directly into the record store and the fingerprint
   chain (through the same journal as ingest) WITHOUT embeddings: embedding 100k chunks would take hours and
   measures the encoder, not retention. The index is a counting stand-in, so the figure is retention's own
   work (planning, compare-and-set, transforms, chunking, journaled store writes, directory, audit). With a
   real index add, per anonymised or encrypted record, the re-embedding of its chunks (the encoder's cost) and
   per deleted record a Chroma + BM25 delete. Audit append throughput is in ``bench_audit``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent_crm.audit.sqlite import SqliteLedger
from agent_crm.config import build_settings
from agent_crm.kb.filters import SearchFilters
from agent_crm.kb.records import RecordStore
from agent_crm.logs import configure_logging
from agent_crm.policy.vault import open_vault
from agent_crm.sovereignty.fingerprint_verify import verify_fingerprints
from agent_crm.sovereignty.fingerprints import FingerprintChain, record_fingerprint
from agent_crm.sovereignty.journal import IngestGuard, journaled, put_entries
from agent_crm.sovereignty.retention import RetentionEngine
from agent_crm.sovereignty.retention_policy import load_policy
from agent_crm.sovereignty.stores import TenantStores
from agent_crm.types import Chunk, Hit, Interaction

NOW = datetime(2026, 11, 20, tzinfo=UTC)
POLICY = Path(__file__).resolve().parents[2] / "knowledge" / "policies" / "retention.example.yaml"
REGIONS = ("DE", "SG", "US")


class CountingIndex:
    """Index stand-in for the retention benchmark: counts what a real index would have to do."""

    def __init__(self) -> None:
        self.upserted = 0
        self.deleted = 0

    def upsert(self, chunks: Sequence[Chunk]) -> int:
        """Count chunks that would be (re-)embedded."""
        self.upserted += len(chunks)
        return len(chunks)

    def delete(self, record_ids: Sequence[str]) -> int:
        """Count records whose chunks would be deleted."""
        self.deleted += len(record_ids)
        return len(record_ids)

    def delete_customer(self, customer_id: str) -> int:
        """Delete nothing."""
        return 0

    def search(self, query: str, k: int = 8, filters: SearchFilters | None = None) -> list[Hit]:
        """Find nothing."""
        return []


def make_records(tenant: str, n: int, customers: int) -> list[Interaction]:
    """Return ``n`` CRM-like records spread over ``customers`` customers, 3 regions and the last four years."""
    out = []
    for i in range(n):
        c = i % customers
        out.append(Interaction(
            id=f"r{i:07d}", tenant=tenant, customer_id=f"c{c:05d}", customer_name=f"客户{c:05d}有限公司",
            channel=("email", "call", "order", "note")[i % 4], region=REGIONS[c % 3],
            timestamp=NOW - timedelta(hours=(i * 7919) % (4 * 365 * 24)), contact_name=f"联系人{c % 97}",
            text=f"客户{c:05d}有限公司 第{i}次沟通：询问报价与交期，计划下月续订骨科耗材，预算约{(i % 50) * 1000}元。",
            fields={"phone": "<PHONE>", "status": "open" if i % 3 else "closed"},
            content_hash=f"{i:064x}",
        ))
    return out


def batches(items: Sequence[Interaction], size: int) -> Iterable[Sequence[Interaction]]:
    """Yield consecutive slices of ``size`` items."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def bench_fingerprints(base: Path, n: int) -> None:
    """Print the per-record cost of fingerprinting an ingest batch (guarded vs plain store writes)."""
    recs = make_records("bench", n, max(1, n // 20))
    t0 = time.perf_counter()
    for r in recs:
        record_fingerprint(r)
    fp_us = (time.perf_counter() - t0) / n * 1e6
    plain = RecordStore(base / "plain" / "records.sqlite", "bench")
    t0 = time.perf_counter()
    for b in batches(recs, 256):
        plain.put_many(b)
    plain_s = time.perf_counter() - t0
    guarded_dir = base / "guarded"
    store = RecordStore(guarded_dir / "records.sqlite", "bench")
    guard = IngestGuard(guarded_dir, "bench", store)
    t0 = time.perf_counter()
    for b in batches(recs, 256):
        with guard(b):
            store.put_many(b)
    guarded_s = time.perf_counter() - t0
    assert verify_fingerprints(guard.chain, store).ok
    print(f"fingerprint of one record (canonical JSON + sha256): {fp_us:8.1f} us")
    print(f"record store put_many, plain:                        {plain_s / n * 1e6:8.1f} us/record")
    print(f"record store put_many inside the fingerprint guard:  {guarded_s / n * 1e6:8.1f} us/record")
    print(f"=> fingerprint + chain overhead per ingested record:  {(guarded_s - plain_s) / n * 1e6:8.1f} us "
          f"({n} records, batches of 256, synchronous=FULL)")


def bench_retention(base: Path, n: int) -> None:
    """Print the time of a retention run over ``n`` records written directly (no embeddings)."""
    settings = build_settings(home=base / "home")
    tdir = settings.home / "tenants" / "big"
    records = RecordStore(tdir / "records.sqlite", "big")
    chain = FingerprintChain(tdir / "fingerprints.sqlite", "big")
    recs = make_records("big", n, max(1, n // 33))
    t0 = time.perf_counter()
    for b in batches(recs, 5000):
        with journaled(chain, records, put_entries(chain, b)):
            records.put_many(b)
    build_s = time.perf_counter() - t0
    del recs
    index = CountingIndex()
    ledger = SqliteLedger(tdir / "audit.sqlite", "big")
    stores = TenantStores(settings=settings, tenant="big", records=records, index=index, ledger=ledger,
                          vault=open_vault(settings, "big", ledger=ledger))
    engine = RetentionEngine(stores, load_policy(POLICY))
    t0 = time.perf_counter()
    plan = engine.plan(NOW)
    plan_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = engine.apply(plan, now=NOW)
    apply_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = engine.run(NOW)
    rerun_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = verify_fingerprints(chain, records)
    verify_s = time.perf_counter() - t0
    assert report.ok and again.applied == 0
    print(f"built {n} records + fingerprint chain (no embeddings) in {build_s:.1f} s")
    print(f"retention plan over {n} records:     {plan_s:6.2f} s")
    print(f"retention apply ({result.applied} actions: {result.counts}):")
    print(f"                                     {apply_s:6.2f} s  ({result.customers_removed} customers removed)")
    print(f"retention run total (plan + apply):  {plan_s + apply_s:6.2f} s")
    print(f"second run (no-op):                  {rerun_s:6.2f} s")
    print(f"fingerprints verify ({report.rows} rows, {report.records} records): {verify_s:6.2f} s")
    print(f"index work a real index would add: {index.upserted} chunks to re-embed, {index.deleted} record deletes")


def main() -> None:
    """Run both benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records for the retention run")
    parser.add_argument("--ingest", type=int, default=3000, help="records for the fingerprint overhead")
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory (default: a temp dir)")
    args = parser.parse_args()
    configure_logging(level="WARNING")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        base = Path(tmp)
        bench_fingerprints(base / "fp", args.ingest)
        bench_retention(base / "ret", args.records)


if __name__ == "__main__":
    main()
