"""One tenant's hybrid knowledge index: the Chroma vector store and the BM25 index, written in step.

Filtered dense search: Chroma's filtered HNSW search is slow for selective filters (measured at 100k chunks:
~90 ms for one customer's 200 chunks, vs ~1 ms unfiltered). Under a filter the dense side therefore runs on an
in-memory float32 mirror of the tenant's vectors (built from Chroma on the first filtered query, then kept in
step by every write): exact cosine over the allowed chunks when they are few, else an unfiltered HNSW query
over-fetched by the filter's selectivity and post-filtered. Unfiltered queries go straight to Chroma.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from agent_crm.errors import TenantError
from agent_crm.kb.chroma import VectorStore, get_client
from agent_crm.kb.dense_mirror import DenseMirror
from agent_crm.kb.documents import KNOWLEDGE_CUSTOMER
from agent_crm.kb.embeddings import Embedder, get_embedder
from agent_crm.kb.filters import SearchFilters
from agent_crm.kb.glossary import expand_query
from agent_crm.kb.identifiers import IDENTIFIER
from agent_crm.kb.lexical import LexicalIndex
from agent_crm.kb.retriever import rrf_fuse
from agent_crm.logs import get_logger
from agent_crm.tenancy import tenant_dir, validate_tenant
from agent_crm.types import Chunk, Hit

if TYPE_CHECKING:
    from agent_crm.config import Settings

_log = get_logger("kb.index")

EMBED_BATCH = 256
"""Chunks embedded and written to the vector store per step of an upsert."""
OVERFETCH = 4
"""Each retrieval side returns this many times ``k`` candidates before fusion."""
EXACT_MAX = 20_000
"""Cap on the allowed chunks for exact filtered dense search; below it the switch point is
``max(1000, sqrt(500 * tenant size))`` (exact cost grows with the allowed chunks, over-fetch cost with
tenant size / allowed chunks)."""


@dataclass
class _Shared:
    """Per-tenant state shared by every TenantIndex of the process (two live copies would diverge)."""

    lexical: LexicalIndex
    lock: threading.RLock = field(default_factory=threading.RLock)
    """Serialises writes (held while embedding; searches never take it)."""
    mirror: DenseMirror | None = None
    embedder: Embedder | None = None
    """Set by a re-embed, so other TenantIndex objects of the tenant follow it."""
    generation: int = 0
    seen_reloads: int = 0
    """Lexical reloads (another process's writes) the mirror has followed."""


_SHARED: dict[Path, _Shared] = {}
_SHARED_LOCK = threading.Lock()


def _shared_for(directory: Path) -> _Shared:
    key = directory.resolve()
    with _SHARED_LOCK:
        found = _SHARED.get(key)
        if found is None:
            found = _Shared(LexicalIndex(key))
            _SHARED[key] = found
        return found


IDENTIFIER_WEIGHT = 2.0


class TenantIndex:
    """Hybrid (dense + BM25) index of one tenant; the tenant is fixed at construction.

    Args:
        settings: process settings (data home, Chroma mode, RRF constant, default engine).
        tenant: the tenant id (validated).
        embedder: an engine id or an Embedder; None = the engine recorded with the tenant's collection, or
            ``settings.embedding_engine`` for a new tenant.

    Raises:
        ConfigError: the tenant's vectors were made by another engine than the one asked for.
        TenantError: invalid tenant id.
    """

    exact_max: int = EXACT_MAX
    """Filtered dense search is exact up to this many allowed chunks, over-fetched HNSW above."""

    def __init__(self, settings: Settings, tenant: str, embedder: Embedder | str | None = None) -> None:
        self.tenant = validate_tenant(tenant)
        self.settings = settings
        self._client = get_client(settings)
        if embedder is None:
            embedder = VectorStore.recorded_embedder(self._client, self.tenant) or settings.embedding_engine
        self._embedder: Embedder = get_embedder(embedder) if isinstance(embedder, str) else embedder
        self._vectors = VectorStore(self._client, self.tenant, self._embedder.name, self._embedder.dim)
        self._shared = _shared_for(tenant_dir(settings.home, self.tenant) / "lexical")
        self._lexical = self._shared.lexical
        self._lock = self._shared.lock
        self._generation = self._shared.generation

    def _sync(self) -> None:
        """Follow a re-embed done through another TenantIndex of the same tenant, and writes committed by
        another process (API workers over a Chroma server): the BM25 index reloads and the vector mirror is
        dropped, to be rebuilt from Chroma on the next filtered query."""
        shared = self._shared
        shared.lexical.refresh()
        if shared.lexical.reloads != shared.seen_reloads:
            shared.mirror, shared.seen_reloads = None, shared.lexical.reloads
        if self._generation != shared.generation and shared.embedder is not None:
            emb = shared.embedder
            self._vectors = VectorStore(self._client, self.tenant, emb.name, emb.dim)
            self._embedder, self._generation = emb, shared.generation

    @property
    def embedder_name(self) -> str:
        """Return the engine id of the tenant's vectors."""
        self._sync()
        return self._embedder.name

    @property
    def lexical(self) -> LexicalIndex:
        """Return the tenant's BM25 index."""
        return self._lexical

    @property
    def vectors(self) -> VectorStore:
        """Return the tenant's vector store."""
        self._sync()
        return self._vectors

    def _mirror(self) -> DenseMirror:
        mirror = self._shared.mirror
        if mirror is None:
            with self._lock:
                mirror = self._shared.mirror
                if mirror is None:
                    mirror = DenseMirror(self._embedder.dim)
                    for chunks, vecs in self._vectors.embedding_pages():
                        mirror.add(chunks, vecs)
                    self._shared.mirror = mirror
        return mirror

    def _embed_into(self, store: VectorStore, embedder: Embedder, chunks: Sequence[Chunk]) -> None:
        mirror = self._shared.mirror if store is self._vectors else None
        for start in range(0, len(chunks), EMBED_BATCH):
            batch = chunks[start : start + EMBED_BATCH]
            vecs = embedder.embed_documents([c.text for c in batch])
            store.upsert(batch, vecs)
            if mirror is not None:
                mirror.add(batch, vecs)

    def upsert(self, chunks: Iterable[Chunk]) -> int:
        """Embed and write chunks to both stores (unchanged chunks are skipped); return how many were written.

        Raises:
            TenantError: a chunk belongs to another tenant.
        """
        latest: dict[str, Chunk] = {}
        for c in chunks:
            if c.tenant != self.tenant:
                raise TenantError(f"chunk {c.id!r} belongs to tenant {c.tenant!r}, not {self.tenant!r}")
            latest[c.id] = c
        self._sync()
        with self._lock:
            known = {c.id: c for c in self._lexical.get_chunks(list(latest))}
            todo = [c for cid, c in latest.items() if known.get(cid) != c]
            if not todo:
                return 0
            self._embed_into(self._vectors, self._embedder, todo)
            self._lexical.upsert(todo)
            self._vectors.settle()
        _log.debug("kb_upsert", tenant=self.tenant, chunks=len(todo))
        return len(todo)

    def upsert_embedded(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> int:
        """Write chunks with embeddings computed elsewhere by this tenant's engine (imports, benchmarks).

        Raises:
            TenantError: a chunk belongs to another tenant.
            ValueError: the embeddings do not match the chunks or the engine's dimension.
        """
        for c in chunks:
            if c.tenant != self.tenant:
                raise TenantError(f"chunk {c.id!r} belongs to tenant {c.tenant!r}, not {self.tenant!r}")
        self._sync()
        with self._lock:
            self._vectors.upsert(chunks, embeddings)
            if self._shared.mirror is not None:
                self._shared.mirror.add(chunks, np.asarray(embeddings, dtype=np.float32))
            written = self._lexical.upsert(chunks)
            self._vectors.settle()
            return written

    def delete(self, record_ids: Iterable[str]) -> int:
        """Delete every chunk of these records from both stores; return the number of chunks deleted."""
        rids = set(record_ids)
        self._sync()
        with self._lock:
            if self._shared.mirror is not None:
                self._shared.mirror.remove_where(record_ids=rids)
            return max(self._vectors.delete(rids), self._lexical.delete(rids))

    def delete_customer(self, customer_id: str) -> int:
        """Delete every chunk of one customer from both stores; return the number of chunks deleted."""
        self._sync()
        with self._lock:
            if self._shared.mirror is not None:
                self._shared.mirror.remove_where(customer_id=customer_id)
            return max(self._vectors.delete_customer(customer_id), self._lexical.delete_customer(customer_id))

    def _dense_ids(self, vec: np.ndarray, n: int, filters: SearchFilters | None) -> list[tuple[str, float]]:
        if filters is None or filters.is_empty:
            return self._vectors.query_ids(vec, n)
        mirror = self._mirror()
        with mirror.lock:
            cand = mirror.allowed(filters)
            total = mirror.size()
            if len(cand) <= min(self.exact_max, max(1000, math.isqrt(500 * total))) or not total:
                return mirror.exact(vec, cand, n)
        fetch = min(total, math.ceil(2 * n * total / len(cand)))
        found = self._vectors.query_ids(vec, fetch)
        with mirror.lock:
            ok = mirror.passes([cid for cid, _ in found], cand)
            hits = [(cid, s) for cid, s in found if cid in ok][:n]
            return hits if len(hits) >= n or fetch >= total else mirror.exact(vec, cand, n)

    def search_dense(self, query: str, k: int = 8, filters: SearchFilters | None = None) -> list[Hit]:
        """Return the ``k`` chunks nearest to the query embedding (score = cosine similarity).

        Chunks come from the in-memory chunk map of the BM25 index (written in step); only chunks missing
        there are fetched from Chroma.
        """
        self._sync()
        found = self._dense_ids(self._embedder.embed_query(query), k, filters)
        chunks = {c.id: c for c in self._lexical.get_chunks([cid for cid, _ in found])}
        missing = [cid for cid, _ in found if cid not in chunks]
        if missing:
            chunks.update((c.id, c) for c in self._vectors.get_chunks(missing))
        ranked = [(chunks[cid], s) for cid, s in found if cid in chunks]
        return [Hit(chunk=c, score=s, dense_score=s, dense_rank=n) for n, (c, s) in enumerate(ranked, 1)]

    def search_lexical(self, query: str, k: int = 8, filters: SearchFilters | None = None) -> list[Hit]:
        """Return the ``k`` best BM25 matches (score = BM25)."""
        found = self._lexical.search(query, k, filters)
        return [Hit(chunk=c, score=s, lexical_score=s, lexical_rank=n) for n, (c, s) in enumerate(found, 1)]

    def search(
        self, query: str, k: int = 8, filters: SearchFilters | None = None, *, knowledge: bool = True
    ) -> list[Hit]:
        """Return the ``k`` best chunks by reciprocal rank fusion of the dense and the BM25 side.

        Each side fetches ``OVERFETCH * k`` candidates under the same filters; fusion uses ``settings.rrf_k``.
        Identifiers in the query (order numbers, SKUs, ticket ids) add a third ranked list: the lexical
        candidates that contain them verbatim. ``knowledge=False`` leaves out the tenant's knowledge documents
        (customer ``_kb``), so record searches are not crowded out by policy texts.
        """
        if k <= 0:
            return []
        n = OVERFETCH * k
        by_dense = {h.chunk.id: h for h in self.search_dense(query, n, filters)}
        # the lexical side also gets the bilingual CRM glossary's translations (cross-lingual questions)
        by_lex = {h.chunk.id: h for h in self.search_lexical(expand_query(query), n, filters)}
        if not knowledge:
            by_dense = {c: h for c, h in by_dense.items() if h.chunk.customer_id != KNOWLEDGE_CUSTOMER}
            by_lex = {c: h for c, h in by_lex.items() if h.chunk.customer_id != KNOWLEDGE_CUSTOMER}
        lists = [list(by_dense), list(by_lex)]
        weights = [1.0, 1.0]
        # identifiers are the lexical side's job (dense models are blind to them): exact containment ranks first
        idents = [m.group(0).lower() for m in IDENTIFIER.finditer(query)]
        if idents:
            lists.append([c for c, h in by_lex.items() if any(i in h.chunk.text.lower() for i in idents)])
            weights.append(IDENTIFIER_WEIGHT)
        hits: list[Hit] = []
        for cid, score in rrf_fuse(lists, k=self.settings.rrf_k, weights=weights)[:k]:
            d, lx = by_dense.get(cid), by_lex.get(cid)
            hits.append(
                Hit(
                    chunk=lx.chunk if lx is not None else by_dense[cid].chunk,
                    score=score,
                    dense_score=d.dense_score if d else None,
                    lexical_score=lx.lexical_score if lx else None,
                    dense_rank=d.dense_rank if d else None,
                    lexical_rank=lx.lexical_rank if lx else None,
                )
            )
        return hits

    def reembed(self, engine: str | Embedder) -> int:
        """Re-embed every chunk with another engine into a fresh collection, then make it the tenant's.

        The chunks come from the BM25 index's store (the tenant's chunk source of truth), so an interrupted
        re-embed can simply be run again. Returns the number of chunks re-embedded.
        """
        new = get_embedder(engine) if isinstance(engine, str) else engine
        with self._lock:
            chunks = self._lexical.all_chunks()
            staging = VectorStore.staging(self._client, self.tenant, new.name, new.dim)
            self._embed_into(staging, new, chunks)
            staging.promote()
            staging.settle()
            self._vectors, self._embedder = staging, new
            shared = self._shared
            shared.mirror, shared.embedder, shared.generation = None, new, shared.generation + 1
            self._generation = shared.generation
        _log.info("kb_reembedded", tenant=self.tenant, engine=new.name, chunks=len(chunks))
        return len(chunks)

    def count(self) -> int:
        """Return the number of chunks in the index."""
        return self._lexical.count()

    def all_chunks(self) -> list[Chunk]:
        """Return every chunk of the tenant, sorted by chunk id."""
        return self._lexical.all_chunks()
