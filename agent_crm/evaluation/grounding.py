"""Groundedness: the share of numbers, identifiers and entity names in an answer that its evidence supports.

Claims are taken from the answer text (citation markers ``[record-id]`` and list markers ``1.`` removed):

* numbers (``120,566.67``, ``37.9%``, ``50万``, ``3k``): supported when some evidence number rounds to it at the
  answer's precision (``0.16`` is supported by ``0.16128``; ``16%`` by ``0.161``; ``50万`` by ``500000``);
* identifiers (``SO-2026-004512``, ``QT-2026-0905``): supported when they occur in the evidence text;
* entity names from the tenant's lexicon (customers, aliases, contacts, products, competitors): supported when
  they occur in the evidence text or the context (the case's own customer names).

The evidence is what the model was given and cited: citation snippets, factor values/rationales, the decision's
score and details. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_CITATION = re.compile(r"\[[^\[\]\s]{1,120}\]")
_LIST_MARKER = re.compile(r"^\s*\d{1,2}[.)、]\s", re.MULTILINE)
_IDENTIFIER = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9-]*[A-Za-z])(?=[A-Za-z0-9-]*\d)"
    r"(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+|(?=(?:[A-Za-z]*\d){2})[A-Za-z0-9]{6,})(?![A-Za-z0-9])"
)
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s*(%|万|亿|[kK](?![A-Za-z])))?")
_UNITS = {"万": 1e4, "亿": 1e8, "k": 1e3, "K": 1e3}
MAX_UNGROUNDED_SHOWN = 10


@dataclass(frozen=True, slots=True)
class NumberClaim:
    """A number written in a text, with the values it may stand for and the rounding it allows."""

    text: str
    """The number as written (e.g. ``50万``, ``37.9%``)."""
    candidates: tuple[tuple[float, float], ...]
    """(value, tolerance) pairs: the plain value and its unit readings."""


@dataclass(frozen=True, slots=True)
class Grounding:
    """Groundedness of one answer."""

    score: float | None
    """grounded / checked (None when the answer makes no checkable claim)."""
    checked: int
    """Claims checked (numbers, identifiers, entity names)."""
    grounded: int
    """Claims the evidence supports."""
    ungrounded: tuple[str, ...]
    """The unsupported claims as written (at most ``MAX_UNGROUNDED_SHOWN``)."""


def _clean(text: str) -> str:
    return _LIST_MARKER.sub(" ", _CITATION.sub(" ", text))


def identifiers(text: str) -> list[str]:
    """Return identifier-like tokens (letters and digits, hyphenated or long codes) in order."""
    return [m.group(0) for m in _IDENTIFIER.finditer(text)]


def numbers(text: str) -> list[NumberClaim]:
    """Return the numbers written in ``text`` (identifiers excluded) with their possible values."""
    blanked = _IDENTIFIER.sub(" ", text)
    out: list[NumberClaim] = []
    for m in _NUMBER.finditer(blanked):
        whole, frac, unit = m.group(1), m.group(2) or "", m.group(3)
        value = float(whole.replace(",", "") + ("." + frac if frac else ""))
        tol = 0.5 * 10 ** -len(frac) + 1e-9
        cands = [(value, tol)]
        if unit == "%":
            cands.append((value / 100, tol / 100))
        elif unit:
            mult = _UNITS[unit.strip()]
            cands.append((value * mult, tol * mult))
        out.append(NumberClaim(m.group(0).strip(), tuple(cands)))
    return out


def evidence_numbers(texts: Iterable[str], values: Iterable[float] = ()) -> list[float]:
    """Return every value the evidence states: numbers in its texts (with unit readings) and given values.

    Fractions in [0, 1] are also offered as percentages (``0.379`` supports ``37.9%``).
    """
    out: list[float] = []
    for text in texts:
        for claim in numbers(text):
            out.extend(v for v, _ in claim.candidates)
    for v in values:
        out.append(abs(float(v)))
    out.extend(v * 100 for v in list(out) if 0 < v <= 1)
    return out


def _supported(claim: NumberClaim, pool: Sequence[float]) -> bool:
    return any(abs(value - s) <= tol for value, tol in claim.candidates for s in pool)


def _entities(text: str, lexicon: Sequence[str]) -> list[str]:
    terms = sorted({t for t in lexicon if len(t) >= 2}, key=lambda t: (-len(t), t))
    taken = [False] * len(text)
    found: list[tuple[int, str]] = []
    lowered = text.lower()
    for term in terms:
        low = term.lower()
        start = lowered.find(low)
        while start >= 0:
            end = start + len(low)
            if not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                found.append((start, term))
            start = lowered.find(low, end)
    return [t for _, t in sorted(found)]


def groundedness(
    answer: str,
    evidence: Sequence[str],
    *,
    values: Iterable[float] = (),
    lexicon: Sequence[str] = (),
    context: Sequence[str] = (),
) -> Grounding:
    """Check the answer's numbers, identifiers and entity names against the evidence.

    Args:
        answer: the text to check (answer and scripts).
        evidence: evidence texts (citation snippets, factor rationales, the decision's details as text).
        values: numbers the evidence holds as data (factor values and weights, the score).
        lexicon: the tenant's entity names (only these are checked as entities).
        context: names the model was legitimately given besides the evidence (the case's customer).
    """
    text = _clean(answer)
    source = "\n".join([*evidence, *context]).lower()
    pool = evidence_numbers(evidence, values)
    checked = grounded = 0
    bad: list[str] = []

    def tally(ok: bool, claim: str) -> None:
        nonlocal checked, grounded
        checked += 1
        grounded += ok
        if not ok and claim not in bad:
            bad.append(claim)

    for ident in identifiers(text):
        tally(ident.lower() in source, ident)
    for claim in numbers(text):
        tally(_supported(claim, pool), claim.text)
    for name in _entities(text, lexicon):
        tally(name.lower() in source, name)
    score = grounded / checked if checked else None
    return Grounding(score, checked, grounded, tuple(bad[:MAX_UNGROUNDED_SHOWN]))
