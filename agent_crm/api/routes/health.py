"""Liveness and readiness probes (no API key needed)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from agent_crm.api.deps import run_blocking

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process is up")
async def healthz() -> dict[str, str]:
    """Answer while the process runs (no dependency is checked)."""
    return {"status": "ok"}


def _readiness(request: Request) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    try:
        from agent_crm.config import build_settings

        build_settings(**request.app.state.settings_overrides)
        checks["settings"] = "ok"
    except Exception as exc:
        checks["settings"] = f"error: {exc.__class__.__name__}"
    settings = request.app.state.settings
    try:
        from agent_crm.llm.registry import ModelRegistry

        checks["models"] = {"ok": True, "aliases": len(ModelRegistry(settings.models_file).aliases())}
    except Exception as exc:
        checks["models"] = {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:300]}
    try:
        home = Path(settings.home)
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".ready-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()
        checks["home"] = "ok"
    except OSError as exc:
        checks["home"] = f"error: {exc.strerror or exc.__class__.__name__}"
    checks["pid"] = os.getpid()
    return checks


@router.get("/readyz", summary="Readiness: settings load, models file readable, home writable")
async def readyz(request: Request) -> JSONResponse:
    """Check what serving needs; 200 when every check passes, else 503 naming the failed ones."""
    checks = await run_blocking(request, _readiness, request)
    ok = checks["settings"] == "ok" and checks["models"]["ok"] and checks["home"] == "ok"
    body = {"status": "ready" if ok else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)
