"""Run every benchmark in turn (``make bench``); each prints its own figures."""

from __future__ import annotations

import subprocess
import sys

BENCHES = (
    ["evals.perf.bench_cli"],
    ["evals.perf.bench_ingest"],
    ["evals.perf.bench_retrieval", "--quick"],
    ["evals.perf.bench_tenants", "--quick"],
    ["evals.perf.bench_quality"],
    ["evals.perf.bench_decisions", "--n", "100"],
    ["evals.perf.bench_gateway"],
    ["evals.perf.bench_redaction"],
    ["evals.perf.bench_audit"],
)


def main() -> None:
    """Run each benchmark module as a subprocess so engines and caches start cold for each."""
    failed = []
    for args in BENCHES:
        print(f"\n=== {' '.join(args)} ===", flush=True)
        if subprocess.run([sys.executable, "-m", *args]).returncode != 0:
            failed.append(args[0])
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
