"""Compose and guard nodes: the model writes the answer and scripts from the decision and evidence; the guard
keeps only citations to records the run actually saw and strips any PII from the output."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agent_crm.agents.calls import model_call_record
from agent_crm.agents.state import AssistantContext, AssistantState
from agent_crm.agents.timing import timed
from agent_crm.policy.crossverify import check_amounts, summary
from agent_crm.policy.injection import neutralise, neutralise_items, other_customer_names, scrub_names

if TYPE_CHECKING:
    from agent_crm.agents.deps import TenantDeps

CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9:_\-#./]{1,80})\]")
STRATEGIES = ["value", "relationship", "compliance"]


def compose_context(state: AssistantState, n_scripts: int) -> dict[str, Any]:
    """The data block the compose prompt carries (decision, evidence, knowledge)."""
    decision = dict(state.get("decision") or {})
    factors = [
        {k: f.get(k) for k in ("name", "label", "weight", "direction", "value", "evidence", "rationale")}
        for f in decision.get("factors", [])
    ]
    evidence, knowledge, injected = _data_items(state)
    return {
        "task": "compose",
        "language": state.get("language", "en"),
        "question": state.get("question", ""),
        "customer": {"customer_id": state.get("customer_id"), "name": state.get("customer_name")},
        "decision": {
            "type": decision.get("type"), "label": decision.get("label"), "score": decision.get("score"),
            "factors": factors, "details": decision.get("details", {}),
        },
        "evidence": evidence,
        "knowledge": knowledge,
        "n_scripts": n_scripts,
        "strategies": STRATEGIES[: max(n_scripts, 0)] if n_scripts <= len(STRATEGIES) else STRATEGIES,
        "flags": sorted(set(state.get("flags", [])) | ({"prompt_injection"} if injected else set())),
    }


def _data_items(state: AssistantState) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Evidence and knowledge as the model sees them, instruction-like text neutralised (trust policy, issue 4).

    Retrieval neutralises what it found; evidence the decide node added from stored records is handled here.
    """
    evidence, flagged = neutralise_items(
        [{k: e[k] for k in ("record_id", "channel", "timestamp", "snippet")} for e in state.get("evidence", [])]
    )
    knowledge, flagged_kb = neutralise_items([
        {"record_id": e["record_id"], "title": e.get("title", ""), "snippet": e["snippet"]}
        for e in state.get("knowledge", [])
    ])
    return evidence, knowledge, flagged + [r for r in flagged_kb if r not in flagged]


