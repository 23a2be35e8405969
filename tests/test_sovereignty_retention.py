"""Retention policies: exactly the due records are anonymised/encrypted/deleted in every store, idempotently."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from agent_crm import CRM
from agent_crm.config import build_settings
from agent_crm.errors import ConfigError
from agent_crm.sovereignty.fingerprints import record_fingerprint
from agent_crm.sovereignty.record_transforms import decrypt_record
from agent_crm.sovereignty.retention import RetentionEngine
from agent_crm.sovereignty.retention_policy import load_policy
from tests.support.mini_tenant import AS_OF, records
from tests.test_sovereignty_fingerprints import run_cli

EXAMPLE = Path(__file__).resolve().parents[1] / "knowledge" / "policies" / "retention.example.yaml"
NOW = AS_OF
DIRECTORY = [
    {"customer_id": "hz-first", "name": "杭州市第一人民医院", "contacts": [{"name": "张主任"}], "region": "DE"},
    {"customer_id": "sz-second", "name": "苏州大学附属第二医院", "region": "SG"},
    {"customer_id": "nj-drum", "name": "南京鼓楼医院", "region": "CN-JS"},
    {"customer_id": "rb-lin", "name": "林记超市"},
    {"customer_id": "eu-gone", "name": "Maison Lefèvre", "contacts": [{"name": "Claire Lefèvre"}], "region": "FR"},
]
PICK = {"t-0001", "t-0015", "t-0016", "t-0017", "t-0018", "t-0019", "t-0020", "t-0033"}


def _rows() -> list[dict[str, object]]:
    rows = [dict(r) for r in records() if r["id"] in PICK]
    for r in rows:
        if r["id"] == "t-0019":
            r["region"] = "FR"  # the record's own region beats the directory's (nj-drum: CN-JS)
    rows += [
        {"id": "hz-fresh", "customer_id": "hz-first", "customer_name": "杭州市第一人民医院", "channel": "note",
         "timestamp": (NOW - timedelta(days=2)).isoformat(), "text": "下周回访，确认集采目录型号。"},
        {"id": "rb-old", "customer_id": "rb-lin", "customer_name": "林记超市", "channel": "note",
         "timestamp": (NOW - timedelta(days=4 * 365)).isoformat(), "text": "林记超市开户，老板提供了营业执照。"},
        {"id": "eu-1", "customer_id": "eu-gone", "customer_name": "Maison Lefèvre", "contact_name": "Claire Lefèvre",
         "channel": "email", "timestamp": (NOW - timedelta(days=10)).isoformat(),
         "text": "Claire Lefèvre of Maison Lefèvre asked for the catalogue.", "fields": {"email": "c@lefevre.fr"}},
    ]
    return rows


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> CRM:
    """A tenant with EU, SEA, CN and region-less customers, the example policy installed, one audited EU customer."""
    home = tmp_path_factory.mktemp("home")
    src = tmp_path_factory.mktemp("src")
    (src / "customers.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in DIRECTORY),
                                         encoding="utf-8")
    crm = CRM("ret", settings=build_settings(home=home), actor="tester")
    crm.ingest(src)
    assert crm.ingest(_rows()).records_ok == len(PICK) + 3
    (home / "tenants" / "ret" / "retention.yaml").write_bytes(EXAMPLE.read_bytes())
    crm._deps().ledger.append("decision", {"customer_id": "eu-gone"}, actor="tester", subject="eu-gone",
                              personal={"question": "Claire Lefèvre wants a discount"})
    return crm


def _state(crm: CRM) -> tuple[dict[str, str], tuple[int, str], tuple[int, str], int]:
    deps = crm._deps()
    fps = {r.id: record_fingerprint(r) for r in deps.records.iter_all()}
    return fps, crm.sovereignty.stores.chain.head(), deps.ledger.head(), deps.index.count()


def test_dry_run_then_run_then_rerun(crm: CRM) -> None:
    """Dry run changes nothing; the run applies exactly the due actions in every store; a rerun is a no-op."""
    sov, deps = crm.sovereignty, crm._deps()
    before = _state(crm)
    dry = sov.run_retention(now=NOW, dry_run=True)
    expected = {"anonymise": {"eu-anonymise": 5}, "encrypt": {"sea-encrypt": 2}, "delete": {"default-delete": 1}}
    assert dry.counts == expected and dry.applied == 0
    assert _state(crm) == before, "a dry run must not touch any store"

    run = sov.run_retention(now=NOW)
    assert run.counts == expected and run.applied == 8 and run.skipped_changed == 0
    fps_after = _state(crm)[0]
    untouched = {"hz-fresh", "t-0020", "t-0033"}
    assert {k: v for k, v in fps_after.items() if k in untouched} == {k: before[0][k] for k in untouched}
    assert "rb-old" not in fps_after and deps.records.get("rb-old") is None

    # anonymised (EU: record region FR beats the directory's CN-JS; 72 h boundary t-0016 included)
    for rid in ("t-0001", "t-0015", "t-0016", "t-0019", "eu-1"):
        rec = deps.records.get(rid)
        assert rec is not None and rec.customer_id.startswith("anon-"), rid
        assert rec.customer_name is None and rec.contact_name is None
        for name in ("张主任", "杭州市第一人民医院", "Claire Lefèvre", "Maison Lefèvre", "李主任"):
            assert name not in rec.text, (rid, name)
    assert "email" not in deps.records.get("eu-1").fields  # type: ignore[union-attr]
    # encrypted at rest (SEA): contact fields gone from the record and the index, recoverable with the key
    for rid, contact in (("t-0017", "李主任"), ("t-0018", "张医生")):
        rec = deps.records.get(rid)
        assert rec is not None and rec.contact_name is None and set(rec.fields["_sealed"]) == {"contact_name"}
        assert contact not in json.dumps(rec.fields, ensure_ascii=False)
        assert decrypt_record(rec, deps.vault.unseal).contact_name == contact  # type: ignore[union-attr]
    chunks = {c.id: c for c in deps.index.all_chunks()}
    assert "苏州大学附属第二医院 · 李主任" not in chunks["t-0017#0"].text
    assert chunks["t-0017#0"].text.startswith("苏州大学附属第二医院")
    for cid in ("t-0015#0", "t-0016#0", "t-0019#0", "eu-1#0"):
        assert not any(n in chunks[cid].text for n in ("张主任", "李主任", "Claire", "杭州市第一人民医院")), cid
    assert not any(c.record_id == "rb-old" for c in chunks.values())
    assert not [h for h in crm.search("张主任 报价", k=10) if h.chunk.record_id in ("t-0015", "t-0016")
                and "张主任" in h.chunk.text]
    # a customer left with no identifiable record leaves the directory; their audit personal data is shredded
    assert all(e.customer_id != "eu-gone" for e in deps.records.directory())
    assert run.customers_removed == 1 and run.subjects_shredded == 1
    shredded = deps.ledger.list(subject="eu-gone", kind="decision")[0]
    assert shredded.payload["erased"] is True and shredded.payload["personal"] is None
    # the run is audited with counts only
    audit = deps.ledger.get(run.audit_id or "")
    assert audit.kind == "retention" and audit.payload["data"]["counts"] == expected
    text = json.dumps(audit.payload, ensure_ascii=False)
    assert not any(s in text for s in ("eu-gone", "hz-first", "t-0015", "Lefèvre", "张主任"))
    report = sov.verify_fingerprints()
    assert report.ok, report.issues

    again_before = _state(crm)
    again = sov.run_retention(now=NOW)
    assert again.planned == again.applied == 0 and again.counts == {} and again.audit_id is None
    assert _state(crm) == again_before


def test_status_shows_remaining_time_per_rule(crm: CRM) -> None:
    """Status gives each record's due time and remaining seconds per rule (SDK and CLI)."""
    (status,) = crm.sovereignty.retention_status(now=NOW, record_id="hz-fresh")
    by_rule = {r.rule: r for r in status.rules}
    assert set(by_rule) == {"eu-anonymise", "eu-sea-delete"}
    assert by_rule["eu-anonymise"].remaining_seconds == pytest.approx(86400.0)
    assert not by_rule["eu-anonymise"].done
    assert status.next is not None and status.next.rule == "eu-anonymise"
    (nj,) = crm.sovereignty.retention_status(now=NOW, record_id="t-0020")
    assert [r.rule for r in nj.rules] == ["default-delete"], "directory region CN-JS falls to the default rule"
    result = run_cli(crm.settings.home, "retention", "status", "--tenant", "ret",
                                      "--now", NOW.isoformat(), "--json")
    assert result.exit_code == 0, result.output
    rows = {r["record_id"]: r for r in json.loads(result.stdout)}
    assert rows["hz-fresh"]["rules"][0]["remaining_seconds"] == pytest.approx(86400.0)
    later = run_cli(crm.settings.home, "retention", "run", "--tenant", "ret",
                                     "--now", (NOW + timedelta(days=1)).isoformat(), "--dry-run", "--json")
    assert later.exit_code == 0, later.output
    assert json.loads(later.stdout)["counts"] == {"anonymise": {"eu-anonymise": 1}}


