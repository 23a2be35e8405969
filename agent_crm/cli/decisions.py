"""Decision commands: ask, decide, approve, correct."""

from __future__ import annotations

from typing import Annotated

import typer

from agent_crm.cli.render import console, decision_panel
from agent_crm.cli.state import CLIState
from agent_crm.types import Decision


def _show(d: Decision, as_json: bool) -> None:
    if as_json:
        typer.echo(d.model_dump_json())
    else:
        console().print(decision_panel(d))


def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English.")],
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    thread: Annotated[str | None, typer.Option(help="Conversation thread id (continue a conversation).")] = None,
    model: Annotated[str | None, typer.Option(help="Model alias for this request.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Decision as JSON.")] = False,
) -> None:
    """Ask the assistant; it decides, explains with weighted factors and cites its sources."""
    state: CLIState = ctx.obj
    _show(state.crm(tenant).ask(question, thread_id=thread, model=model), as_json)


def decide(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    customer: Annotated[str, typer.Option(help="Customer id.")],
    type_: Annotated[str, typer.Option("--type", help="next_best_action | lead_score | churn_risk | ticket_routing | "
                                                      "credit_recommendation")],
    language: Annotated[str, typer.Option(help="zh | en")] = "en",
    model: Annotated[str | None, typer.Option(help="Model alias for this request.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Decision as JSON.")] = False,
) -> None:
    """Make one decision about a customer."""
    state: CLIState = ctx.obj
    _show(state.crm(tenant).decide(customer=customer, type=type_, language=language, model=model), as_json)


def approve(
    ctx: typer.Context,
    thread: Annotated[str, typer.Argument(help="Thread id of the decision waiting for approval.")],
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    actor: Annotated[str, typer.Option(help="Who approves.")],
    reject: Annotated[bool, typer.Option("--reject", help="Reject instead of approve.")] = False,
    label: Annotated[str | None, typer.Option(help="Replace the decision's label.")] = None,
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Approve, reject or correct a high-risk decision that waits for a human."""
    state: CLIState = ctx.obj
    d = state.crm(tenant, actor=actor).approve(thread, approved=not reject, actor=actor, reason=reason, label=label)
    _show(d, as_json)


def correct(
    ctx: typer.Context,
    audit_id: Annotated[str, typer.Argument(help="Audit id of the decision.")],
    tenant: Annotated[str, typer.Option("--tenant", "-t")],
    actor: Annotated[str, typer.Option(help="Who corrects.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    label: Annotated[str | None, typer.Option(help="The corrected label.")] = None,
) -> None:
    """Record a human correction of a decision (linked in the audit ledger)."""
    state: CLIState = ctx.obj
    rec = state.crm(tenant, actor=actor).correct(audit_id, actor=actor, reason=reason, label=label)
    console().print(f"correction {rec.id} recorded for {audit_id}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.command()(ask)
    app.command()(decide)
    app.command()(approve)
    app.command()(correct)
