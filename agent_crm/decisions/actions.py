"""Next best action: candidate actions ranked by deterministic rules over the computed features."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent_crm.decisions.catalog import NBA_ACTIONS
from agent_crm.decisions.features import FeatureValue
from agent_crm.decisions.rationale import OBJECTION_NAMES

DEFAULT_REACTIVATION_DAYS = 90.0


def _v(features: Mapping[str, FeatureValue], name: str) -> float | None:
    fv = features.get(name)
    return None if fv is None else fv.value


def _count(features: Mapping[str, FeatureValue], name: str) -> float:
    return _v(features, name) or 0.0


def _reason(features: Mapping[str, FeatureValue], name: str) -> dict[str, Any]:
    fv = features[name]
    return {"feature": name, "value": fv.value, "display": fv.display, "evidence": list(fv.evidence)}


def rank_actions(features: Mapping[str, FeatureValue], params: Mapping[str, float]) -> list[dict[str, Any]]:
    """Return the applicable actions, best first, each with a score in [0, 1] and its reasons (features)."""
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
    cands: dict[str, tuple[float, list[str]]] = {}

    if open_tickets > 0 or complaints > 0 or angry:
        score = 0.45 + 0.1 * min(open_tickets, 3) + 0.1 * min(complaints, 3) + (0.15 if angry else 0.0)
        why = [
            n
            for n, on in (
                ("open_tickets", open_tickets > 0),
                ("complaints", complaints > 0),
                ("sentiment", angry),
            )
            if on
        ]
        cands["service_recovery"] = (score, why)
    rejected_ids = set(features["quote_rejections"].evidence) if "quote_rejections" in features else set()
    explained = {c for c, ids in objections.items() if c != "price" and rejected_ids & set(ids)}
    if "price" in objections or (rejected > 0 and not explained):
        score = 0.5 + 0.15 * ("price" in objections) + 0.15 * (rejected > 0) + 0.1 * (competitors > 0)
        why = [
            n
            for n, on in (
                ("quote_rejections", rejected > 0),
                ("objections", "price" in objections),
                ("competitor_mentions", competitors > 0),
            )
            if on
        ]
        cands["price_objection_followup"] = (score, why)
    for cat, action, base in (
        ("procurement_policy", "procurement_policy_briefing", 0.6),
        ("qualification", "qualification_support", 0.55),
    ):
        if cat in objections:
            ids = objections[cat]
            bonus = 0.15 if rejected_ids & set(ids) else 0.0
            why = ["objections", "quote_rejections"] if bonus else ["objections"]
            cands[action] = (base + 0.05 * min(len(ids), 3) + bonus, why)
    if competitors > 0 and "price" not in objections:
        cands["competitor_defense"] = (0.5 + 0.05 * min(competitors, 4), ["competitor_mentions"])
    if renewal is not None:
        due = renewal.facts.get("days_to_renewal")
        soon = isinstance(due, int | float) and 0 <= due <= 90
        weak = renewal.value is not None and renewal.value < 0.6
        if soon or weak:
            cands["renewal_call"] = (0.5 + 0.2 * soon + 0.15 * weak, ["renewal_signals"])
    limit = params.get("reactivation_days", DEFAULT_REACTIVATION_DAYS)
    if recency is not None and recency >= limit:
        cands["reactivation_call"] = (0.45 + min(0.3, (recency - limit) / 365.0), ["recency"])
    growing = trend is not None and trend >= 0.05
    if (
        sentiment is not None
        and sentiment >= 0.2
        and open_tickets == 0
        and complaints == 0
        and (growing or engagement >= 3)
    ):
        score = 0.45 + 0.2 * growing + 0.1 * (engagement >= 3) + 0.1 * (sentiment >= 0.5)
        why = [
            n
            for n, on in (
                ("sentiment", True),
                ("surgery_volume_trend", growing),
                ("engagement", engagement >= 3),
            )
            if on
        ]
        cands["upsell"] = (score, why)
    cands["nurture"] = (0.3, [])

    order = {a: i for i, a in enumerate(NBA_ACTIONS)}
    ranked = sorted(cands, key=lambda a: (-round(min(cands[a][0], 0.95), 6), order[a]))
    return [
        {
            "action": a,
            "score": round(min(cands[a][0], 0.95), 4),
            "reasons": [_reason(features, n) for n in cands[a][1] if n in features],
        }
        for a in ranked
    ]


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
        ("renewal_signals", ("attendance", "satisfaction", "renewal_status", "days_to_renewal")),
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
