"""Rank fusion and the langchain-core retriever adapter over a tenant's knowledge base.

``TenantRetriever`` subclasses ``langchain_core.retrievers.BaseRetriever``; it is built on first access
(PEP 562 module ``__getattr__``) so that importing this module, and ``kb.index`` which uses ``rrf_fuse``,
stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    from agent_crm.kb.filters import SearchFilters
    from agent_crm.kb.index import TenantIndex
    from agent_crm.types import Hit

__all__ = ["TenantRetriever", "hit_document", "rrf_fuse"]


def rrf_fuse(
    lists: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Fuse ranked id lists with reciprocal rank fusion: ``score(id) = sum over lists of w / (k + rank)``.

    Ranks are 1-based; an id repeated within one list counts once, at its best rank. The result is sorted by
    score (descending), then by best rank, then by id, so equal inputs give identical output.

    Args:
        lists: ranked lists of ids, best first.
        k: the RRF constant (larger flattens the rank discount).
        weights: one weight per list (default 1 each): weighted RRF.

    Returns:
        ``(id, score)`` pairs, best first.
    """
    if k < 0:
        raise ValueError("rrf k must be >= 0")
    if weights is not None and len(weights) != len(lists):
        raise ValueError("rrf weights must have one entry per list")
    scores: dict[str, float] = {}
    best: dict[str, int] = {}
    for i, ranked in enumerate(lists):
        w = 1.0 if weights is None else float(weights[i])
        seen: set[str] = set()
        for rank, key in enumerate(ranked, start=1):
            if key in seen:
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + w / (k + rank)
            best[key] = min(best.get(key, rank), rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], best[kv[0]], kv[0]))


def hit_document(hit: Hit) -> Document:
    """Turn a hit into a langchain-core ``Document`` (page_content = chunk text, metadata = citation)."""
    from langchain_core.documents import Document

    c = hit.chunk
    meta: dict[str, Any] = {
        "tenant": c.tenant,
        "record_id": c.record_id,
        "chunk_id": c.id,
        "customer_id": c.customer_id,
        "channel": c.channel,
        "timestamp": c.timestamp.isoformat(),
        "source_file": c.source.file,
        "source_line": c.source.line,
        "content_hash": c.content_hash,
        "tags": list(c.tags),
        "score": hit.score,
        "dense_score": hit.dense_score,
        "lexical_score": hit.lexical_score,
        "dense_rank": hit.dense_rank,
        "lexical_rank": hit.lexical_rank,
    }
    return Document(page_content=c.text, metadata=meta, id=c.id)


def _build_tenant_retriever() -> type:
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict

    class TenantRetriever(BaseRetriever):
        """LangChain retriever over one tenant's hybrid index (the tenant is fixed by the index)."""

        model_config = ConfigDict(arbitrary_types_allowed=True)

        index: Any
        """The ``TenantIndex`` searched (tenant-scoped at construction)."""
        k: int = 8
        """Number of documents returned."""
        filters: Any = None
        """Optional ``SearchFilters`` applied to both retrieval sides."""

        def _get_relevant_documents(
            self, query: str, *, run_manager: CallbackManagerForRetrieverRun
        ) -> list[Document]:
            return [hit_document(h) for h in self.index.search(query, k=self.k, filters=self.filters)]

    TenantRetriever.__module__ = __name__
    TenantRetriever.__qualname__ = "TenantRetriever"
    return TenantRetriever


if TYPE_CHECKING:

    class TenantRetriever(BaseRetriever):
        """LangChain retriever over one tenant's hybrid index (the tenant is fixed by the index)."""

        index: TenantIndex
        k: int
        filters: SearchFilters | None

        def __init__(
            self, *, index: TenantIndex, k: int = 8, filters: SearchFilters | None = None
        ) -> None: ...

        def _get_relevant_documents(
            self, query: str, *, run_manager: CallbackManagerForRetrieverRun
        ) -> list[Document]: ...


def __getattr__(name: str) -> Any:
    if name == "TenantRetriever":
        cls = _build_tenant_retriever()
        globals()["TenantRetriever"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
