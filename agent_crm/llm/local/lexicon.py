"""Bilingual lexicons of the local reasoner: decision types, intents, injection cues, labels and phrasing."""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent_crm.llm.local.language import Lang


def _cues(text: str) -> tuple[str, ...]:
    """Split a ``|``-separated cue list (kept compact on purpose: one line per language group)."""
    return tuple(c.strip() for c in text.split("|") if c.strip())


def _weighted(text: str) -> tuple[tuple[str, int], ...]:
    """Split ``cue:weight|cue:weight`` into pairs (weight 1 when omitted)."""
    out = []
    for cue in _cues(text):
        word, _, weight = cue.rpartition(":") if ":" in cue else (cue, "", "1")
        out.append((word, int(weight)))
    return tuple(out)


# --- decision types -------------------------------------------------------------------------------
# cue:weight — weights decide between types when a question carries cues of several (strong 3-4, weak 1).
TYPE_LEXICON: dict[str, tuple[tuple[str, int], ...]] = {
    "churn_risk": _weighted(
        "流失:3|续费风险:4|续约风险:4|不续费:3|不续约:3|解约:3|挽留:3|停用:2|续费:1|续约:1"
        "|churn:3|attrition:3|renewal risk:4|retention:2|at risk:2|at-risk:2|cancel:2|renewal:1"
    ),
    "next_best_action": _weighted(
        "跟进:3|下一步:3|怎么办:3|拒签:3|拒绝:2|报价:2|话术:3|推进:2|如何回应:3|怎么回应:3|回访:2|拜访:1"
        "|异议:2|建议:1|follow-up:3|follow up:3|followup:3|next step:3|next best action:4|next action:3"
        "|what should we do:3|what to do:2|rejected:2|quote:2|proposal:1|objection:2|script:2|pitch:2"
        "|reach out:2|declined:1"
    ),
    "credit_recommendation": _weighted(
        "授信:4|贷款:3|额度:3|信贷:3|借款:3|放款:3|征信:3|还款:2|credit:3|loan:3|lending:3|credit limit:4"
        "|borrow:2|repayment:2|underwriting:3|financing:2"
    ),
    "ticket_routing": _weighted(
        "派单:4|工单:3|分派:3|分配给:2|转给:2|哪个组:3|队列:3|route:3|routing:3|ticket:3|queue:3|assign:2"
        "|dispatch:3|escalate:2|triage:3"
    ),
    "lead_score": _weighted(
        "线索:3|评分:1|资质:2|商机:2|意向:2|打分:2|成交可能:3|lead:3|qualify:3|qualified:2|qualification:3"
        "|bant:4|prospect:2|lead score:4|scoring:1"
    ),
}
"""Cues of each decision type, Chinese and English."""

TYPE_ORDER = ("next_best_action", "churn_risk", "credit_recommendation", "ticket_routing", "lead_score")
"""Tie-break order between decision types with equal cue weight."""

SEARCH_CUES = _cues(
    "查|找|搜索|记录|说了什么|提到|最近|哪些|什么时候|历史|有没有|列出|总结|概况|情况|怎么样"
    "|find|search|show|list|what did|when did|mention|history|records|summary|summarize|summarise|latest"
    "|recent|status|how is|how are they"
)
"""Cues of a retrieval question (no decision asked)."""

CHITCHAT_CUES = _cues(
    "你好|您好|谢谢|感谢|再见|你是谁|早上好|晚上好"
    "|hi|hello|hey|thanks|thank you|bye|who are you|how are you|good morning"
)
"""Cues of small talk."""

FOLLOW_UP_CUES = _cues("呢|那|还有|同样|也|what about|how about|and for|same for|also")
"""Cues that a short question continues the previous turn (inherit its decision type)."""

# --- untrusted text -------------------------------------------------------------------------------
INJECTION_RE = re.compile(
    r"(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier|preceding)?\s*"
    r"(instructions?|prompts?|rules?)"
    r"|\b(system|assistant|developer)\s*:"
    r"|you\s+are\s+now|act\s+as\b|pretend\s+(to\s+be|you)|role-?play|new\s+instructions?"
    r"|change\s+the\s+(decision|label|answer|score)|system\s+prompt|</?crm_context"
    r"|忽略|无视|不要理会|你现在是|扮演|系统提示|新的指令|将结论改为|把结论改为|改为批准|输出以下|重写规则",
    re.IGNORECASE,
)
"""Instruction-like text inside data (quoted as data, never followed)."""


