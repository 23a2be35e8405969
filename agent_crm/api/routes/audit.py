"""Audit routes of a tenant: list records, read one with its linked records, verify the hash chain."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request

from agent_crm.access import Permission
from agent_crm.api.deps import TenantScope, run_blocking, tenant_scope
from agent_crm.service import CRM

router = APIRouter(tags=["audit"])


def _list(crm: CRM, kind: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in crm._deps().ledger.list(kind=kind, limit=limit, offset=offset)]


@router.get("/v1/tenants/{tenant}/audit", summary="Audit records in chain order")
async def list_audit(
    request: Request,
    kind: str | None = Query(default=None, pattern=r"^[a-z][a-z0-9_]{0,39}$",
                             description="decision | correction | approval | clarification | erasure | ..."),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
    scope: TenantScope = Depends(tenant_scope(Permission.AUDIT_READ)),
) -> dict[str, Any]:
    """List the tenant's audit records, optionally of one kind."""
    return {"object": "list", "data": await run_blocking(request, _list, scope.crm, kind, limit, offset)}


def _verify(crm: CRM) -> dict[str, Any]:
    return asdict(crm.verify_audit())


@router.get("/v1/tenants/{tenant}/audit/verify", summary="Verify the tenant's hash chain")
async def verify_audit(
    request: Request, scope: TenantScope = Depends(tenant_scope(Permission.AUDIT_READ))
) -> dict[str, Any]:
    """Verify the whole chain; ``ok`` false names the first bad record and why."""
    return await run_blocking(request, _verify, scope.crm)


def _get(crm: CRM, audit_id: str) -> dict[str, Any]:
    rec = crm.audit_record(audit_id)
    return rec.model_dump(mode="json") | {
        "linked": [c.model_dump(mode="json") for c in crm._deps().ledger.children(audit_id)]}


@router.get("/v1/tenants/{tenant}/audit/{audit_id}", summary="One audit record with its linked records")
async def get_audit(
    request: Request, audit_id: str = Path(max_length=128),
    scope: TenantScope = Depends(tenant_scope(Permission.AUDIT_READ)),
) -> dict[str, Any]:
    """Read one audit record (404 when the id is not in this tenant's chain)."""
    return await run_blocking(request, _get, scope.crm, audit_id)