def test_export_restores_encrypted_contact_fields(crm: CRM, tmp_path: Path) -> None:
    """A portability export carries the SEA contact fields in clear; opening them is audited (no values)."""
    manifest = crm.sovereignty.export(tmp_path / "out", actor="dpo")
    rows = {json.loads(line)["id"]: json.loads(line)
            for line in (tmp_path / "out" / "interactions.jsonl").read_text(encoding="utf-8").splitlines()}
    assert rows["t-0017"]["contact_name"] == "李主任" and "_sealed" not in rows["t-0017"].get("fields", {})
    assert "_retention" not in rows["t-0017"].get("fields", {}), "re-imported, the record is encrypted again"
    assert manifest["counts"]["decrypted_records"] == 2
    audit = crm._deps().ledger.list(kind="reidentification")[-1]
    assert audit.actor == "dpo" and audit.payload["data"] == {"fields": ["contact_name"], "count": 2,
                                                               "purpose": "portability export"}


def test_a_record_changed_after_planning_is_skipped(tmp_path: Path) -> None:
    """Compare-and-set: a record replaced by ingest between plan and apply is left for the next run."""
    crm = CRM("cas", settings=build_settings(home=tmp_path))
    row = {"id": "e1", "customer_id": "c1", "customer_name": "Acme GmbH", "channel": "note", "region": "DE",
           "timestamp": (NOW - timedelta(days=5)).isoformat(), "text": "Acme GmbH wants a quote."}
    crm.ingest([row])
    engine = RetentionEngine(crm.sovereignty.stores, load_policy(EXAMPLE))
    plan = engine.plan(NOW)
    assert [(a.record_id, a.action) for a in plan] == [("e1", "anonymise")]
    crm.ingest([dict(row, text="Acme GmbH wants a quote for 20 units.")])
    result = engine.apply(plan, now=NOW)
    assert result.skipped_changed == 1 and result.applied == 0
    rec = crm._deps().records.get("e1")
    assert rec is not None and rec.customer_id == "c1" and "20 units" in rec.text
    assert engine.run(NOW).applied == 1
    assert crm.sovereignty.verify_fingerprints().ok


