"""``agent-crm demo``: ingest the sample tenants, search in both languages, run the two decision stories."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from agent_crm.cli.render import console, decision_panel, hits_table, ingest_table
from agent_crm.cli.state import CLIState

SAMPLE_TENANTS = ("medtech-east", "ruralbank", "eduspring", "shopglobal")
SEARCHES = (
    ("medtech-east", "张主任为什么拒绝骨科耗材报价"),
    ("ruralbank", "林记超市近半年POS流水"),
    ("eduspring", "家长担心暑期班续费价格"),
    ("shopglobal", "customer wants to return a damaged item"),
    ("shopglobal", "late delivery complaint from EU buyer"),
)
STORIES = (
    ("medtech-east", "张主任上周拒签了骨科耗材报价单，下一步怎么跟进？"),
    ("ruralbank", "林记超市申请50万经营贷，给个授信建议"),
)


def demo(
    ctx: typer.Context,
    knowledge: Annotated[Path, typer.Option(help="Folder holding the sample tenants.")] = Path("knowledge/tenants"),
) -> None:
    """Run the end-to-end demo on the embedded defaults (offline)."""
    state: CLIState = ctx.obj
    out = console()
    out.rule("1 · ingest the sample tenants")
    for tenant in SAMPLE_TENANTS:
        report = state.crm(tenant, actor="demo").ingest(knowledge / tenant)
        out.print(ingest_table(report.to_dict()))
    out.rule("2 · hybrid search, Chinese and English")
    for tenant, query in SEARCHES:
        start = time.perf_counter()
        hits = state.crm(tenant).search(query, k=3)
        out.print(hits_table(f"[{tenant}] {query}  ({(time.perf_counter() - start) * 1000:.1f} ms)", hits))
    out.rule("3 · decisions with weighted factors, evidence and an audit id")
    for tenant, question in STORIES:
        crm = state.crm(tenant, actor="demo")
        start = time.perf_counter()
        decision = crm.ask(question)
        out.print(f"[bold]{tenant}[/] · {question}  ({(time.perf_counter() - start) * 1000:.0f} ms)")
        out.print(decision_panel(decision))
        result = crm.verify_audit()
        out.print(f"audit chain of {tenant}: {'ok' if result.ok else 'FAILED'} ({result.checked} records)")
