"""Turn additive contributions into factors: weights summing to 100 %, direction, evidence, rationale."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

from agent_crm.decisions.catalog import DecisionSpec
from agent_crm.decisions.features import FeatureValue, missing
from agent_crm.decisions.rationale import rationale
from agent_crm.decisions.scoring import ScoreResult
from agent_crm.types import Factor

Direction = Literal["positive", "negative", "neutral"]
NO_ATTRIBUTION_FLAG = "no_attribution"
"""Decision flag set when every contribution is zero (all weights are then 0)."""


def percent_weights(contributions: Sequence[float]) -> list[float]:
    """Return ``|c_i| / Σ|c_j| × 100`` rounded to 0.1 so that the weights sum to exactly 100.0.

    Largest-remainder rounding in tenths; ties go to the earlier item. All zero -> all weights 0.
    """
    mags = [abs(c) for c in contributions]
    total = math.fsum(mags)
    if total == 0.0:
        return [0.0] * len(mags)
    raw = [m / total * 1000.0 for m in mags]
    tenths = [math.floor(r) for r in raw]
    short = 1000 - sum(tenths)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - tenths[i]), i))
    for i in order[:short]:
        tenths[i] += 1
    return [t / 10.0 for t in tenths]


def attribute(
    result: ScoreResult,
    features: Mapping[str, FeatureValue],
    spec: DecisionSpec,
    language: str,
) -> tuple[Factor, ...]:
    """Build the factors of a decision, sorted by weight (largest first).

    Every scored feature of ``spec`` becomes a factor, missing ones included (weight 0, neutral, no
    evidence), so the reader sees what pushed the score up, what pulled it down, and what was not known.

    Args:
        result: the score with each feature's contribution in logit units.
        features: the computed features (evidence is already ordered newest first).
        spec: the decision type.
        language: ``zh`` or ``en`` for labels and rationales.
    """
    names = list(spec.features)
    contribs = [result.contributions.get(n, 0.0) for n in names]
    weights = percent_weights(contribs)
    factors: list[tuple[float, float, int, Factor]] = []
    for i, (name, c, w) in enumerate(zip(names, contribs, weights, strict=True)):
        fv = features.get(name) or missing(name)
        direction: Direction = "positive" if c > 0 else "negative" if c < 0 else "neutral"
        factor = Factor(
            name=name,
            label=spec.label_of(name, language),
            weight=w,
            direction=direction,
            value=fv.value,
            contribution=c,
            evidence=fv.evidence,
            rationale=rationale(fv, c, spec, language),
        )
        factors.append((-w, -abs(c), i, factor))
    factors.sort(key=lambda t: t[:3])
    return tuple(f for *_, f in factors)


def top_factors(factors: Sequence[Factor], direction: str, k: int = 3) -> list[str]:
    """Return the names of the ``k`` heaviest factors pushing in ``direction``."""
    return [f.name for f in factors if f.direction == direction][:k]
