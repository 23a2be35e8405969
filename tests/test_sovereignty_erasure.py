"""Erasure: after ``erase`` no store, search, export or log line holds the customer; both chains verify."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from pathlib import Path

import pytest

from agent_crm import CRM
from agent_crm.config import build_settings
from agent_crm.errors import NotFoundError
from agent_crm.logs import configure_logging
from agent_crm.policy.redaction import redact_text
from agent_crm.sovereignty.erasure import ErasureReport
from tests.support.mini_tenant import CUSTOMERS, records
from tests.test_sovereignty_fingerprints import run_cli

WAVE = ("rb-wave", "浪花养殖场", "周老板")
"""The erased customer's id, name and contact name (used by no other customer)."""


@pytest.fixture(scope="module")
def erased(tmp_path_factory: pytest.TempPathFactory) -> tuple[CRM, ErasureReport, str, str]:
    """Mini tenant with a decision, a correction, a conversation thread and quarantined input about rb-wave,
    then erased with logging at DEBUG captured; returns (crm, report, log text, erased record id)."""
    home = tmp_path_factory.mktemp("home")
    src = tmp_path_factory.mktemp("src")
    (src / "customers.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CUSTOMERS),
                                         encoding="utf-8")
    (home / "tenants" / "era").mkdir(parents=True)
    (home / "tenants" / "era" / "policy.yaml").write_text("version: 1\npii:\n  PHONE: pseudonymize\n",
                                                        encoding="utf-8")
    crm = CRM("era", settings=build_settings(home=home), actor="tester")
    crm.ingest(src)
    phone = {"id": "w-phone", "customer_id": "rb-wave", "customer_name": "浪花养殖场", "channel": "note",
             "timestamp": "2026-11-01T09:00:00+08:00", "text": "周老板手机13900001111，周末可联系。"}
    crm.ingest([*records(), phone])
    bad = {"id": "q-1", "customer_id": "rb-wave", "customer_name": "浪花养殖场", "channel": "note",
           "timestamp": "not a date", "text": "周老板来电"}
    assert crm.ingest([bad]).quarantined == 1
    decision = crm.decide(customer="rb-wave", type="credit_recommendation")
    assert decision.audit_id is not None
    crm.correct(decision.audit_id, actor="alice", reason="周老板 offered the pond as collateral", label="review")
    other = crm.decide(customer="rb-lin", type="credit_recommendation")
    assert other.audit_id is not None
    stream = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", redactor=redact_text, stream=stream)
    try:
        report = crm.sovereignty.erase("rb-wave", actor="dpo")
    finally:
        configure_logging(level="WARNING", fmt="json", redactor=redact_text)
    return crm, report, stream.getvalue(), "t-0034"


def test_report_verifies_every_store(erased: tuple[CRM, ErasureReport, str, str]) -> None:
    """The erasure report passes every check and counts what went from each store."""
    _, report, _, _ = erased
    assert report.ok, report.check.findings
    assert set(report.check.checks) == {"records", "directory", "search", "fingerprint_chain", "fingerprint_ids",
                                        "vault", "checkpoints", "audit_chain", "audit_personal", "files", "export",
                                        "logs"}
    assert all(report.check.checks.values())
    c = report.counts
    assert c["records"] == 14 and c["chunks"] >= 14 and c["directory_entries"] == 1
    assert c["vault_values_erased"] == 1
    assert c["checkpoint_threads"] == 1 and c["quarantine_lines"] == 1 and c["audit_records_shredded"] == 2
    text = json.dumps(report.to_dict(), ensure_ascii=False)
    assert not any(w in text for w in WAVE), "the report itself names the customer only by reference"


def test_nothing_of_the_customer_is_searchable_or_stored(erased: tuple[CRM, ErasureReport, str, str]) -> None:
    """Searches for the name, contact and ids return nothing of theirs; no store holds a record of theirs."""
    crm, _, _, rid = erased
    deps = crm._deps()
    for q in (*WAVE, rid, "浪花养殖场 逾期 还款"):
        for hit in crm.search(q, k=20):
            assert hit.chunk.customer_id != "rb-wave" and not any(w in hit.chunk.text for w in WAVE), q
    assert crm.search("还款", k=20, customer="rb-wave") == []
    assert deps.records.by_customer("rb-wave") == () and deps.records.get(rid) is None
    assert all(e.customer_id != "rb-wave" for e in deps.records.directory())
    assert not [c for c in deps.index.all_chunks() if c.customer_id == "rb-wave"]
    fp = sqlite3.connect(crm.settings.home / "tenants" / "era" / "fingerprints.sqlite")
    assert fp.execute("SELECT COUNT(*) FROM fingerprints WHERE op = 'erase' AND record_id IS NULL").fetchone()[0] == 14
    assert fp.execute("SELECT COUNT(*) FROM fingerprints WHERE record_id = ?", (rid,)).fetchone()[0] == 0
    tenant_dir = crm.settings.home / "tenants" / "era"
    pattern = re.compile(rb"(?<![\w-])(rb-wave|t-0034)(?![\w-])|13900001111|" + "|".join(WAVE[1:]).encode())
    for path in tenant_dir.rglob("*"):
        if path.is_file() and not path.name.startswith("audit.sqlite"):
            assert not pattern.search(path.read_bytes()), path.relative_to(tenant_dir)


