"""``decide``: features -> additive score -> attributed factors -> label and details, as a Decision.

Pure and deterministic: no I/O besides the (cached) packaged weights, no clock (``as_of`` defaults to the
newest record's timestamp), stable ordering everywhere, so the same input gives a byte-identical Decision.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from agent_crm.decisions.attribution import NO_ATTRIBUTION_FLAG, attribute, top_factors
from agent_crm.decisions.catalog import get_spec
from agent_crm.decisions.features import FeatureContext, compute_in
from agent_crm.decisions.outcomes import OUTCOMES, Inputs
from agent_crm.decisions.scoring import ScoringModel, score
from agent_crm.decisions.weights import default_models
from agent_crm.errors import InputError, TenantError
from agent_crm.types import Decision, Interaction, Language

OPTIONS: tuple[str, ...] = ("competitors", "contacts")
"""Accepted keys of ``decide(options=...)``: ``competitors`` = competitor names known to the tenant;
``contacts`` = the customer's directory contacts (mappings or ``Contact`` objects with ``name``, ``title``,
``role``)."""


def _as_of(records: Sequence[Interaction], as_of: datetime | None) -> datetime:
    if as_of is not None:
        return as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)
    if not records:
        raise InputError("no records and no as_of: pass as_of to decide for a customer without records")
    latest = max(r.timestamp for r in records)
    return latest if latest.tzinfo is not None else latest.replace(tzinfo=UTC)


def _check_records(records: Sequence[Interaction], tenant: str, customer_id: str) -> None:
    for r in records:
        if r.tenant != tenant:
            raise TenantError(f"record {r.id!r} belongs to another tenant, not {tenant!r}")
        if r.customer_id != customer_id:
            raise InputError(f"record {r.id!r} belongs to customer {r.customer_id!r}, not {customer_id!r}")


def _options(options: Mapping[str, Any] | None) -> tuple[tuple[str, ...], tuple[Mapping[str, Any], ...]]:
    if not options:
        return (), ()
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise InputError(f"unknown decide option(s) {', '.join(unknown)}; valid: {', '.join(OPTIONS)}")
    names = options.get("competitors") or ()
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise InputError("option competitors must be a list of names")
    contacts = options.get("contacts") or ()
    if isinstance(contacts, str | Mapping):
        raise InputError("option contacts must be a list of contacts (name, title, role)")
    return tuple(names), tuple(_contact(c) for c in contacts)


def _contact(c: Any) -> Mapping[str, Any]:
    """Accept a mapping or an object with ``name``/``title``/``role`` attributes (a directory Contact)."""
    if isinstance(c, Mapping):
        return c
    if hasattr(c, "name"):
        return {k: getattr(c, k, None) for k in ("name", "title", "role")}
    raise InputError("option contacts must be a list of contacts (name, title, role)")


def _baselines(model: ScoringModel, baselines: Mapping[str, float] | None) -> ScoringModel:
    if not baselines:
        return model
    for k, v in baselines.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise InputError(f"baseline {k!r} must be a finite number, got {v!r}")
    return model.with_baselines(baselines)


def decide(
    decision_type: str,
    records: Sequence[Interaction],
    *,
    tenant: str,
    customer_id: str,
    as_of: datetime | None = None,
    language: str = "en",
    model: ScoringModel | None = None,
    baselines: Mapping[str, float] | None = None,
    options: Mapping[str, Any] | None = None,
) -> Decision:
    """Make an attributed decision about one customer from their records.

    Args:
        decision_type: one of :data:`agent_crm.decisions.catalog.DECISION_TYPES`.
        records: the customer's (redacted) records; all must carry ``tenant`` and ``customer_id``.
        tenant: the caller's tenant (never taken from record content).
        customer_id: the customer decided about.
        as_of: reference time; defaults to the newest record's timestamp. Records after it are ignored.
        language: ``zh`` or ``en`` for factor labels and rationales.
        model: a scoring model replacing the packaged default of this type (e.g. from
            :func:`agent_crm.decisions.weights.load_weights` with a tenant override).
        baselines: feature -> baseline (e.g. :func:`agent_crm.decisions.weights.tenant_baselines`).
        options: ``{"competitors": [...], "contacts": [...]}``: competitor names known to the tenant, and
            the customer's directory contacts (``{"name", "title", "role"}``; a ``decision_maker`` role gives
            the records engaging that contact full authority).

    Returns:
        A :class:`Decision` with label, score in [0, 1], factors (weights summing to 100) and details.

    Raises:
        InputError: unknown type, language or option, a record of another customer, no records and no as_of.
        TenantError: a record of another tenant.
    """
    spec = get_spec(decision_type)
    if language not in ("zh", "en"):
        raise InputError(f"unknown language {language!r}; valid: zh, en")
    _check_records(records, tenant, customer_id)
    competitors, contacts = _options(options)
    if model is None:
        model = default_models()[decision_type]
    elif model.decision_type != decision_type:
        raise InputError(f"model is for {model.decision_type!r}, not {decision_type!r}")
    model = _baselines(model, baselines)
    when = _as_of(records, as_of)

    ctx = FeatureContext(
        records, when, competitors, contacts=contacts, ignore_our_faults=spec.ignore_our_faults
    )
    features = compute_in(ctx, spec.all_features)
    result = score(model, features)
    factors = attribute(result, features, spec, language)
    outcome = OUTCOMES[decision_type](Inputs(spec, model, result, features, factors, ctx, language))

    flags = list(outcome.flags)
    if all(f.weight == 0.0 for f in factors):
        flags.append(NO_ATTRIBUTION_FLAG)
    details: dict[str, Any] = {
        "logit": result.logit,
        "bias": result.bias,
        "as_of": when.isoformat(),
        "records_considered": len(ctx.views),
        "top_positive": top_factors(factors, "positive"),
        "top_negative": top_factors(factors, "negative"),
        "missing_features": [n for n in spec.features if features[n].missing],
        **outcome.details,
        "signals": {
            n: {
                "value": features[n].value,
                "display": features[n].display,
                "evidence": list(features[n].evidence),
            }
            for n in spec.aux_features
        },
    }
    return Decision(
        type=decision_type,
        label=outcome.label,
        score=result.score,
        tenant=tenant,
        customer_id=customer_id,
        factors=factors,
        language=cast("Language", language),
        flags=tuple(flags),
        details=details,
    )
