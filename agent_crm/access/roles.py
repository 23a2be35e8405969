"""Roles of API keys and the permissions each role grants (the role matrix).

Every API key belongs to exactly one tenant and has one role. A key never reaches another tenant, whatever
its role. Within its tenant a role grants these permissions:

=================  =======  ========  ==========  =====
permission         agent    analyst   compliance  admin
=================  =======  ========  ==========  =====
chat               yes      yes       -           yes
models             yes      yes       -           yes
search             yes      yes       -           yes
decide             yes      yes       -           yes
decisions.read     yes      yes       yes         yes
correct            -        yes       -           yes
approve            -        yes       -           yes
audit.read         -        yes       yes         yes
export             -        -         yes         yes
ingest             -        -         -           yes
=================  =======  ========  ==========  =====

- ``agent``: front-line use — ask the assistant (chat), search the knowledge base, request decisions and read
  them back.
- ``analyst``: everything an agent does, plus the human-in-the-loop work: correct a decision, approve or
  reject one that waits for approval, and read the audit ledger those actions land in.
- ``compliance``: read-only oversight — decisions, the audit ledger and its verification, and the tenant's
  export; it cannot create decisions or touch data.
- ``admin``: everything, including ingesting data into the tenant.
"""

from __future__ import annotations

from enum import StrEnum

from agent_crm.errors import InputError


class Role(StrEnum):
    """The role of an API key."""

    AGENT = "agent"
    ANALYST = "analyst"
    COMPLIANCE = "compliance"
    ADMIN = "admin"


class Permission(StrEnum):
    """One thing a key may do within its tenant."""

    CHAT = "chat"
    MODELS = "models"
    SEARCH = "search"
    DECIDE = "decide"
    DECISIONS_READ = "decisions.read"
    CORRECT = "correct"
    APPROVE = "approve"
    AUDIT_READ = "audit.read"
    EXPORT = "export"
    INGEST = "ingest"


_AGENT = frozenset({Permission.CHAT, Permission.MODELS, Permission.SEARCH, Permission.DECIDE,
                    Permission.DECISIONS_READ})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: _AGENT,
    Role.ANALYST: _AGENT | {Permission.CORRECT, Permission.APPROVE, Permission.AUDIT_READ},
    Role.COMPLIANCE: frozenset({Permission.DECISIONS_READ, Permission.AUDIT_READ, Permission.EXPORT}),
    Role.ADMIN: frozenset(Permission),
}
"""The role matrix (see the module docstring)."""


def parse_role(value: str) -> Role:
    """Return the role named ``value``; raise InputError listing the roles otherwise."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InputError(f"unknown role {value!r}; roles: {', '.join(r.value for r in Role)}") from None


def allows(role: Role | str, permission: Permission) -> bool:
    """Whether ``role`` grants ``permission``."""
    return permission in ROLE_PERMISSIONS[Role(role)]
