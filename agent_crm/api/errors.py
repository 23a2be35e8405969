"""One error shape for every route: the OpenAI error object, with agent_crm errors mapped to HTTP statuses.

Every error response reads ``{"error": {"message", "type", "param", "code"}}`` (validation errors add
``"details": [{"loc", "msg", "type"}]``, one entry per bad field). Messages say what was wrong; they never
carry a stack trace, a key, or the request's input values.

=========================================  ======  ======================
cause                                      status  code
=========================================  ======  ======================
missing / malformed / unknown / revoked key  401   invalid_api_key
another tenant's route                     403     cross_tenant
role lacks the permission                  403     insufficient_role
tenant AI policy forbids the action        403     policy_violation
unknown tenant, model alias, audit id, ...  404    *_not_found / not_found
upload larger than max_upload_bytes        413     payload_too_large
malformed body, query or header            422     invalid_value
InputError from the service                422     invalid_input
rate limit of the key exhausted            429     rate_limit_exceeded
model backend failed (after fallbacks)     502     backend_error
model backend timed out                    504     backend_timeout
anything else                              500     internal_error
=========================================  ======  ======================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from agent_crm.errors import (
    AgentCRMError,
    AuditIntegrityError,
    BackendError,
    ConfigError,
    InputError,
    NotFoundError,
    PolicyViolation,
    TenantError,
)
from agent_crm.logs import get_logger

log = get_logger("api.errors")

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "invalid_request_error", 405: "invalid_request_error", 413: "invalid_request_error",
          415: "invalid_request_error", 422: "invalid_request_error", 429: "rate_limit_error"}


def error_type(status: int) -> str:
    """The OpenAI error ``type`` for an HTTP status."""
    return _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


class APIError(Exception):
    """An error the API answers with a status and the OpenAI error object."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Describe the error: HTTP status, a message safe to show, optional code, param and headers."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = dict(headers or {})


def error_body(
    status: int, message: str, *, code: str | None = None, param: str | None = None,
    details: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The OpenAI error object for a status and message."""
    err: dict[str, Any] = {"message": message, "type": error_type(status), "param": param, "code": code}
    if details is not None:
        err["details"] = list(details)
    return {"error": err}


def error_response(
    status: int, message: str, *, code: str | None = None, param: str | None = None,
    headers: Mapping[str, str] | None = None, details: Sequence[Mapping[str, Any]] | None = None,
) -> JSONResponse:
    """A JSON response carrying the OpenAI error object."""
    body = error_body(status, message, code=code, param=param, details=details)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, TimeoutError):
        return True
    attempts = [a for a in getattr(exc, "attempts", ()) if getattr(a, "error_kind", None) is not None]
    tried = [a for a in attempts if not getattr(a, "skipped", False)]
    return bool(tried) and all(a.error_kind == "timeout" for a in tried)


def classify(exc: BaseException) -> tuple[int, str, str]:
    """Map an exception to ``(status, code, message)``; unexpected exceptions get a generic message."""
    if isinstance(exc, APIError):
        return exc.status, exc.code or "error", exc.message
    if isinstance(exc, NotFoundError):
        text = str(exc)
        code = "model_not_found" if "model alias" in text else "not_found"
        return 404, code, text
    if isinstance(exc, TenantError):
        return 404, "tenant_not_found", str(exc)
    if isinstance(exc, InputError):
        return 422, "invalid_input", str(exc)
    if isinstance(exc, PolicyViolation):
        return 403, "policy_violation", str(exc)
    if isinstance(exc, BackendError | TimeoutError):
        if _is_timeout(exc):
            return 504, "backend_timeout", f"model backend timed out: {exc}".rstrip(": ")
        return 502, "backend_error", f"model backend failed: {exc}"
    if isinstance(exc, AuditIntegrityError):
        return 500, "audit_integrity", str(exc)
    if isinstance(exc, ConfigError):
        return 500, "config_error", str(exc)
    if isinstance(exc, AgentCRMError):
        return 500, "internal_error", str(exc)
    return 500, "internal_error", "internal server error"


def _loc_param(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or str(loc[0] if loc else "body")


def validation_details(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Field-level messages of a validation error, without the offending input values."""
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in errors]


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    details = validation_details(errors)
    first = details[0] if details else {"loc": ["body"], "msg": "invalid request"}
    message = "; ".join(f"{_loc_param(d['loc'])}: {d['msg']}" for d in details) or "invalid request"
    return error_response(422, message, code="invalid_value", param=_loc_param(first["loc"]), details=details)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", None)
    message = detail if isinstance(detail, str) else "error"
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(status)
    return error_response(status, message, code=code, headers=getattr(exc, "headers", None))


async def _agent_crm_handler(request: Request, exc: Exception) -> JSONResponse:
    status, code, message = classify(exc)
    if status >= 500:
        log.error("api.error", code=code, error_class=exc.__class__.__name__, status=status)
    headers = exc.headers if isinstance(exc, APIError) else None
    param = exc.param if isinstance(exc, APIError) else None
    return error_response(status, message, code=code, param=param, headers=headers)


async def _disconnect_handler(request: Request, exc: Exception) -> JSONResponse:
    log.info("api.client_disconnected", method=request.method)
    return error_response(400, "client disconnected before the request body was complete", code="client_disconnect")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every known error into the OpenAI error object."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(APIError, _agent_crm_handler)
    app.add_exception_handler(AgentCRMError, _agent_crm_handler)
    app.add_exception_handler(TimeoutError, _agent_crm_handler)
    app.add_exception_handler(ClientDisconnect, _disconnect_handler)
