"""Request dependencies: authenticate and rate-limit the key, pin it to its tenant, check its role, find CRMs.

The tenant of a request always comes from the API key. Tenant routes (``/v1/tenants/{tenant}/...``) check that
the path names the key's own tenant *before* anything else about the request is looked at (a key probing
another tenant gets 403 whether that tenant exists or not, and the attempt is logged), then the role, then
that the tenant has a data directory (404 otherwise).

CRM calls are CPU-bound synchronous code: :func:`run_blocking` runs them on worker threads bounded by one
limiter per app, so the event loop keeps serving other requests.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from anyio import to_thread
from fastapi import Depends, Path, Request

from agent_crm.access import KeyInfo, KeyStore, Permission, allows
from agent_crm.api.errors import APIError
from agent_crm.api.ratelimit import RateLimiter
from agent_crm.config import Settings
from agent_crm.errors import TenantError
from agent_crm.logs import get_logger
from agent_crm.service import CRM
from agent_crm.tenancy import tenant_dir, validate_tenant

log = get_logger("api.access")

T = TypeVar("T")


class TenantCRMs:
    """One CRM per tenant per process (the tenant's stores, graph and ledger are opened once and shared)."""

    def __init__(self, settings: Settings, actor: str = "api") -> None:
        """Serve tenants of ``settings.home``; ``actor`` is what CRM-made audit records name."""
        self.settings = settings
        self.actor = actor
        self._lock = threading.Lock()
        self._crms: dict[str, CRM] = {}

    def exists(self, tenant: str) -> bool:
        """Whether the tenant has a data directory under the home."""
        try:
            return tenant_dir(self.settings.home, tenant).is_dir()
        except TenantError:
            return False

    def get(self, tenant: str, *, create: bool = False) -> CRM:
        """The tenant's CRM; APIError 404 when the tenant has no data directory (unless ``create``)."""
        with self._lock:
            crm = self._crms.get(tenant)
            if crm is not None:
                return crm
        if not create and not self.exists(tenant):
            raise APIError(404, f"unknown tenant {tenant!r}: it has no data yet", code="tenant_not_found")
        with self._lock:
            return self._crms.setdefault(tenant, CRM(validate_tenant(tenant), settings=self.settings,
                                                     actor=self.actor))


@dataclass(frozen=True)
class TenantScope:
    """What a tenant route works with: the verified key, its tenant and that tenant's CRM."""

    key: KeyInfo
    tenant: str
    crm: CRM


def route_template(request: Request) -> str:
    """The matched route's path template (never the raw path, which may carry ids)."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "<unmatched>"))


async def run_blocking(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking call on the app's worker threads (the event loop stays free)."""
    limiter: anyio.CapacityLimiter = request.app.state.cpu_limiter
    return await to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=limiter)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


async def authenticate(request: Request) -> KeyInfo:
    """Verify ``Authorization: Bearer <key>`` and count the request against the key's rate limit."""
    token = _bearer(request)
    if token is None:
        raise APIError(401, "missing API key: send 'Authorization: Bearer <key>'", code="invalid_api_key",
                       headers=_UNAUTHORIZED)
    keys: KeyStore = request.app.state.keys
    key = keys.verify(token)
    if key is None:
        raise APIError(401, "invalid or revoked API key", code="invalid_api_key", headers=_UNAUTHORIZED)
    state = request.scope.setdefault("state", {})
    state["key_id"] = key.key_id
    state["tenant"] = key.tenant
    limiter: RateLimiter = request.app.state.limiter
    wait = limiter.check(key.key_id, key.rate_limit)
    if wait > 0:
        raise APIError(429, f"rate limit of {key.rate_limit} requests per minute exceeded for this key",
                       code="rate_limit_exceeded", headers={"Retry-After": RateLimiter.retry_after(wait)})
    return key


def require(key: KeyInfo, permission: Permission) -> None:
    """Raise 403 unless the key's role grants ``permission``."""
    if not allows(key.role, permission):
        raise APIError(403, f"role {key.role.value!r} may not {permission.value}", code="insufficient_role")


def key_with(permission: Permission) -> Callable[..., Awaitable[KeyInfo]]:
    """A dependency giving the verified key, which must grant ``permission`` (routes without a tenant)."""

    async def dependency(key: KeyInfo = Depends(authenticate)) -> KeyInfo:
        require(key, permission)
        return key

    return dependency


def tenant_scope(permission: Permission, *, create: bool = False) -> Callable[..., Awaitable[TenantScope]]:
    """A dependency for ``/v1/tenants/{tenant}/...``: own tenant only (403, logged), role, existing tenant.

    With ``create`` (ingest) a tenant without data is created: its key provisioned it.
    """

    async def dependency(
        request: Request,
        tenant: str = Path(description="Tenant id; must be the API key's tenant."),
        key: KeyInfo = Depends(authenticate),
    ) -> TenantScope:
        if tenant != key.tenant:
            log.warning("access.cross_tenant_denied", key_id=key.key_id, tenant=key.tenant,
                        requested_tenant=tenant[:64], route=route_template(request), method=request.method)
            raise APIError(403, "this API key may not access another tenant", code="cross_tenant")
        require(key, permission)
        crms: TenantCRMs = request.app.state.crms
        return TenantScope(key=key, tenant=tenant, crm=crms.get(tenant, create=create))

    return dependency