def test_vault_forgets_the_customers_pseudonyms_only(erased: tuple[CRM, ErasureReport, str, str]) -> None:
    """The phone only rb-wave's record carried can no longer be re-identified; hz-first's phone still can."""
    crm, _, _, _ = erased
    vault = crm._deps().vault
    assert vault is not None
    known = vault.lookup([f"<PHONE_{i}>" for i in range(1, 6)])
    assert "13900001111" not in known.values() and "13812345678" in known.values()


def test_audit_personal_data_is_shredded_and_chains_verify(erased: tuple[CRM, ErasureReport, str, str]) -> None:
    """The decision and correction about them stay in the chain but cannot be read; both chains verify."""
    crm, report, _, _ = erased
    deps = crm._deps()
    kinds = {}
    for rec in deps.ledger.list(subject="rb-wave"):
        kinds[rec.kind] = rec
        assert rec.payload["personal"] is None
    assert set(kinds) == {"decision", "correction", "erasure"}
    assert kinds["decision"].payload["erased"] is True
    assert kinds["erasure"].id == report.audit_id
    assert deps.ledger.verify().ok
    assert crm.sovereignty.verify_fingerprints().ok
    lin = [r for r in deps.ledger.list(subject="rb-lin")]
    assert lin and lin[0].payload["personal"] is not None, "other customers' audit data stays readable"


def test_no_export_or_log_line_holds_the_customer(
    erased: tuple[CRM, ErasureReport, str, str], tmp_path: Path
) -> None:
    """A fresh export has none of their identifiers (audit rows sealed); neither has the erasure's log output."""
    crm, _, logs, rid = erased
    assert "erasure_done" in logs and "export_written" in logs, "the DEBUG log of the run was captured"
    crm.sovereignty.export(tmp_path / "out")
    blob = b"".join(p.read_bytes() for p in (tmp_path / "out").iterdir())
    for ident in (*WAVE, rid):
        assert ident.encode() not in blob, ident
        assert ident not in logs, ident
    audit = [json.loads(line) for line in (tmp_path / "out" / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    sealed = [a for a in audit if a["sealed"]]
    assert {a["kind"] for a in sealed} == {"decision", "correction", "erasure"}
    assert all("payload" not in a and "subject" not in a for a in sealed)


def test_other_customers_are_untouched(erased: tuple[CRM, ErasureReport, str, str]) -> None:
    """The neighbouring customers keep every record and stay searchable."""
    crm, _, _, _ = erased
    deps = crm._deps()
    assert len(deps.records.by_customer("rb-lin")) == 13 and len(deps.records.by_customer("hz-first")) == 16
    assert any(h.chunk.customer_id == "rb-lin" for h in crm.search("林记超市 还款", k=5))


def test_erasing_again_or_an_unknown_customer(erased: tuple[CRM, ErasureReport, str, str]) -> None:
    """A second erasure removes nothing and still verifies; an unknown customer is a NotFoundError."""
    crm, _, _, _ = erased
    again = crm.sovereignty.erase("rb-wave", actor="dpo")
    assert again.already_erased and again.ok and again.counts["records"] == 0
    with pytest.raises(NotFoundError):
        crm.sovereignty.erase("no-such-customer")


def test_cli_erase_keeps_a_shared_contact_of_another_customer(erased: tuple[CRM, ErasureReport, str, str]) -> None:
    """``agent-crm erase`` of nj-drum verifies; sz-second (who shares the contact name 李主任) keeps its data."""
    crm, _, _, _ = erased
    result = run_cli(crm.settings.home, "erase", "--tenant", "era", "--customer",
                                      "nj-drum", "--actor", "dpo", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["ok"] is True and out["counts"]["records"] == 2
    assert len(crm._deps().records.by_customer("sz-second")) == 2
    assert any(h.chunk.customer_id == "sz-second" for h in crm.search("李主任", k=10))
