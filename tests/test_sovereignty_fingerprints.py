"""Record fingerprints: every ingested record chained per tenant; tampering detected and located; anchors."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from agent_crm import CRM
from agent_crm.audit.merkle import verify_inclusion
from agent_crm.cli.main import app
from agent_crm.config import build_settings
from agent_crm.logs import configure_logging
from agent_crm.policy.redaction import redact_text
from agent_crm.sovereignty.anchors import anchor_still_matches, prove_fingerprint_row
from agent_crm.sovereignty.fingerprints import Entry, record_fingerprint
from agent_crm.sovereignty.journal import journaled
from tests.support.mini_tenant import records


def run_cli(home: Path, *args: str) -> Result:
    """Run ``agent-crm --home HOME ARGS`` in process (shared by the sovereignty test modules).

    The CLI points logging at the runner's stderr, which the runner closes; logging is pointed back at the
    real stderr afterwards so later log lines do not hit a closed file.
    """
    try:
        return CliRunner().invoke(app, ["--home", str(home), *args])
    finally:
        configure_logging(level="WARNING", fmt="json", redactor=redact_text)


ROWS = [r for r in records() if r["customer_id"] in ("nj-drum", "sz-second")]
"""Four short mini-tenant records (two customers): fast to embed, enough to tamper with."""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data home for the module (each test ingests into its own tenant)."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture
def tenant(home: Path, request: pytest.FixtureRequest) -> CRM:
    """A fresh tenant with the four records ingested through CRM.ingest."""
    name = "fp-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12]
    crm = CRM(name, settings=build_settings(home=home))
    report = crm.ingest(ROWS)
    assert report.records_ok == len(ROWS)
    return crm


def _db(crm: CRM, name: str) -> sqlite3.Connection:
    return sqlite3.connect(crm.settings.home / "tenants" / crm.tenant / name, isolation_level=None)


def test_every_ingested_record_is_fingerprinted_and_verifies(tenant: CRM) -> None:
    """Each stored record has one put row whose fingerprint recomputes from the store; the chain verifies."""
    report = tenant.sovereignty.verify_fingerprints()
    assert report.ok, report.issues
    assert report.rows == report.records == len(ROWS)
    rows = _db(tenant, "fingerprints.sqlite").execute("SELECT record_id, op, fingerprint FROM fingerprints").fetchall()
    stored = {r.id: record_fingerprint(r) for r in tenant._deps().records.iter_all()}
    assert {rid: fp for rid, _, fp in rows} == stored
    assert {op for _, op, _ in rows} == {"put"}


def test_replaced_record_appends_a_replace_row(tenant: CRM) -> None:
    """Re-ingesting a record with new content chains a replace row; the chain still verifies."""
    changed = dict(ROWS[0], text=ROWS[0]["text"] + " 已补充资质文件。")
    tenant.ingest([changed])
    report = tenant.sovereignty.verify_fingerprints()
    assert report.ok and report.rows == len(ROWS) + 1
    last = _db(tenant, "fingerprints.sqlite").execute(
        "SELECT record_id, op FROM fingerprints ORDER BY seq DESC LIMIT 1").fetchone()
    assert last == (ROWS[0]["id"], "replace")


def _edit_record(crm: CRM) -> None:
    _db(crm, "records.sqlite").execute(
        "UPDATE records SET data = replace(data, '到货周期', '付款周期') WHERE id = 't-0019'")


def _remove_record(crm: CRM) -> None:
    _db(crm, "records.sqlite").execute("DELETE FROM records WHERE id = 't-0018'")


def _extra_record(crm: CRM) -> None:
    _db(crm, "records.sqlite").execute(
        "INSERT INTO records SELECT 'x-9999', customer_id, channel, ts, content_hash, "
        "replace(data, '\"t-0020\"', '\"x-9999\"') FROM records WHERE id = 't-0020'")


def _edit_row(crm: CRM) -> None:
    _db(crm, "fingerprints.sqlite").execute("UPDATE fingerprints SET fingerprint = ? WHERE seq = 2", ("ab" * 32,))


def _delete_row(crm: CRM) -> None:
    _db(crm, "fingerprints.sqlite").execute("DELETE FROM fingerprints WHERE seq = 2")


def _reorder_rows(crm: CRM) -> None:
    db = _db(crm, "fingerprints.sqlite")
    db.execute("UPDATE fingerprints SET seq = -2 WHERE seq = 2")
    db.execute("UPDATE fingerprints SET seq = 2 WHERE seq = 3")
    db.execute("UPDATE fingerprints SET seq = 3 WHERE seq = -2")


def _truncate_tail(crm: CRM) -> None:
    _db(crm, "fingerprints.sqlite").execute("DELETE FROM fingerprints WHERE seq = (SELECT MAX(seq) FROM fingerprints)")


def _rename_row(crm: CRM) -> None:
    _db(crm, "fingerprints.sqlite").execute("UPDATE fingerprints SET record_id = 't-0666' WHERE seq = 1")


TAMPERS: dict[str, tuple[Callable[[CRM], None], str, int | None, str | None]] = {
    "edited_record": (_edit_record, "record_modified", 3, "t-0019"),
    "removed_record": (_remove_record, "record_missing", 2, "t-0018"),
    "extra_record": (_extra_record, "record_unfingerprinted", None, "x-9999"),
    "edited_chain_row": (_edit_row, "row_modified", 2, None),
    "deleted_chain_row": (_delete_row, "row_missing", 2, None),
    "reordered_chain_rows": (_reorder_rows, "row_reordered", 2, None),
    "truncated_chain_tail": (_truncate_tail, "row_missing", 4, None),
    "renamed_chain_row": (_rename_row, "row_modified", 1, None),
}


@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_tampering_is_detected_and_located(tenant: CRM, case: str) -> None:
    """Each kind of tampering (store or chain: edit, delete, insert, reorder) fails verify at the right place."""
    tamper, kind, seq, record_id = TAMPERS[case]
    assert [r["id"] for r in ROWS] == ["t-0017", "t-0018", "t-0019", "t-0020"]
    tamper(tenant)
    report = tenant.sovereignty.verify_fingerprints()
    assert not report.ok
    located = [(i.kind, i.seq, i.record_id) for i in report.issues]
    assert any(k == kind and (seq is None or s == seq) and (record_id is None or r == record_id)
               for k, s, r in located), located


def test_cli_verify_exits_1_and_names_the_record(tenant: CRM) -> None:
    """``agent-crm fingerprints verify`` prints the located problem and exits 1; 0 when intact."""
    args = ("fingerprints", "verify", "--tenant", tenant.tenant, "--json")
    ok = run_cli(tenant.settings.home, *args)
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    _edit_record(tenant)
    bad = run_cli(tenant.settings.home, *args)
    assert bad.exit_code == 1
    issues = json.loads(bad.stdout)["issues"]
    assert issues == [{"kind": "record_modified", "seq": 3, "record_id": "t-0019",
                       "detail": "stored record does not match its fingerprint"}]


def test_interrupted_writes_are_settled_by_the_store(tenant: CRM) -> None:
    """An intent whose record committed is chained; one whose write never happened is dropped."""
    deps = tenant._deps()
    chain = tenant.sovereignty.stores.chain
    rec = deps.records.get("t-0020")
    assert rec is not None
    new = rec.model_copy(update={"text": rec.text + "（补记）"})
    # a writer that died after the store commit but before chaining ...
    with chain.lock.hold():
        chain.intend([Entry(new.id, "replace", record_fingerprint(new))])
        deps.records.put_many([new])
        # ... and one that died before its store write
        chain.intend([Entry("t-0017", "delete", "0" * 64)])
    assert chain.pending_count() == 2
    report = tenant.sovereignty.verify_fingerprints()
    assert report.ok, report.issues
    assert report.recovered == 1 and chain.pending_count() == 0
    assert report.rows == len(ROWS) + 1


def test_a_failed_store_write_leaves_no_chain_row(tenant: CRM) -> None:
    """When the journaled block raises before committing, the intent is dropped and the chain is unchanged."""
    deps = tenant._deps()
    chain = tenant.sovereignty.stores.chain
    head = chain.head()
    with pytest.raises(RuntimeError), journaled(chain, deps.records, [Entry("t-0017", "delete", "0" * 64)]):
        raise RuntimeError("disk full")
    assert chain.head() == head and chain.pending_count() == 0
    assert tenant.sovereignty.verify_fingerprints().ok


def test_anchor_file_commits_to_fingerprints_and_audit(tenant: CRM, tmp_path: Path) -> None:
    """The CLI writes a canonical JSON anchor; its roots recompute, a row proves inclusion, tampering breaks it."""
    tenant._deps().ledger.append("note", {"n": 1}, actor="tester")
    out = tmp_path / "anchor.json"
    result = run_cli(tenant.settings.home, "fingerprints", "anchor", "--tenant", tenant.tenant, "--since",
                     "2000-01-01", "--until", "2100-01-01", "--out", str(out))
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    anchor = json.loads(raw)
    assert raw.rstrip(b"\n") == json.dumps(anchor, sort_keys=True, separators=(",", ":"),
                                           ensure_ascii=False).encode()
    assert anchor["fingerprints"]["count"] == len(ROWS) and anchor["audit"]["count"] == 1
    sov = tenant.sovereignty
    assert anchor_still_matches(anchor, sov.stores.chain, sov.stores.ledger)
    chain_hash = _db(tenant, "fingerprints.sqlite").execute("SELECT chain FROM fingerprints WHERE seq = 3").fetchone()[0]
    proof = prove_fingerprint_row(sov.stores.chain, 3, anchor)
    assert verify_inclusion(chain_hash, proof, anchor["fingerprints"]["root"])
    _db(tenant, "fingerprints.sqlite").execute("UPDATE fingerprints SET chain = ? WHERE seq = 2", ("cd" * 32,))
    assert not anchor_still_matches(anchor, sov.stores.chain, sov.stores.ledger)
