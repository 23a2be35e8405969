"""Next best action: candidate actions ranked by deterministic rules over the computed features."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agent_crm.decisions.catalog import NBA_ACTIONS
from agent_crm.decisions.features import FeatureValue
from agent_crm.decisions.rationale import OBJECTION_NAMES
from agent_crm.types import Factor

DEFAULT_REACTIVATION_DAYS = 90.0


def _v(features: Mapping[str, FeatureValue], name: str) -> float | None:
    fv = features.get(name)
    return None if fv is None else fv.value


def _count(features: Mapping[str, FeatureValue], name: str) -> float:
    return _v(features, name) or 0.0


Drivers = list[tuple[str, float]]
"""(feature, points) pairs: what each feature adds to an action's score."""
SCORE_CAP = 0.95


def _reason(features: Mapping[str, FeatureValue], name: str, points: float) -> dict[str, Any]:
    fv = features[name]
    return {
        "feature": name,
        "points": round(points, 4),
        "value": fv.value,
        "display": fv.display,
        "evidence": list(fv.evidence),
    }


def _drivers(*pairs: tuple[str, float, bool]) -> Drivers:
    """Keep the (feature, points) pairs whose condition holds."""
    return [(n, pts) for n, pts, on in pairs if on]


def _total(cand: tuple[float, Drivers] | None) -> float:
    return 0.0 if cand is None else cand[0] + sum(p for _, p in cand[1])


def rank_actions(features: Mapping[str, FeatureValue], params: Mapping[str, float]) -> list[dict[str, Any]]:
    """Return the applicable actions, best first, each with a score in [0, 1] and its reasons.

    Each action's score is additive: ``base + Σ points`` over its driving features (capped at 0.95), and
    every reason carries its ``points``, the feature's value and its evidence records, so the chosen action
    is explained by exactly what raised it.
    """
    objections = features["objections"].facts.get("categories", {}) if "objections" in features else {}
    rejected = _count(features, "quote_rejections")
    competitors = _count(features, "competitor_mentions")
    sentiment = _v(features, "sentiment")
    open_tickets = _count(features, "open_tickets")
    complaints = _count(features, "complaints")
    recency = _v(features, "recency")
    renewal = features.get("renewal_signals")
    trend = _v(features, "surgery_volume_trend")
    engagement = _count(features, "engagement")
    angry = sentiment is not None and sentiment <= -0.3
    cands: dict[str, tuple[float, Drivers]] = {}

    recovery = _recovery(features, open_tickets, complaints, angry)
    if recovery is not None:
        cands["service_recovery"] = recovery
    rejected_ids = set(features["quote_rejections"].evidence) if "quote_rejections" in features else set()
    explained = {c for c, ids in objections.items() if c != "price" and rejected_ids & set(ids)}
    if "price" in objections or (rejected > 0 and not explained):
        cands["price_objection_followup"] = (
            0.5,
            _drivers(
                ("quote_rejections", 0.15, rejected > 0),
                ("objections", 0.15, "price" in objections),
                ("competitor_mentions", 0.1, competitors > 0),
            ),
        )
    for cat, action, base in (
        ("procurement_policy", "procurement_policy_briefing", 0.6),
        ("qualification", "qualification_support", 0.55),
    ):
        if cat in objections:
            ids = objections[cat]
            on_quote = bool(rejected_ids & set(ids))
            cands[action] = (
                base,
                _drivers(("objections", 0.05 * min(len(ids), 3), True), ("quote_rejections", 0.15, on_quote)),
            )
    if competitors > 0 and "price" not in objections:
        cands["competitor_defense"] = (0.5, [("competitor_mentions", 0.05 * min(competitors, 4))])
    if renewal is not None:
        _renewal_actions(renewal, open_tickets + complaints > 0, cands)
    limit = params.get("reactivation_days", DEFAULT_REACTIVATION_DAYS)
    if recency is not None and recency >= limit:
        cands["reactivation_call"] = (0.45, [("recency", min(0.3, (recency - limit) / 365.0))])
    growing = trend is not None and trend >= 0.05
    if (
        sentiment is not None
        and sentiment >= 0.2
        and open_tickets == 0
        and complaints == 0
        and (growing or engagement >= 3)
    ):
        drivers = _drivers(
            ("sentiment", 0.1 * (sentiment >= 0.5), True),
            ("surgery_volume_trend", 0.2, growing),
            ("engagement", 0.1, engagement >= 3),
        )
        if 0.45 + sum(p for _, p in drivers) > _total(cands.get("upsell")):
            cands["upsell"] = (0.45, drivers)
    cands["nurture"] = (0.3, [])

    order = {a: i for i, a in enumerate(NBA_ACTIONS)}
    ranked = sorted(cands, key=lambda a: (-round(min(_total(cands[a]), SCORE_CAP), 6), order[a]))
    return [
        {
            "action": a,
            "score": round(min(_total(cands[a]), SCORE_CAP), 4),
            "base": cands[a][0],
            "reasons": [_reason(features, n, pts) for n, pts in cands[a][1] if n in features],
        }
        for a in ranked
    ]


