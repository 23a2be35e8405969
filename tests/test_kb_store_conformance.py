"""Vector store conformance: every backend (embedded Chroma, a Chroma server) passes the same tests."""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest

from agent_crm.config import Settings, build_settings
from agent_crm.errors import ConfigError, TenantError
from agent_crm.kb.chroma import VectorStore, get_client
from agent_crm.kb.embeddings import get_embedder
from agent_crm.kb.filters import SearchFilters
from agent_crm.kb.index import TenantIndex
from agent_crm.tenancy import collection_name
from agent_crm.types import Chunk, SourceRef

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
_tenant_ids = itertools.count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Start a real Chroma server (``chroma run``) on 127.0.0.1 for the session; yield its port."""
    exe = Path(sys.executable).parent / "chroma"
    data = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"chroma server did not start: {(data / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(params=["embedded", "server"])
def make_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Settings]:
    """Return a factory of settings for the backend under test (data home in tmp_path)."""

    def factory(**overrides: object) -> Settings:
        if request.param == "server":
            port = request.getfixturevalue("chroma_server")
            return build_settings(home=tmp_path, chroma_mode="server", chroma_port=port, **overrides)
        return build_settings(home=tmp_path, **overrides)

    return factory


@pytest.fixture
def tenant() -> str:
    """Return a tenant id unique in the session (the server backend is shared by all tests)."""
    return f"conf-{next(_tenant_ids)}"


def _chunk(tenant: str, rid: str, i: int, text: str, **kw: object) -> Chunk:
    fields: dict[str, object] = {
        "customer_id": "cust-a",
        "channel": "email",
        "timestamp": T0,
        "source": SourceRef(file="crm.jsonl", line=7),
        "content_hash": f"h-{rid}",
    }
    fields.update(kw)
    return Chunk(id=f"{rid}#{i}", tenant=tenant, record_id=rid, index=i, text=text, **fields)


def _corpus(tenant: str) -> list[Chunk]:
    return [
        _chunk(tenant, "r1", 0, "北京协和医院张主任拒绝了报价，认为价格太高", tags=("hospital", "vip")),
        _chunk(tenant, "r1", 1, "张主任希望下季度重新评估采购计划", tags=("hospital", "vip")),
        _chunk(
            tenant,
            "r2",
            0,
            "上海瑞金医院采购部接受了报价并签署合同",
            customer_id="cust-b",
            channel="call",
            timestamp=T0 + timedelta(days=10),
            tags=("hospital",),
        ),
        _chunk(
            tenant,
            "r3",
            0,
            "Order SO-2026-004512 shipped to Acme warehouse",
            customer_id="cust-c",
            channel="order",
            timestamp=T0 + timedelta(days=20),
        ),
        _chunk(
            tenant,
            "r4",
            0,
            "Acme asked for a discount on the annual renewal",
            customer_id="cust-c",
            channel="chat",
            timestamp=T0 + timedelta(days=30),
            tags=("renewal",),
        ),
        _chunk(
            tenant,
            "r5",
            0,
            "客户投诉设备故障，工程师已上门维修",
            customer_id="cust-b",
            channel="ticket",
            timestamp=T0 + timedelta(days=40),
        ),
    ]


@pytest.fixture(scope="module")
def e5_vectors() -> Callable[[list[Chunk]], np.ndarray]:
    """Return an embedding function for chunks backed by the e5 engine, memoised by text."""
    emb = get_embedder("e5")
    memo: dict[str, np.ndarray] = {}

    def embed(chunks: list[Chunk]) -> np.ndarray:
        missing = [c.text for c in chunks if c.text not in memo]
        if missing:
            for text, vec in zip(missing, emb.embed_documents(missing), strict=True):
                memo[text] = vec
        return np.stack([memo[c.text] for c in chunks])

    return embed


def _store(settings: Settings, tenant: str, name: str = "e5") -> VectorStore:
    return VectorStore(get_client(settings), tenant, name, 384)


def test_upsert_then_query_returns_nearest_with_cosine(make_settings, tenant, e5_vectors) -> None:
    """A stored chunk's own vector finds it first with cosine similarity ~1, results sorted best first."""
    store = _store(make_settings(), tenant)
    chunks = _corpus(tenant)
    vecs = e5_vectors(chunks)
    assert store.upsert(chunks, vecs) == len(chunks)
    assert store.count() == len(chunks)
    found = store.query(vecs[3], k=3)
    assert found[0][0].id == "r3#0"
    assert found[0][1] == pytest.approx(1.0, abs=1e-3)
    sims = [s for _, s in found]
    assert sims == sorted(sims, reverse=True) and len(found) == 3
    ids = store.query_ids(vecs[3], k=3)
    assert [i for i, _ in ids] == [c.id for c, _ in found]
    assert [s for _, s in ids] == pytest.approx(sims)


def test_chunks_round_trip_every_field(make_settings, tenant, e5_vectors) -> None:
    """all_chunks and get_chunks give back chunks equal to those written (time zone, tags, source, hash)."""
    store = _store(make_settings(), tenant)
    chunks = _corpus(tenant)
    store.upsert(chunks, e5_vectors(chunks))
    assert store.all_chunks() == sorted(chunks, key=lambda c: c.id)
    assert store.get_chunks(["r4#0", "nope#0", "r1#1"]) == [chunks[4], chunks[1]]


def test_upsert_replaces_existing_chunk(make_settings, tenant, e5_vectors) -> None:
    """Upserting an existing chunk id replaces its text, metadata and vector instead of adding a copy."""
    store = _store(make_settings(), tenant)
    chunks = _corpus(tenant)
    store.upsert(chunks, e5_vectors(chunks))
    new = _chunk(tenant, "r3", 0, "订单已取消，客户要求全额退款", customer_id="cust-c", channel="order")
    store.upsert([new], e5_vectors([new]))
    assert store.count() == len(chunks)
    assert store.get_chunks(["r3#0"]) == [new]
    top = store.query(e5_vectors([new])[0], k=1)
    assert top[0][0] == new


