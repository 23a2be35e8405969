"""Benchmark tenant scaling: per-query latency with 1,000 tenants x 100 chunks vs 10 tenants x 100 chunks.

Run: ``python -m evals.perf.bench_tenants [--quick] [--queries 300]`` (``--quick``: 200 tenants, not 1,000).

Each tenant has its own Chroma collection (embedded, on disk) and its own BM25 index, as in production.
Chunk vectors come from the cached e5 vector pool of ``bench_retrieval`` (see there); every query is
embedded for real and is distinct. Queries go to tenants drawn at random, so the large setup cannot serve
them from one warm collection. The goal is a latency ratio (large / small) below 1.5; figures are printed,
nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from agent_crm.config import build_settings
from agent_crm.kb.embeddings import get_embedder
from agent_crm.kb.index import TenantIndex
from evals.perf.bench_retrieval import corpus_vectors, make_chunk, pool_vectors, queries, summary, timed_split

CHUNKS_PER_TENANT = 100


def build(home: Path, n_tenants: int, pool: np.ndarray) -> list[TenantIndex]:
    """Create ``n_tenants`` tenants of ``CHUNKS_PER_TENANT`` chunks each; return their indexes."""
    settings = build_settings(home=home)
    out = []
    for t in range(n_tenants):
        index = TenantIndex(settings, f"tenant-{t:04d}", embedder="e5")
        start = t * CHUNKS_PER_TENANT
        chunks = [make_chunk(index.tenant, i) for i in range(start, start + CHUNKS_PER_TENANT)]
        index.upsert_embedded(chunks, corpus_vectors(pool, start, start + CHUNKS_PER_TENANT))
        out.append(index)
    return out


def run(indexes: list[TenantIndex], n: int, seed: int) -> tuple[list[float], list[float]]:
    """Return per-query (total, retrieval-only) ms of hybrid searches on tenants drawn at random."""
    r = random.Random(seed)
    qs = queries(n + 20, seed=seed, corpus_size=len(indexes) * CHUNKS_PER_TENANT)
    for q in qs[:20]:
        r.choice(indexes).search(q, k=8)
    picks = iter([r.choice(indexes) for _ in range(n)])
    return timed_split(get_embedder("e5").embed_query, lambda q: next(picks).search(q, k=8), qs[20:])


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 tenants instead of 1,000 for the large setup")
    ap.add_argument("--queries", type=int, default=300, help="distinct queries per measured line")
    args = ap.parse_args()
    pool = pool_vectors()
    results = {}
    for n_tenants in (10, 200 if args.quick else 1000):
        with tempfile.TemporaryDirectory(prefix="bench-tenants-") as home:
            start = time.perf_counter()
            indexes = build(Path(home), n_tenants, pool)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            took = time.perf_counter() - start
            print(f"{n_tenants} tenants x {CHUNKS_PER_TENANT} chunks built in {took:.1f} s "
                  f"(peak RSS so far {rss:.0f} MB, load avg {os.getloadavg()[0]:.2f})")
            hybrid, stores = run(indexes, args.queries, seed=n_tenants)
            print(summary("hybrid search (total, query embedded)", hybrid))
            print(summary("    of which retrieval, no embedding", stores))
            results[n_tenants] = (float(np.median(hybrid)), float(np.median(stores)))
    (small_h, small_s), (large_h, large_s) = results.values()
    large = max(results)
    print(f"p50 ratio {large} / 10 tenants: total {large_h / small_h:.2f}, "
          f"retrieval without embedding {large_s / small_s:.2f} (goal < 1.5)")


if __name__ == "__main__":
    main()
