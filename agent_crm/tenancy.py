"""The only place tenant ids are validated and turned into store names and paths."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from agent_crm.errors import TenantError

_TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def validate_tenant(tenant: str) -> str:
    """Return the tenant id if it is safe to use, else raise TenantError.

    Tenant ids are lower-case ASCII letters, digits, '-' and '_', 1–63 characters, starting with a letter or digit.
    """
    if not isinstance(tenant, str) or not _TENANT_RE.fullmatch(tenant):
        raise TenantError(
            f"invalid tenant id {tenant!r}: use 1-63 lower-case letters, digits, '-' or '_', starting with a letter "
            "or digit"
        )
    return tenant


def collection_name(tenant: str) -> str:
    """Name of the tenant's Chroma collection (3-63 chars, Chroma-safe, collision-free)."""
    t = validate_tenant(tenant)
    digest = hashlib.sha256(t.encode()).hexdigest()[:8]
    return f"t-{t[:50]}-{digest}"


def tenant_dir(home: Path, tenant: str) -> Path:
    """Directory holding everything of one tenant below the data home."""
    return home / "tenants" / validate_tenant(tenant)
