"""Ledger conformance: every audit backend passes this module (append, read, verify, shred, tenancy)."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from agent_crm.audit.canonical import sha256_hex
from agent_crm.audit.ledger import GENESIS_HASH, Ledger, stored_payload_text, tenant_ledger
from agent_crm.audit.sqlite import SqliteLedger
from agent_crm.config import build_settings
from agent_crm.errors import ConfigError, InputError, NotFoundError, TenantError
from agent_crm.tenancy import tenant_dir

START = datetime(2025, 1, 1, tzinfo=UTC)
Factory = Callable[..., Ledger]


def stepping_clock(step: timedelta = timedelta(seconds=1)) -> Callable[[], datetime]:
    """Return a thread-safe clock that advances by ``step`` on every call."""
    counter, lock = itertools.count(), threading.Lock()

    def clock() -> datetime:
        with lock:
            return START + next(counter) * step

    return clock


@pytest.fixture(params=["sqlite"])
def make_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    """Build ledgers of the parametrised backend, all sharing one store."""

    def factory(tenant: str = "acme", clock: Callable[[], datetime] | None = None) -> Ledger:
        assert request.param == "sqlite"
        return SqliteLedger(tmp_path / "audit.sqlite", tenant, clock=clock or stepping_clock())

    return factory


def test_append_then_get_round_trips(make_ledger: Factory) -> None:
    """A record read back equals the one append returned, with chain fields filled in."""
    ledger = make_ledger()
    rec = ledger.append("decision", {"label": "approve", "score": 0.8125}, actor="agent:credit",
                        subject="cust_7", personal={"contact": "张主任", "phone": "13800138000"})
    assert isinstance(ledger, Ledger)
    assert rec.seq == 1 and rec.prev_hash == GENESIS_HASH and rec.tenant == "acme"
    assert rec.id == "aud_" + rec.chain_hash[:20]
    assert rec.created_at == "2025-01-01T00:00:00.000000+00:00"
    assert ledger.get(rec.id) == rec
    assert rec.payload["data"] == {"label": "approve", "score": 0.8125}
    assert rec.payload["personal"] == {"contact": "张主任", "phone": "13800138000"}
    assert rec.payload["erased"] is False
    assert ledger.head() == (1, rec.chain_hash)


def test_payload_hash_recomputable_from_returned_record(make_ledger: Factory) -> None:
    """An auditor can recompute payload_hash from the returned data, ciphertext and subject."""
    ledger = make_ledger()
    rec = ledger.append("decision", {"x": [1, 2]}, actor="a", subject="c1", personal={"n": "王五"})
    p = rec.payload
    text = stored_payload_text(p["data"], p["personal_ct"], p["subject"])
    assert sha256_hex(text.encode()) == rec.payload_hash


def test_get_unknown_id_raises_not_found(make_ledger: Factory) -> None:
    """Asking for an id that is not in the chain raises NotFoundError."""
    with pytest.raises(NotFoundError):
        make_ledger().get("aud_00000000000000000000")


def test_list_filters_and_pages(make_ledger: Factory) -> None:
    """list() filters by kind, subject and [since, until) and pages in chain order."""
    ledger = make_ledger(clock=stepping_clock(timedelta(hours=1)))
    for i in range(10):
        ledger.append("decision" if i % 2 == 0 else "approval", {"i": i}, actor="a",
                      subject=f"c{i % 3}")
    assert [r.payload["data"]["i"] for r in ledger.list(kind="approval")] == [1, 3, 5, 7, 9]
    assert [r.payload["data"]["i"] for r in ledger.list(subject="c0")] == [0, 3, 6, 9]
    window = ledger.list(since=START + timedelta(hours=2), until=START + timedelta(hours=5))
    assert [r.seq for r in window] == [3, 4, 5]
    assert [r.seq for r in ledger.list(limit=3, offset=4)] == [5, 6, 7]
    assert [r.seq for r in ledger.list(kind="decision", since=START + timedelta(hours=5))] == [7, 9]
    with pytest.raises(InputError):
        ledger.list(limit=-1)


def test_children_link_corrections_and_approvals(make_ledger: Factory) -> None:
    """children() returns the records whose parent_id names the decision, in order."""
    ledger = make_ledger()
    d = ledger.append("decision", {"label": "high"}, actor="agent")
    other = ledger.append("decision", {"label": "low"}, actor="agent")
    c = ledger.append("correction", {"label": "medium", "why": "stale data"}, actor="u:li", parent_id=d.id)
    a = ledger.append("approval", {"approved": True}, actor="u:wang", parent_id=d.id)
    assert [r.id for r in ledger.children(d.id)] == [c.id, a.id]
    assert ledger.children(other.id) == []
    assert c.parent_id == d.id


def test_unknown_parent_rejected_and_nothing_written(make_ledger: Factory) -> None:
    """Appending with a parent that does not exist raises NotFoundError and leaves the head alone."""
    ledger = make_ledger()
    ledger.append("decision", {}, actor="a")
    before = ledger.head()
    with pytest.raises(NotFoundError):
        ledger.append("correction", {}, actor="a", parent_id="aud_ffffffffffffffffffff")
    with pytest.raises(NotFoundError):
        ledger.children("aud_ffffffffffffffffffff")
    assert ledger.head() == before


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "Decision!"}, "kind"),
        ({"actor": " "}, "actor"),
        ({"personal": {"name": "x"}}, "subject"),
        ({"payload": {"score": float("nan")}}, "float"),
        ({"payload": ["not", "a", "mapping"]}, "mapping"),
    ],
)
def test_malformed_appends_rejected(make_ledger: Factory, kwargs: dict[str, object], match: str) -> None:
    """Bad kinds, actors, personal data without a subject and non-JSON payloads raise InputError."""
    ledger = make_ledger()
    args: dict[str, object] = {"kind": "decision", "payload": {}, "actor": "a"}
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        ledger.append(args.pop("kind"), args.pop("payload"), **args)  # type: ignore[arg-type]
    assert ledger.head() == (0, GENESIS_HASH)


def test_clean_chain_of_200_verifies(make_ledger: Factory) -> None:
    """A clean chain of 200 mixed records verifies with every row checked."""
    ledger = make_ledger()
    first = ledger.append("decision", {"i": 0}, actor="a", subject="c0", personal={"name": "赵六"})
    for i in range(1, 200):
        parent = first.id if i % 10 == 0 else None
        ledger.append("correction" if parent else "decision", {"i": i, "note": "跟进 follow-up"}, actor="a",
                      subject=f"c{i % 7}", personal={"phone": f"1380000{i:04d}"}, parent_id=parent)
    result = ledger.verify()
    assert result.ok and result.checked == 200 and result.reason is None
    result.raise_for_status()


def test_empty_ledger_verifies(make_ledger: Factory) -> None:
    """A ledger with no records verifies and its head is the genesis hash."""
    ledger = make_ledger()
    assert ledger.verify().ok and ledger.head() == (0, GENESIS_HASH)


def test_shred_erases_personal_part_and_keeps_chain(make_ledger: Factory) -> None:
    """After shred(subject) the chain verifies, that subject's personal parts read as erased, others stay."""
    ledger = make_ledger()
    mine = [ledger.append("decision", {"i": i}, actor="a", subject="c1", personal={"name": "张三"})
            for i in range(3)]
    theirs = ledger.append("decision", {"i": 9}, actor="a", subject="c2", personal={"name": "李四"})
    assert ledger.shred("c1", actor="dpo", details={"kb_chunks": 4}) == 3
    assert ledger.verify().ok
    for rec in mine:
        got = ledger.get(rec.id)
        assert got.payload["erased"] is True and got.payload["personal"] is None
        assert got.payload["data"] == rec.payload["data"] and got.payload_hash == rec.payload_hash
    assert ledger.get(theirs.id).payload["personal"] == {"name": "李四"}
    tomb = ledger.list(kind="erasure")
    assert len(tomb) == 1 and tomb[0].actor == "dpo"
    assert tomb[0].payload["data"] == {"subject": "c1", "records_erased": 3, "key_deleted": True,
                                       "details": {"kb_chunks": 4}}
    assert "张三" not in str(tomb[0].payload)
    assert ledger.shred("c1") == 0


