"""Portability commands: export a tenant (or one customer), import an export into a tenant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent_crm.cli.render import console
from agent_crm.cli.state import CLIState


def export(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    out: Annotated[Path, typer.Option("--out", help="New or empty directory to write into.")],
    customer: Annotated[str | None, typer.Option(help="Only this customer's data.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
) -> None:
    """Export interactions, customer facts, decisions and audit records with a sha256 manifest."""
    from agent_crm.errors import InputError

    if fmt not in ("jsonl", "csv"):
        raise InputError(f"--format must be jsonl or csv, not {fmt!r}")
    state: CLIState = ctx.obj
    manifest = state.crm(tenant).sovereignty.export(out, customer=customer, fmt=fmt)  # type: ignore[arg-type]
    counts = ", ".join(f"{k} {v}" for k, v in manifest["counts"].items())
    console().print(f"exported {tenant}{f' (customer {customer})' if customer else ''} to {out}: {counts}")


def import_(
    ctx: typer.Context,
    src: Annotated[Path, typer.Argument(help="An export directory (with manifest.json).")],
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Tenant to import into.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify an export against its manifest and re-ingest it into a tenant."""
    state: CLIState = ctx.obj
    report = state.crm(tenant, actor="import").sovereignty.import_export(src)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    console().print(f"imported {report.records} records and {report.customers} customers of "
                    f"{report.source_tenant} into {tenant} (quarantined {report.quarantined}); audit trail archived, "
                    f"ledger record {report.audit_id}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.command()(export)
    app.command("import")(import_)
