"""Cheap facts about a text that let PII detectors skip it: full-width folding and digit-cluster statistics.

Redaction runs on every ingested record and every log event, and most texts hold no PII. One regex pass
collects the text's long digit clusters (runs of digits and number separators); each detector then checks a
few integers (``Detector.applies``) before running its own, costlier regexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["TextProfile", "fold", "prepare", "profile_text"]

_FOLD_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x00A0: 0x20}
_NEEDS_FOLD = re.compile("[\uff01-\uff5e\u3000\u00a0]").search
_CLUSTER = re.compile("[0-9\uff10-\uff19][0-9\uff10-\uff19 ().+\\-\u3000\u00a0\uff08\uff09\uff0b\uff0d]{5,}")
_SEPARATORS = str.maketrans("", "", " ().+-\u3000\u00a0\uff08\uff09\uff0b\uff0d")


def fold(text: str) -> str:
    """Map full-width ASCII, ideographic space and NBSP to ASCII one-for-one (offsets are kept)."""
    if text.isascii() or _NEEDS_FOLD(text) is None:
        return text
    return text.translate(_FOLD_TABLE)


@dataclass(slots=True)
class TextProfile:
    """Statistics of a text's long digit clusters.

    A cluster is a run of digits and number separators (space ( ) . + -) at least 6 characters long; every
    built-in PII value except an e-mail address or an IPv6 address contains one.
    """

    clusters: list[str] = field(default_factory=list)
    """The long clusters holding 9 or more digits (for detectors that check a shape on them)."""
    max_digits: int = 0
    """Most digits in one cluster."""
    upper_before: int = 0
    """Most digits in a cluster right after an ASCII capital letter (or a capital and one space)."""
    upper_adjacent: int = 0
    """Most digits in a cluster touching an ASCII capital letter on either side."""
    dots: int = 0
    """Most dots in one cluster."""
    wide: bool = False
    """A cluster holds full-width digits or separators (the text needs folding)."""


def profile_text(text: str) -> TextProfile:
    """Collect the long digit-cluster statistics of ``text`` in one regex pass."""
    prof = TextProfile()
    size = len(text)
    for m in _CLUSTER.finditer(text):
        cluster = m.group()
        digits = len(cluster.translate(_SEPARATORS))
        if not cluster.isascii():
            prof.wide = True
        if digits > prof.max_digits:
            prof.max_digits = digits
        if digits >= 9:
            prof.clusters.append(cluster)
        if "." in cluster:
            prof.dots = max(prof.dots, cluster.count("."))
        start, end = m.span()
        before = text[start - 2 : start].strip()[-1:]  # a capital right before, or before one space
        if before and "A" <= before <= "Z":
            prof.upper_before = max(prof.upper_before, digits)
            prof.upper_adjacent = max(prof.upper_adjacent, digits)
        elif end < size and "A" <= text[end] <= "Z":
            prof.upper_adjacent = max(prof.upper_adjacent, digits)
    return prof


def prepare(text: str) -> tuple[str, TextProfile]:
    """Return the text to scan (folded only when its numbers or an ＠ are full-width) and its profile."""
    prof = profile_text(text)
    if prof.wide or "＠" in text:
        folded = fold(text)
        return folded, profile_text(folded)
    return text, prof
