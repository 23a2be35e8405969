"""The HTTP API: ``create_app(settings)`` builds the FastAPI app (uvicorn factory ``...api.app:create_app``).

Routes (OpenAPI docs at ``/docs``):

- ``GET /healthz``, ``GET /readyz`` — probes, no key.
- ``POST /v1/chat/completions``, ``GET /v1/models`` — OpenAI-compatible, tenant = the key's.
- ``/v1/tenants/{tenant}/``: ``POST ingest``, ``GET search``, ``POST decisions``,
  ``GET decisions/{audit_id}``, ``POST decisions/{audit_id}/corrections``,
  ``POST threads/{thread_id}/approval``, ``GET audit``, ``GET audit/verify``, ``GET audit/{audit_id}``,
  ``GET export``.

Every route but the probes needs ``Authorization: Bearer <key>`` (keys: :mod:`agent_crm.access.keys`; roles:
:mod:`agent_crm.access.roles`). Errors use the OpenAI error object (:mod:`agent_crm.api.errors`).

Concurrency: one process serves requests on its event loop and runs the CPU-bound CRM calls on a bounded pool
of worker threads (``threads``, default :data:`DEFAULT_THREADS`); one CRM per tenant is shared by all requests
of the process. The embedded Chroma store is single-process, so several worker processes need Chroma in server
mode.
"""

from __future__ import annotations

import os
from typing import Any

import anyio
from fastapi import FastAPI

from agent_crm import __version__
from agent_crm.access import KeyStore
from agent_crm.api.deps import TenantCRMs
from agent_crm.api.errors import install_error_handlers
from agent_crm.api.middleware import RequestContextMiddleware
from agent_crm.api.ratelimit import RateLimiter
from agent_crm.api.routes import audit, chat, decisions, health, kb
from agent_crm.config import Settings, build_settings

DEFAULT_THREADS = 8
"""Worker threads for CRM calls per process (``AGENT_CRM_API_THREADS`` overrides it for the CLI's server)."""
THREADS_ENV = "AGENT_CRM_API_THREADS"


def create_app(settings: Settings | None = None, *, threads: int | None = None) -> FastAPI:
    """Build the API app for ``settings`` (default: from the environment, ``AGENT_CRM_*``).

    Args:
        settings: the process settings; the data home holds the tenants and ``access.sqlite`` (the API keys).
        threads: worker threads for CRM calls (default ``$AGENT_CRM_API_THREADS`` or :data:`DEFAULT_THREADS`).
    """
    from agent_crm.logs import configure_logging
    from agent_crm.policy.vault import log_redactor

    overrides: dict[str, Any] = {} if settings is None else settings.model_dump()
    settings = settings or build_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format, redactor=log_redactor)
    n_threads = threads or int(os.environ.get(THREADS_ENV, "0") or 0) or DEFAULT_THREADS

    app = FastAPI(
        title="agent_crm",
        summary="AI-native CRM: attributed, audited decisions over per-tenant knowledge bases.",
        version=__version__,
        description=(__doc__ or "").split("\n\n", 1)[-1],
    )
    app.state.settings = settings
    app.state.settings_overrides = overrides
    app.state.keys = KeyStore.for_home(settings.home)
    app.state.limiter = RateLimiter()
    app.state.crms = TenantCRMs(settings)
    app.state.cpu_limiter = anyio.CapacityLimiter(n_threads)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_upload_bytes)
    for module in (health, chat, kb, decisions, audit):
        app.include_router(module.router)
    return app
