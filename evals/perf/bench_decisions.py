"""Benchmark: end-to-end decision latency with the local backend (warm), and orchestration overhead over a
zero-latency model.

    python -m evals.perf.bench_decisions [--n 200] [--tenant medtech-east]

Goals (issue 3): decision p50 <= 40 ms, p95 <= 87 ms; orchestration overhead <= 10 ms.
"Orchestration overhead" = wall time of a decision with a zero-latency model minus the time spent in the work
itself (retrieval, feature computation, scoring): LangGraph, LiteLLM plumbing, prompts, guard, checkpoint and
the durable audit append are what remains.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from evals.perf.stats import summary

ROOT = Path(__file__).resolve().parents[2]
WORK_NODES = ("retrieve", "features", "decide")


def _zero_provider() -> Any:
    import litellm

    from agent_crm.llm.context import extract_context

    class ZeroLLM(litellm.CustomLLM):  # type: ignore[misc]
        """Answers instantly with schema-valid JSON (picks the first directory candidate)."""

        def completion(self, *args: Any, **kwargs: Any) -> Any:
            ctx = extract_context(kwargs["messages"]) or {}
            if ctx.get("task") == "understand":
                cands = ctx.get("directory") or [{}]
                out: dict[str, Any] = {"intent": "decide", "decision_type": None,
                                       "customer_id": cands[0].get("customer_id"), "candidates": [],
                                       "language": "zh", "clarification": None, "matched": None}
            else:
                out = {"answer": "ok", "scripts": []}
            resp = kwargs["model_response"]
            resp.choices[0].message.content = json.dumps(out, ensure_ascii=False)
            resp.usage = litellm.Usage(prompt_tokens=1, completion_tokens=1, total_tokens=2)
            return resp

    return ZeroLLM()


def main() -> None:
    """Print decision latency figures for the local backend and the zero-latency model."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--tenant", default="medtech-east")
    ap.add_argument("--question", default="张主任上周拒签了骨科耗材报价单，下一步怎么跟进？")
    args = ap.parse_args()

    from agent_crm import CRM
    from agent_crm.config import build_settings
    from agent_crm.llm.gateway import register_provider

    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models.yaml"
        models.write_text(
            "default: local\nmodels:\n"
            "  - {model_name: local, litellm_params: {model: local/crm-reasoner}, model_info: {region: local}}\n"
            "  - {model_name: zero, litellm_params: {model: zero/instant}, model_info: {region: local}}\n",
            encoding="utf-8")
        register_provider("zero", _zero_provider())
        crm = CRM(args.tenant, settings=build_settings(home=Path(tmp) / "home", models_file=models))
        crm.ingest(ROOT / "knowledge" / "tenants" / args.tenant)
        for model in ("local", "zero"):
            for _ in range(10):
                crm.ask(args.question, model=model)  # warm: engines loaded, caches filled
        for label, model in (("ask (local backend)", "local"), ("ask (zero-latency model)", "zero")):
            wall: list[float] = []
            work: list[float] = []
            for _ in range(args.n):
                t0 = time.perf_counter()
                d = crm.ask(args.question, model=model)
                wall.append((time.perf_counter() - t0) * 1000)
                rec = crm._deps().ledger.get(d.audit_id or "")
                path = rec.payload["data"]["graph_path"]
                work.append(sum(p["ms"] for p in path if p["node"] in WORK_NODES))
            print(summary(label, wall))
            if model == "zero":
                overhead = [w - k for w, k in zip(wall, work, strict=True)]
                print(summary("orchestration overhead (zero model)", overhead))
                print(f"{'  of which retrieval+features+scoring':<44} mean={statistics.fmean(work):8.2f} ms")
        nodes: dict[str, list[float]] = {}
        for _ in range(50):
            d = crm.ask(args.question, model="local")
            for p in crm._deps().ledger.get(d.audit_id or "").payload["data"]["graph_path"]:
                nodes.setdefault(p["node"], []).append(p["ms"])
        print("per-node (local backend):")
        for node, ms in nodes.items():
            print("  " + summary(node, ms))
        wall = []
        for _ in range(args.n):
            t0 = time.perf_counter()
            crm.decide(customer="hz-first-hospital", type="next_best_action", language="zh")
            wall.append((time.perf_counter() - t0) * 1000)
        print(summary("decide(customer, type) (local backend)", wall))


if __name__ == "__main__":
    main()