@pytest.mark.parametrize(("text", "where"), [
    ("rules:\n  - {name: a, region: EU, action: anonymise, after: 3 yrs}\n", "rules[0].after: invalid duration"),
    ("rules:\n  - {name: a, region: EU, action: shred, after: 3y}\n", "rules[0].action"),
    ("rules:\n  - {name: a, action: delete, after: 1y}\n  - {name: b, action: delete, after: 1y, colour: red}\n",
     "rules[1].colour: Extra inputs are not permitted"),
    ("rules:\n  - {name: a, action: encrypt, after: 0s, fields: [phone]}\n", "rules[0].fields[0]: unknown field"),
    ("rules:\n  - {name: a, action: delete, after: 1y}\n  - {name: a, action: delete, after: 2y}\n",
     "rules[1].name: duplicate rule name 'a'"),
    ("rules: [\n  {name: a\n", "line "),
    ("version: 1\n", "(top level): the policy has no rules"),
])
def test_bad_policy_files_name_file_key_and_reason(tmp_path: Path, text: str, where: str) -> None:
    """Each invalid policy raises ConfigError naming the file, the key path and the reason."""
    path = tmp_path / "retention.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert str(path) in str(err.value) and where in str(err.value)


def test_example_policy_loads_and_matches_regions() -> None:
    """The shipped example parses; groups match member codes and sub-regions; the default takes the rest."""
    policy = load_policy(EXAMPLE)
    assert [r.name for r in policy.rules_for("DE")] == ["eu-anonymise", "eu-sea-delete"]
    assert [r.name for r in policy.rules_for("sg")] == ["sea-encrypt", "eu-sea-delete"]
    assert [r.name for r in policy.rules_for("CN-ZJ")] == ["default-delete"]
    assert [r.name for r in policy.rules_for(None)] == ["default-delete"]
    assert policy.rules_for("FR")[0].after == timedelta(hours=72)
    assert policy.default is not None and policy.default.after == timedelta(days=3 * 365)
