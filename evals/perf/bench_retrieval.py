"""Benchmark retrieval latency in one tenant at 10k and 100k chunks, query embedding included.

Run: ``python -m evals.perf.bench_retrieval [--quick] [--queries 200]`` (``--quick``: 1k and 10k chunks).

How the corpus is made: synthetic bilingual CRM chunks (hospitals and companies, contacts, products, reasons,
order numbers; every chunk text is unique) go through the real stores: Chroma (embedded, on disk) and the
BM25 index. Embedding 100k chunks with e5 on 2 cores takes ~30 min and says nothing about query time, so the
real e5 passage vectors of ``POOL`` distinct synthetic texts are computed once (cached in
``evals/perf/.cache/``) and chunk ``i`` stores pool vector ``i % POOL`` plus small Gaussian noise,
re-normalised. Every *query* is embedded for real by e5, and all measured queries are distinct, so the
embedder's query cache never hits. Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from agent_crm.config import build_settings
from agent_crm.kb.embeddings import get_embedder
from agent_crm.kb.filters import SearchFilters
from agent_crm.kb.index import TenantIndex
from agent_crm.types import Chunk

POOL = 512
CACHE = Path(__file__).resolve().parent / ".cache"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
CUSTOMERS = 500

ORGS_ZH = ["北京协和医院", "上海瑞金医院", "广州中山医院", "成都华西医院", "武汉同济医院", "杭州邵逸夫医院",
           "南京鼓楼医院", "西安交大一附院", "重庆医科大学附属医院", "天津医科大学总医院", "深圳人民医院",
           "长沙湘雅医院", "济南齐鲁医院", "沈阳盛京医院", "郑州大学一附院", "苏州大学附属医院"]
DEPTS_ZH = ["设备科", "采购办", "信息科", "检验科", "放射科", "心内科", "财务处", "院办"]
CONTACTS_ZH = ["张主任", "李主任", "王处长", "陈科长", "刘院长", "赵工程师", "孙老师", "周经理"]
ACTIONS_ZH = ["拒绝了", "接受了", "搁置了", "要求修改", "原则同意", "退回了"]
PRODUCTS_ZH = ["超声设备", "监护仪", "检验试剂", "信息系统", "维保合同", "耗材年框", "影像软件", "培训服务"]
REASONS_ZH = ["价格比竞品高", "今年预算已经用完", "交货期太长", "需要本地工程师驻场", "资质文件不全",
              "付款周期太短", "需要先做试用", "领导还没有审批"]
ORGS_EN = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises",
           "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Vandelay"]
ACTIONS_EN = ["rejected", "accepted", "postponed", "asked to revise", "approved in principle", "returned"]
PRODUCTS_EN = ["analytics suite", "support contract", "sensor kit", "annual licence", "training package",
               "cloud migration", "maintenance plan", "hardware refresh"]
REASONS_EN = ["the price is above the competitor", "the budget is frozen", "delivery takes too long",
              "they need on-site engineers", "documents are missing", "payment terms are too short",
              "they want a trial first", "management has not signed off"]
CHANNELS = ["email", "call", "meeting", "ticket", "order", "quote", "chat", "note"]


def chunk_text(i: int) -> str:
    """Return the unique synthetic text of chunk ``i`` (two thirds Chinese, one third English)."""
    r = random.Random(i)
    order = f"SO-{2024 + i % 3}-{i:06d}"
    if i % 3:
        return (f"{r.choice(ORGS_ZH)}{r.choice(DEPTS_ZH)}{r.choice(CONTACTS_ZH)}{r.choice(ACTIONS_ZH)}"
                f"{r.choice(PRODUCTS_ZH)}报价，原因是{r.choice(REASONS_ZH)}。订单号 {order}，"
                f"金额 {r.randint(1, 900) * 1000} 元，下次跟进 {r.randint(1, 28)} 日。")
    return (f"{r.choice(ORGS_EN)} {r.choice(ACTIONS_EN)} the {r.choice(PRODUCTS_EN)} quote because "
            f"{r.choice(REASONS_EN)}. Order {order}, amount {r.randint(1, 900) * 1000} USD, "
            f"follow up on day {r.randint(1, 28)}.")


def make_chunk(tenant: str, i: int) -> Chunk:
    """Return synthetic chunk ``i`` of a tenant."""
    return Chunk(id=f"rec-{i}#0", tenant=tenant, record_id=f"rec-{i}", customer_id=f"cust-{i % CUSTOMERS}",
                 channel=CHANNELS[i % len(CHANNELS)], timestamp=T0 + timedelta(minutes=i), text=chunk_text(i),
                 tags=("vip",) if i % 10 == 0 else ())


def pool_vectors() -> np.ndarray:
    """Return the real e5 passage vectors of the first ``POOL`` synthetic texts (cached on disk)."""
    texts = [chunk_text(i) for i in range(POOL)]
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"e5-pool-{key}.npy"
    if path.exists():
        return np.load(path)
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    start = time.perf_counter()
    vecs = get_embedder("e5").embed_documents(texts)
    print(f"  embedded the {POOL}-text vector pool in {time.perf_counter() - start:.1f} s (cached in {path})")
    np.save(path, vecs)
    return vecs


def corpus_vectors(pool: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Return vectors for chunks ``start..stop``: pool vector ``i % POOL`` plus noise, unit length."""
    rng = np.random.default_rng(start)
    base = pool[np.arange(start, stop) % len(pool)]
    noisy = base + rng.normal(0, 0.02, size=base.shape).astype(np.float32)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def fill(index: TenantIndex, pool: np.ndarray, start: int, stop: int, batch: int = 5000) -> None:
    """Write chunks ``start..stop`` into both stores with precomputed vectors."""
    for s in range(start, stop, batch):
        part = [make_chunk(index.tenant, i) for i in range(s, min(stop, s + batch))]
        index.upsert_embedded(part, corpus_vectors(pool, s, s + len(part)))


