"""agent_crm: AI-native CRM — per-tenant knowledge bases from interaction logs, attributed and audited decisions."""

from typing import TYPE_CHECKING, Any

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
from agent_crm.types import (
    AuditRecord,
    Chunk,
    Citation,
    Decision,
    Factor,
    Hit,
    Interaction,
    Script,
    SourceRef,
)

__version__ = "0.1.0"

__all__ = [
    "CRM",
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

if TYPE_CHECKING:
    from agent_crm.service import CRM


def __getattr__(name: str) -> Any:
    # CRM pulls in settings machinery; importing it lazily keeps `import agent_crm` (and `agent-crm --help`) fast
    if name == "CRM":
        from agent_crm.service import CRM

        return CRM
    raise AttributeError(f"module 'agent_crm' has no attribute {name!r}")
