"""agent_crm: AI-native CRM — per-tenant knowledge bases from interaction logs, attributed and audited decisions."""

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
from agent_crm.types import AuditRecord, Chunk, Citation, Decision, Factor, Hit, Interaction, Script, SourceRef

__version__ = "0.1.0"

__all__ = [
    "AgentCRMError",
    "AuditIntegrityError",
    "AuditRecord",
    "BackendError",
    "Chunk",
    "Citation",
    "ConfigError",
    "Decision",
    "Factor",
    "Hit",
    "InputError",
    "Interaction",
    "NotFoundError",
    "PolicyViolation",
    "Script",
    "SourceRef",
    "TenantError",
    "__version__",
]
