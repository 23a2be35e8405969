"""Retrieve node: tenant-scoped, cross-channel evidence for the customer, plus knowledge documents."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent_crm.agents.state import AssistantContext, AssistantState
from agent_crm.agents.timing import timed
from agent_crm.kb.documents import KNOWLEDGE_CUSTOMER
from agent_crm.kb.filters import SearchFilters
from agent_crm.policy.injection import neutralise, neutralise_items
from agent_crm.types import Hit

# words added to the retrieval query so each decision type finds the records that matter to it
TYPE_HINTS: dict[str, str] = {
    "next_best_action": "报价 拒绝 异议 竞品 跟进 quote objection competitor follow-up",
    "lead_score": "预算 决策人 需求 时间 budget decision maker need timeline",
    "churn_risk": "投诉 不满 续费 退款 complaint renewal refund cancel",
    "ticket_routing": "工单 问题 退货 物流 账单 ticket issue return delivery billing",
    "credit_recommendation": "流水 还款 贷款 授信 担保 POS cash flow repayment loan",
}
SNIPPET_CHARS = 220


def hit_evidence(hit: Hit) -> dict[str, Any]:
    """The evidence form of a retrieval hit (what models see and the audit keeps)."""
    c = hit.chunk
    return {
        "record_id": c.record_id,
        "chunk_id": c.id,
        "channel": c.channel,
        "timestamp": c.timestamp.isoformat(),
        "snippet": c.text[:SNIPPET_CHARS],
        "content_hash": c.content_hash,
        "score": round(hit.score, 6),
    }


@timed("retrieve")
def retrieve(state: AssistantState, runtime: Runtime[AssistantContext]) -> dict[str, Any]:
    """Search the customer's records across channels and the tenant's knowledge documents."""
    deps = runtime.context.deps
    question = state.get("question", "")
    dtype = state.get("decision_type") or "next_best_action"
    query = f"{question} {TYPE_HINTS.get(dtype, '')}".strip()
    k = deps.tenant_settings.retrieval_k
    hits = deps.index.search(query, k=k, filters=SearchFilters(customer_id=state.get("customer_id")))
    docs = deps.index.search(query, k=3, filters=SearchFilters(customer_id=KNOWLEDGE_CUSTOMER))
    knowledge = []
    for h in docs:
        ev = hit_evidence(h)
        rec = deps.records.get(h.chunk.record_id)
        ev["title"] = rec.subject if rec and rec.subject else h.chunk.record_id
        knowledge.append(ev)
    # trust policy (issue 4): instruction-like text in retrieved records is neutralised before any model sees
    # it (on the whole chunk, before the snippet is cut) and the run is flagged with the records' ids
    evidence = [hit_evidence(h) for h in hits]
    flagged: list[str] = []
    for ev, h in zip([*evidence, *knowledge], [*hits, *docs], strict=True):
        clean, found = neutralise(h.chunk.text)
        if found:
            ev["snippet"] = clean[:SNIPPET_CHARS]
            flagged += [h.chunk.record_id] if h.chunk.record_id not in flagged else []
    knowledge, titles = neutralise_items(knowledge, keys=("title",))
    flagged += [rid for rid in titles if rid not in flagged]
    if not flagged:
        return {"evidence": evidence, "knowledge": knowledge}
    run = {**state.get("run", {}), "injection_records": flagged}
    return {"evidence": evidence, "knowledge": knowledge, "flags": ["prompt_injection"], "run": run}
