"""Frozen value objects shared by every layer (no I/O here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Direction = Literal["inbound", "outbound", "internal"]
Language = Literal["zh", "en"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(_Frozen):
    """Where a record came from: file and 1-based line (CSV: the line of the row's header is line 1)."""

    file: str
    """Path or name of the source file (or 'sdk' / 'api' for records passed in memory)."""
    line: int = 0
    """1-based line number in the file (0 when not from a file)."""


class Interaction(_Frozen):
    """One customer interaction record (email, ticket, chat, call, meeting, order, quote, note, ...)."""

    id: str
    """Stable record id, unique within the tenant."""
    tenant: str
    """Tenant that owns the record (stamped by the ingest pipeline, never taken from untrusted text)."""
    customer_id: str
    """Id of the customer (account) the interaction belongs to."""
    customer_name: str | None = None
    """Display name of the customer, if given."""
    channel: str
    """email | ticket | chat | call | meeting | order | quote | note | doc | ... (lower-case)."""
    timestamp: datetime
    """When it happened (timezone-aware, UTC if the input had no zone)."""
    direction: Direction | None = None
    """inbound (from the customer), outbound (to the customer) or internal."""
    author: str | None = None
    """Who wrote or logged it (a rep, a contact)."""
    contact_name: str | None = None
    """The customer's contact person involved (e.g. 张主任)."""
    subject: str | None = None
    """Subject line or title."""
    text: str = ""
    """Free text body."""
    amount: float | None = None
    """Monetary amount (orders, quotes, payments)."""
    currency: str | None = None
    """ISO 4217 currency code of ``amount``."""
    product: str | None = None
    """Product or product line."""
    department: str | None = None
    """Customer-side department (e.g. a hospital department) or internal team."""
    region: str | None = None
    """Region of the customer (also drives residency and retention)."""
    tags: tuple[str, ...] = ()
    """Free tags."""
    fields: dict[str, Any] = Field(default_factory=dict)
    """Free structured fields (e.g. status, pos_monthly_flow, repaid_on_time)."""
    source: SourceRef = SourceRef(file="sdk")
    """Source file and line."""
    content_hash: str = ""
    """sha256 of the canonical record content (filled by the loader)."""


class Chunk(_Frozen):
    """A piece of an interaction's text, as stored in the vector store and the lexical index."""

    id: str
    """Chunk id: ``{record_id}#{index}``."""
    tenant: str
    record_id: str
    customer_id: str
    channel: str
    timestamp: datetime
    text: str
    """Redacted text of the chunk."""
    index: int = 0
    """Position of the chunk within its record."""
    source: SourceRef = SourceRef(file="sdk")
    content_hash: str = ""
    """Content hash of the record the chunk came from."""
    tags: tuple[str, ...] = ()


class Citation(_Frozen):
    """A pointer from an answer or a factor back to a stored record."""

    record_id: str
    chunk_id: str | None = None
    customer_id: str | None = None
    channel: str | None = None
    timestamp: datetime | None = None
    source: SourceRef | None = None
    snippet: str = ""
    """Short quoted excerpt (redacted) that supports the claim."""
    content_hash: str = ""
    """Content hash of the cited record at the time of the citation."""


class Hit(_Frozen):
    """One retrieval result with its citation and score parts."""

    chunk: Chunk
    score: float
    """Fused score (reciprocal rank fusion)."""
    dense_score: float | None = None
    """Cosine similarity from the dense side (None if not retrieved there)."""
    lexical_score: float | None = None
    """BM25 score from the lexical side (None if not retrieved there)."""
    dense_rank: int | None = None
    lexical_rank: int | None = None

    @property
    def citation(self) -> Citation:
        """Citation for this hit."""
        c = self.chunk
        return Citation(
            record_id=c.record_id,
            chunk_id=c.id,
            customer_id=c.customer_id,
            channel=c.channel,
            timestamp=c.timestamp,
            source=c.source,
            snippet=c.text[:160],
            content_hash=c.content_hash,
        )


class Factor(_Frozen):
    """One weighted factor of a decision, with the records it was computed from."""

    name: str
    """Machine name of the feature (e.g. ``cash_flow_stability``)."""
    label: str = ""
    """Human label in the question's language (e.g. 还款能力)."""
    weight: float
    """Share of the decision's total absolute contribution, in percent (all factors sum to 100)."""
    direction: Literal["positive", "negative", "neutral"]
    """Whether the factor pushes the score up or down."""
    value: float | str | None = None
    """The feature value."""
    contribution: float = 0.0
    """Raw additive contribution in score units (score = bias + sum of contributions)."""
    evidence: tuple[str, ...] = ()
    """Record ids the feature was computed from."""
    rationale: str = ""
    """One sentence explaining the factor, in the question's language."""


class Script(_Frozen):
    """A follow-up script with its strategy and grounding."""

    strategy: str
    """value | relationship | compliance | ..."""
    title: str
    text: str
    factors: tuple[str, ...] = ()
    """Factor names it builds on."""
    citations: tuple[str, ...] = ()
    """Record ids it cites."""


class Decision(_Frozen):
    """An attributed, audited decision."""

    type: str
    """Decision type (next_best_action, lead_score, churn_risk, ticket_routing, credit_recommendation)."""
    label: str
    """The decision's outcome (e.g. ``approve``, ``high``, ``qualified``, a queue name)."""
    score: float
    """Score in [0, 1] (probability-like), from the transparent scoring model."""
    tenant: str
    customer_id: str | None = None
    factors: tuple[Factor, ...] = ()
    answer: str = ""
    scripts: tuple[Script, ...] = ()
    citations: tuple[Citation, ...] = ()
    model: str = ""
    """Model alias and resolved model id that wrote the answer (``alias -> provider/model``)."""
    audit_id: str | None = None
    language: Language = "en"
    flags: tuple[str, ...] = ()
    """Trust flags (e.g. ``unverified_amount``, ``prompt_injection``, ``pending_approval``)."""
    details: dict[str, Any] = Field(default_factory=dict)
    """Type-specific extras (queue and priority for routing, credit limit, BANT failures, ...)."""


class AuditRecord(_Frozen):
    """One row of the tenant's hash-chained audit ledger."""

    id: str
    tenant: str
    seq: int
    kind: str
    """decision | correction | approval | erasure | reidentification | ..."""
    created_at: str
    """ISO 8601 UTC timestamp."""
    actor: str
    payload: dict[str, Any]
    payload_hash: str
    prev_hash: str
    chain_hash: str
    parent_id: str | None = None
