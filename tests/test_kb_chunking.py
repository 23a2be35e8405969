"""Sentence splitting (Chinese and English) and token-bounded chunking with headers, overlap and metadata."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_crm.config import build_settings
from agent_crm.errors import ConfigError
from agent_crm.kb.chunking import Chunker, record_header, split_sentences
from agent_crm.kb.loaders import load_records
from agent_crm.tokens import count_tokens
from agent_crm.types import Interaction, SourceRef

ZH = "张主任反馈设备运行稳定。希望下季度增加两台！预算是否充足？需要财务确认；"
EN = "Dr. Smith met us on Monday. The price is 3.5k USD, e.g. for SO-2026-00451.1 only! Is that OK? "


def interaction(text: str, **kw: Any) -> Interaction:
    """Build a loaded record (validated, hashed, with a source) with the given text."""
    data = {"id": "r1", "customer_id": "hz-first", "channel": "email",
            "timestamp": "2026-11-13T10:20:00+08:00", "text": text, "tags": ["vip", "quote"]} | kw
    result = load_records([data], "acme", "unit.jsonl")
    assert result.issues == []
    return result.records[0]


def bodies(chunks: list[Any], header: str) -> list[str]:
    """Chunk texts with the first chunk's header line (the header, possibly cut short) removed."""
    out = [c.text for c in chunks]
    if header:
        first_line, out[0] = out[0].split("\n", 1)
        assert first_line and header.startswith(first_line)
    return out


def test_split_sentences_chinese_keeps_punctuation_and_closing_quotes() -> None:
    """Chinese terminators (and their fullwidth/ASCII forms) end sentences and stay with them."""
    assert split_sentences("您好，张主任。我们下周二送样！请确认？好的；谢谢") == [
        "您好，张主任。", "我们下周二送样！", "请确认？", "好的；", "谢谢",
    ]
    assert split_sentences("他说：“好的。”然后挂了电话。") == ["他说：“好的。”", "然后挂了电话。"]
    assert split_sentences("真的吗？！太好了……再联系") == ["真的吗？！", "太好了……", "再联系"]
    assert split_sentences("客户满意;下周回访!OK.明天见") == ["客户满意;", "下周回访!", "OK.", "明天见"]
    assert split_sentences("金额为3.5万元。型号V2.1已发货｡") == ["金额为3.5万元。", "型号V2.1已发货｡"]


def test_split_sentences_english_abbreviations_numbers_and_ids() -> None:
    """English splits on . ! ? before a space, not after Dr./e.g./initials, in decimals or order numbers."""
    assert split_sentences(EN.strip()) == [
        "Dr. Smith met us on Monday.", "The price is 3.5k USD, e.g. for SO-2026-00451.1 only!", "Is that OK?",
    ]
    assert split_sentences("J. Smith called. U.S. market is big. See No. 5 please. He said no. Fine.") == [
        "J. Smith called.", "U.S. market is big.", "See No. 5 please.", "He said no.", "Fine.",
    ]
    assert split_sentences("Visit www.example.com/a?b=1 today. Pricing; delivery later") == [
        "Visit www.example.com/a?b=1 today.", "Pricing; delivery later",
    ]
    assert split_sentences("We need 5. Then go... now") == ["We need 5.", "Then go...", "now"]


def test_split_sentences_newlines_and_list_markers() -> None:
    """Newlines are boundaries, blank lines vanish and '1.' at a line start is not a sentence."""
    assert split_sentences("1. Call the client\n\n2. Send quote. Done\r\n  第三行  ") == [
        "1. Call the client", "2. Send quote.", "Done", "第三行",
    ]
    assert split_sentences("") == [] and split_sentences(" \n\t ") == []


def test_split_sentences_stays_linear_on_pathological_input() -> None:
    """Long runs of abbreviations, dots or terminators split in linear time."""
    start = time.perf_counter()
    assert split_sentences("Dr. " * 20_000) == [("Dr. " * 20_000).strip()]
    assert len(split_sentences("好。" * 20_000)) == 20_000
    split_sentences("a.b." * 20_000 + " end")
    assert time.perf_counter() - start < 2.0


