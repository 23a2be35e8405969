"""Hybrid retrieval: close distractors, identifiers, filters, the incremental BM25 index, RRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent_crm.config import build_settings
from agent_crm.kb.filters import SearchFilters
from agent_crm.kb.index import TenantIndex
from agent_crm.kb.lexical import LexicalIndex, tokenize
from agent_crm.kb.retriever import TenantRetriever, rrf_fuse
from agent_crm.types import Chunk

T0 = datetime(2025, 6, 1, 8, 30, tzinfo=UTC)
TENANT = "medco"

RECORDS = [
    # (record id, customer, channel, day offset, tags, text)
    (
        "q-pumc",
        "pumc",
        "quote",
        0,
        ("hospital",),
        "北京协和医院设备科张主任拒绝了我们的超声报价，理由是价格比竞品高15%。",
    ),
    (
        "q-rj",
        "ruijin",
        "quote",
        2,
        ("hospital",),
        "上海瑞金医院采购办李主任拒绝了报价，因为今年的设备预算已经用完。",
    ),
    (
        "q-zs",
        "zhongshan",
        "quote",
        4,
        ("hospital",),
        "广州中山医院王主任拒绝了报价，原因是交货期太长，要求两周内到货。",
    ),
    (
        "q-hx",
        "huaxi",
        "quote",
        6,
        ("hospital", "vip"),
        "成都华西医院陈主任拒绝了报价，他们需要本地工程师驻场售后服务。",
    ),
    (
        "m-pumc",
        "pumc",
        "meeting",
        8,
        ("hospital",),
        "与北京协和医院张主任会面，讨论下季度的培训安排和科室参观。",
    ),
    (
        "e-acme",
        "acme",
        "email",
        1,
        ("renewal",),
        "Acme Corp declined our renewal quote because the per-seat price rose 20 percent.",
    ),
    (
        "e-globex",
        "globex",
        "email",
        3,
        ("renewal",),
        "Globex rejected the quote since their budget freeze lasts until next fiscal year.",
    ),
    (
        "e-initech",
        "initech",
        "email",
        5,
        (),
        "Initech turned down the proposal because delivery would take twelve weeks.",
    ),
    (
        "e-umbrella",
        "umbrella",
        "call",
        7,
        ("vip",),
        "Umbrella asked for on-site support engineers before they sign the quote.",
    ),
    ("o-12", "acme", "order", 9, (), "订单 SO-2026-004512 已发货，物流单号 SF1234567890。"),
    ("o-13", "globex", "order", 10, (), "订单 SO-2026-004513 已发货，客户要求开具增值税专用发票。"),
    ("o-11", "initech", "order", 11, (), "订单 SO-2026-004511 已签收，客户反馈包装完好。"),
    ("t-sku", "ruijin", "ticket", 12, (), "工单：SKU-TS-0042-BL 探头连接不稳定，已安排更换。"),
]


def _chunks(tenant: str = TENANT) -> list[Chunk]:
    return [
        Chunk(
            id=f"{rid}#0",
            tenant=tenant,
            record_id=rid,
            customer_id=cust,
            channel=chan,
            timestamp=T0 + timedelta(days=day),
            text=text,
            tags=tags,
        )
        for rid, cust, chan, day, tags, text in RECORDS
    ]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> TenantIndex:
    """Return a tenant index (embedded Chroma, e5) holding the bilingual corpus."""
    settings = build_settings(home=tmp_path_factory.mktemp("home"))
    ix = TenantIndex(settings, TENANT, embedder="e5")
    ix.upsert(_chunks())
    return ix


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("瑞金医院为什么拒绝了报价？", "q-rj"),
        ("哪家医院因为交货期拒绝报价", "q-zs"),
        ("华西医院需要驻场工程师", "q-hx"),
        ("协和医院张主任为什么不接受超声报价", "q-pumc"),
    ],
)
def test_chinese_query_finds_the_right_record_among_close_distractors(index, query, expected) -> None:
    """A Chinese question ranks the one matching record first among similar rejected quotes."""
    assert index.search(query, k=3)[0].chunk.record_id == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Why did Globex reject the quote?", "e-globex"),
        ("which customer complained that the per-seat price went up", "e-acme"),
        ("delivery time too long proposal declined", "e-initech"),
    ],
)
def test_english_query_finds_the_right_record_among_close_distractors(index, query, expected) -> None:
    """An English question ranks the one matching record first among similar rejections."""
    assert index.search(query, k=3)[0].chunk.record_id == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("SO-2026-004512", "o-12"), ("SO-2026-004513 发票", "o-13"), ("SKU-TS-0042-BL", "t-sku")],
)
def test_identifier_query_is_found_by_the_lexical_side(index, query, expected) -> None:
    """An order number or SKU is ranked first by BM25 and therefore first after fusion."""
    lexical = index.search_lexical(query, k=3)
    assert lexical[0].chunk.record_id == expected
    hit = index.search(query, k=3)[0]
    assert hit.chunk.record_id == expected and hit.lexical_rank == 1


def test_hybrid_hits_carry_both_scores_and_rrf_score(index) -> None:
    """A hit found by both sides carries cosine, BM25, both ranks and the RRF sum of its ranks."""
    hit = index.search("瑞金医院为什么拒绝了报价？", k=1)[0]
    assert hit.dense_rank is not None and hit.lexical_rank is not None
    assert hit.dense_score is not None and 0 < hit.dense_score <= 1
    assert hit.lexical_score is not None and hit.lexical_score > 0
    rrf_k = index.settings.rrf_k
    assert hit.score == pytest.approx(1 / (rrf_k + hit.dense_rank) + 1 / (rrf_k + hit.lexical_rank))
    assert hit.citation.record_id == "q-rj" and hit.citation.chunk_id == "q-rj#0"


FILTERS = [
    SearchFilters(customer_id="pumc"),
    SearchFilters(channel=("quote", "email")),
    SearchFilters(since=T0 + timedelta(days=3), until=T0 + timedelta(days=9)),
    SearchFilters(tags=("vip",)),
    SearchFilters(customer_id="acme", channel="order"),
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: repr(f)[:50])
def test_filters_apply_to_both_sides_before_top_k(index, flt) -> None:
    """Dense, lexical and hybrid results under a filter contain only matching chunks, and find them."""
    allowed = {c.id for c in _chunks() if flt.matches(c)}
    query = "报价 拒绝 订单 quote rejected SO-2026-004512 工程师"
    dense = {h.chunk.id for h in index.search_dense(query, k=20, filters=flt)}
    lexical = {h.chunk.id for h in index.search_lexical(query, k=20, filters=flt)}
    hybrid = {h.chunk.id for h in index.search(query, k=20, filters=flt)}
    assert dense == allowed
    assert lexical <= allowed and lexical
    assert hybrid == allowed


def test_tenant_retriever_returns_langchain_documents(index) -> None:
    """TenantRetriever.invoke returns langchain-core Documents with chunk text and citation metadata."""
    docs = TenantRetriever(index=index, k=2).invoke("SO-2026-004512")
    assert len(docs) == 2
    assert docs[0].page_content.startswith("订单 SO-2026-004512")
    assert docs[0].metadata["record_id"] == "o-12" and docs[0].metadata["tenant"] == TENANT
    assert docs[0].metadata["timestamp"] == (T0 + timedelta(days=9)).isoformat()


def test_unchanged_chunks_are_not_rewritten(index) -> None:
    """Upserting identical chunks again writes nothing; a changed chunk is written."""
    chunks = _chunks()
    assert index.upsert(chunks) == 0
    changed = chunks[-1].model_copy(update={"text": chunks[-1].text + "（已更换完成）"})
    assert index.upsert([changed]) == 1
    assert index.count() == len(chunks)


# ----- tokenizer -------------------------------------------------------------------------------------------


def test_tokenizer_keeps_identifiers_whole_and_split() -> None:
    """Order numbers, SKUs and masked phones become one whole token plus their parts."""
    toks = tokenize("订单SO-2026-004512，SKU-TS-0042-BL，电话 138-xxxx")
    for t in ("so-2026-004512", "2026", "004512", "sku-ts-0042-bl", "0042", "bl", "138-xxxx", "138"):
        assert t in toks
    assert "订单" in toks and "电话" in toks


def test_tokenizer_segments_chinese_drops_stop_words_and_punctuation() -> None:
    """Chinese is segmented into words, stop words and punctuation disappear, full-width is normalised."""
    toks = tokenize("我们的报价被协和医院拒绝了！ The QUOTE was rejected．ＳＯ－１２")
    assert {"报价", "协和", "医院", "拒绝", "quote", "rejected", "so-12"} <= set(toks)
    assert not {"的", "了", "我们", "the", "was", "！", "．"} & set(toks)
    assert tokenize("报价") == ["报价"]


# ----- incremental lexical index ---------------------------------------------------------------------------


def _lx_chunk(rid: str, text: str, customer: str = "c1") -> Chunk:
    return Chunk(
        id=f"{rid}#0",
        tenant="t",
        record_id=rid,
        customer_id=customer,
        channel="note",
        timestamp=T0,
        text=text,
    )


DOCS = {
    "a": "客户拒绝了报价 价格太高",
    "b": "客户接受了报价 签署合同",
    "c": "设备故障 工程师上门维修",
    "d": "订单 SO-2026-000001 已发货",
}


def _ranked(ix: LexicalIndex, query: str) -> list[tuple[str, float]]:
    return [(c.record_id, round(s, 5)) for c, s in ix.search(query, 10)]


def test_delta_scores_equal_compacted_base_scores(tmp_path: Path) -> None:
    """Scores from the write-ahead delta equal the bm25s base scores after compaction of the same chunks."""
    ix = LexicalIndex(tmp_path, delta_min=100)
    ix.upsert([_lx_chunk(r, t) for r, t in DOCS.items()])
    assert ix.delta_size == 4
    before = _ranked(ix, "客户 报价 价格")
    ix.compact()
    assert ix.delta_size == 0
    assert _ranked(ix, "客户 报价 价格") == before and before[0][0] == "a"


def test_replace_and_delete_hit_base_and_delta(tmp_path: Path) -> None:
    """Upserting an id replaces it and delete removes it, whether the chunk sits in the base or the delta."""
    ix = LexicalIndex(tmp_path, delta_min=100)
    ix.upsert([_lx_chunk(r, t) for r, t in DOCS.items()])
    ix.compact()
    ix.upsert([_lx_chunk("e", "报价 已过期 需要重新报价")])
    ix.upsert([_lx_chunk("a", "客户改为租赁方案")])
    assert ix.tombstones == 1 and ix.delta_size == 2 and ix.count() == 5
    assert "a" not in {r for r, _ in _ranked(ix, "价格太高")}
    assert [r for r, _ in _ranked(ix, "租赁")] == ["a"]
    assert ix.delete(["e", "b"]) == 2
    assert {r for r, _ in _ranked(ix, "报价")} == set()
    assert ix.delete_customer("c1") == 3 and ix.count() == 0
    assert ix.search("订单", 5) == []


def test_reopen_keeps_base_delta_and_tombstones(tmp_path: Path) -> None:
    """A reopened index answers exactly like before closing, with a base, a delta and tombstones pending."""
    ix = LexicalIndex(tmp_path, delta_min=100)
    ix.upsert([_lx_chunk(r, t) for r, t in DOCS.items()])
    ix.compact()
    ix.upsert([_lx_chunk("c", "工程师 明天 再次上门"), _lx_chunk("f", "SO-2026-000001 客户要求改地址")])
    ix.delete(["b"])
    queries = ["工程师 上门", "SO-2026-000001", "客户 报价"]
    expected = {q: _ranked(ix, q) for q in queries}
    ix.close()
    again = LexicalIndex(tmp_path, delta_min=100)
    assert {q: _ranked(again, q) for q in queries} == expected
    assert again.count() == 4 and again.tombstones == 2 and again.delta_size == 2
    assert again.all_chunks()[0].id == "a#0"
    again.compact()
    again.close()
    third = LexicalIndex(tmp_path, delta_min=100)
    assert third.tombstones == 0 and third.delta_size == 0 and third.count() == 4
    assert {r for r, _ in _ranked(third, "SO-2026-000001")} == {"f", "d"}
    assert len(list(tmp_path.glob("base-*"))) == 1


def test_delta_overflow_triggers_compaction(tmp_path: Path) -> None:
    """Once the delta outgrows its threshold an upsert compacts it into the base."""
    ix = LexicalIndex(tmp_path, delta_min=3)
    ix.upsert([_lx_chunk(r, t) for r, t in list(DOCS.items())[:3]])
    assert ix.delta_size == 3
    ix.upsert([_lx_chunk("d", DOCS["d"])])
    assert ix.delta_size == 0 and ix.count() == 4
    assert [r for r, _ in _ranked(ix, "SO-2026-000001")] == ["d"]


def test_lexical_filters_and_k(tmp_path: Path) -> None:
    """Lexical filters restrict candidates before the top-k on base and delta alike."""
    ix = LexicalIndex(tmp_path, delta_min=100)
    ix.upsert([_lx_chunk("a", DOCS["a"], "c1"), _lx_chunk("b", DOCS["b"], "c2")])
    ix.compact()
    ix.upsert([_lx_chunk("x", "客户 报价 报价", "c2")])
    assert [c.record_id for c, _ in ix.search("客户 报价", 1, SearchFilters(customer_id="c1"))] == ["a"]
    assert {c.record_id for c, _ in ix.search("客户 报价", 5, SearchFilters(customer_id="c2"))} == {"b", "x"}
    assert len(ix.search("客户 报价", 2)) == 2


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: repr(f)[:50])
def test_lexical_filters_agree_between_base_and_delta(tmp_path: Path, flt) -> None:
    """The same filter gives the same hits whether the chunks sit in the delta or in the compacted base."""
    chunks = _chunks("t")
    query = "报价 拒绝 订单 quote rejected SO-2026-004512 工程师 医院 customer"
    delta = LexicalIndex(tmp_path / "delta", delta_min=1000)
    delta.upsert(chunks)
    base = LexicalIndex(tmp_path / "base", delta_min=1000)
    base.upsert(chunks)
    base.compact()
    got_delta = [(c.id, round(s, 4)) for c, s in delta.search(query, 50, flt)]
    got_base = [(c.id, round(s, 4)) for c, s in base.search(query, 50, flt)]
    assert got_delta == got_base
    assert {cid for cid, _ in got_base} <= {c.id for c in chunks if flt.matches(c)}
    assert len(base.search(query, 2, flt)) == min(2, len(got_base))


# ----- fusion ----------------------------------------------------------------------------------------------


def test_rrf_fuse_math_on_hand_made_lists() -> None:
    """RRF sums 1/(k+rank) over lists, counts an id once per list, and breaks ties by best rank then id."""
    fused = dict(rrf_fuse([["a", "b", "c"], ["b", "d", "b"]], k=60))
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["d"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63)
    assert [key for key, _ in rrf_fuse([["a", "b", "c"], ["b", "d", "b"]], k=60)] == ["b", "a", "d", "c"]
    assert [key for key, _ in rrf_fuse([["y", "x"], ["x", "y"]], k=1)] == ["x", "y"]
    assert rrf_fuse([], k=60) == [] and rrf_fuse([[]]) == []


@pytest.mark.parametrize("exact_max", [20_000, 0], ids=["exact", "overfetch"])
def test_filtered_dense_side_follows_writes(tmp_path: Path, exact_max: int) -> None:
    """Filtered dense search stays exact after upserts, replacements and deletes, in both search strategies."""
    settings = build_settings(home=tmp_path)
    index = TenantIndex(settings, "mirror-t", embedder="e5")
    index.exact_max = exact_max
    chunks = _chunks("mirror-t")
    index.upsert(chunks[:8])
    flt = SearchFilters(channel=("quote", "email", "order"))

    def dense_ids(ix: TenantIndex) -> set[str]:
        return {h.chunk.id for h in ix.search_dense("报价 quote 订单", k=30, filters=flt)}

    def expected() -> set[str]:
        return {c.id for c in index.all_chunks() if flt.matches(c)}

    assert dense_ids(index) == expected()  # builds the mirror
    index.upsert(chunks[8:])
    moved = chunks[0].model_copy(update={"channel": "note"})
    index.upsert([moved])
    assert dense_ids(index) == expected() and "q-pumc#0" not in expected()
    index.delete(["o-12"])
    index.delete_customer("globex")
    assert dense_ids(index) == expected() and not {"o-12#0", "o-13#0", "e-globex#0"} & expected()
    other = TenantIndex(settings, "mirror-t")
    other.exact_max = exact_max
    assert dense_ids(other) == expected()
    assert [h.chunk.id for h in index.search_dense("订单", k=3, filters=SearchFilters(customer_id="nobody"))] == []


def test_dense_mirror_stays_exact_through_rebuilds() -> None:
    """The filtered-search vector mirror keeps exact cosine ranking, tags and customers across a rebuild."""
    import numpy as np

    from agent_crm.kb.dense_mirror import DenseMirror

    rng = np.random.default_rng(7)

    def unit(n: int) -> np.ndarray:
        v = rng.normal(size=(n, 16)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def chunk(i: int) -> Chunk:
        return Chunk(id=f"c{i}#0", tenant="t", record_id=f"c{i}", customer_id=f"cu{i % 3}", channel="note",
                     timestamp=T0, text="", tags=("vip",) if i % 5 == 0 else ())

    mirror = DenseMirror(16)
    vecs = {f"c{i}#0": v for i, v in enumerate(unit(3000))}
    mirror.add([chunk(i) for i in range(3000)], np.stack(list(vecs.values())))
    mirror.remove([f"c{i}#0" for i in range(2000)])
    mirror.remove_where(record_ids={"c2001"})
    new = unit(10)
    mirror.add([chunk(i) for i in range(5000, 5010)], new)  # more than 1,000 dead: rebuilds first
    live = {cid: v for cid, v in vecs.items() if int(cid[1:-2]) >= 2000 and cid != "c2001#0"}
    live.update({f"c{i}#0": v for i, v in zip(range(5000, 5010), new, strict=True)})
    assert mirror.size() == len(live) == 1009
    q = unit(1)[0]
    flt = SearchFilters(customer_id="cu1", tags=("vip",))
    cand = mirror.allowed(flt)
    want = [cid for cid in live if int(cid[1:-2]) % 3 == 1 and int(cid[1:-2]) % 5 == 0]
    best = sorted(want, key=lambda cid: -float(live[cid] @ q))[:5]
    got = mirror.exact(q, cand, 5)
    assert [cid for cid, _ in got] == best
    assert got[0][1] == pytest.approx(float(live[best[0]] @ q), abs=1e-5)
    assert mirror.passes(["c2005#0", "c0#0", "zzz"], mirror.allowed(SearchFilters())) == {"c2005#0"}
    before = mirror.size()
    dup = unit(2)
    mirror.add([chunk(9000), chunk(9000)], dup)  # a repeated id: the last vector wins, counted once
    assert mirror.size() == before + 1
    best_dup = mirror.exact(dup[1], mirror.allowed(SearchFilters()), 1)[0]
    assert best_dup == ("c9000#0", pytest.approx(1.0, abs=1e-5))


def test_upsert_embedded_writes_both_stores_and_mirror(tmp_path: Path) -> None:
    """Chunks written with precomputed vectors are found by both sides, filtered or not; other tenants refused."""
    from agent_crm.errors import TenantError
    from agent_crm.kb.embeddings import get_embedder

    index = TenantIndex(build_settings(home=tmp_path), "pre-t", embedder="e5")
    chunks = _chunks("pre-t")
    index.upsert(chunks[:2])
    index.search_dense("报价", k=1, filters=SearchFilters(customer_id="pumc"))  # builds the mirror
    rest = chunks[2:]
    assert index.upsert_embedded(rest, get_embedder("e5").embed_documents([c.text for c in rest])) == len(rest)
    assert index.count() == len(chunks) and index.vectors.count() == len(chunks)
    hit = index.search("SO-2026-004513 发票", k=1, filters=SearchFilters(customer_id="globex"))[0]
    assert hit.chunk.id == "o-13#0" and hit.dense_rank == 1 and hit.lexical_rank == 1
    with pytest.raises(TenantError):
        index.upsert_embedded(_chunks("other")[:1], get_embedder("e5").embed_documents(["x"]))


def test_identifier_only_in_a_structured_field_is_searchable(tmp_path: Path) -> None:
    """An order number carried only in ``fields.order_no`` is found, and exact identifier matches rank first."""
    from agent_crm import CRM
    from agent_crm.config import build_settings

    crm = CRM("idents", settings=build_settings(home=tmp_path))
    base = {"customer_id": "c1", "channel": "ticket", "timestamp": "2026-10-01T10:00:00+00:00"}
    crm.ingest([
        base | {"id": "r1", "text": "Where is my parcel? Tracking has not moved.", "fields": {"order_no": "SO-2026-004425"}},
        base | {"id": "r2", "text": "Order status question: when will my order ship? Status please."},
        base | {"id": "r3", "text": "Order status of my wholesale order, please send the status."},
    ])
    ids = [h.chunk.record_id for h in crm.search("status of order SO-2026-004425", k=3)]
    assert ids[0] == "r1"


def test_knowledge_documents_can_be_left_out(tmp_path: Path) -> None:
    """``knowledge=False`` returns interaction records only, even when a policy text matches better."""
    from agent_crm import CRM
    from agent_crm.config import build_settings

    crm = CRM("docs", settings=build_settings(home=tmp_path))
    doc = tmp_path / "returns-policy.md"
    doc.write_text("# Returns policy\nLate delivery complaints: refund shipping within 14 days.\n", encoding="utf-8")
    crm.ingest(doc)
    crm.ingest([{"id": "r1", "customer_id": "c1", "channel": "email", "timestamp": "2026-10-01T10:00:00+00:00",
                 "text": "My parcel arrived three weeks late, I want to complain."}])
    assert any(h.chunk.record_id == "doc:returns-policy" for h in crm.search("late delivery complaint", k=2))
    only = crm.search("late delivery complaint", k=2, knowledge=False)
    assert [h.chunk.record_id for h in only] == ["r1"]
