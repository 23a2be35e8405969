"""Features, decide and approval nodes: the transparent scoring model, its attribution, and human approval."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent_crm.agents.state import AssistantContext, AssistantState
from agent_crm.agents.timing import timed
from agent_crm.types import Interaction

FACTOR_EVIDENCE_PER_FACTOR = 2
FACTORS_WITH_EVIDENCE = 5


def record_evidence(rec: Interaction) -> dict[str, Any]:
    """The evidence form of a stored record (used for the records a factor was computed from)."""
    head = " · ".join(x for x in (rec.subject, rec.product) if x)
    text = f"{head}: {rec.text}" if head else rec.text
    return {
        "record_id": rec.id, "chunk_id": None, "channel": rec.channel, "timestamp": rec.timestamp.isoformat(),
        "snippet": text[:220], "content_hash": rec.content_hash, "score": None,
    }


@timed("features")
def features(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    """Gather the decision's inputs once: the customer's records, the tenant baselines and directory contacts.

    The engine computes the features from them in ``decide`` (with exactly these inputs), and returns every
    feature it used, which is what the audit records; nothing is computed twice.
    """
    deps = runtime.context.deps
    customer = state.get("customer_id") or ""
    dtype = state.get("decision_type") or "next_best_action"
    records = deps.records.by_customer(customer)
    entry = next((e for e in deps.records.directory() if e.customer_id == customer), None)
    runtime.context.extra["inputs"] = {
        "records": records,
        "as_of": deps.as_of(),
        "baselines": deps.baselines(dtype),
        "options": {"contacts": list(entry.contacts)} if entry and entry.contacts else None,
    }
    return {} if records else {"flags": ["no_records"]}


@timed("decide")
def decide(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    """Score the customer with the tenant's weights and attribute the score to factors with evidence."""
    from agent_crm.decisions.engine import decide as engine_decide

    deps = runtime.context.deps
    dtype = state.get("decision_type") or "next_best_action"
    customer = state["customer_id"] or ""
    inputs = runtime.context.extra["inputs"]
    records = inputs["records"]
    decision = engine_decide(
        dtype, records, tenant=deps.tenant, customer_id=customer, as_of=inputs["as_of"],
        language=state.get("language", "en"), model=deps.weights.get(dtype), baselines=inputs["baselines"],
        options=inputs["options"],
    )
    by_id = {r.id: r for r in records}
    seen = {e["record_id"] for e in state.get("evidence", [])}
    extra = []
    for factor in decision.factors[:FACTORS_WITH_EVIDENCE]:
        for rid in factor.evidence[:FACTOR_EVIDENCE_PER_FACTOR]:
            if rid not in seen and rid in by_id:
                seen.add(rid)
                extra.append(record_evidence(by_id[rid]))
    high_risk = _needs_approval(deps.tenant_settings.approvals.get(dtype), decision.label, decision.details)
    update: dict[str, Any] = {
        "decision": decision.model_dump(mode="json"),
        "evidence": [*state.get("evidence", []), *extra],
        "flags": ["pending_approval"] if high_risk else [],
    }
    # the features were computed over every record of the customer, retrieved or not: a poisoned one taints the
    # decision's inputs even when its text never reaches the model, so it is flagged here as well
    if injected := deps.injected_records(records):
        run = state.get("run", {})
        known = run.get("injection_records", [])
        update["run"] = {**run, "injection_records": [*known, *(r for r in injected if r not in known)]}
        update["flags"] = [*update["flags"], "prompt_injection"]
    return update


def _needs_approval(rule: Any, label: str, details: dict[str, Any]) -> bool:
    if rule is None:
        return False
    amount = details.get("requested_amount")
    over = rule.amount_above is not None and isinstance(amount, int | float) and amount > rule.amount_above
    return bool(over or label in rule.labels)


def route_after_decide(state: AssistantState) -> str:
    """High-risk decisions wait for a human approver."""
    return "approval" if "pending_approval" in state.get("flags", []) and not state.get("approval") else "compose"


@timed("approval")
def approval(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    """Pause for a human approver (``interrupt``); resume with ``{approved, actor, reason, label?}``."""
    decision = state.get("decision") or {}
    answer = interrupt({
        "reason": "high_risk_decision",
        "decision_type": decision.get("type"),
        "label": decision.get("label"),
        "score": decision.get("score"),
        "details": decision.get("details", {}),
    })
    if not isinstance(answer, dict) or "approved" not in answer:
        answer = {"approved": bool(answer), "actor": "unknown", "reason": ""}
    update: dict[str, Any] = {"approval": answer}
    new_label = answer.get("label")
    if new_label and new_label != decision.get("label"):
        update["decision"] = {**decision, "label": new_label}
        update["flags"] = ["human_override"]
    elif not answer.get("approved"):
        update["flags"] = ["rejected_by_approver"]
    return update
