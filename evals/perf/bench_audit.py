"""Benchmark the SQLite audit ledger: durable append throughput and latency, verify throughput.

Run: ``python -m evals.perf.bench_audit [--n 2000] [--dir /path/on/the/real/disk]``.
Appends are durable (WAL, ``synchronous=FULL``: every append is fsynced before it returns) and carry a
realistic ~3 KB decision payload plus an encrypted personal part.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from agent_crm.audit.canonical import canonical_json
from agent_crm.audit.sqlite import SqliteLedger


def decision_payload(i: int) -> dict[str, Any]:
    """Return a decision payload shaped like agent_crm's Decision (about 3 KB of canonical JSON)."""
    factors = [
        {"name": name, "label": label, "weight": w, "direction": d, "value": v, "contribution": c,
         "evidence": [f"rec-{i}-{k}-{j}" for j in range(3)],
         "rationale": f"{label}: 近90天{name}指标为{v}，相对同业基线偏离{c:+.3f}（evidence rec-{i}-{k}）。"}
        for k, (name, label, w, d, v, c) in enumerate([
            ("cash_flow_stability", "还款能力", 38.2, "positive", 0.87, 0.412),
            ("repayment_history", "历史还款", 24.1, "positive", 1.0, 0.26),
            ("order_recency", "最近下单", 17.5, "negative", 46, -0.189),
            ("ticket_sentiment", "工单情绪", 12.0, "negative", -0.3, -0.129),
            ("contract_value", "合同金额", 8.2, "positive", 1250000.0, 0.088),
        ])
    ]
    citations = [
        {"record_id": f"rec-{i}-{k}", "chunk_id": f"rec-{i}-{k}#0", "customer_id": f"cust-{i % 97}",
         "channel": "ticket", "timestamp": f"2025-05-0{k + 1}T08:00:00+00:00",
         "snippet": "客户反馈：上月POS流水稳定，但对新报价有疑问，希望下周安排拜访 <PHONE> 确认授信额度。"}
        for k in range(4)
    ]
    return {
        "decision": {"type": "credit_recommendation", "label": "approve", "score": 0.7731, "language": "zh",
                     "customer_id": f"cust-{i % 97}", "factors": factors, "citations": citations,
                     "answer": "建议批准授信。主要依据：现金流稳定（38%），历史按时还款（24%）；"
                               "风险点：近期未下单。",
                     "model": "local -> local/crm-reasoner", "flags": ["pending_approval"],
                     "details": {"credit_limit": 500000, "currency": "CNY"}},
        "question": "这个客户能不能给50万授信？",
        "run": {"graph": "assistant", "steps": ["understand", "retrieve", "features", "decide", "compose"]},
    }


def percentile(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of values by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="records to append")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the ledger file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "audit.sqlite"
        ledger = SqliteLedger(path, "bench")
        pragmas = ledger.pragmas()
        payloads = [decision_payload(i) for i in range(args.n)]
        size = statistics.mean(len(canonical_json(p)) for p in payloads)
        latencies: list[float] = []
        t0 = time.perf_counter()
        for i, payload in enumerate(payloads):
            s = time.perf_counter()
            ledger.append("decision", payload, actor="agent:assistant", subject=f"cust-{i % 97}",
                          personal={"contact": "张主任", "phone": f"1380013{i % 10000:04d}"})
            latencies.append(time.perf_counter() - s)
        append_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        result = ledger.verify()
        verify_s = time.perf_counter() - t1
        ids = [r.id for r in ledger.list(limit=min(args.n, 10_000))][:500]
        t2 = time.perf_counter()
        for rid in ids:
            ledger.get(rid)
        get_ms = (time.perf_counter() - t2) / max(1, len(ids)) * 1000
        file_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
        ledger.close()
    p50, p95, p99 = (percentile(latencies, q) * 1e3 for q in (0.5, 0.95, 0.99))
    print(f"audit ledger bench: n={args.n}, payload ~{size / 1024:.1f} KiB canonical JSON + personal part")
    print(f"  pragmas: {pragmas}")
    print(f"  durable append: {args.n / append_s:,.0f} records/s; latency p50 {p50:.2f} ms, "
          f"p95 {p95:.2f} ms, p99 {p99:.2f} ms")
    print(f"  verify: {result.checked / verify_s:,.0f} records/s ({result.checked} rows in {verify_s:.2f} s, "
          f"ok={result.ok})")
    print(f"  get (decrypt personal part): {get_ms:.3f} ms per record; files {file_mb:.1f} MB")


if __name__ == "__main__":
    main()
