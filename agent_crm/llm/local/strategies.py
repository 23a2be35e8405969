"""Wording of the follow-up script strategies.

Strategies: value, relationship, compliance, conditions, documents, resolution.

Templates carry no digits: every number in a script comes from the context's factors, evidence or documents.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent_crm.llm.local.language import Lang


@dataclass(frozen=True)
class Wording:
    """The sentences of one strategy in one language."""

    title: str
    opening: str
    point: str
    """Template of a factor point: ``{label}`` and ``{grounding}`` (a quoted excerpt with its citation)."""
    doc: str
    """Template of a document point: ``{title}`` and ``{grounding}``."""
    closing: str


PROFILES: dict[str, dict[str, Wording]] = {
    "value": {
        "zh": Wording(
            "价值导向：用投入产出回应顾虑",
            "您好，感谢您对方案的关注。我想用几个具体事实说明这个方案能带来的价值。",
            "关于{label}：{grounding}。我们会把投入与可量化的收益逐项对照，用数据回应您的顾虑。",
            "可参考《{title}》：{grounding}，作为价值测算的依据。",
            "收尾：请对方确认最关心的指标，并约定提交测算方案的时间。",
        ),
        "en": Wording(
            "Value-led: answer the concern with return on investment",
            "Thank you for your interest in the proposal. Let me show its value with a few concrete facts.",
            "On {label}: {grounding}. We will set the cost against measurable gains, item by item.",
            "See \u201c{title}\u201d: {grounding}, as the basis for the value calculation.",
            "Close: ask which metrics matter most to them and agree on when to send the calculation.",
        ),
    },
    "relationship": {
        "zh": Wording(
            "关系导向：先修复沟通再谈方案",
            "您好，最近一直想当面听听您的想法，也想把之前的沟通再对齐一下。",
            "关于{label}：{grounding}。我们想先了解您的真实考虑，再一起确定下一步。",
            "我们参考了《{title}》：{grounding}。",
            "收尾：约一次面对面交流，并请对方引荐参与决策的同事。",
        ),
        "en": Wording(
            "Relationship-led: rebuild the conversation first",
            "I would like to hear your view in person and realign on what we discussed before.",
            "On {label}: {grounding}. We want to hear your real concerns first, then agree on next steps.",
            "We also looked at \u201c{title}\u201d: {grounding}.",
            "Close: propose a face-to-face meeting and ask to be introduced to the other decision makers.",
        ),
    },
    "compliance": {
        "zh": Wording(
            "合规导向：按采购规定推进",
            "您好，为了让流程顺利推进，我把相关规定和我们的准备情况梳理了一下。",
            "关于{label}：{grounding}。我们会严格按贵方的流程准备材料。",
            "根据《{title}》：{grounding}，我们的方案将按该规定准备，确保流程合规。",
            "收尾：确认流程目前所处阶段，列出需要我方补充的资质文件。",
        ),
        "en": Wording(
            "Policy-led: move forward within the procurement rules",
            "To keep the process moving, I have summarised the applicable rules and where we stand.",
            "On {label}: {grounding}. We will prepare everything strictly along your process.",
            "Under \u201c{title}\u201d: {grounding}; our proposal follows this rule to stay compliant.",
            "Close: confirm which stage the process is in and list the documents we still need to provide.",
        ),
    },
    "conditions": {
        "zh": Wording(
            "授信条件：可以提供的方案",
            "您好，结合贵司的经营数据，我们初步梳理了可以提供的授信条件。",
            "关于{label}：{grounding}。据此我们可以提出相应的额度与期限安排。",
            "依据《{title}》：{grounding}，条件将按该要求设定。",
            "收尾：说明最终条件以审批结果为准，并约定下次沟通时间。",
        ),
        "en": Wording(
            "Conditions: what we can offer",
            "Based on your business data, we have drafted the credit conditions we can offer.",
            "On {label}: {grounding}. On this basis we can propose a matching limit and term.",
            "Under \u201c{title}\u201d: {grounding}; the conditions follow this requirement.",
            "Close: explain that final terms depend on approval and agree on the next call.",
        ),
    },
    "documents": {
        "zh": Wording(
            "补充材料：完成评估所需文件",
            "您好，为完成评估，还需要您补充几份材料。",
            "关于{label}：{grounding}。请提供可核验的材料以确认这一点。",
            "根据《{title}》：{grounding}，需按此要求准备材料。",
            "收尾：列明材料清单和提交方式，材料齐全后推进审批。",
        ),
        "en": Wording(
            "Documents: what we need to complete the review",
            "To complete the review, we need a few more documents from you.",
            "On {label}: {grounding}. Please provide verifiable documents that confirm this.",
            "Under \u201c{title}\u201d: {grounding}; documents must follow this requirement.",
            "Close: list the documents and how to submit them; approval proceeds once they are complete.",
        ),
    },
    "resolution": {
        "zh": Wording(
            "处理方案：对口团队与时效",
            "您好，您反馈的问题我们已经登记，并安排了对口团队处理。",
            "关于{label}：{grounding}。我们会据此安排处理优先级。",
            "根据《{title}》：{grounding}，处理将按该服务规定执行。",
            "收尾：告知进度同步方式，并确认问题是否已解决。",
        ),
        "en": Wording(
            "Resolution: the right team, on time",
            "We have logged the issue you reported and assigned the right team to it.",
            "On {label}: {grounding}. We will set the handling priority accordingly.",
            "Under \u201c{title}\u201d: {grounding}; handling follows this service rule.",
            "Close: explain how progress will be shared and confirm whether the issue is solved.",
        ),
    },
}
"""Wording per strategy and language."""

TITLES: dict[tuple[str, str], tuple[str, str]] = {
    ("churn_risk", "value"): (
        "价值复盘：用使用成效稳住续约",
        "Value review: secure the renewal with results",
    ),
    ("churn_risk", "relationship"): (
        "关系修复：重建与关键联系人的沟通",
        "Relationship repair: reconnect with key contacts",
    ),
    ("churn_risk", "compliance"): (
        "合同与续约条款：按规定推进续约",
        "Contract and renewal terms: renew by the rules",
    ),
    ("lead_score", "value"): ("需求与预算确认", "Confirm need and budget"),
    ("lead_score", "relationship"): ("触达决策人", "Reach the decision maker"),
    ("lead_score", "compliance"): ("采购流程与准入", "Procurement process and vendor admission"),
    ("credit_recommendation", "relationship"): ("还款与经营沟通", "Talk about repayment and operations"),
    ("ticket_routing", "relationship"): ("客户安抚与沟通", "Reassure and keep the customer informed"),
    ("ticket_routing", "compliance"): ("服务政策与 SLA", "Service policy and SLA"),
}
"""Title overrides per (decision type, strategy) as (zh, en)."""


def wording(strategy: str, decision_type: str, lang: Lang) -> Wording:
    """Return the wording of a strategy for a decision type (a generic wording for unknown strategies)."""
    profile = PROFILES.get(strategy)
    if profile is None:
        base = PROFILES["relationship"][lang]
        title = f"{strategy}策略" if lang == "zh" else f"{strategy.replace('_', ' ').capitalize()} strategy"
        return Wording(title, base.opening, base.point, base.doc, base.closing)
    chosen = profile[lang]
    override = TITLES.get((decision_type, strategy))
    if override:
        return Wording(
            override[0 if lang == "zh" else 1], chosen.opening, chosen.point, chosen.doc, chosen.closing
        )
    return chosen
