"""Audit reports summarise a period and carry the chain's integrity and the period's anchor."""

from __future__ import annotations

import itertools
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent_crm.audit.report import build_report
from agent_crm.audit.sqlite import SqliteLedger

START = datetime(2025, 3, 1, tzinfo=UTC)


def test_report_counts_period_and_exports(tmp_path: Path) -> None:
    """Counts cover only the period, corrections are linked to decisions, and the dict is JSON-ready."""
    ticks = itertools.count()
    ledger = SqliteLedger(tmp_path / "audit.sqlite", "acme",
                          clock=lambda: START + next(ticks) * timedelta(days=1))
    early = ledger.append("decision", {"i": 0}, actor="agent")  # day 0, outside the period
    d1 = ledger.append("decision", {"i": 1}, actor="agent", subject="c1", personal={"name": "周九"})
    d2 = ledger.append("decision", {"i": 2}, actor="agent")
    ledger.append("correction", {"label": "low"}, actor="u:li", parent_id=d1.id)
    ledger.append("correction", {"label": "x"}, actor="u:li", parent_id=early.id)
    ledger.append("approval", {"approved": True}, actor="u:wang", parent_id=d2.id)
    ledger.shred("c1", actor="dpo")
    report = build_report(ledger, START + timedelta(days=1), START + timedelta(days=10))
    assert report.verify.ok and report.head[0] == 7
    assert report.kinds == {"decision": 2, "correction": 2, "approval": 1, "erasure": 1}
    assert report.actors == {"agent": 2, "u:li": 2, "u:wang": 1, "dpo": 1}
    assert report.decisions_corrected == 1 and report.subjects_erased == 1
    assert report.anchor.count == 6 and report.anchor.first_seq == 2
    data = json.loads(json.dumps(report.to_dict()))
    assert data["anchor"]["root"] == report.anchor.root
    md = report.to_markdown()
    assert "OK — 7 records verified" in md and "| correction | 2 |" in md and "周九" not in md


def test_report_shows_failure(tmp_path: Path) -> None:
    """A tampered chain makes the report say FAILED with the seq and reason."""
    ledger = SqliteLedger(tmp_path / "audit.sqlite", "acme")
    recs = [ledger.append("decision", {"i": i}, actor="a") for i in range(5)]
    with sqlite3.connect(ledger.path) as db:
        db.execute("UPDATE ledger SET payload = replace(payload, '\"i\":3', '\"i\":4') WHERE seq = 4")
    report = build_report(ledger)
    assert not report.verify.ok
    assert "FAILED — payload_modified at seq 4" in report.to_markdown()
    assert report.verify.first_bad_id == recs[3].id
