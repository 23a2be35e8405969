"""Benchmark (a): raw embedding throughput of the model vs end-to-end ingest throughput on the same chunks.

    python -m evals.perf.bench_ingest [--engine e5|minilm] [--tenants medtech-east,shopglobal] [--limit N]

Raw = the embedder alone on the exact chunk texts the pipeline produces (same batch size). End-to-end = CRM.ingest
of the same files into a fresh home (load, validate, redact, chunk, embed, Chroma + BM25 writes, record store).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    """Print chunks/s for raw embedding and for ingest, and their ratio (goal ≥ 0.9)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="e5")
    ap.add_argument("--tenants", default="medtech-east,shopglobal")
    ap.add_argument("--limit", type=int, default=200, help="records per tenant")
    args = ap.parse_args()

    from agent_crm import CRM
    from agent_crm.config import build_settings
    from agent_crm.kb.chunking import Chunker
    from agent_crm.kb.embeddings import get_embedder
    from agent_crm.kb.ingest import BATCH_CHUNKS
    from agent_crm.kb.loaders import load_records
    from agent_crm.policy.redaction import default_pipeline

    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for t in args.tenants.split(","):
            lines = (ROOT / "knowledge" / "tenants" / t / "interactions.jsonl").read_text(encoding="utf-8").splitlines()
            f = Path(tmp) / f"{t}.jsonl"
            f.write_text("\n".join(lines[: args.limit]) + "\n", encoding="utf-8")
            files.append(f)
        settings = build_settings(home=Path(tmp) / "home", embedding_engine=args.engine)
        chunker = Chunker(max_tokens=settings.chunk_max_tokens, overlap_sentences=settings.chunk_overlap_sentences)
        policy = default_pipeline()
        texts: list[str] = []
        for f in files:
            rows = [json.loads(x) for x in f.read_text(encoding="utf-8").splitlines()]
            for rec in load_records(rows, "bench", f.name).records:
                texts.extend(c.text for c in chunker(policy(rec)))
        embedder = get_embedder(args.engine)
        embedder.embed_documents(texts[:8])  # load + warm
        start = time.perf_counter()
        for i in range(0, len(texts), BATCH_CHUNKS):
            embedder.embed_documents(texts[i : i + BATCH_CHUNKS])
        raw = len(texts) / (time.perf_counter() - start)

        crm = CRM("bench", settings=settings)
        crm._deps()  # open stores before timing (start-up is not ingest)
        start = time.perf_counter()
        report = crm.ingest(files)
        e2e = report.chunks_added / (time.perf_counter() - start)
    print(f"engine={args.engine} chunks={len(texts)} records={report.records_ok}")
    print(f"raw embedding      {raw:8.1f} chunks/s")
    print(f"end-to-end ingest  {e2e:8.1f} chunks/s   ({report.records_ok / report.seconds:.1f} records/s)")
    print(f"ratio ingest/raw   {e2e / raw:8.3f}   (goal >= 0.9)")


if __name__ == "__main__":
    main()
