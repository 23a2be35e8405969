"""The ``serve`` command: run the HTTP API under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from agent_crm.cli.state import CLIState

APP_FACTORY = "agent_crm.api.app:create_app"


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (>1 needs chroma_mode=server).", min=1)] = 1,
    threads: Annotated[int, typer.Option(help="Threads per process for CRM calls.", min=1, max=256)] = 8,
) -> None:
    """Serve the OpenAI-compatible chat API and the tenant REST API (docs at /docs)."""
    state: CLIState = ctx.obj
    settings = state.settings()
    if workers > 1 and settings.chroma_mode != "server":
        typer.echo(
            f"error: --workers {workers} needs AGENT_CRM_CHROMA_MODE=server: the embedded Chroma store "
            "(chroma_mode=embedded) may only be opened by one process. Run one process (it serves concurrent "
            "requests from a thread pool, see --threads) or start a Chroma server and set "
            "AGENT_CRM_CHROMA_MODE=server.",
            err=True,
        )
        raise typer.Exit(2)
    import uvicorn

    # the app factory runs in each worker and reads its settings from the environment
    os.environ["AGENT_CRM_HOME"] = str(settings.home)
    os.environ["AGENT_CRM_LOG_LEVEL"] = settings.log_level
    os.environ["AGENT_CRM_API_THREADS"] = str(threads)
    typer.echo(f"agent_crm API on http://{host}:{port}  (docs: /docs, home: {settings.home}, "
               f"workers: {workers})", err=True)
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers, access_log=False,
                log_level=settings.log_level.lower(), timeout_graceful_shutdown=10)
