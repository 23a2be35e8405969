"""Benchmark (e): CLI start-up — `agent-crm --help` and `agent-crm search` end to end on a warm disk.

    python -m evals.perf.bench_cli [--runs 7]

Goals: --help under 1 s, search under 2 s (heavy engines imported lazily, only where needed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evals.perf.stats import pct

ROOT = Path(__file__).resolve().parents[2]


def _time(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    """Print median and p95 wall seconds of the two commands."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("agent-crm"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AGENT_CRM_HOME": tmp}
        rows = [json.loads(x) for x in (ROOT / "knowledge/tenants/shopglobal/interactions.jsonl")
                .read_text(encoding="utf-8").splitlines()[:60]]
        data = Path(tmp) / "few.jsonl"
        data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
        subprocess.run([exe, "ingest", str(data), "--tenant", "shop", "--json"], env=env, check=True,
                       capture_output=True)
        help_s = _time([exe, "--help"], env, args.runs)
        search_s = _time([exe, "search", "damaged item return", "--tenant", "shop", "-k", "3", "--json"], env,
                         args.runs)
    print(f"agent-crm --help   p50={pct(help_s, 50):.3f} s  p95={pct(help_s, 95):.3f} s  (goal < 1 s)")
    print(f"agent-crm search   p50={pct(search_s, 50):.3f} s  p95={pct(search_s, 95):.3f} s  (goal < 2 s)")


if __name__ == "__main__":
    main()
