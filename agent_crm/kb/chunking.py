"""Cut interaction records into token-bounded, sentence-aligned chunks for the vector and lexical indexes.

Every chunk's text is at most ``max_tokens`` cl100k_base tokens, header included (no extra allowance).
The first chunk starts with a header line (customer · contact · product · subject); the body of each chunk
is a verbatim slice of the record text made of whole sentences, and consecutive chunks share
``overlap_sentences`` sentences. A sentence longer than the budget is cut at token boundaries that are also
character boundaries.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from agent_crm.errors import ConfigError
from agent_crm.kb.identifiers import field_identifiers
from agent_crm.kb.sentences import sentence_spans, split_sentences
from agent_crm.tokens import DEFAULT_ENCODING, encoding
from agent_crm.types import Chunk, Interaction

if TYPE_CHECKING:
    import tiktoken

    from agent_crm.config import Settings

__all__ = ["HEADER_SEPARATOR", "Chunker", "record_header", "split_sentences"]

HEADER_SEPARATOR = " · "
MIN_MAX_TOKENS = 16

_Unit = list[int]
"""A packable piece of the body: [start, end, tokens] (a sentence, or a slice of an over-long sentence)."""


def record_header(rec: Interaction) -> str:
    """Join the present customer_name, contact_name, product and subject with `` · `` (one line), then any
    identifier-valued structured fields (order_no, sku, ticket_no, ...) not already in the text, so that
    searching by an order number or SKU finds records that carry it only as a field."""
    parts = [rec.customer_name, rec.contact_name, rec.product, rec.subject]
    seen = f"{rec.subject or ''} {rec.text}"
    parts.extend(v for v in field_identifiers(rec.fields) if v not in seen)
    return HEADER_SEPARATOR.join(" ".join(p.split()) for p in parts if p and p.strip())


class Chunker:
    """Split an Interaction into Chunks (``__call__``); configuration in ``__init__``.

    Args:
        max_tokens: largest chunk, in tokens of ``encoding_name``, header line included.
        overlap_sentences: sentences repeated at the start of the next chunk of the same record.
        encoding_name: tiktoken encoding used to count (offline, see ``agent_crm.tokens``).
    """

    def __init__(
        self, max_tokens: int = 200, overlap_sentences: int = 1, *, encoding_name: str = DEFAULT_ENCODING
    ) -> None:
        if max_tokens < MIN_MAX_TOKENS:
            raise ConfigError(f"chunk max_tokens must be at least {MIN_MAX_TOKENS}, got {max_tokens}")
        if overlap_sentences < 0:
            raise ConfigError(f"chunk overlap_sentences must be >= 0, got {overlap_sentences}")
        self.max_tokens = max_tokens
        self.overlap_sentences = overlap_sentences
        self.header_budget = max_tokens // 2
        """Most tokens the header line may take (longer headers are cut)."""
        self.encoding_name = encoding_name

    @classmethod
    def from_settings(cls, settings: Settings) -> Chunker:
        """Build a chunker from ``chunk_max_tokens`` and ``chunk_overlap_sentences``."""
        return cls(settings.chunk_max_tokens, settings.chunk_overlap_sentences)

    def __call__(self, rec: Interaction) -> list[Chunk]:
        """Return the record's chunks (ids ``{record_id}#{index}``); [] when there is nothing to index."""
        enc = encoding(self.encoding_name)
        header = record_header(rec)
        header_tokens = 0
        if header:
            header_tokens = self._count(enc, header + "\n")
            if header_tokens > self.header_budget:
                header = self._head(enc, header, self.header_budget - 1)
                header_tokens = self._count(enc, header + "\n")
        text = rec.text
        whole = text.strip()
        if whole:  # most records fit in one chunk: one count, no sentence split
            single = f"{header}\n{whole}" if header else whole
            if self._count(enc, single) <= self.max_tokens:
                return [self._chunk(rec, 0, single)]
        piece_limit = self.max_tokens - header_tokens
        units: list[_Unit] = []
        for start, end in sentence_spans(text):
            tokens = self._count(enc, text[start:end])
            first_limit = self.max_tokens if units else piece_limit
            if tokens <= first_limit:
                units.append([start, end, tokens])
            else:  # an over-long sentence; only the piece opening the first chunk shares it with the header
                units.extend(self._split_long(enc, text, start, end, self.max_tokens, first_limit))
        if not units:
            return [self._chunk(rec, 0, header)] if header else []
        bodies = self._pack(enc, text, units, header, header_tokens)
        if header:
            bodies[0] = f"{header}\n{bodies[0]}"
        return [self._chunk(rec, i, body) for i, body in enumerate(bodies)]

    @staticmethod
    def _count(enc: tiktoken.Encoding, text: str) -> int:
        """Count tokens, special-token text counted as ordinary text (like ``tokens.count_tokens``)."""
        return len(enc.encode_ordinary(text))

    def _pack(
        self, enc: tiktoken.Encoding, text: str, units: list[_Unit], header: str, header_tokens: int
    ) -> list[str]:
        """Pack whole units into bodies under the budget; every body adds at least one new unit.

        Each body after the first opens with the last ``overlap_sentences`` units of the previous one (as many
        as fit).

        Summed unit counts are checked against the real token count of each assembled chunk; on the rare
        excess, the body gives back its last unit (or drops its overlap, or cuts a lone unit once more).
        """
        bodies: list[str] = []
        previous: list[int] = []
        i = 0
        while i < len(units):
            first = not bodies
            limit = self.max_tokens - header_tokens if first else self.max_tokens
            current = self._overlap(enc, text, units, previous, i, limit)
            used = self._cost(enc, text, units, current)
            fresh = 0
            while i < len(units):
                add = units[i][2] + (self._gap(enc, text, units[current[-1]], units[i]) if current else 0)
                if fresh and used + add > limit:
                    break
                current.append(i)
                used += add
                i += 1
                fresh += 1
            while True:
                body = text[units[current[0]][0] : units[current[-1]][1]]
                real = self._count(enc, f"{header}\n{body}" if first and header else body)
                if real <= self.max_tokens:
                    break
                if fresh > 1:  # give the last unit to the next body
                    current.pop()
                    fresh -= 1
                    i -= 1
                elif len(current) > 1:  # drop the overlap
                    current = current[-1:]
                else:  # a lone unit the estimate got wrong: cut it once more
                    idx = current[0]
                    start, end, tokens = units[idx]
                    excess = real - self.max_tokens
                    pieces = self._split_long(enc, text, start, end, max(1, tokens - excess - 1))
                    if len(pieces) < 2:
                        break  # cannot cut finer than one character
                    units[idx : idx + 1] = pieces
                    i = idx + 1
            bodies.append(body)
            previous = current
        return bodies

    def _overlap(
        self, enc: tiktoken.Encoding, text: str, units: list[_Unit], previous: list[int], nxt: int, limit: int
    ) -> list[int]:
        """Return the last ``overlap_sentences`` units of the previous body that fit before unit ``nxt``."""
        keep = previous[-self.overlap_sentences :] if self.overlap_sentences else []
        while keep and self._cost(enc, text, units, [*keep, nxt]) > limit:
            keep = keep[1:]
        return list(keep)

    def _cost(self, enc: tiktoken.Encoding, text: str, units: list[_Unit], seq: list[int]) -> int:
        """Estimated tokens of consecutive units: their counts plus the whitespace between them."""
        total = sum(units[k][2] for k in seq)
        return total + sum(self._gap(enc, text, units[a], units[b]) for a, b in itertools.pairwise(seq))

    @staticmethod
    def _gap(enc: tiktoken.Encoding, text: str, prev: _Unit, nxt: _Unit) -> int:
        """Estimate the tokens the whitespace between two units adds (0 when adjacent, 1 for one space)."""
        gap = text[prev[1] : nxt[0]]
        if not gap:
            return 0
        if gap in (" ", "\n"):
            return 1
        return len(enc.encode_ordinary(gap))

    def _head(self, enc: tiktoken.Encoding, text: str, limit: int) -> str:
        """Return the longest prefix of ``text`` within ``limit`` tokens, cut on a character boundary."""
        first = self._split_long(enc, text, 0, len(text), limit)[0]
        return text[first[0] : first[1]]

    @staticmethod
    def _split_long(
        enc: tiktoken.Encoding, text: str, start: int, end: int, limit: int, first_limit: int | None = None
    ) -> list[_Unit]:
        """Cut text[start:end] into units of at most ``limit`` tokens (the first at most ``first_limit``), at
        token boundaries that fall between characters."""
        segment = text[start:end]
        ids = enc.encode_ordinary(segment)
        sizes = [len(b) for b in enc.decode_tokens_bytes(ids)]
        data = segment.encode("utf-8")
        offsets = [0]
        for size in sizes:
            offsets.append(offsets[-1] + size)
        units: list[_Unit] = []
        tok = 0
        char = start
        while tok < len(ids):
            cut = min(tok + (first_limit if first_limit is not None and not units else limit), len(ids))
            while cut > tok + 1 and cut < len(ids) and (data[offsets[cut]] & 0xC0) == 0x80:
                cut -= 1
            while cut < len(ids) and (data[offsets[cut]] & 0xC0) == 0x80:
                cut += 1
            piece = data[offsets[tok] : offsets[cut]].decode("utf-8")
            lo, hi = char, char + len(piece)
            while lo < hi and text[lo].isspace():
                lo += 1
            while hi > lo and text[hi - 1].isspace():
                hi -= 1
            if hi > lo:
                units.append([lo, hi, cut - tok])
            char += len(piece)
            tok = cut
        return units

    @staticmethod
    def _chunk(rec: Interaction, index: int, text: str) -> Chunk:
        return Chunk(
            id=f"{rec.id}#{index}", tenant=rec.tenant, record_id=rec.id, customer_id=rec.customer_id,
            channel=rec.channel, timestamp=rec.timestamp, text=text, index=index, source=rec.source,
            content_hash=rec.content_hash, tags=rec.tags,
        )
