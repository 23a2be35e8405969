"""The ``agent-crm`` command: one typer app, one module per command group, errors translated here only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from agent_crm.cli import audit as audit_cmds
from agent_crm.cli import decisions as decision_cmds
from agent_crm.cli import demo as demo_cmds
from agent_crm.cli import erase as erase_cmds
from agent_crm.cli import eval as eval_cmds
from agent_crm.cli import fingerprints as fingerprint_cmds
from agent_crm.cli import kb as kb_cmds
from agent_crm.cli import keys as key_cmds
from agent_crm.cli import models as model_cmds
from agent_crm.cli import portability as portability_cmds
from agent_crm.cli import report as report_cmds
from agent_crm.cli import retention as retention_cmds
from agent_crm.cli import serve as serve_cmds
from agent_crm.cli.state import CLIState

app = typer.Typer(
    name="agent-crm",
    help="AI-native CRM: per-tenant knowledge bases from interaction logs, attributed and audited decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(help="Data home (default: $AGENT_CRM_HOME or the user data dir).")] = None,
    log_level: Annotated[str | None, typer.Option(help="Log level (default WARNING).")] = None,
) -> None:
    """Set up settings and logging for every command."""
    ctx.obj = CLIState(home=home, log_level=log_level)


kb_cmds.register(app)
decision_cmds.register(app)
app.command()(demo_cmds.demo)
app.add_typer(audit_cmds.app, name="audit")
app.add_typer(eval_cmds.app, name="eval")
app.add_typer(model_cmds.app, name="models")
app.command()(serve_cmds.serve)
app.add_typer(key_cmds.app, name="keys")
app.add_typer(fingerprint_cmds.app, name="fingerprints")
app.add_typer(retention_cmds.app, name="retention")
portability_cmds.register(app)
app.command()(erase_cmds.erase)
app.add_typer(report_cmds.app, name="report")


def main() -> None:
    """Run the CLI, turning agent_crm errors into a one-line message and an exit code (2 usage, 1 run-time)."""
    from agent_crm.errors import (
        AgentCRMError,
        BackendError,
        ConfigError,
        InputError,
        NotFoundError,
        TenantError,
    )

    try:
        app()
    except (ConfigError, InputError, TenantError, NotFoundError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except (AgentCRMError, BackendError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
