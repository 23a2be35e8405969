"""Retrieval quality: recall@k and MRR of ``CRM.search`` (hybrid mode) over query -> relevant-record cases."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from agent_crm.evaluation.dataset import RetrievalCase
from agent_crm.evaluation.metrics import mean, percentile, recall_at_k, reciprocal_rank
from agent_crm.evaluation.results import RetrievalSummary

if TYPE_CHECKING:
    from agent_crm.service import CRM

DEFAULT_K = 5


def _slices(rows: Sequence[tuple[RetrievalCase, float, float]], key: Callable[[RetrievalCase], str]
            ) -> dict[str, dict[str, float]]:
    groups: dict[str, list[tuple[float, float]]] = {}
    for case, rec, rr in rows:
        groups.setdefault(key(case) or "-", []).append((rec, rr))
    return {
        name: {"cases": float(len(v)), "recall_at_k": round(sum(r for r, _ in v) / len(v), 4),
               "mrr": round(sum(x for _, x in v) / len(v), 4)}
        for name, v in sorted(groups.items())
    }


def evaluate_retrieval(cases: Sequence[RetrievalCase], crm_for: Callable[[str], CRM], *, k: int = DEFAULT_K
                       ) -> RetrievalSummary:
    """Search every case's query in its tenant and score the ranked record ids against the relevant ones."""
    rows: list[tuple[RetrievalCase, float, float]] = []
    latencies: list[float] = []
    for case in cases:
        crm = crm_for(case.tenant)
        channel = case.filters.get("channel")
        start = time.perf_counter()
        hits = crm.search(case.query, k=max(k * 3, k), customer=case.filters.get("customer_id"),
                          channel=channel if isinstance(channel, str | list) else None, knowledge=False)
        latencies.append((time.perf_counter() - start) * 1000)
        ranked = [h.chunk.record_id for h in hits]
        rows.append((case, recall_at_k(ranked, case.relevant, k), reciprocal_rank(ranked, case.relevant)))
    p50 = percentile(latencies, 50)
    rec = mean(r for _, r, _ in rows)
    mrr = mean(x for _, _, x in rows)
    return RetrievalSummary(
        mode="hybrid", k=k, cases=len(rows),
        recall_at_k=None if rec is None else round(rec, 4),
        mrr=None if mrr is None else round(mrr, 4),
        latency_p50_ms=None if p50 is None else round(p50, 3),
        by_tenant=_slices(rows, lambda c: c.tenant),
        by_kind=_slices(rows, lambda c: c.kind),
        misses=[c.id for c, r, _ in rows if r == 0],
    )
