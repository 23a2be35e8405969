"""Sentence splitting for mixed Chinese/English CRM text, as character spans into the original text.

Boundaries: every newline; Chinese/fullwidth terminators 。｡！？；… (always, keeping the punctuation
and any closing quote or bracket with the sentence); ASCII ``.`` ``!`` ``?`` when followed by whitespace,
the end of the line or a CJK character; ASCII ``!`` ``?`` ``;`` right after a CJK character. A period is
not a boundary after an abbreviation (Dr., e.g., U.S.), an initial (J. Smith), a list marker (``1.`` at the
start of a line) or inside a number (3.5, SO-2026-00451.1).
"""

from __future__ import annotations

import re

_TERMINATORS = re.compile(r"[。｡．！？；﹒﹗﹖﹔…!?;.]+[\"'”’」』）)\]】》〉]*")
_STRONG = frozenset("。｡！？；﹗﹖﹔…")
_BANGS = frozenset("!?;")
_LINES = re.compile(r"[^\n]+")
_LAST_WORD = re.compile(r"[\w.\-]+$")
_LIST_MARKER = re.compile(r"\(?(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})\)?")
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
_LOOKBACK = 24
_ABBREVIATIONS = frozenset({
    "dr", "mr", "mrs", "ms", "prof", "sr", "jr", "st", "vs", "approx", "inc", "ltd", "co", "corp", "dept",
    "mt", "est", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "tue",
    "wed", "thu", "fri", "al", "cf", "resp", "attn",
})
_NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "fig", "ref", "tel", "ext", "p", "pp", "vol"})
"""Abbreviations only when a number follows (``No. 5``), so that ``... said no. Then`` still splits."""


def is_cjk(ch: str) -> bool:
    """Tell whether a character is CJK (Han, kana, Hangul) or CJK punctuation."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x3000 <= o <= 0x30FF
        or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF
    )


def _ends_sentence(text: str, sent_start: int, t_start: int, t_end: int, line_end: int) -> bool:
    """Decide whether the terminator run text[t_start:t_end] ends the sentence begun at sent_start."""
    run = text[t_start:t_end]
    if not _STRONG.isdisjoint(run):
        return True
    nxt = text[t_end] if t_end < line_end else ""
    prev = text[t_start - 1] if t_start > sent_start else ""
    marks = run.rstrip("\"'”’」』）)]】》〉")
    if nxt and not nxt.isspace():
        if not is_cjk(nxt):
            return bool(prev) and is_cjk(prev) and not _BANGS.isdisjoint(marks)
        return not _BANGS.isdisjoint(marks) or not prev.isdigit()
    if set(marks) <= {";"}:
        return bool(prev) and is_cjk(prev)
    if marks in (".", "．", "﹒"):
        return not _is_abbreviation(text, sent_start, t_start)
    return True


def _is_abbreviation(text: str, sent_start: int, dot: int) -> bool:
    """Tell whether the period at ``dot`` closes an abbreviation, an initial or a list marker.

    Looks back at most ``_LOOKBACK`` characters, so a long run of abbreviations stays linear.
    """
    if dot - sent_start <= _LOOKBACK and _LIST_MARKER.fullmatch(text[sent_start:dot].strip()):
        return True
    m = _LAST_WORD.search(text, max(sent_start, dot - _LOOKBACK), dot)
    if m is None:
        return False
    word = m.group().lstrip("-.")
    if word.lower() in _ABBREVIATIONS or _DOTTED.fullmatch(word):
        return True
    if word.lower() in _NUMBER_ABBREVIATIONS:
        rest = text[dot + 1 : dot + 8].lstrip()
        return rest[:1].isdigit()
    return len(word) == 1 and word.isalpha() and word.isupper()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) character spans of the sentences of ``text``, without surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    for line in _LINES.finditer(text):
        line_start, line_end = line.span()
        start = line_start
        for t in _TERMINATORS.finditer(text, line_start, line_end):
            if _ends_sentence(text, start, t.start(), t.end(), line_end):
                _add_span(text, start, t.end(), spans)
                start = t.end()
        _add_span(text, start, line_end, spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    """Append text[start:end] stripped of whitespace, if anything is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def split_sentences(text: str) -> list[str]:
    """Split Chinese/English text into sentences, keeping end punctuation (and closing quotes) with each."""
    return [text[s:e] for s, e in sentence_spans(text)]