def _recovery(
    features: Mapping[str, FeatureValue], open_tickets: float, complaints: float, angry: bool
) -> tuple[float, Drivers] | None:
    """Return the service_recovery candidate: fresh incidents first, then our admitted faults, then problems."""
    incidents = features.get("incidents")
    fresh = 0.0 if incidents is None or incidents.value is None else incidents.value
    serious = bool(incidents is not None and incidents.facts.get("serious"))
    faults = _count(features, "our_faults")
    if fresh > 0 and (serious or open_tickets > 0):
        # a service failure of the last 30 days (a complaint, a high-priority ticket, an open damage case)
        # comes before any sales motion: recover first
        return 0.8, _drivers(
            ("incidents", 0.05 * min(fresh, 3) + 0.1 * serious, True),
            ("open_tickets", 0.0, open_tickets > 0),
            ("complaints", 0.0, complaints > 0),
        )
    if faults > 0:
        # we failed this customer and said so (an apology, a reversal, a refund for our fault): recover
        return 0.6, [("our_faults", 0.05 * min(faults, 3))]
    if open_tickets > 0 or complaints > 0 or angry:
        return 0.45, _drivers(
            ("open_tickets", 0.1 * min(open_tickets, 3), open_tickets > 0),
            ("complaints", 0.1 * min(complaints, 3), complaints > 0),
            ("sentiment", 0.15, angry),
        )
    return None


def _renewal_actions(renewal: FeatureValue, troubled: bool, cands: dict[str, tuple[float, Drivers]]) -> None:
    """Add renewal_call (renewal due, our open offer, a lapsed or weak renewal) and upsell (happy, renewed).

    Courses the customer quit (refund, drop-out) get no renewal call; a customer who quit or declined
    everything is not called about renewing.
    """
    f = renewal.facts
    due = f.get("days_to_renewal")
    soon = isinstance(due, int | float) and 0 <= due <= 90
    live = bool(f.get("renewed") or f.get("pending") or f.get("lapsed"))
    lost_all = not live and bool(f.get("quit") or f.get("declined"))
    offer = f.get("open_offer") is not None
    lapsed = bool(f.get("lapsed"))
    weak = renewal.value is not None and renewal.value < 0.6 and not lost_all
    if soon or (not lost_all and (offer or lapsed or weak)):
        points = 0.2 * soon + 0.2 * offer + 0.2 * lapsed + 0.15 * weak
        cands["renewal_call"] = (0.5, [("renewal_signals", points)])
    active = bool(f.get("renewed")) and renewal.value is not None and renewal.value >= 0.8
    if active and not troubled and "upsell" not in cands:
        cands["upsell"] = (0.55, [("renewal_signals", 0.0)])


def action_factors(chosen: Mapping[str, Any], factors: Sequence[Factor]) -> list[dict[str, Any]]:
    """Return the chosen action's drivers, most points first, joined with their attributed factors.

    Each entry: the feature, its points in the action's additive score, its evidence, and when the feature is
    also a scored factor its ``weight`` (share of the attribution, %), ``contribution`` and ``direction``.
    """
    by_name = {f.name: f for f in factors}
    out: list[dict[str, Any]] = []
    for reason in sorted(chosen.get("reasons", []), key=lambda r: -r["points"]):
        entry = {k: reason[k] for k in ("feature", "points", "display", "evidence")}
        factor = by_name.get(reason["feature"])
        if factor is not None:
            entry.update(weight=factor.weight, contribution=factor.contribution, direction=factor.direction)
        out.append(entry)
    return out


def objection_details(features: Mapping[str, FeatureValue], language: str) -> list[dict[str, Any]]:
    """Return the objections found: category, display name, record ids and quoted snippets."""
    fv = features.get("objections")
    if fv is None or fv.missing:
        return []
    idx = 0 if language == "zh" else 1
    snippets = fv.facts.get("snippets", {})
    return [
        {
            "category": cat,
            "label": OBJECTION_NAMES[cat][idx],
            "records": ids,
            "snippets": [{"record": rid, "text": snippets.get(cat, {}).get(rid, "")} for rid in ids],
        }
        for cat, ids in fv.facts.get("categories", {}).items()
    ]


def competitor_details(features: Mapping[str, FeatureValue]) -> list[dict[str, Any]]:
    """Return the competitors mentioned (None = an unnamed competitor) with record ids and snippets."""
    fv = features.get("competitor_mentions")
    if fv is None or fv.missing:
        return []
    snippets = fv.facts.get("snippets", {})
    out = [
        {"name": name, "records": ids, "snippets": {r: snippets.get(r, "") for r in ids}}
        for name, ids in fv.facts.get("names", {}).items()
    ]
    if fv.facts.get("unnamed"):
        ids = fv.facts["unnamed"]
        out.append({"name": None, "records": ids, "snippets": {r: snippets.get(r, "") for r in ids}})
    return out


def key_facts(features: Mapping[str, FeatureValue]) -> dict[str, Any]:
    """Return the numbers a writer needs (recency, order value, rejected quotes, tickets, renewal, ...)."""
    facts: dict[str, Any] = {}
    for name, keys in (
        ("recency", ("days", "last_record", "last_channel")),
        ("monetary", ("total", "orders", "currency")),
        ("frequency", ("orders",)),
        ("quote_rejections", ("quotes", "amounts", "currency")),
        ("open_tickets", ("open", "open_tickets", "open_records")),
        ("complaints", ("complaints", "latest")),
        ("surgery_volume_trend", ("months", "first", "last")),
        (
            "renewal_signals",
            ("attendance", "satisfaction", "renewal_status", "days_to_renewal", "courses", "open_offer"),
        ),
        ("incidents", ("incidents", "serious", "latest")),
        ("our_faults", ("latest",)),
        ("relocation", ("latest",)),
        ("budget", ("status", "amount")),
        ("timeline", ("cue",)),
        ("need", ("products",)),
    ):
        fv = features.get(name)
        if fv is None:
            continue
        entry = {k: fv.facts[k] for k in keys if k in fv.facts}
        if fv.value is not None:
            entry = {"value": fv.value, **entry}
        if entry:
            facts[name] = entry
    return facts
