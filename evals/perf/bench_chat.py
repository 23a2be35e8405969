"""Benchmark the chat API: single-request service time, then many concurrent multi-turn sessions.

Run: ``python -m evals.perf.bench_chat [--sessions 50 --turns 20] [--threads 8] [--home DIR] [--profile]``
(``--workers 2 --chroma-server`` runs two server processes over a Chroma server instead of one process).

1. Starts ``agent-crm serve`` in a subprocess (local backend, a fresh or given data home) and ingests a sample
   tenant through ``POST /v1/tenants/{t}/ingest`` (``knowledge/tenants/medtech-east`` when present, else the
   tests' mini tenant).
2. Sequential phase: sessions of the same turn pattern, one request at a time → the single-request service
   time ``S`` (mean: the figure that bounds throughput), and the server CPU per request.
3. Concurrent phase: ``--sessions`` sessions × ``--turns`` turns, each session one ``X-Thread-Id``, all
   sessions at once (asyncio + httpx, one connection per session) → errors, p50/p95 latency, requests/s.
4. Prints ``ratio = sustained req/s ÷ (cores ÷ S)`` (1.0: every core busy serving requests) and the server's
   CPU use (from /proc) during the concurrent phase, which says whether it was held to one core (the GIL).
   On a machine shared with other work ``S`` is inflated by waiting for a core, which flatters the ratio;
   the CPU-based ratio (server CPU seconds ÷ wall seconds ÷ cores) does not depend on that.
5. With ``--profile`` (or when the ratio is below 0.8) the server is stopped and ``CRM.ask`` is profiled in
   process on the same data: where the time of one request goes, by component.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from agent_crm.access import KeyStore

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "knowledge" / "tenants" / "medtech-east"
FOLLOW_UPS = ["下一步怎么跟进？", "那他们的流失风险呢？", "为什么这么判断？", "给我一个跟进话术。",
              "这个客户的商机评分如何？"]


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sample_files(tmp: Path) -> tuple[str, list[Path], list[str]]:
    """The tenant to ingest, its files and its customer names."""
    if SAMPLE.is_dir():
        files = [SAMPLE / "customers.jsonl", SAMPLE / "interactions.jsonl", *sorted((SAMPLE / "docs").glob("*.md"))]
        lines = (SAMPLE / "customers.jsonl").read_text("utf-8").splitlines()
        return "medtech-east", files, [json.loads(x)["name"] for x in lines if x.strip()]
    from tests.support.mini_tenant import CUSTOMERS, records

    for name, rows in (("customers.jsonl", CUSTOMERS), ("interactions.jsonl", records())):
        (tmp / name).write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return "mini", [tmp / "customers.jsonl", tmp / "interactions.jsonl"], [c["name"] for c in CUSTOMERS]


def question(names: list[str], session_no: int, turn: int) -> str:
    """The question of one turn: a customer first, then follow-ups on the same thread."""
    if turn == 0:
        return f"{names[session_no % len(names)]}的报价被拒了，下一步怎么跟进？"
    return FOLLOW_UPS[(turn - 1) % len(FOLLOW_UPS)]


def wait_http(url: str, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    """Wait until ``url`` answers 200 (or the process dies)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start within 120 s")


