"""Concurrent appends from threads and processes make one unbroken chain, never a fork."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
from collections import Counter
from pathlib import Path

from agent_crm.audit.sqlite import SqliteLedger


def _append_many(ledger: SqliteLedger, actor: str, n: int, start: threading.Barrier) -> None:
    start.wait()
    for i in range(n):
        ledger.append("decision", {"i": i, "by": actor}, actor=actor, subject=f"c{i % 5}",
                      personal={"phone": f"1380013{i:04d}"} if i % 2 else None)


def _process_worker(path: str, actor: str, n: int, start: object) -> None:
    ledger = SqliteLedger(Path(path), "acme")
    start.wait()  # type: ignore[attr-defined]
    for i in range(n):
        ledger.append("decision", {"i": i, "by": actor}, actor=actor, subject=f"c{i % 5}",
                      personal={"name": f"{actor}-{i}"})
        time.sleep(0.002)  # the work between two decisions; lets the other process's busy handler in
    ledger.close()


def assert_one_chain(ledger: SqliteLedger, total: int, per_actor: dict[str, int]) -> None:
    """Check the chain holds exactly ``total`` rows, seq 1..total, verifies, with the expected actors."""
    rows = ledger.list(limit=10_000)
    assert [r.seq for r in rows] == list(range(1, total + 1))
    assert all(b.prev_hash == a.chain_hash for a, b in itertools.pairwise(rows))
    assert Counter(r.actor for r in rows) == per_actor
    result = ledger.verify()
    assert result.ok and result.checked == total
    assert ledger.head() == (total, rows[-1].chain_hash)


def test_four_threads_share_one_ledger(tmp_path: Path) -> None:
    """4 threads appending 200 each through one ledger object give one chain of 800 rows."""
    ledger = SqliteLedger(tmp_path / "audit.sqlite", "acme")
    start = threading.Barrier(4)
    threads = [threading.Thread(target=_append_many, args=(ledger, f"t{k}", 200, start)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert_one_chain(ledger, 800, {f"t{k}": 200 for k in range(4)})


def test_four_threads_with_own_connections(tmp_path: Path) -> None:
    """4 threads, each with its own ledger object on the same file, serialise through BEGIN IMMEDIATE."""
    path = tmp_path / "audit.sqlite"
    ledgers = [SqliteLedger(path, "acme") for _ in range(4)]
    start = threading.Barrier(4)
    threads = [threading.Thread(target=_append_many, args=(ledgers[k], f"t{k}", 50, start)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert_one_chain(ledgers[0], 200, {f"t{k}": 50 for k in range(4)})


def test_two_processes_append_to_one_chain(tmp_path: Path) -> None:
    """2 processes appending 100 each to the same file give one unbroken chain of 200 rows."""
    path = tmp_path / "audit.sqlite"
    SqliteLedger(path, "acme").close()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_process_worker, args=(str(path), f"p{k}", 100, start)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    ledger = SqliteLedger(path, "acme")
    assert_one_chain(ledger, 200, {"p0": 100, "p1": 100})
    rows = ledger.list(limit=1000)
    switches = sum(1 for a, b in itertools.pairwise(rows) if a.actor != b.actor)
    assert switches >= 10, "the two writers did not actually contend"
