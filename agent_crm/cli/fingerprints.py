"""Fingerprint commands: verify the chain against the record store, write period anchors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent_crm.cli.render import console
from agent_crm.cli.state import CLIState
from agent_crm.cli.timestamps import parse_when

app = typer.Typer(help="Record fingerprints: a hash chain over every stored record.", no_args_is_help=True)


@app.command()
def verify(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recompute every record's fingerprint and check the chain; exit 1 locating each problem."""
    from rich.table import Table

    state: CLIState = ctx.obj
    report = state.crm(tenant).sovereignty.verify_fingerprints()
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    elif report.ok:
        extra = f", {report.recovered} interrupted writes settled" if report.recovered else ""
        console().print(f"[green]ok[/] {report.rows} chain rows and {report.records} records verified for "
                        f"{tenant}{extra}")
    else:
        table = Table("problem", "seq", "record", "detail", title=f"fingerprints of {tenant}: FAILED")
        for i in report.issues:
            table.add_row(i.kind, "" if i.seq is None else str(i.seq), i.record_id or "", i.detail)
        console().print(table)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def anchor(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    out: Annotated[Path, typer.Option(help="Anchor file to write (canonical JSON, ready to sign).")],
    since: Annotated[str | None, typer.Option(help="Period start, ISO date or date-time (inclusive).")] = None,
    until: Annotated[str | None, typer.Option(help="Period end, ISO date or date-time (exclusive).")] = None,
) -> None:
    """Write the Merkle root of a period's fingerprint rows and audit records."""
    from agent_crm.sovereignty.anchors import write_anchor

    state: CLIState = ctx.obj
    a = state.crm(tenant).sovereignty.anchor(parse_when(since, "--since"), parse_when(until, "--until"))
    write_anchor(a, out)
    console().print(f"anchor of {tenant}: {a['fingerprints']['count']} fingerprint rows, {a['audit']['count']} "
                    f"audit records, root {a['root']} -> {out}")