def test_new_data_after_shred_uses_a_new_key(make_ledger: Factory) -> None:
    """A record appended for a shredded subject is readable; the older records stay erased."""
    ledger = make_ledger()
    old = ledger.append("decision", {}, actor="a", subject="c1", personal={"name": "old"})
    ledger.shred("c1")
    new = ledger.append("decision", {}, actor="a", subject="c1", personal={"name": "new"})
    assert ledger.get(new.id).payload["personal"] == {"name": "new"}
    assert ledger.get(old.id).payload["erased"] is True
    assert ledger.verify().ok


def test_wrong_tenant_never_sees_other_rows(make_ledger: Factory) -> None:
    """A ledger for tenant B on the same store never lists, gets, links to or shreds tenant A's rows."""
    a, b = make_ledger("alpha"), make_ledger("beta")
    a_recs = [a.append("decision", {"i": i}, actor="a", subject="c1", personal={"name": "甲"})
              for i in range(5)]
    b_recs = [b.append("decision", {"i": i}, actor="b") for i in range(3)]
    assert [r.id for r in b.list(limit=1000)] == [r.id for r in b_recs]
    assert all(r.tenant == "beta" for r in b.list(limit=1000))
    assert b.list(subject="c1") == []
    with pytest.raises(NotFoundError):
        b.get(a_recs[0].id)
    with pytest.raises(NotFoundError):
        b.children(a_recs[0].id)
    with pytest.raises(NotFoundError):
        b.append("approval", {}, actor="b", parent_id=a_recs[0].id)
    assert b.shred("c1") == 0
    assert a.get(a_recs[0].id).payload["personal"] == {"name": "甲"}
    assert a.head()[0] == 5 and b.head()[0] == 4
    assert a.verify().ok and b.verify().ok
    with pytest.raises(TenantError):
        b.prove(a_recs[0].id, a.anchor())