def test_short_record_is_one_chunk_with_header_line() -> None:
    """A short record gives one chunk: header (present values joined by ' · '), newline, then the text."""
    rec = interaction("已发报价。请确认。", customer_name="杭州一院", contact_name="张主任",
                      subject="报价 跟进")
    (chunk,) = Chunker()(rec)
    assert record_header(rec) == "杭州一院 · 张主任 · 报价 跟进"
    assert chunk.text == "杭州一院 · 张主任 · 报价 跟进\n已发报价。请确认。"


def test_record_without_header_values_or_text() -> None:
    """No header values: the chunk is the text alone; empty text: one chunk holding the header only."""
    (plain,) = Chunker()(interaction("Just text."))
    assert plain.text == "Just text."
    (subject_only,) = Chunker()(interaction("", subject="Quote request", product="CT-9000"))
    assert subject_only.text == "CT-9000 · Quote request" and subject_only.id == "r1#0"


def long_text() -> str:
    """Mixed text: short sentences, one over-long Chinese run without punctuation, English, newlines."""
    return (ZH * 6 + "\n" + "无标点的超长句子" * 120 + "。" + EN * 8 + "\n\n" + ZH * 3
            + "Supercalifragilistic" * 40 + ". " + "尾句。")


@pytest.mark.parametrize("max_tokens", [16, 40, 64, 200])
def test_chunks_never_exceed_max_tokens_and_lose_nothing(max_tokens: int) -> None:
    """Every chunk (header included, no extra allowance) fits max_tokens and every sentence is kept."""
    rec = interaction(long_text(), customer_name="杭州市第一人民医院", contact_name="张主任",
                      product="CT-9000", subject="装机进度")
    chunks = Chunker(max_tokens=max_tokens, overlap_sentences=1)(rec)
    assert len(chunks) > 1
    for chunk in chunks:
        assert count_tokens(chunk.text) <= max_tokens, chunk.text
        assert "\ufffd" not in chunk.text
    joined = "".join(bodies(chunks, record_header(rec)))
    for sentence in split_sentences(rec.text):
        if count_tokens(sentence) <= max_tokens // 2:
            assert sentence in joined


def test_without_overlap_chunks_partition_the_text() -> None:
    """With overlap 0 the chunk bodies are consecutive slices: together they give back all the text."""
    text = "无标点的超长句子" * 200 + "。结束。"
    rec = interaction(text)
    chunks = Chunker(max_tokens=50, overlap_sentences=0)(rec)
    assert "".join(c.text for c in chunks) == text
    assert all(count_tokens(c.text) <= 50 for c in chunks)


