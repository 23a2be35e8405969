"""Audit commands: verify, show, list."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from agent_crm.cli.render import console
from agent_crm.cli.state import CLIState

app = typer.Typer(help="Inspect and verify the tamper-evident audit ledger.", no_args_is_help=True)


@app.command()
def verify(ctx: typer.Context, tenant: Annotated[str, typer.Option("--tenant", "-t")]) -> None:
    """Verify the tenant's hash chain; exit 1 naming the first modified, deleted or reordered record."""
    state: CLIState = ctx.obj
    result = state.crm(tenant).verify_audit()
    if result.ok:
        console().print(f"[green]ok[/] {result.checked} records verified for {tenant}")
        return
    console().print(f"[red]FAILED[/] at seq {result.first_bad_seq} (record {result.first_bad_id}): {result.reason}")
    raise typer.Exit(1)


@app.command()
def show(
    ctx: typer.Context,
    audit_id: Annotated[str, typer.Argument()],
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
) -> None:
    """Print one audit record (JSON) with its linked corrections and approvals."""
    state: CLIState = ctx.obj
    crm = state.crm(tenant)
    rec = crm.audit_record(audit_id)
    children = crm._deps().ledger.children(audit_id)
    out = rec.model_dump(mode="json") | {"linked": [c.model_dump(mode="json") for c in children]}
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


@app.command("list")
def list_(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    kind: Annotated[str | None, typer.Option(help="decision | correction | approval | ...")] = None,
    limit: Annotated[int, typer.Option()] = 20,
) -> None:
    """List recent audit records."""
    from rich.table import Table

    state: CLIState = ctx.obj
    table = Table("seq", "id", "kind", "created", "actor", "summary")
    for r in state.crm(tenant)._deps().ledger.list(kind=kind, limit=limit):
        d = r.payload.get("data", r.payload) if isinstance(r.payload, dict) else {}
        dec = d.get("decision") or {}
        table.add_row(str(r.seq), r.id, r.kind, r.created_at[:19], r.actor,
                      f"{dec.get('type', '')} {dec.get('label', '')}".strip())
    console().print(table)
