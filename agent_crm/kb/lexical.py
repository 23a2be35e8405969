"""Per-tenant BM25 index (bm25s + jieba), persistent and incremental.

Layout under the index directory: ``chunks.sqlite`` holds every live chunk with its tokens (the index's own
source of truth, so it reopens without re-tokenising) and ``base-<gen>/`` a bm25s index over the chunks
that were live at the last compaction. Upserts since then form an in-memory *delta* (an inverted index
scored with the same BM25 formula and the base's statistics); replaced and deleted base chunks are
*tombstoned* (masked). Queries merge base and delta; the base is rebuilt (compaction) when the delta or the
tombstones grow past a threshold, or on ``compact()``. Filters apply to candidates before the top-k.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import shutil
import sqlite3
import threading
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agent_crm.kb.filters import FilterColumns, SearchFilters, positions_in, top_candidates
from agent_crm.logs import get_logger
from agent_crm.types import Chunk

_log = get_logger("kb.lexical")

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN_RE = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[a-z0-9]+(?:[-_/:#][a-z0-9]+|\.[0-9]+)*)")
_SEP_RE = re.compile(r"[-_./:#]")
_STOP_TEXT = """
a an the and or of to in on at by for with from as is are was were be been being it its this that these those
we you i he she they our your their his her us them me my has have had do does did but if so than then there
will would can could should shall may about into onto please hi hello dear re fw
的 了 和 是 在 我 你 他 她 它 我们 你们 他们 也 就 都 而 及 与 或 这 那 吗 呢 吧 啊 呀
把 被 让 给 着 过 之 其 于 以 一个 这个 那个 请 您 就是 还是 并 又 等 对 从 向 为
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
"""Small bilingual stop-word list (negations such as 不 / no / not are kept: they carry meaning)."""


