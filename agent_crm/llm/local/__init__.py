"""The built-in offline model ``local/crm-reasoner``: a small, deterministic model of CRM reasoning.

Pure reasoning lives in ``protocol`` (``reason``), ``understand``, ``compose``, ``scripts`` and
``schema_fill``; ``provider`` wraps it as a LiteLLM custom provider and is imported lazily (it is the one
litellm importer here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent_crm.llm.local.protocol import reason, requested_schema

if TYPE_CHECKING:
    from agent_crm.llm.local.provider import (
        MODEL_ID,
        MODEL_NAME,
        PROVIDER,
        VERSION,
        LocalReasonerLLM,
        provider_entry,
    )

_LAZY = {"LocalReasonerLLM", "MODEL_ID", "MODEL_NAME", "PROVIDER", "VERSION", "provider_entry"}


def __getattr__(name: str) -> Any:
    """Import the LiteLLM provider on first use of one of its names (keeps this package light)."""
    if name in _LAZY:
        from agent_crm.llm.local import provider

        return getattr(provider, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MODEL_ID",
    "MODEL_NAME",
    "PROVIDER",
    "VERSION",
    "LocalReasonerLLM",
    "provider_entry",
    "reason",
    "requested_schema",
]
