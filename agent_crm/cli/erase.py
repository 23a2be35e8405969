"""The erase command: remove a customer from every store and prove nothing of them remains."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from agent_crm.cli.render import console
from agent_crm.cli.state import CLIState


def erase(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    customer: Annotated[str, typer.Option("--customer", "-c", help="Customer id to erase.")],
    actor: Annotated[str, typer.Option(help="Who requested the erasure (recorded in the audit tombstone).")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Print the erasure report as JSON.")] = False,
) -> None:
    """Erase a customer (records, directory, index, checkpoints, audit personal data); exit 1 if unverified."""
    state: CLIState = ctx.obj
    report = state.crm(tenant, actor=actor).sovereignty.erase(customer, actor=actor)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        console().print(report.to_markdown(), markup=False)
    if not report.ok:
        raise typer.Exit(1)
