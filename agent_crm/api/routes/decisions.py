"""Decision routes of a tenant: decide, read a decision back, correct it, approve a waiting one."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from agent_crm.access import Permission
from agent_crm.api.deps import TenantScope, run_blocking, tenant_scope
from agent_crm.api.errors import APIError
from agent_crm.service import CRM
from agent_crm.types import AuditRecord

router = APIRouter(tags=["decisions"])

DECISION_KINDS = ("decision", "clarification")


class DecisionRequest(BaseModel):
    """Body of ``POST decisions``."""

    model_config = ConfigDict(extra="forbid")
    customer: str = Field(min_length=1, max_length=128, description="Customer id.")
    type: str = Field(min_length=1, max_length=64, description="next_best_action | lead_score | churn_risk | "
                                                                "ticket_routing | credit_recommendation")
    language: Literal["zh", "en"] | None = None
    model: str | None = Field(default=None, min_length=1, max_length=128, description="Model alias.")


class CorrectionRequest(BaseModel):
    """Body of ``POST decisions/{audit_id}/corrections``."""

    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(default=None, min_length=1, max_length=64, description="The corrected label.")
    reason: str = Field(min_length=1, max_length=4000, description="Why the decision was wrong.")
    changes: dict[str, Any] | None = Field(default=None, description="Other corrected fields.")


class ApprovalRequest(BaseModel):
    """Body of ``POST threads/{thread_id}/approval``."""

    model_config = ConfigDict(extra="forbid")
    approved: bool
    reason: str = Field(default="", max_length=4000)
    label: str | None = Field(default=None, min_length=1, max_length=64, description="Replace the label.")


def _check_model(crm: CRM, scope: TenantScope, alias: str | None) -> None:
    if alias is not None and (alias not in crm.models.aliases() or not scope.key.may_use(alias)):
        raise APIError(404, f"model {alias!r} does not exist or is not available to this key",
                       code="model_not_found", param="model")


def _decide(scope: TenantScope, body: DecisionRequest) -> dict[str, Any]:
    _check_model(scope.crm, scope, body.model)
    d = scope.crm.decide(customer=body.customer, type=body.type, language=body.language, model=body.model,
                         actor=scope.key.actor)
    return d.model_dump(mode="json")


@router.post("/v1/tenants/{tenant}/decisions", status_code=201, summary="Make one audited decision")
async def create_decision(
    body: DecisionRequest, request: Request, scope: TenantScope = Depends(tenant_scope(Permission.DECIDE))
) -> dict[str, Any]:
    """Run the assistant graph for one decision type and return the attributed Decision."""
    return await run_blocking(request, _decide, scope, body)


def decision_record(crm: CRM, audit_id: str) -> AuditRecord:
    """The audit record of a decision (404 when the id is unknown or names another kind of record)."""
    rec = crm.audit_record(audit_id)
    if rec.kind not in DECISION_KINDS:
        raise APIError(404, f"no decision with audit id {audit_id!r}", code="not_found")
    return rec


def decision_view(crm: CRM, audit_id: str) -> dict[str, Any]:
    """A decision as recorded in the ledger, with its personal part (unless erased) and linked records."""
    rec = decision_record(crm, audit_id)
    data = rec.payload.get("data") or {}
    personal = rec.payload.get("personal") or {}
    decision = data.get("decision") or {}
    linked = crm._deps().ledger.children(audit_id)
    return {
        "audit_id": rec.id, "kind": rec.kind, "created_at": rec.created_at, "actor": rec.actor,
        "tenant": rec.tenant, "thread_id": data.get("thread_id"), "customer_id": data.get("customer_id"),
        "type": decision.get("type", data.get("decision_type")), "label": decision.get("label"),
        "score": decision.get("score"), "details": decision.get("details"), "language": data.get("language"),
        "factors": data.get("attributions", []), "citations": data.get("citations", []),
        "flags": data.get("flags", []), "approval": data.get("approval"),
        "model_calls": [{k: c.get(k) for k in ("purpose", "alias", "model", "latency_ms")}
                        for c in data.get("model_calls", []) if isinstance(c, dict)],
        "question": personal.get("question"), "answer": personal.get("answer"),
        "erased": bool(rec.payload.get("erased")),
        "linked": [r.model_dump(mode="json") for r in linked],
    }


@router.get("/v1/tenants/{tenant}/decisions/{audit_id}", summary="A decision as recorded in the audit ledger")
async def get_decision(
    request: Request, audit_id: str = Path(max_length=128),
    scope: TenantScope = Depends(tenant_scope(Permission.DECISIONS_READ)),
) -> dict[str, Any]:
    """Read a decision back from its audit record, with its corrections and approvals."""
    return await run_blocking(request, decision_view, scope.crm, audit_id)


def _correct(scope: TenantScope, audit_id: str, body: CorrectionRequest) -> dict[str, Any]:
    decision_record(scope.crm, audit_id)
    rec = scope.crm.correct(audit_id, actor=scope.key.actor, reason=body.reason, label=body.label,
                            changes=body.changes)
    return rec.model_dump(mode="json")


@router.post("/v1/tenants/{tenant}/decisions/{audit_id}/corrections", status_code=201,
             summary="Append a human correction to a decision (who, what changed, why)")
async def correct_decision(
    body: CorrectionRequest, request: Request, audit_id: str = Path(max_length=128),
    scope: TenantScope = Depends(tenant_scope(Permission.CORRECT)),
) -> dict[str, Any]:
    """Record a correction linked to the decision's audit record; the actor is the API key."""
    return await run_blocking(request, _correct, scope, audit_id, body)


def _approve(scope: TenantScope, thread_id: str, body: ApprovalRequest) -> dict[str, Any]:
    d = scope.crm.approve(thread_id, approved=body.approved, actor=scope.key.actor, reason=body.reason,
                          label=body.label)
    return d.model_dump(mode="json")


@router.post("/v1/tenants/{tenant}/threads/{thread_id}/approval",
             summary="Approve or reject a decision waiting for a human")
async def approve_thread(
    body: ApprovalRequest, request: Request, thread_id: str = Path(max_length=256),
    scope: TenantScope = Depends(tenant_scope(Permission.APPROVE)),
) -> dict[str, Any]:
    """Resume a waiting thread (``details.thread_id`` of a ``pending_approval`` decision); return it."""
    return await run_blocking(request, _approve, scope, thread_id, body)
