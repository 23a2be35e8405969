"""Benchmark the trust policy: policy throughput in records/s and its share of ingest time.

Run from the repository root: ``python -m evals.perf.bench_trust [--records N] [--ingest N] [--engine e5]``.
Prints figures only (nothing is asserted):

- records/s of the compiled policy pipeline: the default policy (mask every kind) and the example policy
  (``knowledge/policies/policy.example.yaml``: pseudonyms, hashes, encryption, drop), cold (the vault is
  written) and warm; records/s of the request filter, the injection guard and amount cross-verification;
- real ingest (load, policy, chunk, embed, Chroma + BM25, record store) of the same records without a policy,
  with the default policy and with the example policy, and the share of ingest time spent in the policy
  (timed inside the pipeline) — the goal is under 10 %.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent_crm.config import build_settings
from agent_crm.kb.chunking import Chunker
from agent_crm.kb.embeddings import get_embedder
from agent_crm.kb.index import TenantIndex
from agent_crm.kb.ingest import Ingestor
from agent_crm.kb.records import RecordStore
from agent_crm.logs import configure_logging
from agent_crm.policy.crossverify import check_amounts
from agent_crm.policy.fields import CompiledPolicy, compile_policy
from agent_crm.policy.injection import neutralise
from agent_crm.policy.policy_file import default_policy, load_policy
from agent_crm.policy.samples import CN_REGIONS, build_cn_id
from agent_crm.policy.vault import TenantKeys, Vault
from agent_crm.types import Interaction
from evals.perf.bench_redaction import make_records, rate

EXAMPLE = Path(__file__).resolve().parents[2] / "knowledge" / "policies" / "policy.example.yaml"
CONTACTS = ["张主任", "李经理", "王总监", "赵老板", "Ms. Chen", "Mr. Wu"]


def trust_records(n: int, seed: int = 11) -> list[Interaction]:
    """Build ``n`` bilingual records (30 % with planted PII) with contacts, authors and ID-number fields."""
    rng = random.Random(seed)
    out = []
    for i, r in enumerate(make_records(n, pii_share=0.3, seed=seed)):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15000))
        fields = {**r.fields, "id_number": build_cn_id(rng.choice(CN_REGIONS), birth, i % 1000),
                  "requested_amount": rng.randrange(10, 500) * 10_000}
        out.append(r.model_copy(update={"contact_name": rng.choice(CONTACTS), "author": f"rep-{i % 7:02d}",
                                        "fields": fields, "amount": float(rng.randrange(1, 900) * 1000)}))
    return out


class TimedPolicy:
    """Wrap a record policy and add up the seconds spent in it."""

    def __init__(self, fn: Callable[[Interaction], Interaction]) -> None:
        self.fn = fn
        self.seconds = 0.0

    def __call__(self, record: Interaction) -> Interaction:
        """Run the wrapped policy, timing it."""
        t0 = time.perf_counter()
        out = self.fn(record)
        self.seconds += time.perf_counter() - t0
        return out


def ingest_once(home: Path, tenant: str, engine: str, rows: list[dict[str, Any]],
                policy: Callable[[Interaction], Interaction]) -> tuple[float, float, int]:
    """Ingest ``rows`` into a fresh tenant; return (total seconds, seconds in the policy, chunks)."""
    settings = build_settings(home=home, embedding_engine=engine)
    base = home / "tenants" / tenant
    timed = TimedPolicy(policy)
    ingestor = Ingestor(
        tenant=tenant, records=RecordStore(base / "records.sqlite", tenant), index=TenantIndex(settings, tenant),
        policy=timed, chunker=Chunker(max_tokens=settings.chunk_max_tokens), quarantine_dir=base / "quarantine",
    )
    t0 = time.perf_counter()
    report = ingestor.ingest_dicts(rows)
    return time.perf_counter() - t0, timed.seconds, report.chunks_added


def compiled_example(tmp: Path, tenant: str) -> CompiledPolicy:
    """Compile the example policy over a fresh vault."""
    vault = Vault(tmp / f"{tenant}-vault.sqlite", tenant, TenantKeys.derive(b"bench-master", tenant))
    return compile_policy(load_policy(EXAMPLE), vault)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5_000, help="records for the throughput figures")
    parser.add_argument("--ingest", type=int, default=200, help="records per real ingest run")
    parser.add_argument("--engine", default="e5")
    args = parser.parse_args()
    configure_logging(level="WARNING")

    records = trust_records(args.records)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        default = compile_policy(default_policy(), None)
        example = compiled_example(tmp, "bench")
        t0 = time.perf_counter()
        for r in records:
            example.pipeline(r)
        cold = len(records) / (time.perf_counter() - t0)
        print(f"records: {len(records)} bilingual, 30% with planted PII, vault now {len(example.vault or [])} "
              "pseudonyms")
        print(f"default policy pipeline:          {rate(default.pipeline, records):10,.0f} records/s")
        print(f"example policy pipeline (cold):   {cold:10,.0f} records/s  (vault written)")
        print(f"example policy pipeline (warm):   {rate(example.pipeline, records):10,.0f} records/s")
        stored = [example.pipeline(r) for r in records[:200]]
        messages = [[{"role": "user", "content": "\n".join(r.text for r in records[i : i + 8])}]
                    for i in range(0, len(records) - 8, 8)]
        print(f"request filter (8-record prompts): {rate(example.request_filter, messages):9,.0f} requests/s")
        print(f"injection guard (record texts):   {rate(neutralise, [r.text for r in records]):10,.0f} texts/s")
        answers = [f"建议按{r.amount:,.0f}元推进，参考报价{(r.amount or 0) * 2:,.0f}元。" for r in stored]
        verify = lambda a: check_amounts({"answer": a}, stored[:40], fields=("requested_amount",))  # noqa: E731
        print(f"cross-verify (answer vs 40 recs): {rate(verify, answers):10,.0f} answers/s")

        rows = [r.model_dump(mode="json", exclude={"tenant", "content_hash", "source"}, exclude_none=True)
                for r in trust_records(args.ingest, seed=23)]
        get_embedder(args.engine).embed_documents(["warm up"])
        print(f"\ningest of {len(rows)} records, engine {args.engine} (load, policy, chunk, embed, Chroma, BM25, "
              "store):")
        base_s = None
        runs: list[tuple[str, Callable[[Interaction], Interaction]]] = [
            ("no policy", lambda r: r), ("default policy", default.pipeline),
            ("example policy", compiled_example(tmp, "ingest-example").pipeline),
        ]
        for i, (label, policy) in enumerate(runs):
            total, in_policy, chunks = ingest_once(tmp / "home", f"ingest-{i}", args.engine, rows, policy)
            base_s = total if base_s is None else base_s
            print(f"  {label:15s} {total:7.2f} s  {len(rows) / total:7.1f} records/s  {chunks} chunks  "
                  f"policy {in_policy * 1000:8.1f} ms = {in_policy / total:6.2%} of ingest  "
                  f"(vs no policy: {(total - base_s) / base_s:+.1%})")


if __name__ == "__main__":
    main()