class Server:
    """``python -m agent_crm serve`` in a subprocess (and a Chroma server when asked)."""

    def __init__(self, home: Path, threads: int, workers: int, chroma_port: int | None) -> None:
        """Start the server and wait for /healthz."""
        self.port = free_port()
        self.log = home / f"bench-server-{self.port}.log"
        env = {**os.environ, "AGENT_CRM_HOME": str(home), "AGENT_CRM_LOG_LEVEL": "WARNING"}
        if chroma_port is not None:
            env.update(AGENT_CRM_CHROMA_MODE="server", AGENT_CRM_CHROMA_PORT=str(chroma_port))
        cmd = [sys.executable, "-m", "agent_crm", "serve", "--port", str(self.port), "--threads", str(threads),
               "--workers", str(workers)]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        wait_http(f"{self.url}/healthz", self.proc, "server", self.log)

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the server process and its children (Linux /proc), else NaN."""
        total = 0.0
        try:
            kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            for pid in [self.proc.pid, *map(int, kids)]:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return float("nan")
        return total

    def stop(self) -> None:
        """Stop the server (SIGINT, then kill)."""
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_chroma(home: Path) -> tuple[subprocess.Popen[bytes], int]:
    """``chroma run`` on a free port with its data under the home."""
    port = free_port()
    log = home / "bench-chroma.log"
    exe = Path(sys.executable).with_name("chroma")
    with log.open("wb") as out:
        proc = subprocess.Popen([str(exe), "run", "--path", str(home / "chroma-server"), "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, "chroma", log)
    return proc, port


def ingest(server: Server, key: str, tenant: str, files: list[Path]) -> dict[str, Any]:
    """Upload the sample files through the ingest route."""
    parts = [("files", (f.name, f.read_bytes(), "application/octet-stream")) for f in files]
    r = httpx.post(f"{server.url}/v1/tenants/{tenant}/ingest", files=parts,
                   headers={"Authorization": f"Bearer {key}"}, timeout=1800)
    if r.status_code != 200:
        raise SystemExit(f"ingest failed: {r.status_code} {r.text[:500]} (server log: {server.log})")
    return dict(r.json())


def chat_body(text: str) -> dict[str, Any]:
    """A chat request body for one question."""
    return {"model": "agent-crm", "messages": [{"role": "user", "content": text}]}


def ask_once(client: httpx.Client, text: str, thread: str) -> float:
    """One chat request; return its latency in seconds (raises on a non-200)."""
    t0 = time.perf_counter()
    client.post("/v1/chat/completions", headers={"X-Thread-Id": thread}, json=chat_body(text)).raise_for_status()
    return time.perf_counter() - t0


async def session(client: httpx.AsyncClient, i: int, turns: int, names: list[str], out: dict[str, list[Any]]) -> None:
    """One multi-turn conversation on its own thread."""
    thread = f"bench-{os.getpid()}-{i}"
    for t in range(turns):
        t0 = time.perf_counter()
        try:
            r = await client.post("/v1/chat/completions", headers={"X-Thread-Id": thread},
                                  json=chat_body(question(names, i, t)))
            ok = r.status_code == 200 and "agent_crm" in r.json()
            detail = "" if ok else f"{r.status_code} {r.text[:200]}"
        except httpx.HTTPError as exc:
            ok, detail = False, f"{exc.__class__.__name__}: {exc}"
        out["latency"].append(time.perf_counter() - t0)
        if not ok:
            out["errors"].append(detail)


async def concurrent(url: str, key: str, sessions: int, turns: int, names: list[str]) -> dict[str, list[Any]]:
    """Run all sessions at once; collect latencies and errors."""
    out: dict[str, list[Any]] = {"latency": [], "errors": []}
    limits = httpx.Limits(max_connections=sessions + 4, max_keepalive_connections=sessions + 4)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=600,
                                 limits=limits) as client:
        await asyncio.gather(*(session(client, i, turns, names, out) for i in range(sessions)))
    return out


def profile_ask(home: Path, tenant: str, names: list[str], n: int) -> None:
    """Profile ``CRM.ask`` in process (server stopped) and print where one request's time goes."""
    from agent_crm.config import build_settings
    from agent_crm.service import CRM

    crm = CRM(tenant, settings=build_settings(home=home))
    for i in range(3):
        crm.ask(question(names, i, 0))
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for i in range(n):
        for t in range(3):
            crm.ask(question(names, i, t), thread_id=f"prof-{os.getpid()}-{i}")
    prof.disable()
    per = (time.perf_counter() - t0) / (3 * n) * 1000
    stats = pstats.Stats(prof)
    by_component: dict[str, float] = defaultdict(float)
    for (file, _line, _fn), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_component[_component(file)] += tt
    total = sum(by_component.values()) or 1.0
    print(f"\nprofile: CRM.ask in process, {3 * n} requests, {per:.1f} ms per request (profiler on)")
    print("self time by component:")
    for comp, secs in sorted(by_component.items(), key=lambda kv: -kv[1])[:14]:
        print(f"  {comp:<44} {100 * secs / total:5.1f} %   {secs / (3 * n) * 1000:7.2f} ms/request")
    print("top agent_crm functions by cumulative time:")
    stats.sort_stats("cumulative").print_stats(r"agent_crm", 18)


