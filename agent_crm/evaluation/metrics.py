"""Pure scoring functions of the evaluation harness (no I/O, no clocks; unit-tested on hand-checked cases).

Conventions (documented once, used everywhere):

* Accuracy: a label is right when it is in the acceptable set.
* Top-k overlap: ``|top_k(predicted) ∩ top_k(expected)| / min(k, |expected|)`` — an expectation naming fewer
  than k factors is fully met when all of them are in the predicted top k.
* Rank correlation: Spearman's rho and Kendall's tau-a over the factors both rankings share (None below 2).
* Citation precision/recall against ``must_cite``; citation validity = share of cited ids that exist in the tenant.
* Percentiles: linear interpolation between closest ranks (numpy's default method).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Sequence

HEADLINE_CHARS = 200
"""``label_stated`` reads the answer's first non-empty line, at most this many characters (its headline)."""


def label_correct(label: str | None, acceptable: Collection[str]) -> bool:
    """Return whether ``label`` is one of the acceptable labels."""
    return label is not None and label in acceptable


def _label_pattern(label: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in label.split("_") if p]
    return re.compile(r"(?<![A-Za-z_])" + r"[_ ]".join(parts) + r"(?![A-Za-z_])", re.IGNORECASE)


def label_stated(answer: str, label: str, labels: Collection[str]) -> bool | None:
    """Return whether the answer's headline states ``label`` and no other label of the decision type.

    The headline is the first non-empty line (at most ``HEADLINE_CHARS``): the explanation below it may name
    factors or products that look like labels ("complaints", "High-Rise"). Labels match as whole words, with
    ``_`` or a space between their parts (``approve with conditions``). Returns None when there is no answer.
    """
    head = next((line.strip() for line in answer.splitlines() if line.strip()), "")[:HEADLINE_CHARS]
    if not head:
        return None
    found: set[str] = set()
    taken: list[tuple[int, int]] = []
    for name in sorted(set(labels) | {label}, key=len, reverse=True):
        for m in _label_pattern(name).finditer(head):
            if not any(a < m.end() and m.start() < b for a, b in taken):
                taken.append((m.start(), m.end()))
                found.add(name)
    return found == {label}


def top_k_overlap(predicted: Sequence[str], expected: Sequence[str], k: int = 3) -> float | None:
    """Return the share of the expected top-k factors found in the predicted top k (None without expectation).

    Args:
        predicted: factor names, best first.
        expected: expected factor names (a set, or best first).
        k: how many top factors to compare.
    """
    want = list(dict.fromkeys(expected))[:k]
    if not want:
        return None
    got = set(list(dict.fromkeys(predicted))[:k])
    return len(got & set(want)) / min(k, len(want))


def _ranks(items: Sequence[str], keep: Collection[str]) -> dict[str, int]:
    order = [x for x in dict.fromkeys(items) if x in keep]
    return {x: i for i, x in enumerate(order)}


def spearman(predicted: Sequence[str], expected: Sequence[str]) -> float | None:
    """Return Spearman's rho between two rankings over their shared items (None with fewer than 2 shared)."""
    shared = set(predicted) & set(expected)
    n = len(shared)
    if n < 2:
        return None
    rp, re_ = _ranks(predicted, shared), _ranks(expected, shared)
    d2 = sum((rp[x] - re_[x]) ** 2 for x in shared)
    return 1.0 - 6.0 * d2 / (n * (n * n - 1))


def kendall_tau(predicted: Sequence[str], expected: Sequence[str]) -> float | None:
    """Return Kendall's tau-a between two rankings over their shared items (None with fewer than 2 shared)."""
    shared = sorted(set(predicted) & set(expected))
    n = len(shared)
    if n < 2:
        return None
    rp, re_ = _ranks(predicted, shared), _ranks(expected, shared)
    score = 0
    for i in range(n):
        for j in range(i + 1, n):
            a, b = shared[i], shared[j]
            score += 1 if (rp[a] - rp[b]) * (re_[a] - re_[b]) > 0 else -1
    return score / (n * (n - 1) / 2)


def citation_precision(cited: Sequence[str], must_cite: Collection[str]) -> float | None:
    """Return the share of cited ids that are required (None when nothing is required or nothing cited)."""
    got = list(dict.fromkeys(cited))
    if not must_cite or not got:
        return None
    return sum(1 for c in got if c in must_cite) / len(got)


def citation_recall(cited: Collection[str], must_cite: Sequence[str]) -> float | None:
    """Return the share of required ids that are cited (None when nothing is required)."""
    want = list(dict.fromkeys(must_cite))
    if not want:
        return None
    return sum(1 for c in want if c in cited) / len(want)


def citation_validity(cited: Sequence[str], known: Collection[str]) -> float | None:
    """Return the share of cited ids that exist in the tenant (None when nothing is cited)."""
    got = list(dict.fromkeys(cited))
    if not got:
        return None
    return sum(1 for c in got if c in known) / len(got)


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = 5) -> float:
    """Return the share of relevant ids among the first k distinct ranked ids."""
    if not relevant:
        return 0.0
    top = list(dict.fromkeys(ranked))[:k]
    return sum(1 for r in set(relevant) if r in top) / len(set(relevant))


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str]) -> float:
    """Return 1 / rank of the first relevant id among the distinct ranked ids (0 when none is relevant)."""
    for i, rid in enumerate(dict.fromkeys(ranked), start=1):
        if rid in relevant:
            return 1.0 / i
    return 0.0


def percentile(values: Iterable[float], q: float) -> float | None:
    """Return the q-th percentile (0..100) by linear interpolation; None for no values."""
    xs = sorted(values)
    if not xs:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean(values: Iterable[float | None]) -> float | None:
    """Return the mean of the values that are not None (None when there are none)."""
    xs = [v for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None


def rate(flags: Iterable[bool]) -> float | None:
    """Return the share of true flags (None for no flags)."""
    xs = list(flags)
    return sum(1 for x in xs if x) / len(xs) if xs else None


def relative_change(baseline: float, current: float) -> float | None:
    """Return ``(current - baseline) / |baseline|`` (None when the baseline is 0)."""
    if baseline == 0:
        return None
    return (current - baseline) / abs(baseline)
