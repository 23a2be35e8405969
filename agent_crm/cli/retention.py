"""Retention commands: apply the tenant's retention policy, show what is due and when."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent_crm.cli.render import console
from agent_crm.cli.state import CLIState
from agent_crm.cli.timestamps import parse_when

app = typer.Typer(help="Retention policies: anonymise, encrypt or delete records when they are due.",
                  no_args_is_help=True)

PolicyOpt = Annotated[Path | None, typer.Option("--policy", help="Policy file (default <tenant_dir>/retention.yaml).")]
NowOpt = Annotated[str | None, typer.Option("--now", help="Evaluate at this ISO date-time instead of now.")]


@app.command()
def run(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what is due; change nothing.")] = False,
    now: NowOpt = None,
    policy: PolicyOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Apply the policy to every store (records, index, directory, audit personal data)."""
    from rich.table import Table

    state: CLIState = ctx.obj
    result = state.crm(tenant, actor="retention").sovereignty.run_retention(
        now=parse_when(now, "--now"), dry_run=dry_run, policy=policy, actor="retention")
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    verb = "would apply" if dry_run else "applied"
    table = Table("action", "rule", "records", title=f"retention of {tenant} at {result.now} ({verb})")
    for action, rules in sorted(result.counts.items()):
        for rule, n in sorted(rules.items()):
            table.add_row(action, rule, str(n))
    console().print(table)
    console().print(f"planned {result.planned}, applied {result.applied}, skipped (changed meanwhile) "
                    f"{result.skipped_changed}, customers removed {result.customers_removed}, audit subjects "
                    f"shredded {result.subjects_shredded}" + (f", audit {result.audit_id}" if result.audit_id else ""))


@app.command()
def status(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    record: Annotated[str | None, typer.Option("--record", help="Only this record.")] = None,
    now: NowOpt = None,
    policy: PolicyOpt = None,
    limit: Annotated[int, typer.Option(help="Rows to show (soonest first).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print every record's status as JSON.")] = False,
) -> None:
    """Show each record's remaining retention time per rule (soonest first)."""
    from dataclasses import asdict

    from rich.table import Table

    state: CLIState = ctx.obj
    rows = state.crm(tenant).sovereignty.retention_status(now=parse_when(now, "--now"), record_id=record,
                                                          policy=policy)
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False))
        return
    table = Table("record", "customer", "region", "rule", "action", "due", "remaining", "done")
    for r in rows[:limit]:
        for rule in r.rules:
            table.add_row(r.record_id, r.customer_id, r.region or "", rule.rule, rule.action, rule.due_at[:19],
                          _remaining(rule.remaining_seconds), "yes" if rule.done else "")
    console().print(table)
    if len(rows) > limit:
        console().print(f"… {len(rows) - limit} more records (--limit, --json)")


def _remaining(seconds: float) -> str:
    if seconds <= 0:
        return "due now"
    days, rest = divmod(int(seconds), 86400)
    return f"{days} d {rest // 3600} h" if days else f"{rest // 3600} h {rest % 3600 // 60} min"
