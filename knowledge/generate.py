"""Generate the bilingual sample tenants and the labelled retrieval queries.

Deterministic: seeded with ``random.Random(20261125)``, anchored at AS_OF = 2026-11-20T00:00:00+08:00, no
clock reads. Running it twice gives byte-identical files. Standard library only.

Usage (from the repository root)::

    python3 knowledge/generate.py

Writes ``knowledge/tenants/<tenant>/`` (interactions.jsonl, customers.jsonl, docs/*.md and, for ruralbank,
legacy_export_gb18030.csv), ``knowledge/pii_manifest.jsonl`` and ``evals/datasets/retrieval.jsonl``.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

from samplegen import eduspring_story, medtech_story, ruralbank_story, shopglobal_story
from samplegen.common import AS_OF, UTC, TenantData, cn_id_check, luhn_ok, serialise

SEED = 20261125
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TENANTS_DIR = HERE / "tenants"
EVAL_FILE = ROOT / "evals" / "datasets" / "retrieval.jsonl"
MANIFEST_FILE = HERE / "pii_manifest.jsonl"
LEGACY_NAME = "legacy_export_gb18030.csv"


def build_all() -> list[TenantData]:
    """Build every tenant from one master seed (each tenant gets its own derived stream)."""
    master = random.Random(SEED)
    builders = [medtech_story.build, ruralbank_story.build, eduspring_story.build, shopglobal_story.build]
    seeds = [master.getrandbits(64) for _ in builders]
    return [b(random.Random(s)) for b, s in zip(builders, seeds, strict=True)]


def assign_ids(records: list[dict[str, Any]], prefix: str, width: int = 6) -> None:
    """Sort records by time and number them ``<prefix>-000001`` onwards."""
    records.sort(key=lambda r: (r["timestamp"].astimezone(UTC), r["_seq"]))
    for i, rec in enumerate(records, start=1):
        rec["id"] = f"{prefix}-{i:0{width}d}"


def dumps(obj: Any) -> str:
    """Serialise one JSON line."""
    return json.dumps(obj, ensure_ascii=False) + "\n"


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write a file only when its bytes change (keeps mtimes stable on re-runs)."""
    data = text.encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == data:
        return
    path.write_bytes(data)


def legacy_csv(rows: list[dict[str, Any]]) -> str:
    """Return the legacy core-banking export as CSV text (tags ';'-joined, fields as a JSON string)."""
    buf = io.StringIO()
    cols = [
        "id",
        "customer_id",
        "customer_name",
        "channel",
        "timestamp",
        "direction",
        "author",
        "contact_name",
        "subject",
        "text",
        "amount",
        "currency",
        "product",
        "department",
        "region",
        "tags",
        "fields",
    ]
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(cols)
    for rec in rows:
        out = serialise(rec)
        row = []
        for c in cols:
            v = out.get(c, "")
            if c == "tags":
                v = ";".join(v) if v else ""
            elif c == "fields":
                v = json.dumps(v, ensure_ascii=False) if v else ""
            elif c == "amount" and v != "":
                v = f"{v:.2f}"
            row.append(v)
        w.writerow(row)
    return buf.getvalue()