@timed("compose")
def compose(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    """Ask the model for the answer and follow-up scripts, grounded in the decision and evidence."""
    from agent_crm.llm.context import COMPOSE_SCHEMA, build_messages
    from agent_crm.llm.prompts import load_prompt

    deps = runtime.context.deps
    run = state.get("run", {})
    n_scripts = int(run.get("n_scripts", deps.tenant_settings.n_scripts))
    prompt = load_prompt("compose")
    question = state.get("question", "")
    result = deps.gateway.complete(
        build_messages(prompt.text, question, compose_context(state, n_scripts)),
        alias=run.get("model"), response_schema=COMPOSE_SCHEMA,
    )
    data = result.data or {"answer": result.text, "scripts": []}
    decision = {**(state.get("decision") or {}), "answer": data.get("answer", ""), "scripts": data.get("scripts", [])}
    out: dict[str, Any] = {"decision": decision, "model_calls": [model_call_record("compose", result, prompt)]}
    injected = [r for r in _data_items(state)[2] if r not in run.get("injection_records", [])]
    if injected:  # trust policy (issue 4): records the decide node added carried instruction-like text
        out.update(flags=["prompt_injection"], run={**run, "injection_records": [*run.get("injection_records", []),
                                                                                  *injected]})
    return out


@timed("guard")
def guard(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    """Keep citations to records the run saw, drop the rest (flagged); redact PII from every output text."""
    deps = runtime.context.deps
    decision = dict(state.get("decision") or {})
    known: dict[str, dict[str, Any]] = {}
    for e in [*state.get("evidence", []), *state.get("knowledge", [])]:
        known.setdefault(e["record_id"], e)
    for f in decision.get("factors", []):
        for rid in f.get("evidence", []):
            known.setdefault(rid, {"record_id": rid})
    flags: list[str] = []
    cited: list[str] = []

    def keep(match: re.Match[str]) -> str:
        rid = match.group(1)
        if rid in known:
            if rid not in cited:
                cited.append(rid)
            return match.group(0)
        flags.append("unsupported_citation")
        return ""

    answer = deps.redact(CITATION.sub(keep, decision.get("answer", "")))
    scripts = []
    for s in decision.get("scripts", []):
        text = deps.redact(CITATION.sub(keep, s.get("text", "")))
        scripts.append({**s, "text": text, "citations": [c for c in s.get("citations", []) if c in known]})
    answer, scripts, trust_flags, trust_details = _trust_checks(state, deps, answer, scripts)
    flags += trust_flags
    for f in decision.get("factors", [])[:5]:
        for rid in f.get("evidence", [])[:2]:
            if rid not in cited:
                cited.append(rid)
    citations = []
    for rid in cited:
        ev = known[rid]
        rec = deps.records.get(rid) if "snippet" not in ev else None
        citations.append({
            "record_id": rid,
            "chunk_id": ev.get("chunk_id"),
            "customer_id": state.get("customer_id") if not rid.startswith("doc:") else None,
            "channel": ev.get("channel") or (rec.channel if rec else None),
            "timestamp": ev.get("timestamp") or (rec.timestamp.isoformat() if rec else None),
            "snippet": neutralise(ev.get("snippet") or (rec.text[:160] if rec else ""))[0],
            "content_hash": ev.get("content_hash") or (rec.content_hash if rec else ""),
        })
    decision.update(answer=answer, scripts=scripts, citations=citations)
    if trust_details:
        decision["details"] = {**decision.get("details", {}), **trust_details}
    return {"decision": decision, "flags": sorted(set(flags)), "messages": [AIMessage(content=answer)]}


def _trust_checks(
    state: AssistantState, deps: TenantDeps, answer: str, scripts: list[dict[str, Any]]
) -> tuple[str, list[dict[str, Any]], list[str], dict[str, Any]]:
    """Trust policy on the output (issue 4): other customers removed, amounts cross-verified, injection ids.

    Returns the answer and scripts, the flags to raise and what to add to the decision's details.
    """
    customer = state.get("customer_id")
    others = other_customer_names(deps.records.directory(), customer)
    answer, removed = scrub_names(answer, others)
    kept = []
    for s in scripts:
        text, more = scrub_names(s.get("text", ""), others)
        title, in_title = scrub_names(deps.redact(s.get("title", "")), others)
        removed += more + in_title
        kept.append({**s, "text": text, "title": title})
    flags: list[str] = ["other_customer_removed"] if removed else []
    details: dict[str, Any] = {}
    if injected := state.get("run", {}).get("injection_records"):
        details["prompt_injection"] = {"records": list(injected)}
    policy = deps.policy.policy if deps.policy is not None else None
    if policy is not None and policy.cross_verify and customer:
        decision = state.get("decision") or {}
        records = deps.records.by_customer(customer)
        opts: dict[str, Any] = {"min_sources": policy.min_sources, "fields": policy.cross_verify_fields}
        # the request's amounts are the user's claims; the output may restate what the engine computed
        checks = check_amounts({"request": state.get("question", "")}, records, **opts)
        outputs = {"answer": answer, **{f"script:{s.get('strategy', i)}": s["text"] for i, s in enumerate(kept)}}
        computed = {"details": decision.get("details"), "factors": [f.get("value") for f in decision.get("factors", [])]}
        checks += check_amounts(outputs, records, computed=computed, **opts)
        details["cross_verify"] = summary(checks, policy.min_sources)
        flags += ["unverified_amount"] if any(not c.verified for c in checks) else []
    return answer, kept, flags, details
