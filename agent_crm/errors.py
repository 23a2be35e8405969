"""The one exception hierarchy of agent_crm.

Usage mistakes (bad config, bad input, unknown tenant) are kept apart from run-time failures (a backend that
failed, a ledger that does not verify). Edges (CLI, HTTP) translate these into exit codes and status codes.
"""

from __future__ import annotations


class AgentCRMError(Exception):
    """Root of every error agent_crm raises on purpose."""


class ConfigError(AgentCRMError):
    """Settings, a models file, a policy file or a weights file is invalid."""


class TenantError(AgentCRMError):
    """A tenant id is invalid, unknown, or a caller tried to reach another tenant's data."""


class InputError(AgentCRMError):
    """Input data (a file, a record, a request) cannot be used; the message says where and why."""


class NotFoundError(AgentCRMError):
    """A named object (customer, record, audit record, model alias) does not exist."""


class PolicyViolation(AgentCRMError):
    """An action would break a tenant's AI policy (PII, residency, cross-verification)."""


class BackendError(AgentCRMError):
    """A model backend or storage engine failed at run time (after fallbacks)."""


class AuditIntegrityError(AgentCRMError):
    """The audit ledger or the fingerprint chain does not verify."""
