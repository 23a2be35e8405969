"""Interpretable features of one customer's records, each with the record ids it was computed from.

Every feature is a function of the records matching a per-record predicate (its evidence) and of ``as_of``
only, so removing records that are not a feature's evidence never changes it, and removing all of its evidence
makes it missing (value None, contribution exactly zero).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from agent_crm.decisions.catalog import get_spec
from agent_crm.decisions.features import activity, events, finance, renewal, sales, signals
from agent_crm.decisions.features.base import FeatureContext, FeatureValue, missing
from agent_crm.errors import InputError
from agent_crm.types import Interaction

FEATURE_FUNCS: dict[str, Callable[[FeatureContext], FeatureValue]] = {
    **activity.FUNCS,
    **signals.FUNCS,
    **events.FUNCS,
    **sales.FUNCS,
    **finance.FUNCS,
    "renewal_signals": renewal.renewal_signals,
}


def compute_in(ctx: FeatureContext, names: Iterable[str]) -> dict[str, FeatureValue]:
    """Compute the named features over a prepared context."""
    out: dict[str, FeatureValue] = {}
    for name in names:
        func = FEATURE_FUNCS.get(name)
        if func is None:
            raise InputError(f"unknown feature {name!r}; valid features: {', '.join(sorted(FEATURE_FUNCS))}")
        out[name] = func(ctx)
    return out


def compute_features(
    decision_type: str,
    records: Sequence[Interaction],
    *,
    as_of: datetime,
    competitors: Iterable[str] = (),
    contacts: Iterable[Mapping[str, Any]] = (),
) -> dict[str, FeatureValue]:
    """Compute the scored and auxiliary features of ``decision_type`` for one customer's records.

    Args:
        decision_type: one of :data:`agent_crm.decisions.catalog.DECISION_TYPES`.
        records: the customer's (redacted) interaction records; records after ``as_of`` are ignored.
        as_of: the reference time (windows such as "last 180 days" end here).
        competitors: competitor names known to the tenant (matched in text besides generic words).
        contacts: the customer's directory contacts (``name``, ``title``, ``role``).

    Returns:
        Feature name -> :class:`FeatureValue`, scored features first.
    """
    spec = get_spec(decision_type)
    ctx = FeatureContext(
        records, as_of, competitors, contacts=contacts, ignore_our_faults=spec.ignore_our_faults
    )
    return compute_in(ctx, spec.all_features)


def feature_map(features: Mapping[str, FeatureValue]) -> dict[str, float | None]:
    """Return feature name -> value (None when missing)."""
    return {k: v.value for k, v in features.items()}


__all__ = [
    "FEATURE_FUNCS",
    "FeatureContext",
    "FeatureValue",
    "compute_features",
    "compute_in",
    "feature_map",
    "missing",
]
