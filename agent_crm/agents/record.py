"""Record node: one hash-chained audit record per run."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from agent_crm.agents.state import AssistantContext, AssistantState
from agent_crm.agents.timing import timed


def decision_features(decision: dict[str, Any]) -> dict[str, Any]:
    """Every feature the engine used: scored ones (the factors) and auxiliary ones (``details.signals``)."""
    if not decision:
        return {}
    out = {f["name"]: {"value": f.get("value"), "evidence": list(f.get("evidence", []))}
           for f in decision.get("factors", [])}
    for name, sig in (decision.get("details", {}).get("signals") or {}).items():
        out.setdefault(name, {"value": sig.get("value"), "evidence": list(sig.get("evidence", []))})
    return out


def audit_payload(state: AssistantState, tenant: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a finished run into the audit payload and its personal part (encrypted per customer)."""
    run = state.get("run", {})
    decision = state.get("decision") or {}
    calls = state.get("model_calls", [])
    tokens_in = sum(int(c.get("usage", {}).get("prompt_tokens", 0) or 0) for c in calls)
    tokens_out = sum(int(c.get("usage", {}).get("completion_tokens", 0) or 0) for c in calls)
    cost = sum(float(c.get("cost_usd") or 0.0) for c in calls)
    started = run.get("started_perf")
    payload = {
        "tenant": tenant,
        "thread_id": run.get("thread_id"),
        "entry": run.get("entry", "ask"),
        "intent": state.get("intent"),
        "customer_id": state.get("customer_id"),
        "decision_type": state.get("decision_type"),
        "language": state.get("language"),
        "model_calls": calls,
        "prompts": [c["prompt"] for c in calls],
        "graph_path": state.get("path", []),
        "features": decision_features(decision),
        "decision": {k: decision.get(k) for k in ("type", "label", "score", "details")} if decision else None,
        "attributions": [
            {k: f.get(k) for k in ("name", "weight", "direction", "value", "contribution", "evidence")}
            for f in decision.get("factors", [])
        ],
        "citations": [
            {"record_id": c["record_id"], "content_hash": c.get("content_hash", "")}
            for c in decision.get("citations", [])
        ],
        "flags": sorted(set(state.get("flags", []))),
        "approval": state.get("approval"),
        "tokens": {"in": tokens_in, "out": tokens_out},
        "cost_usd": round(cost, 8),
        "latency_ms": round((time.perf_counter() - started) * 1000, 3) if isinstance(started, float) else None,
    }
    personal = {
        "question": state.get("question", ""),
        "answer": decision.get("answer", "") if decision else state.get("clarification", ""),
        "scripts": [s.get("text", "") for s in decision.get("scripts", [])] if decision else [],
    }
    return payload, personal


@timed("record")
def record(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    """Append the run to the tenant's audit ledger and keep its id."""
    deps = runtime.context.deps
    payload, personal = audit_payload(state, deps.tenant)
    if deps.residency is not None:  # trust policy (issue 4): the customer's region and each call's destination
        payload["residency"] = deps.residency.describe(state.get("customer_id"), payload["model_calls"])
    actor = state.get("run", {}).get("actor", "sdk")
    # personal parts are encrypted under the customer's key (or the thread's, when no customer was resolved),
    # so erasing the customer or the conversation shreds them without breaking the chain
    subject = state.get("customer_id") or f"thread:{state.get('run', {}).get('thread_id')}"
    rec = deps.ledger.append(
        "decision" if state.get("decision") else "clarification", payload,
        actor=actor, subject=subject, personal=personal,
    )
    out: dict[str, Any] = {"audit_id": rec.id}
    if state.get("approval") is not None:
        appr = state["approval"] or {}
        deps.ledger.append(
            "approval", {"approved": bool(appr.get("approved")), "label": appr.get("label"),
                         "reason": appr.get("reason", "")},
            actor=str(appr.get("actor", "unknown")), parent_id=rec.id,
        )
    return out
