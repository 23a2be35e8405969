"""The ``chat`` task and messages without CRM context: brief, honest replies in the question's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent_crm.llm.local import lexicon
from agent_crm.llm.local.language import Lang, detect_language, normalise_language

_GREETING_RE = lexicon.compile_cues(lexicon.CHITCHAT_CUES, whole_words=True)

_INTRO = {
    "zh": "您好！我是 agent_crm 内置的本地推理模型，可以依据客户记录分析流失风险、"
    "下一步跟进、授信建议、工单分派和线索评分。请告诉我客户名称或联系人，以及您想了解的问题。",
    "en": "Hello! I am agent_crm's built-in local reasoner. From your customer records I can assess "
    "churn risk, the next best action, credit recommendations, ticket routing and lead scores. "
    "Tell me the customer or contact and what you would like to know.",
}
_NO_CONTEXT = {
    "zh": "我只能依据提供给我的 CRM 上下文作答；这次没有收到客户记录或决策数据，因此无法给出有依据的结论。"
    "请说明客户名称或联系人，以及想了解的问题（例如流失风险、下一步跟进、授信、工单分派或线索评分）。",
    "en": "I can only answer from the CRM context I am given, and this request carries no customer "
    "records or decision data, so I cannot give a grounded answer. Please name the customer or "
    "contact and what you want to know (for example churn risk, next steps, credit, ticket routing "
    "or lead score).",
}
_NOT_FOUND = {
    "zh": "我没有找到与问题对应的客户。请提供客户名称、别名或联系人姓名。",
    "en": "I could not find a customer matching the question. Please give the customer's name, an alias or a "
    "contact's name.",
}


def chat_reply(question: str, ctx: Mapping[str, Any] | None) -> str:
    """Answer a chat turn or a message without context.

    Args:
        question: The user's text (without any data block).
        ctx: The ``chat`` context when there is one (``clarification``, ``message``, ``language``,
            ``customer_found`` are honoured), else None.

    Returns:
        A short plain-text reply in the question's language.
    """
    lang: Lang = normalise_language(ctx.get("language"), question) if ctx else detect_language(question)
    if ctx:
        for key in ("clarification", "message"):
            text = ctx.get(key)
            if isinstance(text, str) and text.strip():
                return text.strip()
        if ctx.get("customer_found") is False:
            return _NOT_FOUND[lang]
    if _GREETING_RE.search(question.casefold()) and len(question) <= 40:
        return _INTRO[lang]
    return _NO_CONTEXT[lang]
