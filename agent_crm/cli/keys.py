"""API key commands: create (shown once), list (no secrets), revoke."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from agent_crm.cli.render import console
from agent_crm.cli.state import CLIState

if TYPE_CHECKING:
    from agent_crm.access import KeyStore

app = typer.Typer(help="API keys of the HTTP API (stored hashed in <home>/access.sqlite).",
                  no_args_is_help=True)


def _store(state: CLIState) -> KeyStore:
    from agent_crm.access import KeyStore

    return KeyStore.for_home(state.settings().home)


@app.command()
def create(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="The only tenant the key may reach.")],
    role: Annotated[str, typer.Option(help="agent | analyst | compliance | admin")],
    name: Annotated[str | None, typer.Option(help="A label (who or what uses the key).")] = None,
    rate_limit: Annotated[int, typer.Option(help="Requests per minute.", min=1)] = 600,
    model: Annotated[list[str] | None, typer.Option(help="Only these model aliases (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the key as JSON.")] = False,
) -> None:
    """Create an API key; the key is printed once and cannot be shown again."""
    from agent_crm.tenant_runtime import list_tenants

    state: CLIState = ctx.obj
    store = _store(state)
    key_id, plaintext = store.create(tenant, role, name, rate_limit=rate_limit, models=model or None)
    info = store.get(key_id)
    if as_json:
        typer.echo(json.dumps(info.to_dict() | {"key": plaintext}, ensure_ascii=False))
        return
    console().print(f"key id   {key_id}  (tenant {info.tenant}, role {info.role.value}, "
                    f"{info.rate_limit}/min)")
    console().print(f"API key  [bold]{plaintext}[/]")
    console().print("[yellow]Store it now: it is kept only as a hash and cannot be shown again.[/]")
    if tenant not in list_tenants(state.settings()):
        console().print(f"[yellow]note:[/] tenant {tenant!r} has no data yet "
                        "(its routes answer 404 until something is ingested).")


@app.command("list")
def list_(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option("--tenant", "-t", help="Only this tenant's keys.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List API keys (ids, tenants, roles, limits; never the secrets)."""
    from rich.table import Table

    state: CLIState = ctx.obj
    keys = _store(state).list(tenant)
    if as_json:
        typer.echo(json.dumps([k.to_dict() for k in keys], ensure_ascii=False))
        return
    table = Table("key id", "tenant", "role", "name", "per min", "models", "created", "revoked")
    for k in keys:
        table.add_row(k.key_id, k.tenant, k.role.value, k.name, str(k.rate_limit),
                      "all" if k.models is None else ", ".join(k.models), k.created_at, k.revoked_at or "")
    console().print(table)


@app.command()
def revoke(
    ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="Id of the key to revoke.")]
) -> None:
    """Revoke an API key (effective at once for every server process)."""
    state: CLIState = ctx.obj
    info = _store(state).revoke(key_id)
    console().print(f"revoked {info.key_id} (tenant {info.tenant}, role {info.role.value}) "
                    f"at {info.revoked_at}")