def test_reopen_keeps_chain_and_migrations(tmp_path: Path) -> None:
    """Reopening a ledger file continues the same chain and does not re-apply migrations."""
    path = tmp_path / "audit.sqlite"
    with SqliteLedger(path, "acme") as first:
        rec = first.append("decision", {"a": 1}, actor="a")
    with SqliteLedger(path, "acme") as again:
        nxt = again.append("decision", {"a": 2}, actor="a")
        assert nxt.prev_hash == rec.chain_hash and nxt.seq == 2 and again.verify().ok
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM migrations ORDER BY rowid")]
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert names == ["m001_ledger", "m002_heads", "m003_subject_keys", "m004_filter_indexes"]


def test_tenant_ledger_factory_caches_per_tenant(tmp_path: Path) -> None:
    """tenant_ledger() puts the ledger at tenant_dir/audit.sqlite and returns one instance per tenant."""
    settings = build_settings(home=tmp_path)
    one = tenant_ledger(settings, "acme")
    assert tenant_ledger(settings, "acme") is one
    assert tenant_ledger(settings, "other") is not one
    one.append("decision", {}, actor="a")
    assert (tenant_dir(settings.home, "acme") / "audit.sqlite").exists()
    with pytest.raises(TenantError):
        tenant_ledger(settings, "../evil")


def test_tenant_ledger_postgres_not_available(tmp_path: Path) -> None:
    """The postgres backend is announced but not yet available: ConfigError."""
    settings = build_settings(home=tmp_path, audit_backend="postgres", audit_dsn="postgresql://u@127.0.0.1/db")
    with pytest.raises(ConfigError, match="not yet available"):
        tenant_ledger(settings, "acme")


def test_master_key_wraps_data_keys(tmp_path: Path) -> None:
    """With a master key the stored data key is wrapped; opening without it fails loudly, not as 'erased'."""
    master = Fernet.generate_key()
    path = tmp_path / "audit.sqlite"
    with SqliteLedger(path, "acme", master_key=master) as ledger:
        rec = ledger.append("decision", {}, actor="a", subject="c1", personal={"name": "钱七"})
    with sqlite3.connect(path) as db:
        stored, wrapped = db.execute("SELECT key, wrapped FROM subject_keys").fetchone()
    assert wrapped == 1 and len(stored) > 44
    with SqliteLedger(path, "acme", master_key=master) as ledger:
        assert ledger.get(rec.id).payload["personal"] == {"name": "钱七"}
    with SqliteLedger(path, "acme") as ledger, pytest.raises(ConfigError):
        ledger.get(rec.id)
    with pytest.raises(ConfigError):
        SqliteLedger(path, "acme", master_key=b"not-a-fernet-key")
