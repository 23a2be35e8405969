"""Write ``evals/datasets/decisions.jsonl`` from the sample tenants, deterministically.

    python evals/datasets/make_decision_cases.py [--knowledge knowledge] [--out evals/datasets/decisions.jsonl]

Cases are derived from the raw records of ``knowledge/tenants/*`` by the rules in ``case_reasoning.py`` (facts a
person would weigh, following the tenants' policy documents) — never by running agent_crm's decision engine, which
is what the cases test. ``never`` lists the planted PII of the customer's records (``knowledge/pii_manifest.jsonl``).
Question cases (``input.question``) reuse the expectation reasoned for the same customer and decision type.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from case_reasoning import Cust, Proposal, credit, med_churn, med_lead, med_nba, routing
from case_reasoning_b2c import edu_churn, edu_lead, edu_nba, shop_churn, shop_lead, shop_nba

ROOT = Path(__file__).resolve().parents[2]
SHORT = {"next_best_action": "nba", "lead_score": "lead", "churn_risk": "churn", "ticket_routing": "route",
         "credit_recommendation": "credit"}
LATENCY_BUDGET_MS = {"decide": 10_000, "ask": 15_000}
MAX_PER_TENANT_TYPE = 10
CAP = {"credit_recommendation": 20, "lead_score": 5}
"""Cases per (tenant, decision type): at most this many, balanced over outcomes."""

RULES = {
    "ruralbank": (credit, routing),
    "medtech-east": (med_nba, med_churn, med_lead, routing),
    "eduspring": (edu_churn, edu_nba, edu_lead, routing),
    "shopglobal": (shop_churn, shop_nba, shop_lead, routing),
}
"""Rules applied to every customer of each sample tenant."""

QUESTIONS: list[dict[str, Any]] = [
    {"tenant": "medtech-east", "q": "张主任上周拒签了骨科耗材报价单，下一步怎么跟进？",
     "customer": "hz-first-hospital", "type": "next_best_action"},
    {"tenant": "medtech-east", "q": "What is the next best action for 杭州一院 after the rejected 2027 quote?",
     "customer": "hz-first-hospital", "type": "next_best_action"},
    {"tenant": "medtech-east", "q": "苏大附二院的脊柱报价被退回了，下一步怎么办？",
     "customer": "sz-univ-second-hospital", "type": "next_best_action"},
    {"tenant": "medtech-east", "q": "嘉兴一院关节假体报价落选了，接下来怎么跟进？",
     "customer": "jx-first-hospital", "type": "next_best_action"},
    {"tenant": "medtech-east", "q": "李主任那边下一步怎么跟进？", "labels": ["clarify"],
     "note": "李主任 is a contact of two hospitals: the assistant must ask which one"},
    {"tenant": "ruralbank", "q": "林记超市申请50万经营贷，给个授信建议",
     "customer": "rb-lin-supermarket", "type": "credit_recommendation"},
    {"tenant": "ruralbank", "q": "Give me a credit recommendation for 林记超市's 500k operating loan.",
     "customer": "rb-lin-supermarket", "type": "credit_recommendation"},
    {"tenant": "ruralbank", "q": "周记水产批发又来申请周转资金，授信建议是什么？",
     "customer": "rb-zhou-seafood", "type": "credit_recommendation"},
    {"tenant": "ruralbank", "q": "Should we approve the 3 million loan for 丰源生猪养殖场?",
     "customer": "rb-fengyuan-pig-farm", "type": "credit_recommendation"},
    {"tenant": "shopglobal", "q": "Emma Schulz got smashed mugs on SO-2026-004512, which queue should handle it?",
     "customer": "sg-emma-schulz", "type": "ticket_routing"},
    {"tenant": "shopglobal", "q": "What's the next best action for Emma Schulz after the broken mugs?",
     "customer": "sg-emma-schulz", "type": "next_best_action"},
    {"tenant": "shopglobal", "q": "Is Bloom Boutique a qualified wholesale lead?",
     "customer": "sg-bloom-boutique", "type": "lead_score"},
    {"tenant": "shopglobal", "q": "Nordic Threads 的流失风险高吗？", "customer": "sg-nordic-threads",
     "type": "churn_risk"},
    {"tenant": "eduspring", "q": "王子涵妈妈不续报秋季数学班了，流失风险有多大？",
     "customer": "es-wang-zihan", "type": "churn_risk"},
    {"tenant": "eduspring", "q": "What is the churn risk of 陈一诺's family after the refund request?",
     "customer": "es-chen-yinuo", "type": "churn_risk"},
    {"tenant": "eduspring", "q": "王女士家的孩子下一步怎么跟进？", "labels": ["clarify"],
     "note": "王女士 is the parent contact of two families: the assistant must ask which one"},
]
"""Question cases: the customer and type they are about; expectations come from the rules (or ``labels``)."""


def load_tenant(folder: Path) -> list[Cust]:
    """Read a sample tenant's records and directory into per-customer views (time order)."""
    recs = [json.loads(line) for line in (folder / "interactions.jsonl").read_text("utf-8").splitlines() if line]
    names = {}
    customers = folder / "customers.jsonl"
    if customers.exists():
        for line in customers.read_text("utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                names[entry["customer_id"]] = entry.get("name", entry["customer_id"])
    as_of = max(datetime.fromisoformat(r["timestamp"]) for r in recs)
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in recs:
        by[r["customer_id"]].append(r)
    return [Cust(folder.name, cid, names.get(cid, cid), sorted(rs, key=lambda r: (r["timestamp"], r["id"])), as_of)
            for cid, rs in sorted(by.items())]


def pii_by_customer(manifest: Path, customers: dict[str, list[Cust]]) -> dict[tuple[str, str], list[str]]:
    """(tenant, customer id) -> planted PII values found in that customer's records."""
    owner = {(t, r["id"]): c.id for t, cs in customers.items() for c in cs for r in c.recs}
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    if manifest.exists():
        for line in manifest.read_text("utf-8").splitlines():
            if line.strip():
                m = json.loads(line)
                cid = owner.get((m["tenant"], m["record_id"]))
                if cid and m["value"] not in out[(m["tenant"], cid)]:
                    out[(m["tenant"], cid)].append(m["value"])
    return out


def expect_of(p: Proposal | None, labels: list[str] | None, never: list[str], kind: str) -> dict[str, Any]:
    """The ``expect`` object of a case."""
    exp: dict[str, Any] = {"labels": labels or (p.labels if p else [])}
    if p is not None:
        if p.top_factors:
            exp["top_factors"] = p.top_factors
            if p.ordered:
                exp["factors_ordered"] = True
        if p.must_cite:
            exp["must_cite"] = p.must_cite
    if never:
        exp["never"] = never
    exp["latency_ms"] = LATENCY_BUDGET_MS[kind]
    return exp


def balanced(props: list[Proposal], cap: int) -> list[Proposal]:
    """Pick up to ``cap`` proposals, round-robin over their label sets (so rare outcomes are kept)."""
    groups: dict[tuple[str, ...], list[Proposal]] = {}
    for p in props:
        groups.setdefault(tuple(p.labels), []).append(p)
    picked: list[Proposal] = []
    while len(picked) < cap and any(groups.values()):
        for queue in groups.values():
            if queue and len(picked) < cap:
                picked.append(queue.pop(0))
    return picked


def build(knowledge: Path) -> list[dict[str, Any]]:
    """Derive every case (decision cases first, then question cases)."""
    tenants = {t: load_tenant(knowledge / "tenants" / t) for t in RULES}
    pii = pii_by_customer(knowledge / "pii_manifest.jsonl", tenants)
    proposals: dict[tuple[str, str, str], Proposal] = {}
    cases: list[dict[str, Any]] = []
    for tenant, rules in RULES.items():
        found: dict[str, list[Proposal]] = defaultdict(list)
        for cust in tenants[tenant]:
            for rule in rules:
                p = rule(cust)
                if p is not None:
                    proposals[(tenant, p.customer, p.type)] = p
                    found[p.type].append(p)
        for decision_type, props in found.items():
            for p in balanced(props, CAP.get(decision_type, MAX_PER_TENANT_TYPE)):
                cases.append({"id": f"{tenant.split('-')[0]}-{SHORT[p.type]}-{p.customer}", "tenant": tenant,
                              "input": {"customer": p.customer, "type": p.type},
                              "expect": expect_of(p, None, pii[(tenant, p.customer)], "decide"), "note": p.note})
    cases.sort(key=lambda c: c["id"])
    for i, case in enumerate(cases):
        case["language"] = "zh" if i % 2 == 0 else "en"
        case["id"] += f"-{case['language']}"
    for i, q in enumerate(QUESTIONS, start=1):
        p = proposals.get((q["tenant"], q.get("customer", ""), q.get("type", "")))
        if p is None and not q.get("labels"):
            print(f"question {i} has no reasoned expectation: {q['q']}", file=sys.stderr)
            continue
        never = pii[(q["tenant"], q["customer"])] if q.get("customer") else []
        exp = expect_of(p, q.get("labels"), never, "ask")
        if q.get("customer"):
            exp.update(customer=q["customer"], type=q["type"])
        cases.append({"id": f"ask-{i:02d}-{q['tenant']}", "tenant": q["tenant"], "input": {"question": q["q"]},
                      "expect": exp, "note": q.get("note") or (p.note if p else "")})
    return cases


def main() -> None:
    """Write the dataset and print its composition."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "decisions.jsonl")
    args = ap.parse_args()
    cases = build(args.knowledge)
    args.out.write_text("".join(json.dumps(c, ensure_ascii=False, sort_keys=True) + "\n" for c in cases), "utf-8")
    by_type = Counter(c["input"].get("type") or c["expect"].get("type") or "clarify" for c in cases)
    by_lang = Counter(c.get("language") or "question" for c in cases)
    by_tenant = Counter(c["tenant"] for c in cases)
    print(f"{len(cases)} cases -> {args.out}")
    print("by type:", dict(sorted(by_type.items())))
    print("by language:", dict(sorted(by_lang.items())))
    print("by tenant:", dict(sorted(by_tenant.items())))


if __name__ == "__main__":
    main()