def _component(file: str) -> str:
    path = file.replace("\\", "/")
    if "/agent_crm/" in path:
        parts = path.split("/agent_crm/", 1)[1].split("/")
        return "agent_crm." + parts[0].removesuffix(".py")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/")[0]
    if path.startswith(("~", "<")):
        return "builtins (C: sqlite, json, re, ...)"
    return "stdlib"


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--sequential", type=int, default=40, help="requests of the sequential phase")
    parser.add_argument("--threads", type=int, default=8, help="server threads for CRM calls")
    parser.add_argument("--workers", type=int, default=1, help="server processes (>1 needs --chroma-server)")
    parser.add_argument("--chroma-server", action="store_true", help="run a Chroma server (server mode)")
    parser.add_argument("--home", type=Path, default=None, help="data home to use (kept; reused across runs)")
    parser.add_argument("--profile", action="store_true", help="profile CRM.ask after the run")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench_chat-"))
    home = args.home or tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    tenant, files, names = sample_files(tmp)
    store = KeyStore.for_home(home)
    admin = store.create(tenant, "admin", "bench-admin", rate_limit=1_000_000)[1]
    agent = store.create(tenant, "agent", "bench-agent", rate_limit=1_000_000)[1]
    store.close()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    chroma = start_chroma(home) if args.chroma_server else None
    server = Server(home, args.threads, args.workers, chroma[1] if chroma else None)
    try:
        t0 = time.perf_counter()
        rep = ingest(server, admin, tenant, files)
        print(f"tenant {tenant}: ingested {rep['records_ok']} records, {rep['documents']} documents, "
              f"{rep['files_skipped']} files already present ({time.perf_counter() - t0:.1f} s); home {home}")
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {agent}"}, timeout=600) as c:
            warm = [ask_once(c, question(names, i, i % 3), f"warm-{os.getpid()}-{i}") for i in range(6)]
            cpu0 = server.cpu_seconds()
            seq = [ask_once(c, question(names, k // args.turns, k % args.turns),
                            f"seq-{os.getpid()}-{k // args.turns}") for k in range(args.sequential)]
            seq_cpu = (server.cpu_seconds() - cpu0) / len(seq)
        service = statistics.mean(seq)
        print(f"warm-up: first request {warm[0] * 1000:.0f} ms")
        print(f"sequential: {len(seq)} requests, service time S = mean {service * 1000:.1f} ms "
              f"(p50 {statistics.median(seq) * 1000:.1f}, p95 {pct(seq, 0.95) * 1000:.1f}); server CPU "
              f"{seq_cpu * 1000:.1f} ms per request = {100 * seq_cpu / service:.0f} % of S (the rest: waiting "
              "on fsync/sqlite/HTTP)")
        cpu0, wall0, self0 = server.cpu_seconds(), time.perf_counter(), time.process_time()
        res = asyncio.run(concurrent(server.url, agent, args.sessions, args.turns, names))
        wall = time.perf_counter() - wall0
        cpu = server.cpu_seconds() - cpu0
        client_cpu = time.process_time() - self0
    finally:
        server.stop()
        if chroma is not None:
            chroma[0].terminate()
            chroma[0].wait(timeout=20)
    lat = res["latency"]
    rps = len(lat) / wall
    ideal = cores / service
    ratio = rps / ideal
    print(f"concurrent: {args.sessions} sessions x {args.turns} turns = {len(lat)} requests in {wall:.1f} s, "
          f"{args.workers} worker(s) x {args.threads} threads")
    print(f"  errors {len(res['errors'])}")
    for e in res["errors"][:5]:
        print(f"    {e}")
    print(f"  latency p50 {statistics.median(lat) * 1000:.0f} ms, p95 {pct(lat, 0.95) * 1000:.0f} ms, "
          f"max {max(lat) * 1000:.0f} ms")
    print(f"  throughput {rps:.1f} req/s; ideal cores/S = {cores}/{service * 1000:.1f} ms = {ideal:.1f} req/s")
    print(f"  ratio sustained / (cores / S) = {ratio:.2f}  (goal >= 0.8)")
    print(f"  CPU-based ratio sustained / (cores / server CPU per request) = {cpu / wall / cores:.2f} "
          "(insensitive to other load on the machine; one process is held near 1 core by the GIL)")
    print(f"  server CPU {cpu / wall:.2f} of {cores} cores busy ({cpu / len(lat) * 1000:.1f} ms CPU per request); "
          f"bench client {client_cpu / wall:.2f} cores; load average {os.getloadavg()[0]:.1f}")
    if (args.profile or ratio < 0.8) and chroma is None:
        profile_ask(home, tenant, names, 10)
    if args.home is None:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
