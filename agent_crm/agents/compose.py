"""Compose and guard nodes: the model writes the answer and scripts from the decision and evidence; the guard
keeps only citations to records the run actually saw and strips any PII from the output."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agent_crm.agents.calls import model_call_record
from agent_crm.agents.state import AssistantContext, AssistantState
from agent_crm.agents.timing import timed

CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9:_\-#./]{1,80})\]")
STRATEGIES = ["value", "relationship", "compliance"]


def compose_context(state: AssistantState, n_scripts: int) -> dict[str, Any]:
    """The data block the compose prompt carries (decision, evidence, knowledge)."""
    decision = dict(state.get("decision") or {})
    factors = [
        {k: f.get(k) for k in ("name", "label", "weight", "direction", "value", "evidence", "rationale")}
        for f in decision.get("factors", [])
    ]
    return {
        "task": "compose",
        "language": state.get("language", "en"),
        "question": state.get("question", ""),
        "customer": {"customer_id": state.get("customer_id"), "name": state.get("customer_name")},
        "decision": {
            "type": decision.get("type"), "label": decision.get("label"), "score": decision.get("score"),
            "factors": factors, "details": decision.get("details", {}),
        },
        "evidence": [{k: e[k] for k in ("record_id", "channel", "timestamp", "snippet")} for e in state.get("evidence", [])],
        "knowledge": [
            {"record_id": e["record_id"], "title": e.get("title", ""), "snippet": e["snippet"]}
            for e in state.get("knowledge", [])
        ],
        "n_scripts": n_scripts,
        "strategies": STRATEGIES[: max(n_scripts, 0)] if n_scripts <= len(STRATEGIES) else STRATEGIES,
        "flags": sorted(set(state.get("flags", []))),
    }


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
    return {"decision": decision, "model_calls": [model_call_record("compose", result, prompt)]}


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
            "snippet": ev.get("snippet") or (rec.text[:160] if rec else ""),
            "content_hash": ev.get("content_hash") or (rec.content_hash if rec else ""),
        })
    decision.update(answer=answer, scripts=scripts, citations=citations)
    return {"decision": decision, "flags": sorted(set(flags)), "messages": [AIMessage(content=answer)]}
