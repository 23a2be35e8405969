"""Crash safety: a writer killed by SIGKILL mid-burst loses no committed record and leaves both chains valid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from agent_crm import CRM
from agent_crm.config import build_settings

TENANT = "burst"
WRITER = r"""
import sys
from agent_crm import CRM
from agent_crm.config import build_settings

home, tenant, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
crm = CRM(tenant, settings=build_settings(home=home))
ledger = crm._deps().ledger
for b in range(start, start + 100000):
    rows = [{"id": f"b{b:05d}-{i}", "customer_id": f"c{(b + i) % 5}", "channel": "note",
             "timestamp": f"2026-01-{1 + b % 28:02d}T08:00:00Z",
             "text": f"Batch {b} note {i}: follow-up on the price list and the delivery date."} for i in range(3)]
    if b % 4 == 3:  # now and then a replacement of an earlier record
        rows.append(dict(rows[0], id=f"b{b - 2:05d}-0", text=f"Batch {b - 2} note 0, corrected in batch {b}."))
    crm.ingest(rows)
    print("records " + " ".join(r["id"] for r in rows), flush=True)
    rec = ledger.append("note", {"batch": b}, actor="burst")
    print("audit " + rec.id, flush=True)
"""


def _burst_then_kill(home: Path, start: int, batches: int, delay: float) -> tuple[set[str], list[str]]:
    """Run the writer until ``batches`` batches are confirmed, let it run ``delay`` s more, then SIGKILL it."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(home), TENANT, str(start)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    committed: set[str] = set()
    audits: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while len(audits) < batches:
            line = proc.stdout.readline()
            assert line, "the writer died before the burst"
            assert time.monotonic() < deadline, "the writer is too slow"
            kind, _, rest = line.strip().partition(" ")
            if kind == "records":
                committed.update(rest.split())
            elif kind == "audit":
                audits.append(rest)
        time.sleep(delay)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return committed, audits


def test_sigkill_mid_burst_keeps_every_committed_record_and_both_chains(tmp_path: Path) -> None:
    """Two writers killed mid-burst (the second resumes after the first): records, fingerprints, audit all hold."""
    committed, audits = _burst_then_kill(tmp_path, 0, 6, 0.031)
    more, more_audits = _burst_then_kill(tmp_path, 1000, 4, 0.007)
    crm = CRM(TENANT, settings=build_settings(home=tmp_path))
    deps = crm._deps()
    stored = {r.id for r in deps.records.iter_all()}
    assert committed | more <= stored, "every record whose ingest returned must be in the store"
    report = crm.sovereignty.verify_fingerprints()
    assert report.ok, report.issues
    assert report.records == len(stored) and crm.sovereignty.stores.chain.pending_count() == 0
    ledger = deps.ledger
    assert ledger.verify().ok
    for audit_id in audits + more_audits:
        assert ledger.get(audit_id).kind == "note"
    assert {c.record_id for c in deps.index.all_chunks()} >= committed | more
