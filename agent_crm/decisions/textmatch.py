"""Bilingual term matching: one trie-shaped regex over every lexicon term, negation cues, cached scans.

All terms of :mod:`agent_crm.decisions.lexicons` are compiled once (lazily, on first use) into two
regular expressions (Chinese, English) whose alternatives form a prefix tree, so a scan is one pass per
script whatever the number of terms. At each position the longest term wins (``不满意`` before
``满意``). Scans are cached per text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from agent_crm.decisions import lexicons

_ASCII = re.compile(r"^[\x00-\x7f]+$")
_HAS_LATIN = re.compile(r"[a-z]")
_EN_WORD_BEFORE = re.compile(r"[a-z']+")
_ZH_NEG_QUICK = re.compile(f"[{lexicons.NEGATION_ZH}]")
_EN_NEG_QUICK = re.compile(r"n't|\b(?:not|no|never|without|hardly|barely|nor)\b")
_CLAUSE_BREAK = re.compile(r"[.!?;,，。！？；、\n:：]")


class TermHit(NamedTuple):
    """One lexicon term found in a (lower-cased) text."""

    term: str
    categories: frozenset[str]
    start: int
    end: int
    negated: bool
    """True when a negation cue (不/没/not/never/...) directly precedes the term in the same clause."""


def _trie_pattern(terms: Iterable[str]) -> str:
    """Build a regex alternation shaped as a prefix tree (greedy, so the longest term at a position wins)."""
    root: dict[str, dict] = {}
    for term in terms:
        node = root
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
        if ends:
            body = (body if body.startswith("(?:") else "(?:" + body + ")") + "?"
        return body

    return build(root)


def _zh_negated(text: str, start: int) -> bool:
    window = text[max(0, start - 3) : start]
    if not _ZH_NEG_QUICK.search(window):
        return False
    parts = _CLAUSE_BREAK.split(window)
    window = parts[-1]
    for bigram in lexicons.NOT_NEGATING_ZH:
        window = window.replace(bigram, "")
    return any(ch in window for ch in lexicons.NEGATION_ZH)


def _en_negated(text: str, start: int) -> bool:
    window = text[max(0, start - 30) : start]
    if not _EN_NEG_QUICK.search(window):
        return False
    window = _CLAUSE_BREAK.split(window)[-1]
    words = _EN_WORD_BEFORE.findall(window)[-3:]
    return any(w in lexicons.NEGATION_EN or w.endswith("n't") for w in words)


class Matcher:
    """Find lexicon terms of many categories in one pass.

    Args:
        categories: category name -> (Chinese terms, English terms).
    """

    def __init__(self, categories: Mapping[str, lexicons.Terms]) -> None:
        term_cats: dict[str, set[str]] = {}
        for cat, (zh_terms, en_terms) in categories.items():
            for term in (*zh_terms, *en_terms):
                term_cats.setdefault(term.lower(), set()).add(cat)
        self._cats = {t: frozenset(c) for t, c in term_cats.items()}
        zh = [t for t in self._cats if not _ASCII.match(t)]
        en = [t for t in self._cats if _ASCII.match(t) and re.search(r"[a-z]", t)]
        bare = [t for t in self._cats if t not in zh and t not in en]  # digits-only terms such as 12315
        self._zh = re.compile(f"(?:{_trie_pattern([*zh, *bare])})")
        self._en = re.compile(f"(?<![a-z0-9])(?:{_trie_pattern(en)})(?![a-z0-9])")

    def scan(self, low: str) -> tuple[TermHit, ...]:
        """Return every term hit in ``low`` (already lower-cased), in text order."""
        hits: list[TermHit] = []
        cats = self._cats
        for m in self._zh.finditer(low):
            start, end = m.span()
            term = low[start:end]
            hits.append(TermHit(term, cats[term], start, end, _zh_negated(low, start)))
        if _HAS_LATIN.search(low):
            for m in self._en.finditer(low):
                start, end = m.span()
                term = low[start:end]
                hits.append(TermHit(term, cats[term], start, end, _en_negated(low, start)))
            hits.sort(key=lambda h: h.start)
        return tuple(hits)


@functools.cache
def _default_matcher() -> Matcher:
    return Matcher(lexicons.all_categories())


@functools.lru_cache(maxsize=16384)
def scan(low: str) -> tuple[TermHit, ...]:
    """Scan a lower-cased text with the default bilingual lexicon (cached per text)."""
    return _default_matcher().scan(low)


@functools.lru_cache(maxsize=16384)
def index(low: str) -> dict[str, tuple[TermHit, ...]]:
    """Return the hits of :func:`scan` grouped by category (cached per text; do not mutate)."""
    grouped: dict[str, list[TermHit]] = {}
    for h in scan(low):
        for cat in h.categories:
            grouped.setdefault(cat, []).append(h)
    return {cat: tuple(hs) for cat, hs in grouped.items()}


@functools.lru_cache(maxsize=256)
def _names_regex(names: tuple[str, ...]) -> re.Pattern[str] | None:
    zh = [n for n in names if not _ASCII.match(n)]
    en = [n for n in names if _ASCII.match(n)]
    parts = []
    if zh:
        parts.append(f"(?:{_trie_pattern(zh)})")
    if en:
        parts.append(f"(?<![a-z0-9])(?:{_trie_pattern(en)})(?![a-z0-9])")
    return re.compile("|".join(parts)) if parts else None


def find_names(low: str, names: tuple[str, ...]) -> list[str]:
    """Return which of ``names`` (lower-cased, sorted) occur in ``low``, in text order, without repeats."""
    regex = _names_regex(names)
    if regex is None:
        return []
    found: list[str] = []
    for m in regex.finditer(low):
        if m.group() and m.group() not in found:
            found.append(m.group())
    return found


def snippet(text: str, start: int, end: int, width: int = 30) -> str:
    """Return the text around ``[start, end)``, at most ``width`` characters each side, on one line."""
    lo = max(0, start - width)
    hi = min(len(text), end + width)
    piece = " ".join(text[lo:hi].split())
    return ("…" if lo > 0 else "") + piece + ("…" if hi < len(text) else "")
