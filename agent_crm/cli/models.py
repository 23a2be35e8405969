"""Model commands: list the aliases of the models file."""

from __future__ import annotations

import typer

from agent_crm.cli.render import console
from agent_crm.cli.state import CLIState

app = typer.Typer(help="Model aliases (LiteLLM ids) from the models file.", no_args_is_help=True)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List model aliases with their LiteLLM model, region and fallbacks."""
    from rich.table import Table

    from agent_crm.tenant_runtime import gateway_for

    state: CLIState = ctx.obj
    registry = gateway_for(state.settings()).registry
    table = Table("alias", "model", "region", "fallbacks", "default")
    default = registry.default_alias()
    for alias in registry.aliases():
        spec = registry.get(alias)
        table.add_row(alias, spec.model, str(spec.region), ", ".join(spec.fallbacks), "*" if alias == default else "")
    console().print(table)
