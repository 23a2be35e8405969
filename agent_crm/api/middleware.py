"""ASGI middleware: a request id on every response, one structured log line per request, a cap on bodies.

The request id is the caller's ``X-Request-Id`` when it is a short token, else a new one; it is bound to the
structlog context for everything logged while the request runs, returned in the response header, and logged
with the route *template* (never the raw path), the tenant and key id (never the key itself), the status and
the latency. Exceptions no handler claimed become a 500 error object here (with the request id), never a
trace.

Every request body is capped at ``max_body_bytes`` (``settings.max_upload_bytes``): a ``Content-Length`` above
the cap, or more bytes than that arriving on a chunked body, raise a 413 the moment the route reads past it
(before the rest is read), answered with the same error object as every other error.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent_crm.api.errors import error_body
from agent_crm.logs import get_logger

log = get_logger("api.request")

REQUEST_ID_HEADER = "x-request-id"
_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            text = value.decode("latin-1").strip()
            if _ID_RE.fullmatch(text):
                return text
    return uuid.uuid4().hex


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def capped_receive(receive: Receive, scope: Scope, max_bytes: int) -> Receive:
    """Wrap ``receive`` so that reading more than ``max_bytes`` of body raises HTTPException(413)."""
    declared = _content_length(scope)
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        if declared is not None and declared > max_bytes:
            raise HTTPException(413, f"request body larger than the limit of {max_bytes} bytes")
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise HTTPException(413, f"request body larger than the limit of {max_bytes} bytes")
        return message

    return wrapped


class RequestContextMiddleware:
    """Assign the request id, log the request, cap bodies, turn unclaimed exceptions into a 500 error object."""

    def __init__(self, app: ASGIApp, max_body_bytes: int | None = None) -> None:
        """Wrap an ASGI app; ``max_body_bytes`` caps every request body (None: no cap)."""
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        if self.max_body_bytes is not None:
            receive = capped_receive(receive, scope, self.max_body_bytes)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = rid
        started = time.perf_counter()
        status = {"code": 500, "sent": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
                name = REQUEST_ID_HEADER.encode()
                headers = [h for h in message.get("headers", []) if h[0].lower() != name]
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        outcome = "ok"
        with structlog.contextvars.bound_contextvars(request_id=rid):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                outcome = "exception"
                # the trace goes to the server log (PII-redacted like every event), never to the client
                log.error("api.unhandled_exception", error_class=exc.__class__.__name__, exc_info=True,
                          route=str(getattr(scope.get("route"), "path", "<unmatched>")))
                if not status["sent"]:
                    body = json.dumps(error_body(500, f"internal server error (request id {rid})",
                                                 code="internal_error")).encode()
                    await send_with_id({"type": "http.response.start", "status": 500,
                                        "headers": [(b"content-type", b"application/json"),
                                                    (b"content-length", str(len(body)).encode())]})
                    await send({"type": "http.response.body", "body": body})
            finally:
                route = scope.get("route")
                log.info(
                    "http.request", method=scope.get("method"),
                    route=str(getattr(route, "path", "<unmatched>")), status=status["code"],
                    latency_ms=round((time.perf_counter() - started) * 1000, 2),
                    tenant=state.get("tenant"), key_id=state.get("key_id"), outcome=outcome,
                )
