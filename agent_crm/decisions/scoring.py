"""Transparent additive logistic scoring: ``logit = bias + Σ w_i · (t(x_i) − t(b_i)) / s_i``.

``t`` clips a value to the feature's bounds and optionally applies ``log1p`` (for money). A missing feature
contributes exactly 0. Because the model is additive in logit space, each contribution is the feature's exact
Shapley value relative to the baseline customer: no post-hoc explainer is involved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from agent_crm.decisions.features import FeatureValue

TRANSFORMS: tuple[str, ...] = ("identity", "log1p")


@dataclass(frozen=True, slots=True)
class ScoringModel:
    """The weights of one decision type (see ``weights/default.yaml``).

    Attributes:
        decision_type: the decision type it scores.
        bias: logit of the baseline customer.
        weights: feature -> weight (sign = direction of its effect on the score).
        baselines: feature -> baseline value (a prior, or the tenant's average customer).
        scale: feature -> normalisation (a typical deviation, in the feature's units after transform).
        thresholds: band name -> minimum score (see :attr:`DecisionSpec.bands`).
        transforms: feature -> ``identity`` | ``log1p``.
        bounds: feature -> (low, high) the value and the baseline are clipped to before transforming.
        params: numeric parameters of the outcome rules (credit limit multiple, ...).
    """

    decision_type: str
    bias: float
    weights: Mapping[str, float]
    baselines: Mapping[str, float]
    scale: Mapping[str, float]
    thresholds: Mapping[str, float] = field(default_factory=dict)
    transforms: Mapping[str, str] = field(default_factory=dict)
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    params: Mapping[str, float] = field(default_factory=dict)

    def with_baselines(self, baselines: Mapping[str, float]) -> ScoringModel:
        """Return a copy whose baselines are overridden for the features this model scores."""
        merged = dict(self.baselines)
        merged.update({k: float(v) for k, v in baselines.items() if k in self.weights})
        return replace(self, baselines=merged)

    def term(self, name: str, value: float) -> float:
        """Return the contribution of feature ``name`` at ``value`` (in logit units)."""
        w = self.weights.get(name, 0.0)
        if w == 0.0:
            return 0.0
        x, b = self._t(name, value), self._t(name, self.baselines.get(name, 0.0))
        return w * (x - b) / self.scale.get(name, 1.0)

    def _t(self, name: str, value: float) -> float:
        lo, hi = self.bounds.get(name, (-math.inf, math.inf))
        v = min(max(value, lo), hi)
        if self.transforms.get(name) == "log1p":
            v = math.log1p(max(v, 0.0))
        return v

    def to_dict(self) -> dict[str, Any]:
        """Return the model as plain data (for ``details`` and audit payloads)."""
        return {
            "decision_type": self.decision_type,
            "bias": self.bias,
            "weights": dict(self.weights),
            "baselines": dict(self.baselines),
            "scale": dict(self.scale),
            "thresholds": dict(self.thresholds),
            "transforms": dict(self.transforms),
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "params": dict(self.params),
        }


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """The output of :func:`score`: ``logit == bias + sum(contributions.values())``."""

    logit: float
    score: float
    contributions: dict[str, float]
    bias: float = 0.0


def sigmoid(x: float) -> float:
    """Return the logistic function of ``x`` without overflow."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _value(feature: FeatureValue | float | None) -> float | None:
    if isinstance(feature, FeatureValue):
        return feature.value
    return feature


def score(model: ScoringModel, features: Mapping[str, FeatureValue | float | None]) -> ScoreResult:
    """Score features with ``model``.

    Args:
        model: the scoring model.
        features: feature name -> :class:`FeatureValue` (or a bare value); absent or missing features
            contribute 0.

    Returns:
        The logit, the score ``sigmoid(logit)`` in [0, 1] and every scored feature's contribution.
    """
    contributions: dict[str, float] = {}
    for name in model.weights:
        value = _value(features.get(name))
        contributions[name] = 0.0 if value is None else model.term(name, value)
    logit = model.bias + math.fsum(contributions.values())
    return ScoreResult(logit=logit, score=sigmoid(logit), contributions=contributions, bias=model.bias)


def band(model: ScoringModel, bands: tuple[str, ...], value: float) -> str:
    """Return the first band (best first) whose threshold ``value`` reaches; the last band otherwise."""
    for name in bands[:-1]:
        if value >= model.thresholds.get(name, math.inf):
            return name
    return bands[-1]