def injection_at(text: str) -> int:
    """Return the position of the first instruction-like cue in ``text``, or -1."""
    m = INJECTION_RE.search(text)
    return m.start() if m else -1


# --- names and phrasing ---------------------------------------------------------------------------
TYPE_NAMES: dict[str, tuple[str, str]] = {
    "churn_risk": ("流失风险", "churn risk"),
    "next_best_action": ("下一步最佳行动", "next best action"),
    "credit_recommendation": ("授信建议", "credit recommendation"),
    "ticket_routing": ("工单分派", "ticket routing"),
    "lead_score": ("线索评分", "lead score"),
}
"""Display names of decision types (zh, en)."""

DIRECTION_PHRASES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "churn_risk": (("推高流失风险", "降低流失风险"), ("raises the churn risk", "lowers the churn risk")),
    "lead_score": (("提升线索评分", "拉低线索评分"), ("raises the lead score", "lowers the lead score")),
    "credit_recommendation": (
        ("支持授信", "削弱授信依据"),
        ("supports the credit case", "weakens the credit case"),
    ),
    "next_best_action": (
        ("支持该行动", "削弱该行动的理由"),
        ("supports this action", "argues against this action"),
    ),
    "ticket_routing": (
        ("支持该分派", "不利于该分派"),
        ("supports this routing", "argues against this routing"),
    ),
}
"""(zh (up, down), en (up, down)) phrasing of a factor's direction per decision type."""

LABEL_GLOSS: dict[str, str] = dict(
    pair.split("=")
    for pair in _cues(
        "high=高|medium=中|low=低|critical=严重|approve=批准|approved=批准|decline=拒绝|declined=拒绝|reject=拒绝"
        "|review=人工复核|manual_review=人工复核|qualified=合格线索|unqualified=不合格线索|nurture=继续培育|hot=热"
        "|warm=温|cold=冷|escalate=升级处理|conditional=有条件批准|approve_with_conditions=有条件批准"
        "|refer=转人工审批|price_objection_followup=价格异议跟进|procurement_policy_briefing=集采政策沟通"
        "|qualification_support=资质材料支持|competitor_defense=竞品防守|renewal_call=续约回访"
        "|reactivation_call=唤醒回访|upsell=增购推荐|service_recovery=服务补救|billing=账务|technical=技术支持"
        "|returns=退货|logistics=物流|complaints=投诉|sales=销售|general=综合"
    )
)
"""Chinese glosses shown after an English decision label (the label itself is always shown verbatim)."""

FACTOR_LABELS: dict[str, tuple[str, str]] = {
    key: (zh, en)
    for key, zh, en in (
        entry.split("=")
        for entry in _cues(
            "recency=最近互动=recency|frequency=互动频次=interaction frequency"
            "|monetary=采购金额=monetary value"
            "|engagement=互动热度=engagement|price=价格异议=price objection|objection=客户异议=objection"
            "|competitor=竞品威胁=competitor presence|surgery=手术量=surgery volume|volume=业务量=volume"
            "|contact=关键联系人=key contact|complaint=投诉=complaints|sentiment=客户情绪=sentiment"
            "|budget=预算=budget|authority=决策权=authority|need=需求=need|timeline=时间线=timeline"
            "|cash_flow=现金流稳定性=cash-flow stability|repayment=还款记录=repayment history"
            "|debt=负债水平=debt level|sla=服务时效=SLA|severity=严重程度=severity"
            "|procurement=采购流程=procurement process|tenure=合作年限=tenure"
        )
    )
}
"""Fallback labels for factors that arrive without one, matched by a substring of the factor name."""