def test_delete_records_and_customer(make_settings, tenant, e5_vectors) -> None:
    """delete removes every chunk of the given records; delete_customer every chunk of one customer."""
    store = _store(make_settings(), tenant)
    chunks = _corpus(tenant)
    store.upsert(chunks, e5_vectors(chunks))
    assert store.delete(["r1", "missing"]) == 2
    assert {c.id for c in store.all_chunks()} == {"r2#0", "r3#0", "r4#0", "r5#0"}
    assert store.delete_customer("cust-b") == 2
    assert {c.id for c in store.all_chunks()} == {"r3#0", "r4#0"}
    assert all(c.record_id not in ("r1", "r2", "r5") for c, _ in store.query(e5_vectors(chunks[:1])[0], k=10))


FILTERS = [
    SearchFilters(customer_id="cust-b"),
    SearchFilters(channel=("email", "order")),
    SearchFilters(channel="chat"),
    SearchFilters(since=T0 + timedelta(days=10), until=T0 + timedelta(days=30)),
    SearchFilters(until=T0 + timedelta(days=10, seconds=-1)),
    SearchFilters(tags=("hospital", "vip")),
    SearchFilters(customer_id="cust-c", tags=("renewal",), since=T0 + timedelta(days=1)),
    SearchFilters(customer_id="nobody"),
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: repr(f)[:60])
def test_filters_return_exactly_the_matching_chunks(make_settings, tenant, e5_vectors, flt) -> None:
    """A filtered query returns exactly the chunks that SearchFilters.matches accepts."""
    store = _store(make_settings(), tenant)
    chunks = _corpus(tenant)
    store.upsert(chunks, e5_vectors(chunks))
    got = {c.id for c, _ in store.query(e5_vectors(chunks[:1])[0], k=20, filters=flt)}
    assert got == {c.id for c in chunks if flt.matches(c)}


def test_tenant_isolation_even_when_other_tenant_matches_better(make_settings, tenant, e5_vectors) -> None:
    """Tenant A's queries never return tenant B's chunks, even when B holds the exact query text."""
    settings = make_settings()
    other = f"{tenant}-b"
    a_chunks = [_chunk(tenant, "a1", 0, "季度回访记录：客户满意")]
    b_chunks = [_chunk(other, "b1", 0, "北京协和医院张主任拒绝了报价")]
    a_index = TenantIndex(settings, tenant, embedder="e5")
    b_index = TenantIndex(settings, other, embedder="e5")
    a_index.upsert(a_chunks)
    b_index.upsert(b_chunks)
    hits = a_index.search("北京协和医院张主任拒绝了报价", k=5)
    assert [h.chunk.id for h in hits] == ["a1#0"]
    assert all(h.chunk.tenant == tenant for h in hits)
    assert [c.id for c, _ in _store(settings, tenant).query(e5_vectors(b_chunks)[0], k=5)] == ["a1#0"]
    assert collection_name(tenant) != collection_name(other)


def test_wrong_tenant_chunk_is_refused(make_settings, tenant, e5_vectors) -> None:
    """Writing another tenant's chunk into a tenant's store raises TenantError and writes nothing."""
    settings = make_settings()
    store = _store(settings, tenant)
    foreign = _chunk(f"{tenant}-x", "x1", 0, "foreign text")
    with pytest.raises(TenantError):
        store.upsert([foreign], e5_vectors([foreign]))
    with pytest.raises(TenantError):
        TenantIndex(settings, tenant, embedder="e5").upsert([foreign])
    assert store.count() == 0


def test_embedder_mismatch_is_refused(make_settings, tenant, e5_vectors) -> None:
    """Opening a tenant's collection with another engine raises ConfigError that points to re-embedding."""
    settings = make_settings(embedding_engine="minilm")
    chunks = _corpus(tenant)
    _store(settings, tenant).upsert(chunks, e5_vectors(chunks))
    with pytest.raises(ConfigError, match="re-embed"):
        _store(settings, tenant, name="minilm")
    index = TenantIndex(settings, tenant)  # no engine given: the recorded one (e5), not the default (minilm)
    assert index.embedder_name == "e5"


def test_reembed_switches_engine_and_keeps_chunks(make_settings, tenant) -> None:
    """reembed writes every chunk with the new engine and records it; the old engine is then refused."""
    settings = make_settings()
    index = TenantIndex(settings, tenant, embedder="e5")
    chunks = _corpus(tenant)
    index.upsert(chunks)
    assert index.reembed("minilm") == len(chunks)
    assert index.embedder_name == "minilm"
    assert VectorStore.recorded_embedder(get_client(settings), tenant) == "minilm"
    assert index.vectors.count() == len(chunks)
    assert index.search_dense("Acme asked for a discount on the annual renewal", k=1)[0].chunk.id == "r4#0"
    assert TenantIndex(settings, tenant).embedder_name == "minilm"
    with pytest.raises(ConfigError):
        TenantIndex(settings, tenant, embedder="e5")


def test_drop_removes_the_collection(make_settings, tenant, e5_vectors) -> None:
    """drop deletes the tenant's collection; reopening starts empty."""
    settings = make_settings()
    store = _store(settings, tenant)
    chunks = _corpus(tenant)
    store.upsert(chunks, e5_vectors(chunks))
    store.drop()
    assert VectorStore.recorded_embedder(get_client(settings), tenant) is None
    assert _store(settings, tenant).count() == 0
