"""The assistant graph: understand → retrieve → features → decide → [approval] → compose → guard → record.

Unknown or ambiguous customers take the clarify path; high-risk decisions pause in ``approval`` (``interrupt``)
until a human resumes them. Compile ``builder`` with your own checkpointer, or use ``graph`` (no checkpointer).
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from agent_crm.agents.compose import compose, guard
from agent_crm.agents.decide import approval, decide, features, route_after_decide
from agent_crm.agents.evidence import retrieve
from agent_crm.agents.record import record
from agent_crm.agents.state import AssistantContext, AssistantState
from agent_crm.agents.understand import clarify, route_after_understand, understand

builder: StateGraph[AssistantState, AssistantContext, AssistantState, AssistantState] = StateGraph(
    AssistantState, context_schema=AssistantContext
)
builder.add_node("understand", understand)
builder.add_node("clarify", clarify)
builder.add_node("retrieve", retrieve)
builder.add_node("features", features)
builder.add_node("decide", decide)
builder.add_node("approval", approval)
builder.add_node("compose", compose)
builder.add_node("guard", guard)
builder.add_node("record", record)
builder.add_edge(START, "understand")
builder.add_conditional_edges("understand", route_after_understand, {"retrieve": "retrieve", "clarify": "clarify"})
builder.add_edge("clarify", "record")
builder.add_edge("retrieve", "features")
builder.add_edge("features", "decide")
builder.add_conditional_edges("decide", route_after_decide, {"approval": "approval", "compose": "compose"})
builder.add_edge("approval", "compose")
builder.add_edge("compose", "guard")
builder.add_edge("guard", "record")
builder.add_edge("record", END)

graph = builder.compile()
