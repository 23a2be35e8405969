"""The decision types, their features and bilingual display names.

A :class:`DecisionSpec` says which features a decision type scores (5–9 interpretable features), which
it only reports in ``details`` (auxiliary features used by the outcome rules), its possible labels, its
score bands (named thresholds, read from the weights file) and tunable parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agent_crm.errors import InputError

DECISION_TYPES: tuple[str, ...] = (
    "next_best_action",
    "lead_score",
    "churn_risk",
    "ticket_routing",
    "credit_recommendation",
)

FeatureKind = Literal["count", "level"]


@dataclass(frozen=True, slots=True)
class FeatureInfo:
    """What a feature measures and how it is shown."""

    name: str
    kind: FeatureKind
    """``count``: number of matching records (no evidence = 0 = baseline); ``level``: a measured quantity
    (no evidence = unknown = baseline)."""
    zh: str
    en: str
    description: str


def _f(name: str, kind: FeatureKind, zh: str, en: str, description: str) -> FeatureInfo:
    return FeatureInfo(name, kind, zh, en, description)


FEATURES: dict[str, FeatureInfo] = {
    f.name: f
    for f in (
        _f("recency", "level", "最近往来", "recency", "days since the last inbound or outbound interaction"),
        _f("frequency", "count", "下单频次", "order frequency", "orders in the last 180 days"),
        _f("monetary", "level", "订单金额", "order value", "sum of order amounts in the last 12 months"),
        _f(
            "quote_rejections",
            "count",
            "报价被拒",
            "rejected quotes",
            "rejected quotes in the last 12 months",
        ),
        _f(
            "objections",
            "count",
            "客户异议",
            "objections",
            "records where the customer raises objections (their words, not ours), 12 months",
        ),
        _f("sentiment", "level", "客户情绪", "customer sentiment", "mean polarity of customer text, -1..1"),
        _f(
            "competitor_mentions",
            "count",
            "竞品提及",
            "competitor mentions",
            "records mentioning competitors",
        ),
        _f("open_tickets", "count", "未关闭工单", "open tickets", "tickets whose latest status is open"),
        _f("complaints", "count", "投诉", "complaints", "complaint records in the last 12 months"),
        _f("response_time", "level", "响应时长", "response time", "mean hours from inbound to next outbound"),
        _f("surgery_volume_trend", "level", "手术量趋势", "surgery volume trend", "relative monthly change"),
        _f(
            "cash_flow_stability",
            "level",
            "还款能力",
            "repayment capacity",
            "1 - CV of monthly POS / settlement flow",
        ),
        _f(
            "avg_monthly_flow",
            "level",
            "月均流水",
            "average monthly flow",
            "mean monthly POS / settlement flow, 6 months",
        ),
        _f(
            "repayment_history",
            "level",
            "还款记录",
            "repayment history",
            "1 minus the cost of late payments (> 30 days decisive)",
        ),
        _f(
            "requested_amount_ratio",
            "level",
            "申请额度倍数",
            "requested amount ratio",
            "requested amount / average monthly flow",
        ),
        _f("budget", "level", "预算", "budget", "budget signal 0..1 (BANT)"),
        _f("authority", "level", "决策权", "authority", "seniority of the engaged contact 0..1 (BANT)"),
        _f("need", "count", "需求", "need", "records expressing a need or product interest (BANT)"),
        _f("timeline", "level", "采购时间", "timeline", "purchase timing signal 0..1 (BANT)"),
        _f("engagement", "count", "互动度", "engagement", "two-way interactions in the last 90 days"),
        _f(
            "renewal_signals",
            "level",
            "续费信号",
            "renewal signals",
            "renewal status per course, stated intent, attendance, satisfaction; moving away caps it",
        ),
        _f("returns", "count", "退货", "returns", "returns in the last 180 days"),
        _f("urgency", "count", "紧急程度", "urgency", "urgent customer requests in the last 30 days"),
        _f(
            "incidents",
            "count",
            "服务事故",
            "service incidents",
            "complaints, delays, damage or defects the customer reported in the last 30 days",
        ),
        _f("relocation", "count", "搬离", "moved away", "records saying the customer moved away, 12 months"),
        _f(
            "our_faults",
            "count",
            "我方过失",
            "our faults",
            "records where we acknowledged our own error (apology, reversal, refund), 180 days",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class DecisionSpec:
    """The contract of one decision type."""

    decision_type: str
    features: tuple[str, ...]
    """Scored features (each gets a weight, a baseline and a scale in the weights file)."""
    aux_features: tuple[str, ...]
    """Features computed for the outcome rules and ``details`` only (not scored)."""
    labels: tuple[str, ...]
    """Every label :func:`agent_crm.decisions.engine.decide` can return for this type."""
    bands: tuple[str, ...]
    """Score bands, best (highest score) first; thresholds are named after all bands but the last."""
    params: tuple[str, ...]
    """Names of numeric parameters of the outcome rules (``params`` in the weights file)."""
    score_name: tuple[str, str]
    """What the score measures (zh, en)."""
    display_name: tuple[str, str]
    """Name of the decision type (zh, en)."""
    ignore_our_faults: bool = False
    """Leave complaints about our own acknowledged errors out of sentiment and complaints (credit judges the
    borrower's conduct, not our service)."""

    @property
    def thresholds(self) -> tuple[str, ...]:
        """Names of the score thresholds (one per band but the last)."""
        return self.bands[:-1]

    @property
    def all_features(self) -> tuple[str, ...]:
        """Scored features followed by auxiliary ones."""
        return self.features + tuple(f for f in self.aux_features if f not in self.features)

    def label_of(self, feature: str, language: str) -> str:
        """Return the display name of ``feature`` in ``language`` (``zh`` or ``en``)."""
        info = FEATURES[feature]
        return info.zh if language == "zh" else info.en

    def score_label(self, language: str) -> str:
        """Return what the score measures, in ``language``."""
        return self.score_name[0] if language == "zh" else self.score_name[1]


NBA_ACTIONS: tuple[str, ...] = (
    "service_recovery",
    "price_objection_followup",
    "procurement_policy_briefing",
    "qualification_support",
    "competitor_defense",
    "renewal_call",
    "reactivation_call",
    "upsell",
    "nurture",
)
QUEUES: tuple[str, ...] = ("complaints", "returns", "billing", "technical", "logistics", "sales", "general")

SPECS: dict[str, DecisionSpec] = {
    "next_best_action": DecisionSpec(
        "next_best_action",
        features=(
            "recency",
            "quote_rejections",
            "objections",
            "competitor_mentions",
            "sentiment",
            "surgery_volume_trend",
            "open_tickets",
            "complaints",
            "renewal_signals",
        ),
        aux_features=(
            "engagement",
            "incidents",
            "our_faults",
            "monetary",
            "budget",
            "timeline",
            "need",
            "frequency",
            "returns",
            "relocation",
        ),
        labels=NBA_ACTIONS,
        bands=("hot", "warm", "cold"),
        params=("reactivation_days",),
        score_name=("商机评分", "opportunity score"),
        display_name=("下一步最佳行动", "next best action"),
    ),
    "lead_score": DecisionSpec(
        "lead_score",
        features=(
            "budget",
            "authority",
            "need",
            "timeline",
            "engagement",
            "objections",
            "competitor_mentions",
            "relocation",
        ),
        aux_features=("recency", "sentiment"),
        labels=("qualified", "nurture", "disqualified"),
        bands=("qualified", "nurture", "disqualified"),
        params=("max_failed_bant",),
        score_name=("线索评分", "lead score"),
        display_name=("线索评分", "lead scoring"),
    ),
    "churn_risk": DecisionSpec(
        "churn_risk",
        features=(
            "recency",
            "frequency",
            "monetary",
            "sentiment",
            "complaints",
            "open_tickets",
            "response_time",
            "competitor_mentions",
            "renewal_signals",
        ),
        aux_features=("returns", "engagement", "relocation", "incidents"),
        labels=("high", "medium", "low"),
        bands=("high", "medium", "low"),
        params=(),
        score_name=("流失风险", "churn risk"),
        display_name=("流失风险", "churn risk"),
    ),
    "ticket_routing": DecisionSpec(
        "ticket_routing",
        features=(
            "urgency",
            "sentiment",
            "complaints",
            "returns",
            "open_tickets",
            "response_time",
            "monetary",
        ),
        aux_features=(),
        labels=QUEUES,
        bands=("P1", "P2", "P3", "P4"),
        params=(),
        score_name=("工单优先级", "ticket priority"),
        display_name=("工单派单", "ticket routing"),
    ),
    "credit_recommendation": DecisionSpec(
        "credit_recommendation",
        features=(
            "cash_flow_stability",
            "requested_amount_ratio",
            "repayment_history",
            "sentiment",
            "complaints",
            "competitor_mentions",
        ),
        aux_features=("avg_monthly_flow", "open_tickets"),
        labels=("approve", "approve_with_conditions", "refer", "decline"),
        bands=("approve", "approve_with_conditions", "refer", "decline"),
        params=(
            "limit_multiple",
            "conditional_limit_factor",
            "limit_rounding",
            "min_flow_months",
            "serious_late_limit_factor",
        ),
        score_name=("授信评分", "credit score"),
        display_name=("授信建议", "credit recommendation"),
        ignore_our_faults=True,
    ),
}


def get_spec(decision_type: str) -> DecisionSpec:
    """Return the spec of ``decision_type``.

    Raises:
        InputError: the type is unknown (the message lists the valid types).
    """
    try:
        return SPECS[decision_type]
    except (KeyError, TypeError):
        raise InputError(
            f"unknown decision type {decision_type!r}; valid types: {', '.join(DECISION_TYPES)}"
        ) from None
