"""Knowledge-base commands: ingest, search, tenants, reembed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent_crm.cli.render import console, hits_table, ingest_table
from agent_crm.cli.state import CLIState


def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="JSONL/CSV files, customers*.jsonl directories, .md docs, or folders.")],
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Tenant to ingest into.")],
    encoding: Annotated[str | None, typer.Option(help="Force a file encoding (e.g. gb18030).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
) -> None:
    """Ingest interaction logs into a tenant (invalid records are quarantined, duplicates skipped)."""
    state: CLIState = ctx.obj
    crm = state.crm(tenant)
    if as_json:
        report = crm.ingest(paths, encoding=encoding)
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]ingest[/] {task.description}"), BarColumn(), TextColumn("{task.completed} records"),
                  TimeElapsedColumn(), console=console(), transient=True) as bar:
        task = bar.add_task(tenant, total=None)
        report = crm.ingest(paths, encoding=encoding, progress=lambda n: bar.advance(task, n))
    console().print(ingest_table(report.to_dict()))
    for issue in report.issues[:20]:
        console().print(f"[yellow]quarantined[/] {issue['file']}:{issue['line']} field={issue['field']}: {issue['reason']}")
    if report.quarantine_files:
        console().print(f"quarantine: {', '.join(report.quarantine_files)}")


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for (Chinese or English).")],
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    customer: Annotated[str | None, typer.Option(help="Only this customer's records.")] = None,
    channel: Annotated[list[str] | None, typer.Option(help="Only these channels (repeatable).")] = None,
    k: Annotated[int, typer.Option("-k", help="Number of hits.")] = 8,
    docs: Annotated[bool, typer.Option("--docs/--no-docs", help="Include knowledge documents (policies).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as a JSON list.")] = False,
) -> None:
    """Hybrid (dense + BM25) search with citations."""
    state: CLIState = ctx.obj
    hits = state.crm(tenant).search(query, k=k, customer=customer, channel=channel or None, knowledge=docs)
    if as_json:
        rows = [{
            "record_id": h.chunk.record_id, "chunk_id": h.chunk.id, "customer_id": h.chunk.customer_id,
            "channel": h.chunk.channel, "timestamp": h.chunk.timestamp.isoformat(), "text": h.chunk.text,
            "score": h.score, "dense_score": h.dense_score, "lexical_score": h.lexical_score,
            "source": {"file": h.chunk.source.file, "line": h.chunk.source.line},
        } for h in hits]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    console().print(hits_table(query, hits))


def tenants(ctx: typer.Context) -> None:
    """List tenants with their record counts."""
    from agent_crm.tenant_runtime import list_tenants

    state: CLIState = ctx.obj
    settings = state.settings()
    from rich.table import Table

    table = Table("tenant", "records", "customers")
    for t in list_tenants(settings):
        deps = state.crm(t)._deps()
        table.add_row(t, str(deps.records.count()), str(len(deps.records.customer_ids())))
    console().print(table)


def reembed(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    engine: Annotated[str, typer.Option(help="e5 | minilm | st:<model name or path>")],
) -> None:
    """Re-embed every chunk of a tenant with another embedding engine (recorded with its collection)."""
    state: CLIState = ctx.obj
    n = state.crm(tenant)._deps().index.reembed(engine)
    console().print(f"re-embedded {n} chunks of {tenant} with {engine}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.command()(ingest)
    app.command()(search)
    app.command()(tenants)
    app.command()(reembed)