_ALPHABET = st.sampled_from(
    list("客户说下周签合同预算张主任已发货") + list("abcXYZ019 ") + list("。！？；.!?;，,“”\"'()\n")
    + ["Dr.", "e.g.", "3.5", "SO-2026-00451.1", "😀", "𠀀", "   ", "\n\n"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(_ALPHABET, min_size=0, max_size=400),
    max_tokens=st.sampled_from([16, 24, 50]),
    subject=st.one_of(st.none(), st.text(min_size=1, max_size=80)),
)
def test_property_chunks_fit_and_keep_every_character(
    parts: list[str], max_tokens: int, subject: str | None
) -> None:
    """For any mixed text: chunks fit max_tokens, no character is broken, and (overlap 0) nothing is lost."""
    text = "".join(parts)
    if not text.strip() and not (subject and subject.strip()):
        return
    rec = interaction(text, subject=subject)
    chunks = Chunker(max_tokens=max_tokens, overlap_sentences=0)(rec)
    assert chunks, "a record with text or subject always has a chunk"
    for chunk in chunks:
        assert count_tokens(chunk.text) <= max_tokens
        assert "\ufffd" not in chunk.text or "\ufffd" in text
    header = record_header(rec)
    if text.strip():
        body = "".join(bodies(chunks, header))
        assert "".join(body.split()) == "".join(rec.text.split())


def sentences_per_chunk(chunks: list[Any], header: str) -> list[list[str]]:
    """Split each chunk body into its sentences."""
    return [split_sentences(b) for b in bodies(chunks, header)]


@pytest.mark.parametrize("overlap", [0, 1, 2])
def test_consecutive_chunks_overlap_by_configured_sentences(overlap: int) -> None:
    """Chunk i+1 opens with the last ``overlap`` sentences of chunk i (none for overlap 0)."""
    text = " ".join(f"Sentence number {i} talks about the renewal quote." for i in range(40))
    rec = interaction(text, subject="Renewal")
    chunks = Chunker(max_tokens=60, overlap_sentences=overlap)(rec)
    parts = sentences_per_chunk(chunks, record_header(rec))
    assert len(parts) > 3
    for prev, nxt in itertools.pairwise(parts):
        if overlap:
            assert nxt[:overlap] == prev[-overlap:]
            assert nxt[overlap:] and nxt[overlap] not in prev  # each chunk brings new sentences
        else:
            assert not set(prev) & set(nxt)
    covered = [s for p in parts for s in p]
    assert set(covered) == set(split_sentences(text))


def test_chunks_carry_record_metadata_and_deterministic_ids() -> None:
    """Chunks carry tenant, ids, channel, timestamp, source, content hash, tags and index; ids are stable."""
    rec = interaction(ZH * 30, customer_name="杭州一院")
    chunker = Chunker(max_tokens=64)
    chunks = chunker(rec)
    assert [c.id for c in chunks] == [f"r1#{i}" for i in range(len(chunks))]
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert (c.tenant, c.record_id, c.customer_id, c.channel) == ("acme", "r1", "hz-first", "email")
        assert c.timestamp == datetime(2026, 11, 13, 2, 20, tzinfo=UTC)
        assert c.source == SourceRef(file="unit.jsonl", line=1)
        assert c.content_hash == rec.content_hash and c.tags == ("vip", "quote")
    assert chunker(rec) == chunks and Chunker(max_tokens=64)(rec) == chunks


def test_overlong_header_is_cut_to_half_the_budget() -> None:
    """A huge subject is cut so the header line takes at most half of max_tokens and text still follows."""
    rec = interaction("短文本。", subject="很长的主题" * 100)
    chunks = Chunker(max_tokens=64)(rec)
    header_line = chunks[0].text.split("\n", 1)[0]
    assert count_tokens(header_line + "\n") <= 32 and header_line.startswith("很长的主题")
    assert all(count_tokens(c.text) <= 64 for c in chunks)
    assert any("短文本。" in c.text for c in chunks)


def test_chunker_configuration_is_checked_and_read_from_settings(tmp_path: Path) -> None:
    """Bad sizes raise ConfigError; from_settings uses chunk_max_tokens and chunk_overlap_sentences."""
    with pytest.raises(ConfigError):
        Chunker(max_tokens=8)
    with pytest.raises(ConfigError):
        Chunker(overlap_sentences=-1)
    settings_ = build_settings(home=tmp_path, chunk_max_tokens=64, chunk_overlap_sentences=2)
    chunker = Chunker.from_settings(settings_)
    assert (chunker.max_tokens, chunker.overlap_sentences) == (64, 2)


def test_chunking_is_fast_for_typical_records() -> None:
    """Two thousand short records chunk in well under the time budget (ingest-path regression guard)."""
    recs = load_records(
        [{"id": f"r{i}", "customer_id": "c", "channel": "chat", "timestamp": "2026-11-13", "text": ZH + EN}
         for i in range(2000)],
        "acme",
    ).records
    chunker = Chunker()
    start = time.perf_counter()
    total = sum(len(chunker(r)) for r in recs)
    elapsed = time.perf_counter() - start
    assert total == 2000
    assert elapsed < 3.0, f"2000 records took {elapsed:.2f}s"
