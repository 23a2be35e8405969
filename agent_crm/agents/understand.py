"""Understand and clarify nodes: intent, customer and decision type from the question."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from agent_crm.agents.calls import model_call_record
from agent_crm.agents.state import AssistantContext, AssistantState
from agent_crm.agents.timing import timed
from agent_crm.kb.directory import CustomerEntry

_CJK = re.compile(r"[\u3400-\u9fff]")
DECISION_TYPES = ("next_best_action", "lead_score", "churn_risk", "ticket_routing", "credit_recommendation")


def detect_language(text: str) -> str:
    """Return ``zh`` when the text is mainly Chinese, else ``en``."""
    visible = len(re.sub(r"\s", "", text))
    return "zh" if visible and len(_CJK.findall(text)) / visible >= 0.3 else "en"


def directory_candidates(directory: tuple[CustomerEntry, ...], question: str) -> list[dict[str, Any]]:
    """Directory entries one of whose names, aliases or contact names occurs in the question."""
    q = question.lower()
    out = []
    for e in directory:
        names = [e.name, *e.aliases, *(c.name for c in e.contacts)]
        if any(n and n.lower() in q for n in names):
            out.append({
                "customer_id": e.customer_id, "name": e.name, "aliases": list(e.aliases),
                "contacts": [{"name": c.name, "title": c.title} for c in e.contacts],
            })
    return out


@timed("understand")
def understand(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    """Resolve intent, customer and decision type (preset values from ``crm.decide`` skip the model)."""
    deps = runtime.context.deps
    run = state.get("run", {})
    question = state.get("question", "")
    if run.get("customer_id") and run.get("decision_type"):
        return {
            "intent": "decide", "customer_id": run["customer_id"], "decision_type": run["decision_type"],
            "customer_name": _name_of(deps.records.directory(), run["customer_id"]),
            "language": run.get("language") or detect_language(question), "clarification": None, "candidates": [],
        }
    from agent_crm.llm.context import UNDERSTAND_SCHEMA, build_messages
    from agent_crm.llm.prompts import load_prompt

    directory = deps.records.directory()
    known = {e.customer_id for e in directory}
    history = [
        {"role": "user" if m.type == "human" else "assistant", "content": str(m.content)[:500]}
        for m in state.get("messages", [])[-5:-1]
    ]
    context = {
        "task": "understand", "question": question, "decision_types": list(DECISION_TYPES),
        "directory": directory_candidates(directory, question),
        "current_customer_id": state.get("customer_id"), "history": history,
    }
    prompt = load_prompt("understand")
    result = deps.gateway.complete(
        build_messages(prompt.text, question, context), alias=run.get("model"), response_schema=UNDERSTAND_SCHEMA
    )
    data = result.data or {}
    customer = data.get("customer_id")
    flags: list[str] = []
    if customer is not None and customer not in known:
        # the model may only pick customers of this tenant's directory
        flags.append("unknown_customer_from_model")
        customer = None
    dtype = data.get("decision_type") if data.get("decision_type") in DECISION_TYPES else None
    language = data.get("language") if data.get("language") in ("zh", "en") else detect_language(question)
    clarification = data.get("clarification")
    if customer is None and not clarification:
        clarification = "请问您指的是哪位客户？" if language == "zh" else "Which customer do you mean?"
    return {
        "intent": data.get("intent") or "decide",
        "customer_id": customer,
        "customer_name": _name_of(directory, customer),
        "decision_type": dtype or run.get("decision_type") or "next_best_action",
        "language": language,
        "candidates": [c for c in data.get("candidates") or [] if c in known],
        "clarification": clarification if customer is None else None,
        "model_calls": [model_call_record("understand", result, prompt)],
        "flags": flags,
    }


def _name_of(directory: tuple[CustomerEntry, ...], customer_id: str | None) -> str | None:
    return next((e.name for e in directory if e.customer_id == customer_id), None) if customer_id else None


@timed("clarify")
def clarify(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    """Ask the user which customer they mean."""
    text = state.get("clarification") or "Which customer do you mean?"
    return {"messages": [AIMessage(content=text)], "decision": None}


def route_after_understand(state: AssistantState) -> str:
    """Go on to retrieval when a customer is known, else ask."""
    return "retrieve" if state.get("customer_id") and not state.get("clarification") else "clarify"
