"""Stores opened by several processes (API workers) see each other's commits."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from agent_crm.kb.lexical import LexicalIndex
from agent_crm.kb.records import RecordStore
from agent_crm.types import Chunk, Interaction

TS = datetime(2026, 11, 1, tzinfo=UTC)


def _chunk(cid: str, text: str) -> Chunk:
    return Chunk(id=f"{cid}#0", tenant="t", record_id=cid, customer_id="c1", channel="note", timestamp=TS, text=text)


def test_lexical_index_reloads_after_another_writer_commits(tmp_path: Path) -> None:
    """A second index on the same files (another worker) sees upserts and deletes made through the first."""
    writer, reader = LexicalIndex(tmp_path), LexicalIndex(tmp_path)
    assert reader.search("refund", 5) == []
    writer.upsert([_chunk("r1", "customer asks for a refund of order SO-2026-000001")])
    assert [c.record_id for c, _ in reader.search("refund", 5)] == ["r1"]
    assert reader.reloads == 1
    assert reader.search("refund", 5) and reader.reloads == 1, "no reload without a new commit"
    writer.delete(["r1"])
    assert reader.search("refund", 5) == []


def test_record_store_follows_a_write_from_another_process(tmp_path: Path) -> None:
    """A record written by another process shows up in this store's cached customer view and bumps its generation."""
    db = tmp_path / "records.sqlite"
    store = RecordStore(db, "t")
    store.put_many([Interaction(id="a", tenant="t", customer_id="c1", channel="note", timestamp=TS, text="first")])
    assert [r.id for r in store.by_customer("c1")] == ["a"]
    before = store.current_generation()
    code = (
        "import sys; from datetime import UTC, datetime; from pathlib import Path;"
        "from agent_crm.kb.records import RecordStore; from agent_crm.types import Interaction;"
        "RecordStore(Path(sys.argv[1]), 't').put_many([Interaction(id='b', tenant='t', customer_id='c1',"
        "channel='note', timestamp=datetime(2026, 11, 2, tzinfo=UTC), text='second')])"
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=True, timeout=60)
    assert [r.id for r in store.by_customer("c1")] == ["a", "b"]
    assert store.current_generation() > before
