"""Embedding engines: shapes, normalisation, ranking quality, caching, offline failures."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from agent_crm.errors import ConfigError
from agent_crm.kb.embeddings import E5_BATCH, Embedder, get_embedder


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))


def test_e5_outputs_unit_float32_vectors() -> None:
    """e5 returns (n, 384) float32 rows of unit length for documents and a (384,) unit vector for a query."""
    emb = get_embedder("e5")
    assert isinstance(emb, Embedder) and emb.name == "e5" and emb.dim == 384
    docs = emb.embed_documents(["报价被拒绝", "the quote was accepted", ""])
    assert docs.shape == (3, 384) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    q = emb.embed_query("为什么拒绝报价")
    assert q.shape == (384,) and q.dtype == np.float32
    assert np.linalg.norm(q) == pytest.approx(1.0, abs=1e-5)
    assert emb.embed_documents([]).shape == (0, 384)


def test_e5_query_and_passage_use_different_prefixes() -> None:
    """The same text embedded as query and as passage gives different vectors (e5 prefixes)."""
    emb = get_embedder("e5")
    text = "客户要求延期付款"
    assert not np.allclose(emb.embed_query(text), emb.embed_documents([text])[0], atol=1e-3)


def test_e5_batches_match_single_embeddings() -> None:
    """Embedding more than one batch gives the same vectors as embedding each text alone."""
    emb = get_embedder("e5")
    texts = [f"第{i}号工单：设备故障，需要上门维修" for i in range(E5_BATCH + 3)]
    batch = emb.embed_documents(texts)
    for i in (0, E5_BATCH - 1, E5_BATCH, E5_BATCH + 2):
        assert np.allclose(batch[i], emb.embed_documents([texts[i]])[0], atol=1e-4)


def test_e5_ranks_paraphrase_and_translation_above_unrelated() -> None:
    """e5 puts a Chinese paraphrase and an English translation above unrelated text."""
    emb = get_embedder("e5")
    q = emb.embed_query("张主任拒绝了我们的报价")
    para, trans, other = emb.embed_documents(
        ["我们的报价被张主任否决了", "Director Zhang rejected our quote", "仓库下周盘点，请提前备货"]
    )
    assert _cos(q, para) > _cos(q, other)
    assert _cos(q, trans) > _cos(q, other)


def test_get_embedder_is_cached_and_thread_safe() -> None:
    """Concurrent get_embedder calls for one engine all receive the same loaded instance."""
    got: list[Embedder] = []
    threads = [threading.Thread(target=lambda: got.append(get_embedder("e5"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(g is got[0] for g in got)


def test_query_cache_returns_same_vector() -> None:
    """Repeating a query returns the cached, read-only vector equal to the first result."""
    emb = get_embedder("e5")
    a = emb.embed_query("续约折扣")
    b = emb.embed_query("续约折扣")
    assert a is b and not a.flags.writeable


def test_unknown_engine_is_config_error() -> None:
    """An unknown engine id raises ConfigError naming the valid engines."""
    with pytest.raises(ConfigError, match="e5"):
        get_embedder("word2vec")


def test_missing_local_model_fails_fast_offline(tmp_path) -> None:
    """st:<path> to a missing model raises ConfigError quickly instead of trying to download."""
    start = time.monotonic()
    with pytest.raises(ConfigError, match="offline"):
        get_embedder(f"st:{tmp_path / 'no-such-model'}")
    assert time.monotonic() - start < 30


def test_minilm_bundled_model_ranks_english() -> None:
    """The bundled MiniLM engine loads offline and ranks an English paraphrase above unrelated text."""
    emb = get_embedder("minilm")
    assert emb.name == "minilm" and emb.dim == 384
    q = emb.embed_query("the customer rejected our price quote")
    docs = emb.embed_documents(
        ["Client turned down the quotation because of price", "Server maintenance tonight"]
    )
    assert docs.dtype == np.float32 and np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    assert _cos(q, docs[0]) > _cos(q, docs[1])