# --- strategies: which factor/document cues feed which follow-up script ----------------------------
STRATEGY_CUES: dict[str, tuple[str, ...]] = {
    "value": _cues(
        "price|pricing|monetary|amount|value|roi|cost|budget|discount|objection|competitor|competition|volume"
        "|surgery|revenue|spend|order|quote|价格|报价|金额|价值|成本|预算|折扣|异议|竞品|竞争|手术|用量|采购额|收入|订单"
    ),
    "relationship": _cues(
        "contact|engagement|recency|history|frequency|relationship|visit|meeting|sentiment|satisfaction"
        "|champion|tenure|response|complaint|联系人|互动|最近|历史|频次|关系|拜访|会议|情绪|满意|响应|主任|决策人|年限|投诉"
    ),
    "compliance": _cues(
        "policy|compliance|procurement|tender|approval|regulation|contract|legal|audit|certificate|license|kyc"
        "|rule|政策|合规|采购|招标|审批|法规|合同|证照|流程|制度|规定|规则"
    ),
    "conditions": _cues(
        "limit|term|collateral|guarantee|rate|cash|flow|income|debt|pos|revenue"
        "|额度|期限|抵押|担保|利率|现金流|收入|负债|流水"
    ),
    "documents": _cues(
        "document|statement|kyc|license|certificate|audit|tax|filing|verify|verification"
        "|材料|报表|执照|证照|纳税|核验|资料|征信"
    ),
    "resolution": _cues(
        "severity|priority|sla|product|category|skill|queue|backlog|outage|defect"
        "|严重|优先级|时效|产品|类别|技能|故障|积压"
    ),
}
"""Cues that tie a factor (by name/label) or a knowledge document (by title/text) to a script strategy."""

DEFAULT_STRATEGIES: dict[str, tuple[str, ...]] = {
    "credit_recommendation": ("conditions", "documents", "relationship"),
    "ticket_routing": ("resolution", "relationship", "compliance"),
}
"""Default strategies per decision type (others: value, relationship, compliance)."""

GENERIC_STRATEGIES = ("value", "relationship", "compliance", "conditions", "documents", "resolution")
"""Every strategy with a profile, in the order used to top up a short strategies list."""


def is_latin(text: str) -> bool:
    """Tell whether ``text`` is made of ASCII characters only."""
    return text.isascii()


def compile_cues(cues: Iterable[str], *, whole_words: bool = False) -> re.Pattern[str]:
    """Compile cues into one regex over case-folded text.

    Args:
        cues: Keywords; Latin ones must start at a word boundary (``lead`` does not match ``mislead``).
        whole_words: Also require Latin cues to end at a word boundary (``hi`` does not match ``history``).
    """
    parts = []
    for cue in sorted(set(cues), key=lambda c: (-len(c), c)):
        escaped = re.escape(cue.casefold())
        if is_latin(cue) and cue[:1].isalnum():
            escaped = rf"(?<![a-z0-9]){escaped}" + (r"(?![a-z0-9])" if whole_words else "")
        parts.append(escaped)
    return re.compile("|".join(parts) if parts else r"(?!x)x")


def type_name(decision_type: str, lang: Lang) -> str:
    """Return the display name of a decision type."""
    names = TYPE_NAMES.get(decision_type)
    if names is None:
        return decision_type.replace("_", " ")
    return names[0] if lang == "zh" else names[1]


def direction_phrase(decision_type: str, direction: str, lang: Lang) -> str:
    """Return how a factor of ``direction`` moves a decision of ``decision_type``."""
    zh, en = DIRECTION_PHRASES.get(
        decision_type, (("推高评分", "拉低评分"), ("raises the score", "lowers the score"))
    )
    pair = zh if lang == "zh" else en
    if direction == "positive":
        return pair[0]
    if direction == "negative":
        return pair[1]
    return "影响中性" if lang == "zh" else "is neutral"


def factor_fallback_label(name: str, lang: Lang) -> str:
    """Return a readable label for a factor name without one."""
    low = name.casefold()
    for key in sorted(FACTOR_LABELS, key=lambda k: (-len(k), k)):
        if key in low:
            return FACTOR_LABELS[key][0 if lang == "zh" else 1]
    return name.replace("_", " ")


def strategy_score(text: str, strategy: str) -> int:
    """Count the cues of ``strategy`` found in ``text`` (case-insensitive)."""
    low = text.casefold()
    return sum(1 for cue in STRATEGY_CUES.get(strategy, ()) if cue in low)
