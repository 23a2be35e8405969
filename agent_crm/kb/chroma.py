"""Per-tenant vector store on Chroma (the only importer of chromadb).

One collection per tenant, named by ``tenancy.collection_name``; cosine space; embeddings are always
computed by us (``embedding_function=None``). The collection's metadata records the tenant, the embedding
engine and the dimension, so a tenant is never queried with vectors of another engine.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from agent_crm.errors import BackendError, ConfigError, TenantError
from agent_crm.kb.filters import SearchFilters, epoch_seconds
from agent_crm.logs import get_logger
from agent_crm.offline import ensure_offline_env
from agent_crm.tenancy import collection_name, validate_tenant
from agent_crm.types import Chunk, SourceRef

if TYPE_CHECKING:
    from agent_crm.config import Settings

_log = get_logger("kb.chroma")

HTTP_TIMEOUT_S = 30.0
"""Timeout of every request to a Chroma server (chromadb's own HTTP client has none)."""
HEARTBEAT_TIMEOUT_S = 5.0
"""Timeout of the reachability probe made before connecting to a Chroma server."""
_PAGE = 5000

_CLIENTS: dict[tuple[str, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def _chroma_settings() -> Any:
    ensure_offline_env()
    import chromadb.config

    return chromadb.config.Settings(anonymized_telemetry=False, allow_reset=True)


def _http_client(host: str, port: int) -> Any:
    import httpx

    url = f"http://{host}:{port}/api/v2/heartbeat"
    try:
        httpx.get(url, timeout=HEARTBEAT_TIMEOUT_S).raise_for_status()
    except httpx.HTTPError as exc:
        raise BackendError(f"Chroma server at {host}:{port} is not reachable: {exc}") from exc
    settings = _chroma_settings()
    import chromadb

    client = chromadb.HttpClient(host=host, port=port, settings=settings)
    session = getattr(getattr(client, "_server", None), "_session", None)
    if session is not None:
        session.timeout = httpx.Timeout(HTTP_TIMEOUT_S)
    return client


def get_client(settings: Settings) -> Any:
    """Return the process's Chroma client for these settings (cached per mode and location, thread-safe).

    Embedded mode opens a ``PersistentClient`` at ``home/chroma``; server mode an ``HttpClient`` to
    ``chroma_host:chroma_port`` with explicit timeouts.

    Raises:
        BackendError: the Chroma server does not answer.
    """
    if settings.chroma_mode == "server":
        key: tuple[str, ...] = ("server", settings.chroma_host, str(settings.chroma_port))
    else:
        key = ("embedded", str(settings.home / "chroma"))
    client = _CLIENTS.get(key)
    if client is not None:
        return client
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            if key[0] == "server":
                client = _http_client(settings.chroma_host, settings.chroma_port)
            else:
                path = settings.home / "chroma"
                path.mkdir(parents=True, exist_ok=True)
                cs = _chroma_settings()
                import chromadb

                client = chromadb.PersistentClient(path=str(path), settings=cs)
            _CLIENTS[key] = client
        return client


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    """Return the Chroma metadata stored with a chunk (tags as a string list, omitted when empty)."""
    meta: dict[str, Any] = {
        "record_id": chunk.record_id,
        "customer_id": chunk.customer_id,
        "channel": chunk.channel,
        "ts": epoch_seconds(chunk.timestamp),
        "timestamp": chunk.timestamp.isoformat(),
        "source_file": chunk.source.file,
        "source_line": chunk.source.line,
        "content_hash": chunk.content_hash,
        "index": chunk.index,
    }
    if chunk.tags:
        meta["tags"] = list(chunk.tags)
    return meta


def chroma_where(filters: SearchFilters | None) -> dict[str, Any] | None:
    """Translate search filters into a Chroma ``where`` clause (None when there is nothing to filter)."""
    if filters is None:
        return None
    parts: list[dict[str, Any]] = []
    if filters.customer_id is not None:
        parts.append({"customer_id": filters.customer_id})
    chans = filters.channels
    if len(chans) == 1:
        parts.append({"channel": chans[0]})
    elif chans:
        parts.append({"channel": {"$in": list(chans)}})
    if filters.since_ts is not None:
        parts.append({"ts": {"$gte": filters.since_ts}})
    if filters.until_ts is not None:
        parts.append({"ts": {"$lte": filters.until_ts}})
    parts.extend({"tags": {"$contains": t}} for t in filters.tags)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _staging_name(tenant: str) -> str:
    return f"r-{hashlib.sha256(tenant.encode()).hexdigest()[:24]}-reembed"


class VectorStore:
    """One tenant's Chroma collection: chunks with precomputed, unit-length embeddings."""

    def __init__(
        self, client: Any, tenant: str, embedder_name: str, dim: int, *, _name: str | None = None
    ) -> None:
        """Open (or create) the tenant's collection.

        Args:
            client: a Chroma client from ``get_client``.
            tenant: the tenant id (validated); fixed for the life of the store.
            embedder_name: engine id of the vectors that will be written and queried.
            dim: vector dimension of that engine.

        Raises:
            ConfigError: the collection was embedded with another engine (run the re-embed command).
            TenantError: the tenant id is invalid, or the collection belongs to another tenant.
        """
        self.tenant = validate_tenant(tenant)
        self.name = _name or collection_name(self.tenant)
        self._client = client
        self._dim = int(dim)
        meta = {"tenant": self.tenant, "embedder": embedder_name, "dim": self._dim}
        col = client.get_or_create_collection(
            self.name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata=meta,
            embedding_function=None,
        )
        found = dict(col.metadata or {})
        if found.get("tenant") != self.tenant:
            raise TenantError(
                f"collection {self.name!r} belongs to tenant {found.get('tenant')!r}, not {tenant!r}"
            )
        if found.get("embedder") != embedder_name or int(found.get("dim", -1)) != self._dim:
            raise ConfigError(
                f"tenant {self.tenant!r} was embedded with {found.get('embedder')!r} "
                f"(dim {found.get('dim')}), not {embedder_name!r} (dim {self._dim}); run the re-embed "
                f"command (agent-crm reembed --tenant {self.tenant} --engine {embedder_name}) to switch"
            )
        self.embedder_name = embedder_name
        self._col = col
        self._batch = int(client.get_max_batch_size())

    @staticmethod
    def recorded_embedder(client: Any, tenant: str) -> str | None:
        """Return the engine id recorded in the tenant's collection, or None if it has no collection yet."""
        from chromadb.errors import NotFoundError

        try:
            col = client.get_collection(collection_name(tenant), embedding_function=None)
        except NotFoundError:
            return None
        value = (col.metadata or {}).get("embedder")
        return str(value) if value is not None else None

    @classmethod
    def staging(cls, client: Any, tenant: str, embedder_name: str, dim: int) -> VectorStore:
        """Return a fresh, empty staging collection for re-embedding a tenant (a leftover one is dropped)."""
        name = _staging_name(validate_tenant(tenant))
        from chromadb.errors import NotFoundError

        with contextlib.suppress(NotFoundError):
            client.delete_collection(name)
        return cls(client, tenant, embedder_name, dim, _name=name)

    def promote(self) -> None:
        """Replace the tenant's collection with this staging collection (the old vectors are dropped)."""
        canonical = collection_name(self.tenant)
        if self.name == canonical:
            return
        from chromadb.errors import NotFoundError

        with contextlib.suppress(NotFoundError):
            self._client.delete_collection(canonical)
        self._col.modify(name=canonical)
        self.name = canonical
        self._col = self._client.get_collection(canonical, embedding_function=None)

    def _chunk(self, cid: str, doc: str | None, m: Any) -> Chunk:
        tags = m.get("tags")
        return Chunk(
            id=cid,
            tenant=self.tenant,
            record_id=str(m["record_id"]),
            customer_id=str(m["customer_id"]),
            channel=str(m["channel"]),
            timestamp=datetime.fromisoformat(str(m["timestamp"])),
            text=doc or "",
            index=int(m.get("index", 0)),
            source=SourceRef(file=str(m.get("source_file", "sdk")), line=int(m.get("source_line", 0))),
            content_hash=str(m.get("content_hash", "")),
            tags=tuple(tags) if tags else (),
        )

    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> int:
        """Insert or replace chunks with their embeddings (a later duplicate id in the input wins).

        Raises:
            TenantError: a chunk belongs to another tenant.
            ValueError: the embeddings do not match the chunks or the dimension.
        """
        vecs = np.asarray(embeddings, dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[0] != len(chunks) or (len(chunks) and vecs.shape[1] != self._dim):
            raise ValueError(f"expected embeddings of shape ({len(chunks)}, {self._dim}), got {vecs.shape}")
        last: dict[str, int] = {}
        for i, c in enumerate(chunks):
            if c.tenant != self.tenant:
                raise TenantError(f"chunk {c.id!r} belongs to tenant {c.tenant!r}, not {self.tenant!r}")
            last[c.id] = i
        order = sorted(last.values())
        for start in range(0, len(order), self._batch):
            part = order[start : start + self._batch]
            self._col.upsert(
                ids=[chunks[i].id for i in part],
                embeddings=vecs[part],
                documents=[chunks[i].text for i in part],
                metadatas=[chunk_metadata(chunks[i]) for i in part],
            )
        return len(order)

    def query(
        self, embedding: np.ndarray, k: int, filters: SearchFilters | None = None
    ) -> list[tuple[Chunk, float]]:
        """Return up to ``k`` chunks nearest to a query vector, best first, with cosine similarity."""
        if k <= 0:
            return []
        res = self._col.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)],
            n_results=k,
            where=chroma_where(filters),
            include=["documents", "metadatas", "distances"],
        )
        ids = res["ids"][0] if res["ids"] else []
        docs = res["documents"][0] if res.get("documents") else [None] * len(ids)
        metas = res["metadatas"][0] if res.get("metadatas") else [{}] * len(ids)
        dists = res["distances"][0] if res.get("distances") else [1.0] * len(ids)
        return [
            (self._chunk(cid, doc, m), 1.0 - float(d))
            for cid, doc, m, d in zip(ids, docs, metas, dists, strict=True)
        ]

    def query_ids(
        self, embedding: np.ndarray, k: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        """Return up to ``k`` nearest chunk ids with cosine similarity (no documents fetched: ~3x faster)."""
        if k <= 0:
            return []
        res = self._col.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)],
            n_results=k,
            where=chroma_where(filters),
            include=["distances"],
        )
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else [1.0] * len(ids)
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, dists, strict=True)]

    def _ids_where(self, where: dict[str, Any]) -> list[str]:
        return list(self._col.get(where=where, include=[])["ids"])

    def _delete_ids(self, ids: list[str]) -> int:
        for start in range(0, len(ids), self._batch):
            self._col.delete(ids=ids[start : start + self._batch])
        if ids:
            self.settle()
        return len(ids)

    def delete(self, record_ids: Iterable[str]) -> int:
        """Delete every chunk of these records; return the number of chunks deleted."""
        rids = sorted(set(record_ids))
        ids: list[str] = []
        for start in range(0, len(rids), 500):
            ids.extend(self._ids_where({"record_id": {"$in": rids[start : start + 500]}}))
        return self._delete_ids(ids)

    def delete_customer(self, customer_id: str) -> int:
        """Delete every chunk of one customer; return the number of chunks deleted."""
        return self._delete_ids(self._ids_where({"customer_id": customer_id}))

    def count(self) -> int:
        """Return the number of chunks stored."""
        return int(self._col.count())

    def settle(self) -> None:
        """Apply pending writes now: Chroma applies its write log on the next read (measured ~25 ms for 100
        chunks), so settling after a write keeps that cost out of the first query."""
        self._col.count()

    def _page(self, **kwargs: Any) -> list[Chunk]:
        res = self._col.get(include=["documents", "metadatas"], **kwargs)
        docs = res.get("documents") or [None] * len(res["ids"])
        metas = res.get("metadatas") or [{}] * len(res["ids"])
        return [self._chunk(cid, d, m) for cid, d, m in zip(res["ids"], docs, metas, strict=True)]

    def all_chunks(self) -> list[Chunk]:
        """Return every stored chunk (paged reads), sorted by chunk id."""
        out: list[Chunk] = []
        offset = 0
        while True:
            page = self._page(limit=_PAGE, offset=offset)
            out.extend(page)
            if len(page) < _PAGE:
                break
            offset += _PAGE
        return sorted(out, key=lambda c: c.id)

    def embedding_pages(self) -> Iterator[tuple[list[Chunk], np.ndarray]]:
        """Yield every stored chunk (without its text) with its embedding, one page at a time."""
        offset = 0
        while True:
            res = self._col.get(include=["embeddings", "metadatas"], limit=_PAGE, offset=offset)
            ids = list(res["ids"])
            if ids:
                chunks = [self._chunk(cid, "", m) for cid, m in zip(ids, res["metadatas"], strict=True)]
                yield chunks, np.asarray(res["embeddings"], dtype=np.float32).reshape(len(ids), self._dim)
            if len(ids) < _PAGE:
                return
            offset += _PAGE

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """Return the stored chunks among these ids, in the order given (missing ids are skipped)."""
        if not ids:
            return []
        found = {c.id: c for c in self._page(ids=list(dict.fromkeys(ids)))}
        return [found[i] for i in ids if i in found]

    def drop(self) -> None:
        """Delete the tenant's collection and everything in it."""
        from chromadb.errors import NotFoundError

        with contextlib.suppress(NotFoundError):
            self._client.delete_collection(self.name)
        _log.info("collection_dropped", tenant=self.tenant)
