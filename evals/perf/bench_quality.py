"""Benchmark (d): retrieval quality on the labelled bilingual queries, per embedding engine and per mode.

    python -m evals.perf.bench_quality [--engines e5,minilm] [--k 5]

Ingests the sample tenants once per engine into evals/perf/.cache/<engine> (reused on later runs), then runs
every query of evals/datasets/retrieval.jsonl dense-only, lexical-only and hybrid, printing recall@k and MRR per
language. Goal: hybrid recall@5 >= 0.9 in both languages. The better engine is the default (Settings).
"""

from __future__ import annotations

import argparse
import functools
import json
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(__file__).resolve().parent / ".cache"


def main() -> None:
    """Print recall@k and MRR per engine × mode × language."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--engines", default="e5,minilm")
    ap.add_argument("--k", type=int, default=5)
    args = ap.parse_args()

    from agent_crm import CRM
    from agent_crm.config import build_settings
    from agent_crm.kb.filters import SearchFilters

    queries = [json.loads(x) for x in (ROOT / "evals/datasets/retrieval.jsonl").read_text(encoding="utf-8").splitlines()
               if x.strip()]
    tenants = sorted({q["tenant"] for q in queries})
    print(f"{len(queries)} queries over {tenants}; k={args.k}")
    print(f"{'engine':<8} {'mode':<8} {'lang':<4} {'n':>3} {'recall@k':>9} {'MRR':>7}")
    for engine in args.engines.split(","):
        settings = build_settings(home=CACHE / engine, embedding_engine=engine)
        crms = {t: CRM(t, settings=settings) for t in tenants}
        for t, crm in crms.items():
            if crm._deps().records.count() == 0:
                crm.ingest(ROOT / "knowledge" / "tenants" / t)
        scores: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
        for q in queries:
            index = crms[q["tenant"]]._deps().index
            filters = SearchFilters(customer_id=(q.get("filters") or {}).get("customer_id"))
            relevant = set(q["relevant"])
            for mode, fn in (("dense", index.search_dense), ("lexical", index.search_lexical),
                             ("hybrid", functools.partial(index.search, knowledge=False))):
                ids: list[str] = []
                for h in fn(q["query"], k=args.k * 3, filters=filters):
                    if h.chunk.record_id not in ids:
                        ids.append(h.chunk.record_id)
                top = ids[: args.k]
                recall = len(relevant & set(top)) / len(relevant)
                rr = next((1 / (i + 1) for i, rid in enumerate(ids) if rid in relevant), 0.0)
                scores[(mode, q["language"])].append((recall, rr))
        for (mode, lang), vals in sorted(scores.items()):
            n = len(vals)
            print(f"{engine:<8} {mode:<8} {lang:<4} {n:>3} {sum(v[0] for v in vals) / n:>9.3f} "
                  f"{sum(v[1] for v in vals) / n:>7.3f}")


if __name__ == "__main__":
    main()