def queries(n: int, seed: int, corpus_size: int) -> list[str]:
    """Return ``n`` distinct bilingual questions, with one in five an order-number lookup."""
    r = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        kind = r.randrange(5)
        if kind == 0:
            i = r.randrange(corpus_size)
            q = f"SO-{2024 + i % 3}-{i:06d} 的状态"
        elif kind in (1, 2):
            q = (f"{r.choice(ORGS_ZH)}{r.choice(CONTACTS_ZH)}为什么{r.choice(ACTIONS_ZH)}"
                 f"{r.choice(PRODUCTS_ZH)}报价？{r.choice(REASONS_ZH)}吗")
        else:
            q = (f"why has {r.choice(ORGS_EN)} {r.choice(ACTIONS_EN)} our {r.choice(PRODUCTS_EN)} quote, "
                 f"is it because {r.choice(REASONS_EN)}")
        out[q] = None
    return list(out)


def timed(fn: Callable[[str], object], qs: Sequence[str]) -> list[float]:
    """Return the latency in ms of ``fn(q)`` for each query."""
    out = []
    for q in qs:
        start = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(name: str, ms: list[float]) -> str:
    """Format p50 / p95 / mean of latencies."""
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    p50, mean = statistics.median(ms), statistics.mean(ms)
    return f"    {name:<42} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   mean {mean:6.2f} ms"


def timed_split(embed: Callable[[str], object], fn: Callable[[str], object], qs: Sequence[str]) -> tuple[
    list[float], list[float]
]:
    """Return (total, retrieval-only) ms per query: the query is embedded first (timed), then ``fn`` runs
    and finds the vector in the embedder's query cache, so its time is the retrieval without embedding."""
    total, rest = [], []
    for q in qs:
        start = time.perf_counter()
        embed(q)
        mid = time.perf_counter()
        fn(q)
        end = time.perf_counter()
        total.append((end - start) * 1000)
        rest.append((end - mid) * 1000)
    return total, rest


def measure(index: TenantIndex, size: int, n: int, round_no: int) -> None:
    """Print the latencies of every retrieval mode at the current corpus size."""
    modes: list[tuple[str, bool, SearchFilters | None]] = [
        ("hybrid", False, None),
        ("dense only", True, None),
        ("hybrid, customer filter (0.2 %)", False, SearchFilters(customer_id="cust-7")),
        ("hybrid, channel filter (25 %)", False, SearchFilters(channel=("email", "call"))),
        ("hybrid, vip tag + newer half (5 %)", False,
         SearchFilters(tags=("vip",), since=T0 + timedelta(minutes=size // 2))),
    ]
    qsets = queries((len(modes) + 1) * n + 20, seed=1000 * round_no, corpus_size=size)
    warm = qsets[:20]
    start = time.perf_counter()
    index.search(warm[0], k=8, filters=SearchFilters(customer_id="cust-1"))  # builds the dense mirror
    print(f"  first filtered query (builds the in-memory vector mirror): {time.perf_counter() - start:.2f} s")
    for q in warm[1:]:
        index.search(q, k=8)
    emb = get_embedder("e5")
    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"  {size:,} chunks ({n} distinct queries per line, k=8; load avg {load:.2f} on {cores} cores):")
    for j, (name, dense, flt) in enumerate(modes):

        def fn(q: str, dense: bool = dense, flt: SearchFilters | None = flt) -> object:
            return index.search_dense(q, k=8) if dense else index.search(q, k=8, filters=flt)

        total, rest = timed_split(emb.embed_query, fn, qsets[20 + j * n : 20 + (j + 1) * n])
        print(summary(name + " (total)", total))
        print(summary("    of which retrieval, no embedding", rest))
    last = qsets[20 + len(modes) * n :]
    print(summary("BM25 side alone (32)", timed(lambda q: index.lexical.search(q, 32), last)))
    vec = emb.embed_query(last[0])
    print(summary("Chroma query alone (32 ids)", timed(lambda q: index.vectors.query_ids(vec, 32), last)))


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1k and 10k chunks instead of 10k and 100k")
    ap.add_argument("--queries", type=int, default=200, help="distinct queries per measured line")
    args = ap.parse_args()
    sizes = [1_000, 10_000] if args.quick else [10_000, 100_000]
    pool = pool_vectors()
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as home:
        index = TenantIndex(build_settings(home=Path(home)), "bench", embedder="e5")
        done = 0
        for round_no, size in enumerate(sizes, start=1):
            start = time.perf_counter()
            fill(index, pool, done, size)
            done = size
            print(f"built {size:,} chunks in {time.perf_counter() - start:.1f} s "
                  f"(Chroma + BM25, precomputed vectors)")
            measure(index, size, args.queries, round_no)


if __name__ == "__main__":
    main()
