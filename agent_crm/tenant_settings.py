"""Per-tenant settings file (``<home>/tenants/<tenant>/tenant.yaml``): default model, approvals, scripts, weights."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent_crm.errors import ConfigError


class ApprovalRule(BaseModel):
    """When a decision of one type needs a human approver before it is final."""

    model_config = ConfigDict(extra="forbid")

    amount_above: float | None = None
    """Requested amount (details.requested_amount) above which approval is required."""
    labels: list[str] = Field(default_factory=list)
    """Decision labels that always need approval (e.g. ``decline``)."""


class TenantSettings(BaseModel):
    """Settings of one tenant (all optional; defaults fit the sample tenants)."""

    model_config = ConfigDict(extra="forbid")

    default_model: str | None = None
    """Model alias for this tenant's requests (None = the models file default)."""
    n_scripts: int = Field(default=3, ge=0, le=6)
    """Follow-up scripts composed for next_best_action decisions."""
    approvals: dict[str, ApprovalRule] = Field(
        default_factory=lambda: {"credit_recommendation": ApprovalRule(amount_above=1_000_000)}
    )
    """Decision type -> rule marking a decision high-risk (human approval through the graph's interrupt)."""
    weights_file: Path | None = None
    """YAML overriding the default scoring weights for this tenant."""
    allowed_regions: list[str] | None = None
    """Regions model calls with this tenant's data may go to (None = any)."""
    retrieval_k: int = Field(default=6, ge=1, le=50)
    """Evidence hits retrieved per question."""


def load_tenant_settings(path: Path) -> TenantSettings:
    """Load a tenant settings file; a missing file gives the defaults, an invalid one a located ConfigError."""
    if not path.exists():
        return TenantSettings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        return TenantSettings.model_validate(data)
    except ValidationError as exc:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"{path}: " + "; ".join(parts)) from exc
