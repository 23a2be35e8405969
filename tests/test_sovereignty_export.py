"""Portability: exports with a verifiable manifest, customer-scoped exports, and an exact import round trip."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from agent_crm import CRM
from agent_crm.config import build_settings
from agent_crm.errors import InputError
from agent_crm.sovereignty.export import read_table, verify_export
from tests.support.mini_tenant import CUSTOMERS, records
from tests.test_sovereignty_fingerprints import run_cli

QUERIES = ["骨科耗材报价被拒", "林记超市 按时还款", "浪花养殖场 流水波动", "检验科试剂 到货", "竞品 康骨医疗",
           "关节假体", "贷款 备货"]


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> CRM:
    """The mini tenant (directory + records) with one audited decision and a human correction."""
    home = tmp_path_factory.mktemp("home")
    src = tmp_path_factory.mktemp("src")
    (src / "customers.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CUSTOMERS),
                                         encoding="utf-8")
    (src / "interactions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records()),
                                            encoding="utf-8")
    crm = CRM("exp", settings=build_settings(home=home), actor="tester")
    crm.ingest(src)
    decision = crm.decide(customer="rb-wave", type="credit_recommendation")
    assert decision.audit_id is not None
    crm.correct(decision.audit_id, actor="alice", reason="collateral offered", label="review")
    return crm


def _files_match_manifest(out: Path) -> dict[str, object]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name, meta in manifest["files"].items():
        data = (out / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], name
        assert len(data) == meta["bytes"], name
    return manifest


def test_export_manifest_verifies_and_counts(crm: CRM, tmp_path: Path) -> None:
    """Every file's sha256/size recomputes to the manifest; counts match the tenant; tampering is reported."""
    out = tmp_path / "exp"
    crm.sovereignty.export(out)
    manifest = _files_match_manifest(out)
    assert manifest["format_version"] == 1 and manifest["tenant"] == "exp" and manifest["created_at"]
    assert manifest["counts"] == {"interactions": len(records()), "customers": len(CUSTOMERS), "decisions": 1,
                                  "audit_records": 2, "sealed_audit_records": 0, "decrypted_records": 0}
    assert verify_export(out) == []
    decision = read_table(out, "decisions", "jsonl")[0]
    assert decision["customer_id"] == "rb-wave" and decision["attributions"] and decision["citations"]
    assert decision["models"][0]["alias"] == "local"
    assert decision["corrections"][0]["reason"] == "collateral offered"
    facts = {c["customer_id"]: c for c in read_table(out, "customers", "jsonl")}
    assert facts["rb-lin"]["records"] == 13 and facts["rb-lin"]["features"]["credit_recommendation"]
    assert facts["hz-first"]["region"] == "CN-ZJ" and facts["hz-first"]["last_contact"].startswith("2026-11-17")
    (out / "interactions.jsonl").write_bytes((out / "interactions.jsonl").read_bytes().replace(b"t-0001", b"t-0999"))
    (out / "notes.txt").write_text("x", encoding="utf-8")
    assert verify_export(out) == ["interactions.jsonl: sha256 differs from the manifest (file changed)",
                                  "notes.txt: not listed in the manifest"]


def test_csv_export_verifies_and_reads_back(crm: CRM, tmp_path: Path) -> None:
    """The CSV form has a header per table, a verifying manifest, and reads back to the same records."""
    out = tmp_path / "csv"
    result = run_cli(crm.settings.home, "export", "--tenant", "exp", "--out",
                                      str(out), "--format", "csv")
    assert result.exit_code == 0, result.output
    _files_match_manifest(out)
    assert verify_export(out) == []
    with (out / "interactions.csv").open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header[:4] == ["id", "customer_id", "customer_name", "channel"]
    back = {r["id"]: r for r in read_table(out, "interactions", "csv")}
    assert len(back) == len(records())
    assert back["t-0022"]["fields"] == {"paid_on_time": True, "days_late": 0, "loan_id": "L-2025-0042"}


def test_customer_export_holds_only_that_customer(crm: CRM, tmp_path: Path) -> None:
    """``--customer`` exports the customer's interactions, directory entry, decisions and audit records only."""
    out = tmp_path / "one"
    manifest = crm.sovereignty.export(out, customer="rb-wave")
    assert manifest["customer"] == "rb-wave"
    rows = read_table(out, "interactions", "jsonl")
    assert rows and {r["customer_id"] for r in rows} == {"rb-wave"}
    assert [c["customer_id"] for c in read_table(out, "customers", "jsonl")] == ["rb-wave"]
    audit = read_table(out, "audit", "jsonl")
    assert [a["kind"] for a in audit] == ["decision", "correction"]
    other = crm.sovereignty.export(tmp_path / "other", customer="rb-lin")
    assert other["counts"]["audit_records"] == 0 and other["counts"]["decisions"] == 0


def test_import_round_trip_gives_the_same_search_results(crm: CRM, tmp_path: Path) -> None:
    """Exporting and importing into a new tenant returns the same record ids in the same order per query."""
    out = tmp_path / "rt"
    crm.sovereignty.export(out)
    result = run_cli(crm.settings.home, "import", str(out), "--tenant", "exp-copy",
                                      "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["records"] == len(records()) and report["quarantined"] == 0
    copy = CRM("exp-copy", settings=crm.settings)
    for q in QUERIES:
        assert [h.chunk.record_id for h in copy.search(q, k=6)] == [h.chunk.record_id for h in crm.search(q, k=6)], q
    assert {e.customer_id: e for e in copy._deps().records.directory()} == {
        e.customer_id: e for e in crm._deps().records.directory()}
    deps = copy._deps()
    assert deps.ledger.get(report["audit_id"]).payload["data"]["manifest_sha256"] == hashlib.sha256(
        (out / "manifest.json").read_bytes()).hexdigest()
    assert copy.sovereignty.verify_fingerprints().ok
    assert (crm.settings.home / "tenants" / "exp-copy" / "imports").is_dir()


def test_import_refuses_a_tampered_export(crm: CRM, tmp_path: Path) -> None:
    """An export whose files no longer match the manifest is refused before anything is ingested."""
    out = tmp_path / "bad"
    crm.sovereignty.export(out)
    shutil.copyfile(out / "interactions.jsonl", tmp_path / "keep.jsonl")
    with (out / "interactions.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "x", "customer_id": "x", "channel": "note", "timestamp": "2026-01-01",
                             "text": "injected"}) + "\n")
    with pytest.raises(InputError, match=r"interactions\.jsonl: sha256 differs"):
        CRM("exp-bad", settings=crm.settings).sovereignty.import_export(out)
    assert CRM("exp-bad", settings=crm.settings)._deps().records.count() == 0
