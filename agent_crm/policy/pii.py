"""PII detection: the registry of detectors and ``detect``, plus the validators the detectors use.

``detect(text)`` runs every registered detector whose cheap gate passes (digit-cluster statistics), then
resolves overlaps: the longer match wins, and on equal length the more specific kind (lower priority number).
The detector classes live in :mod:`agent_crm.policy.detectors`, the check-digit arithmetic in
:mod:`agent_crm.policy.checksums`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from agent_crm.errors import ConfigError
from agent_crm.policy.checksums import cn_id_valid, iban_valid, luhn_valid, uscc_valid
from agent_crm.policy.detectors import (
    BankCardDetector,
    CNIDDetector,
    Detector,
    EmailDetector,
    IBANDetector,
    IPDetector,
    LandlineDetector,
    PassportDetector,
    PhoneDetector,
    PIIMatch,
    SSNDetector,
    USCCDetector,
    fold,
)
from agent_crm.policy.prefilter import prepare

__all__ = [
    "DETECTORS",
    "KINDS",
    "Detector",
    "PIIMatch",
    "cn_id_valid",
    "detect",
    "fold",
    "iban_valid",
    "luhn_valid",
    "register_detector",
    "scan_with",
    "select_detectors",
    "uscc_valid",
]

DETECTORS: dict[str, Detector] = {}
"""Registered detectors by kind (the built-in ten; more can be added with :func:`register_detector`)."""


def register_detector(detector: Detector, *, replace: bool = False) -> None:
    """Add a detector to the registry.

    Args:
        detector: the detector; its ``kind`` names it and its placeholder.
        replace: allow replacing a detector already registered for that kind.

    Raises:
        ConfigError: the kind is empty or already taken and ``replace`` is false.
    """
    if not detector.kind:
        raise ConfigError("a PII detector needs a non-empty kind")
    if detector.kind in DETECTORS and not replace:
        raise ConfigError(f"a PII detector for kind {detector.kind!r} is already registered")
    DETECTORS[detector.kind] = detector
    _selection.cache_clear()


@lru_cache(maxsize=64)
def _selection(kinds: frozenset[str] | None) -> tuple[Detector, ...]:
    if kinds is not None and (unknown := kinds - DETECTORS.keys()):
        raise ConfigError(f"unknown PII kind(s): {sorted(unknown)}; known: {sorted(DETECTORS)}")
    chosen = [d for k, d in DETECTORS.items() if kinds is None or k in kinds]
    return tuple(sorted(chosen, key=lambda d: d.priority))


for _cls in (EmailDetector, IBANDetector, CNIDDetector, USCCDetector, BankCardDetector, PassportDetector,
             PhoneDetector, LandlineDetector, SSNDetector, IPDetector):
    register_detector(_cls())

KINDS: tuple[str, ...] = tuple(DETECTORS)
"""The built-in kinds."""


def select_detectors(kinds: Iterable[str] | None = None) -> tuple[Detector, ...]:
    """Return the registered detectors for ``kinds`` (all when None), most specific first.

    Raises:
        ConfigError: a kind is not registered.
    """
    return _selection(None if kinds is None else frozenset(kinds))


def scan_with(detectors: tuple[Detector, ...], text: str) -> list[PIIMatch]:
    """Run ``detectors`` over ``text`` and resolve overlaps (what :func:`detect` does after selecting)."""
    if not text:
        return []
    folded, profile = prepare(text)
    if profile.max_digits == 0 and "@" not in folded and ":" not in folded:
        detectors = _loud_only(detectors)
    found: list[PIIMatch] = []
    for det in detectors:
        if det.applies(folded, profile):
            found.extend(det.scan(folded, text))
    if len(found) <= 1:
        return found
    rank = {d.kind: d.priority for d in detectors}
    found.sort(key=lambda p: (p.start - p.end, rank.get(p.kind, 99), p.start))
    kept: list[PIIMatch] = []
    for cand in found:
        if all(cand.end <= k.start or cand.start >= k.end for k in kept):
            kept.append(cand)
    kept.sort(key=lambda p: p.start)
    return kept


@lru_cache(maxsize=64)
def _loud_only(detectors: tuple[Detector, ...]) -> tuple[Detector, ...]:
    """Keep the detectors that may match a quiet text (no long digit cluster, no @, no colon)."""
    return tuple(d for d in detectors if not d.skips_quiet_text)


def detect(text: str, kinds: Iterable[str] | None = None) -> list[PIIMatch]:
    """Find PII in ``text``: sorted, non-overlapping matches (longer, then more specific, wins).

    Args:
        text: any text, Chinese, English or mixed.
        kinds: kinds to look for (see :data:`KINDS`); all registered kinds when None.

    Raises:
        ConfigError: ``kinds`` names an unregistered kind.
    """
    return scan_with(select_detectors(kinds), text)
