"""State and run-time context of the agent graphs."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

if TYPE_CHECKING:
    from agent_crm.agents.deps import TenantDeps


class AssistantState(TypedDict, total=False):
    """What flows through the assistant graph (checkpointed per thread)."""

    messages: Annotated[list[AnyMessage], add_messages]
    """Conversation turns (langchain-core messages), masked."""
    question: str
    """The current question (PII-masked)."""
    language: str
    """zh | en, following the question."""
    customer_id: str | None
    """Resolved customer; kept across turns for continuity."""
    customer_name: str | None
    """Display name of the resolved customer (from the tenant's directory)."""
    decision_type: str | None
    """Decision type to make."""
    intent: str
    """decide | search | chitchat."""
    candidates: list[str]
    """Customer ids when the reference was ambiguous."""
    clarification: str | None
    """Clarifying question when the customer is unknown or ambiguous."""
    evidence: list[dict[str, Any]]
    """Retrieved interaction snippets (record_id, channel, timestamp, snippet, content_hash)."""
    knowledge: list[dict[str, Any]]
    """Retrieved knowledge-document snippets."""
    decision: dict[str, Any] | None
    """The Decision (JSON form) as it is being built."""
    approval: dict[str, Any] | None
    """Human approval outcome (approved, actor, reason, label override)."""
    model_calls: Annotated[list[dict[str, Any]], operator.add]
    """Every model call of the run: purpose, alias, model, version, region, tokens, cost, latency, attempts."""
    path: Annotated[list[dict[str, Any]], operator.add]
    """Graph path: node names with their timings in ms."""
    flags: Annotated[list[str], operator.add]
    """Trust flags raised during the run."""
    audit_id: str | None
    """Id of the run's audit record."""
    run: dict[str, Any]
    """Per-run request options: preset customer/type, model alias, actor, n_scripts, started_at."""


@dataclass
class AssistantContext:
    """Run-time dependencies injected into nodes (never part of the checkpointed state)."""

    deps: TenantDeps
    """The tenant's stores, gateway and ledger (the tenant is fixed here, never taken from the model)."""
    extra: dict[str, Any] = field(default_factory=dict)
