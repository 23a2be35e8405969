"""Report commands: sovereignty (data locations, retention, transfers, chains), AI-decision audit, cross-border."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent_crm.cli.render import console
from agent_crm.cli.state import CLIState
from agent_crm.cli.timestamps import parse_when

app = typer.Typer(help="Reports for auditors and data-protection officers (.html: one self-contained file; .md).",
                  no_args_is_help=True)


@app.command()
def sovereignty(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    out: Annotated[Path, typer.Option(help="FILE.html or FILE.md")],
    now: Annotated[str | None, typer.Option(help="Evaluate retention at this ISO date-time.")] = None,
) -> None:
    """Write the sovereignty report: data locations, retention, cross-border transfers, consent, chains."""
    from agent_crm.sovereignty.report_doc import write_document

    state: CLIState = ctx.obj
    doc = state.crm(tenant).sovereignty.sovereignty_report(now=parse_when(now, "--now"))
    console().print(f"wrote {write_document(doc, out)}")


@app.command()
def audit(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    since: Annotated[str | None, typer.Option(help="Period start, ISO date or date-time.")] = None,
    until: Annotated[str | None, typer.Option(help="Period end (exclusive).")] = None,
    out: Annotated[Path | None, typer.Option(help="FILE.html or FILE.md (default: Markdown on stdout).")] = None,
) -> None:
    """Write the AI-decision audit report: models, input sources, attributions, human corrections."""
    from agent_crm.sovereignty.report_doc import render_markdown, write_document

    state: CLIState = ctx.obj
    doc = state.crm(tenant).sovereignty.audit_report(since=parse_when(since, "--since"),
                                                     until=parse_when(until, "--until"))
    if out is None:
        typer.echo(render_markdown(doc))
    else:
        console().print(f"wrote {write_document(doc, out)}")


@app.command()
def crossborder(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    since: Annotated[str | None, typer.Option(help="Period start, ISO date or date-time.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Every transfer as JSON.")] = False,
) -> None:
    """Show every model call's destination region against the customer's region."""
    state: CLIState = ctx.obj
    log = state.crm(tenant).sovereignty.crossborder(since=parse_when(since, "--since"))
    if as_json:
        typer.echo(json.dumps(log.to_dict(), ensure_ascii=False))
    else:
        typer.echo(log.to_markdown())