@functools.cache
def _segmenter() -> Any:
    import jieba  # jieba.initialize() holds its own lock

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Split text into BM25 terms, identically at index and query time.

    NFKC-normalised and lower-cased; CJK runs are segmented with jieba (search mode, so long words also
    yield their sub-words); ASCII words are kept; identifiers joined by ``- _ / : #`` (or ``.`` before a
    digit) that contain a digit (order numbers, SKUs, masked phones, versions) are kept whole *and* split
    into their parts; punctuation and stop words drop.
    """
    out: list[str] = []
    for m in _RUN_RE.finditer(unicodedata.normalize("NFKC", text).lower()):
        if m.group("cjk") is not None:
            words = _segmenter().lcut_for_search(m.group("cjk"))
            out.extend(w for w in words if w.strip() and w not in STOP_WORDS)
            continue
        word = m.group("word")
        parts = _SEP_RE.split(word)
        if len(parts) > 1 and any(ch.isdigit() for ch in word):
            out.append(word)
        out.extend(p for p in parts if p and p not in STOP_WORDS)
    return out


_SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS chunks (id TEXT PRIMARY KEY, body TEXT NOT NULL, tokens TEXT NOT NULL,
                                   in_base INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_SET_GEN = "INSERT OR REPLACE INTO meta (key, value) VALUES ('base_gen', ?)"
DELTA_MIN = 2000
"""Delta size below which upserts never trigger a compaction."""
DELTA_FRACTION = 8
"""Compact when the delta exceeds the base size divided by this (or DELTA_MIN)."""
TOMBSTONE_FRACTION = 4
"""Compact when tombstones exceed the base size divided by this."""


class LexicalIndex:
    """One tenant's persistent, incremental BM25 index; thread-safe (one lock per index)."""

    def __init__(
        self, directory: Path, *, k1: float = 1.5, b: float = 0.75, delta_min: int = DELTA_MIN
    ) -> None:
        """Open (or create) the index in ``directory`` and load it into memory."""
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.k1, self.b, self.delta_min = k1, b, delta_min
        self._lock = threading.RLock()
        db_path = str(self.dir / "chunks.sqlite")
        self._db = sqlite3.connect(db_path, check_same_thread=False)  # `with self._db:` = one transaction
        self._db.executescript(_SCHEMA)
        self.reloads = 0
        """How often the index was reloaded because another process committed to it (API workers)."""
        self._load_all()

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _load_all(self) -> None:
        """(Re)load the whole index from its files; remember the database version it reflects."""
        self._version = self._data_version()
        self._chunks: dict[str, Chunk] = {}
        self._by_record: dict[str, set[str]] = {}
        self._codes: dict[str, int] = {}
        row = self._db.execute("SELECT value FROM meta WHERE key='base_gen'").fetchone()
        self._gen = int(row[0]) if row else 0
        self._load_base()
        self._reset_delta()
        for cid, body, toks, in_base in self._db.execute("SELECT id, body, tokens, in_base FROM chunks"):
            chunk = Chunk.model_validate_json(body)
            self._remember(chunk)
            pos = self._base_pos.get(cid)
            if in_base and pos is not None:
                self._base_alive[pos] = True
            else:
                self._delta_add(chunk, toks.split(" ") if toks else [])
        self._index_base_meta()
        for old in self.dir.glob("base-*"):
            if old.name != f"base-{self._gen}":
                shutil.rmtree(old, ignore_errors=True)

    def _load_base(self) -> None:
        self._base_ids: list[str] = []
        self._vocab: dict[str, int] = {}
        self._base_avgdl = 0.0
        self._scores: dict[str, Any] = {}
        path = self.dir / f"base-{self._gen}"
        if self._gen and (path / "ids.json").exists():
            stats = json.loads((path / "ids.json").read_text(encoding="utf-8"))
            self._base_ids = list(stats["ids"])
            self._base_avgdl = float(stats["avgdl"])
            if stats["bm25"]:
                import bm25s

                model = bm25s.BM25.load(str(path), mmap=False, show_progress=False)
                self._scores = model.scores
                self._vocab = model.vocab_dict
        self._base_pos: dict[str, int] = {cid: i for i, cid in enumerate(self._base_ids)}
        self._base_alive = np.zeros(len(self._base_ids), dtype=bool)
        indptr = self._scores.get("indptr")
        self._base_df = np.diff(indptr) if indptr is not None else np.zeros(0, dtype=np.int64)
        self._base_cols = FilterColumns()
        self._base_tags: dict[str, np.ndarray] = {}

    def _index_base_meta(self) -> None:
        """Fill the base's filter columns from the in-memory chunks (after load or compaction)."""
        tags: dict[str, list[int]] = {}
        for i, cid in enumerate(self._base_ids):
            c = self._chunks.get(cid)  # None: a deleted base entry, masked by _base_alive anyway
            self._base_cols.add(c, self._codes)
            for t in c.tags if c else ():
                tags.setdefault(t, []).append(i)
        self._base_tags = {t: np.asarray(v, dtype=np.int64) for t, v in tags.items()}

    def _reset_delta(self) -> None:
        self._delta_ids: list[str] = []
        self._delta_slot: dict[str, int] = {}
        self._delta_len = array("f")
        self._delta_alive = array("b")
        self._delta_cols = FilterColumns()
        self._post: dict[str, tuple[array[int], array[int]]] = {}
        self._delta_df: dict[str, int] = {}
        self._delta_tokens: dict[int, list[str]] = {}
        self._delta_total = 0

    def _delta_add(self, chunk: Chunk, tokens: list[str]) -> None:
        slot = len(self._delta_ids)
        self._delta_ids.append(chunk.id)
        self._delta_slot[chunk.id] = slot
        self._delta_len.append(float(len(tokens)))
        self._delta_alive.append(1)
        self._delta_cols.add(chunk, self._codes)
        self._delta_tokens[slot] = tokens
        self._delta_total += len(tokens)
        for t, n in Counter(tokens).items():
            slots, tfs = self._post.setdefault(t, (array("i"), array("i")))
            slots.append(slot)
            tfs.append(n)
            self._delta_df[t] = self._delta_df.get(t, 0) + 1

    def _delta_remove(self, cid: str) -> None:
        slot = self._delta_slot.pop(cid, None)
        if slot is None:
            return
        self._delta_alive[slot] = 0
        tokens = self._delta_tokens.pop(slot)
        self._delta_total -= len(tokens)
        for t in set(tokens):
            self._delta_df[t] -= 1

    def _remember(self, chunk: Chunk) -> None:
        self._chunks[chunk.id] = chunk
        self._by_record.setdefault(chunk.record_id, set()).add(chunk.id)

    def _forget(self, cid: str) -> None:
        old = self._chunks.pop(cid, None)
        if old is None:
            return
        siblings = self._by_record.get(old.record_id, set())
        siblings.discard(cid)
        if not siblings:
            self._by_record.pop(old.record_id, None)
        pos = self._base_pos.get(cid)
        if pos is not None:
            self._base_alive[pos] = False
        self._delta_remove(cid)

    @property
    def delta_size(self) -> int:
        """Return the number of live chunks in the delta (not yet in the base)."""
        return len(self._delta_slot)

    @property
    def tombstones(self) -> int:
        """Return the number of base entries masked out (deleted or replaced since the last compaction)."""
        return len(self._base_ids) - int(self._base_alive.sum())

    def _needs_compaction(self) -> bool:
        n, floor = len(self._base_ids), self.delta_min
        grown = self.delta_size > max(floor, n // DELTA_FRACTION)
        return grown or self.tombstones > max(floor, n // TOMBSTONE_FRACTION)

    def upsert(self, chunks: Sequence[Chunk]) -> int:
        """Insert or replace chunks (a later duplicate id in the input wins); return how many were written."""
        latest = {c.id: c for c in chunks}
        tokens = {cid: tokenize(c.text) for cid, c in latest.items()}
        with self._lock:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO chunks (id, body, tokens, in_base) VALUES (?, ?, ?, 0)",
                    [(cid, c.model_dump_json(), " ".join(tokens[cid])) for cid, c in latest.items()],
                )
            for cid, c in latest.items():
                self._forget(cid)
                self._remember(c)
                self._delta_add(c, tokens[cid])
            if self._needs_compaction():
                self.compact()
        return len(latest)

    def _delete_ids(self, ids: Iterable[str]) -> int:
        todo = sorted(set(ids))
        if not todo:
            return 0
        with self._db:
            self._db.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in todo])
        for cid in todo:
            self._forget(cid)
        if self._needs_compaction():
            self.compact()
        return len(todo)

    def delete(self, record_ids: Iterable[str]) -> int:
        """Delete every chunk of these records; return the number of chunks deleted."""
        with self._lock:
            return self._delete_ids(cid for r in set(record_ids) for cid in self._by_record.get(r, ()))

    def delete_customer(self, customer_id: str) -> int:
        """Delete every chunk of one customer; return the number of chunks deleted."""
        with self._lock:
            return self._delete_ids([cid for cid, c in self._chunks.items() if c.customer_id == customer_id])

    def compact(self) -> None:
        """Rebuild the bm25s base from every live chunk, persist it, empty the delta and the tombstones."""
        import bm25s

        with self._lock:
            ids: list[str] = []
            vocab: dict[str, int] = {}
            corpus: list[list[int]] = []  # token ids, streamed from SQLite (a fraction of the memory of str)
            for cid, toks in self._db.execute("SELECT id, tokens FROM chunks ORDER BY id"):
                ids.append(cid)
                corpus.append([vocab.setdefault(t, len(vocab)) for t in toks.split(" ")] if toks else [])
            gen = self._gen + 1
            path = self.dir / f"base-{gen}"
            shutil.rmtree(path, ignore_errors=True)
            path.mkdir(parents=True)
            if vocab:
                model = bm25s.BM25(k1=self.k1, b=self.b, method="lucene", backend="numpy")
                model.index((corpus, vocab), show_progress=False)
                model.save(str(path), show_progress=False)
            avgdl = float(np.mean([len(t) for t in corpus])) if corpus else 0.0
            (path / "ids.json").write_text(json.dumps({"ids": ids, "avgdl": avgdl, "bm25": bool(vocab)}))
            del corpus
            with self._db:
                self._db.execute("UPDATE chunks SET in_base = 1")
                self._db.execute(_SET_GEN, (str(gen),))
            shutil.rmtree(self.dir / f"base-{self._gen}", ignore_errors=True)
            self._gen = gen
            self._load_base()
            self._base_alive[:] = True
            self._index_base_meta()
            self._reset_delta()
            _log.debug("lexical_compacted", chunks=len(ids), gen=gen)

    def _base_hits(self, terms: list[str], k: int, f: SearchFilters | None) -> list[tuple[float, str]]:
        indptr = self._scores.get("indptr")
        n_cols = 0 if indptr is None else len(indptr) - 1
        cols = [c for c in (self._vocab.get(t, n_cols) for t in terms) if c < n_cols]
        if indptr is None or not cols:
            return []
        data, indices = self._scores["data"], self._scores["indices"]
        idx = np.concatenate([indices[indptr[c] : indptr[c + 1]] for c in cols])
        val = np.concatenate([data[indptr[c] : indptr[c + 1]] for c in cols])
        scores = np.bincount(idx, weights=val, minlength=len(self._base_ids))
        cand = np.flatnonzero(scores > 0)
        cand = cand[self._base_alive[cand]]
        if f is not None and not f.is_empty and cand.size:
            cand = cand[self._base_cols.mask(cand, f, self._codes)]
            for t in f.tags:
                tagged = self._base_tags.get(t, np.zeros(0, dtype=np.int64))
                cand = positions_in(cand, tagged, len(self._base_ids))
        return [(float(scores[i]), self._base_ids[i]) for i in top_candidates(scores, cand, k)]

    def _delta_hits(self, terms: list[str], k: int, f: SearchFilters | None) -> list[tuple[float, str]]:
        live = self.delta_size
        if not live:
            return []
        n_total = float(len(self._base_ids) + live)
        avgdl = (self._base_avgdl if self._base_ids else self._delta_total / live) or 1.0
        lengths = np.frombuffer(self._delta_len, dtype=np.float32)
        acc = np.zeros(len(self._delta_ids), dtype=np.float64)
        for t in terms:
            post = self._post.get(t)
            if post is None:
                continue
            slots = np.frombuffer(post[0], dtype=np.int32)
            tf = np.frombuffer(post[1], dtype=np.int32).astype(np.float64)
            col = self._vocab.get(t, -1)
            df = self._delta_df.get(t, 0) + (int(self._base_df[col]) if 0 <= col < len(self._base_df) else 0)
            idf = np.log(1.0 + (n_total - df + 0.5) / (df + 0.5))  # bm25s "lucene" idf and tf part
            norm = self.k1 * ((1 - self.b) + self.b * lengths[slots] / avgdl)
            acc += np.bincount(slots, weights=idf * tf / (norm + tf), minlength=acc.size)
        cand = np.flatnonzero((acc > 0) & np.frombuffer(self._delta_alive, dtype=np.int8).astype(bool))
        if f is not None and not f.is_empty and cand.size:
            cand = cand[self._delta_cols.mask(cand, f, self._codes)]
            if f.tags:
                tagged = [s for s in cand if set(f.tags) <= set(self._chunks[self._delta_ids[s]].tags)]
                cand = np.asarray(tagged, dtype=np.int64)
        return [(float(acc[s]), self._delta_ids[s]) for s in top_candidates(acc, cand, k)]

    def refresh(self) -> bool:
        """Reload when another process (another API worker) committed to this index; return whether it did.

        ``PRAGMA data_version`` changes only for other connections' commits, so this costs one cheap query.
        """
        with self._lock:
            if self._data_version() == self._version:
                return False
            self._load_all()
            self.reloads += 1
            return True

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[tuple[Chunk, float]]:
        """Return up to ``k`` chunks matching the query terms, best BM25 score first (ties by chunk id)."""
        terms = list(dict.fromkeys(tokenize(query)))
        if not terms or k <= 0:
            return []
        self.refresh()
        with self._lock:
            hits = self._base_hits(terms, k, filters) + self._delta_hits(terms, k, filters)
            hits.sort(key=lambda h: (-h[0], h[1]))
            return [(self._chunks[cid], score) for score, cid in hits[:k]]

    def all_chunks(self) -> list[Chunk]:
        """Return every live chunk, sorted by chunk id."""
        with self._lock:
            return [self._chunks[c] for c in sorted(self._chunks)]

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """Return the live chunks among these ids, in the order given."""
        with self._lock:
            return [self._chunks[i] for i in ids if i in self._chunks]

    def count(self) -> int:
        """Return the number of live chunks."""
        return len(self._chunks)

    def close(self) -> None:
        """Close the SQLite connection (the index is unusable afterwards)."""
        self._db.close()