def check(t: TenantData) -> list[str]:
    """Return problems found in a tenant's data (empty when all is well)."""
    problems: list[str] = []
    n = len(t.records)
    if not 300 <= n <= 500:
        problems.append(f"{t.tenant}: {n} records (want 300-500)")
    ids = [r["id"] for r in t.records + t.legacy]
    if len(ids) != len(set(ids)):
        problems.append(f"{t.tenant}: duplicate record ids")
    known = {c.customer_id for c in t.customers}
    for r in t.records + t.legacy:
        if r["customer_id"] not in known:
            problems.append(f"{t.tenant}: unknown customer {r['customer_id']}")
        if r["timestamp"] >= AS_OF or r["timestamp"].tzinfo is None:
            problems.append(f"{t.tenant}: bad timestamp on {r['id']}")
        if not r["text"].strip():
            problems.append(f"{t.tenant}: empty text on {r['id']}")
        for kind, value in r["_pii"]:
            plain = re.sub(r"[\s-]", "", value)
            if kind == "CN_ID" and cn_id_check(plain[:17]) != plain[17]:
                problems.append(f"{t.tenant}: invalid CN id {value}")
            if kind == "BANK_CARD" and not (16 <= len(plain) <= 19 and luhn_ok(plain)):
                problems.append(f"{t.tenant}: invalid card {value}")
            if value not in r["text"]:
                problems.append(f"{t.tenant}: PII value not in text of {r['id']}")
    share = sum(1 for r in t.records if r["_pii"]) / max(n, 1)
    if not 0.08 <= share <= 0.13:
        problems.append(f"{t.tenant}: PII share {share:.3f}")
    for name, body in t.docs.items():
        if not 300 <= len(body) <= 1200:
            problems.append(f"{t.tenant}: doc {name} has {len(body)} characters")
    for q in t.queries:
        rel = [r["id"] for r in q.relevant]
        if not 1 <= len(rel) <= 5 or len(rel) != len(set(rel)):
            problems.append(f"{t.tenant}: query {q.query!r} has relevant {rel}")
    return problems


def ambiguous_contacts(t: TenantData) -> dict[str, list[str]]:
    """Return contact names that belong to more than one customer."""
    seen: dict[str, list[str]] = {}
    for c in t.customers:
        for p in c.contacts:
            seen.setdefault(p.name, []).append(c.customer_id)
    return {k: v for k, v in seen.items() if len(v) > 1}


def main() -> int:
    """Generate everything and report counts."""
    tenants = build_all()
    problems: list[str] = []
    manifest: list[str] = []
    eval_lines: list[str] = []
    for t in tenants:
        assign_ids(t.records, t.prefix)
        if t.legacy:
            assign_ids(t.legacy, f"{t.prefix}-legacy", 4)
        problems += check(t)
        out = TENANTS_DIR / t.tenant
        write_text(out / "interactions.jsonl", "".join(dumps(serialise(r)) for r in t.records))
        write_text(out / "customers.jsonl", "".join(dumps(c.directory_row()) for c in t.customers))
        docs_dir = out / "docs"
        for stale in sorted(docs_dir.glob("*.md")) if docs_dir.exists() else []:
            if stale.name not in t.docs:
                stale.unlink()
        for name, body in t.docs.items():
            write_text(docs_dir / name, body)
        if t.legacy:
            write_text(out / LEGACY_NAME, legacy_csv(t.legacy), encoding="gb18030")
        for r in t.records + t.legacy:
            for kind, value in r["_pii"]:
                manifest.append(
                    dumps({"tenant": t.tenant, "record_id": r["id"], "kind": kind, "value": value})
                )
        for q in t.queries:
            row: dict[str, Any] = {
                "id": f"r{len(eval_lines) + 1:03d}",
                "tenant": t.tenant,
                "language": q.language,
                "query": q.query,
                "relevant": [r["id"] for r in q.relevant],
            }
            if q.filters:
                row["filters"] = q.filters
            row["kind"] = q.kind
            eval_lines.append(dumps(row))
        amb = ambiguous_contacts(t)
        print(
            f"{t.tenant}: {len(t.records)} records, {len(t.customers)} customers, {len(t.docs)} docs, "
            f"{len(t.legacy)} legacy, {sum(1 for r in t.records if r['_pii'])} with PII, "
            f"{len(t.queries)} queries, shared contact names: {amb}"
        )
    langs = [json.loads(line)["language"] for line in eval_lines]
    if langs.count("zh") < 24 or langs.count("en") < 24:
        problems.append(f"retrieval set has {langs.count('zh')} zh and {langs.count('en')} en queries")
    write_text(MANIFEST_FILE, "".join(manifest))
    write_text(EVAL_FILE, "".join(eval_lines))
    print(f"retrieval queries: {len(eval_lines)} ({langs.count('zh')} zh, {langs.count('en')} en)")
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
