"""Benchmark the model gateway's own overhead and a real HTTP call through it.

Run: ``python -m evals.perf.bench_gateway [--n 500] [--http-n 200]``.

Overhead = ``Gateway.complete`` minus a direct ``litellm.completion`` to the same zero-latency custom
provider, measured in interleaved pairs (so drift hits both sides), reported as p50/p95 of the differences.
The HTTP figures are full calls to the scripted OpenAI-compatible server on 127.0.0.1 (tests/support).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent_crm.llm.gateway import Gateway, register_provider
from agent_crm.llm.registry import ModelRegistry
from agent_crm.logs import configure_logging
from agent_crm.offline import ensure_offline_env
from tests.support.model_server import ScriptedModelServer, write_models_file

ensure_offline_env()
import litellm  # noqa: E402  (after the offline environment; the bench calls LiteLLM directly as the baseline)

MESSAGES = [
    {"role": "system", "content": "You are a CRM assistant. Answer from the context only."},
    {
        "role": "user",
        "content": "杭州一院张主任上周拒绝了报价，下一步怎么跟进？ Give one concrete next step.",
    },
]
LONG_PROMPT = "客户拜访纪要：张主任对阶梯报价有顾虑，希望下季度再评估。" * 600
SCHEMA = {"type": "object", "required": ["action"], "properties": {"action": {"type": "string"}}}


class ZeroLLM(litellm.CustomLLM):
    """Custom provider that answers instantly (text, or JSON when a response_format is given)."""

    def completion(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        model_response, optional_params = kwargs["model_response"], kwargs["optional_params"]
        text = '{"action": "visit"}' if optional_params.get("response_format") else "visit on Tuesday"
        model_response.choices[0].message.content = text
        model_response.usage = litellm.Usage(prompt_tokens=40, completion_tokens=4, total_tokens=44)
        return model_response


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def timed(fn: Callable[[], Any]) -> float:
    """Return the milliseconds one call of fn takes."""
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def paired(n: int, base: Callable[[], Any], subject: Callable[[], Any]) -> tuple[list[float], list[float]]:
    """Time base and subject alternately n times (after a warm-up); return both lists in ms."""
    for _ in range(20):
        base()
        subject()
    a, b = [], []
    for _ in range(n):
        a.append(timed(base))
        b.append(timed(subject))
    return a, b


def report(label: str, values: list[float]) -> None:
    """Print p50/p95 of a list of milliseconds."""
    print(f"{label:<50} p50 {statistics.median(values):8.3f} ms   p95 {pct(values, 0.95):8.3f} ms")


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=500, help="calls per zero-latency series")
    parser.add_argument("--http-n", type=int, default=200, help="calls per HTTP series")
    args = parser.parse_args()
    configure_logging(level="WARNING", fmt="json")
    register_provider("bench-zero", ZeroLLM())
    server = ScriptedModelServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            entries = [
                {
                    "model_name": "zero",
                    "litellm_params": {"model": "bench-zero/m"},
                    "model_info": {"region": "local", "context_window": 32768, "max_output_tokens": 2048},
                },
                server.entry("http", "scripted", timeout=5),
            ]
            gw = Gateway(ModelRegistry(write_models_file(Path(tmp) / "models.yaml", entries)))
            gw.warm_up()

            def raw_zero() -> Any:
                return litellm.completion(
                    model="bench-zero/m", messages=MESSAGES, timeout=30, num_retries=0, max_tokens=2048
                )

            raw, via = paired(args.n, raw_zero, lambda: gw.complete(MESSAGES, alias="zero"))
            print(f"gateway benchmark: {args.n} zero-latency calls, {args.http_n} HTTP calls (127.0.0.1)")
            report("litellm.completion, zero-latency provider", raw)
            report("Gateway.complete, zero-latency provider", via)
            report("gateway overhead (paired difference)", [g - r for r, g in zip(raw, via, strict=True)])
            fmt = {"type": "json_schema", "json_schema": {"name": "response", "schema": SCHEMA}}
            raw_s, via_s = paired(
                args.n,
                lambda: litellm.completion(
                    model="bench-zero/m",
                    messages=MESSAGES,
                    timeout=30,
                    num_retries=0,
                    max_tokens=2048,
                    response_format=fmt,
                ),
                lambda: gw.complete(MESSAGES, alias="zero", response_schema=SCHEMA),
            )
            report(
                "gateway overhead, response_schema (validated)",
                [g - r for r, g in zip(raw_s, via_s, strict=True)],
            )
            long_msgs = [MESSAGES[0], {"role": "user", "content": LONG_PROMPT}]
            raw_l, via_l = paired(
                args.n // 5,
                lambda: litellm.completion(
                    model="bench-zero/m", messages=long_msgs, timeout=30, num_retries=0, max_tokens=2048
                ),
                lambda: gw.complete(long_msgs, alias="zero"),
            )
            report(
                "gateway overhead, 24k-token prompt (tokenized)",
                [g - r for r, g in zip(raw_l, via_l, strict=True)],
            )

            def raw_http() -> Any:
                return litellm.completion(
                    model="openai/scripted",
                    messages=MESSAGES,
                    api_base=server.url,
                    api_key="sk-test",
                    timeout=5,
                    num_retries=0,
                )

            raw_h, via_h = paired(args.http_n, raw_http, lambda: gw.complete(MESSAGES, alias="http"))
            report("litellm.completion, HTTP to scripted server", raw_h)
            report("Gateway.complete, HTTP to scripted server", via_h)
            report(
                "gateway overhead on HTTP (paired difference)",
                [g - r for r, g in zip(raw_h, via_h, strict=True)],
            )
            streams = [timed(lambda: "".join(gw.stream(MESSAGES, alias="http"))) for _ in range(args.http_n)]
            report("Gateway.stream (all deltas + result), HTTP", streams)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
