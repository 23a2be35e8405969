"""One-sentence factor rationales in Chinese or English, built from the feature's actual numbers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from agent_crm.decisions.catalog import DecisionSpec
from agent_crm.decisions.features import FeatureValue

OBJECTION_NAMES = {
    "price": ("价格", "price"),
    "procurement_policy": ("集采/采购政策", "procurement policy"),
    "qualification": ("资质", "qualification"),
    "timing": ("时机", "timing"),
    "need": ("需求不足", "no need"),
    "incumbent": ("现有供应商", "incumbent supplier"),
}
RETURN_NAMES = {
    "quality": ("质量", "quality"),
    "size": ("尺码", "size"),
    "damaged": ("破损", "damage"),
    "not_as_described": ("与描述不符", "not as described"),
    "late": ("延误", "late delivery"),
    "changed_mind": ("不想要了", "changed mind"),
}
_BUDGET_STATUS = {
    "confirmed": ("已确认金额", "confirmed with an amount"),
    "mentioned": ("已提及", "mentioned"),
    "none": ("无预算", "no budget"),
    "spending": ("近期有付款/订单", "shown by recent payments or orders"),
    "quote_requested": ("已询价/报价待回复", "shown by a requested or pending quote"),
}
FLOW_SOURCES = {
    "pos": ("POS", "POS"),
    "settlement": ("对公结算", "settlement"),
    "pos+settlement": ("POS及对公结算", "POS and settlement"),
}
RENEWAL_STATES = {
    "renewed": ("已续", "renewed"),
    "pending": ("待定", "pending"),
    "lapsed": ("逾期未续", "lapsed"),
    "declined": ("不续", "declined"),
    "quit": ("已退课/退费", "quit"),
}


def _flow(f: Mapping[str, Any], zh: bool) -> str:
    return FLOW_SOURCES.get(str(f.get("source") or "pos"), FLOW_SOURCES["pos"])[0 if zh else 1]


def _renewal(v: float, f: Mapping[str, Any], zh: bool) -> str:
    idx = 0 if zh else 1
    states = [
        f"{RENEWAL_STATES[s][idx]} {len(f[s])}" for s in RENEWAL_STATES if isinstance(f.get(s), list) and f[s]
    ]
    extra = (("，" if zh else ", ") + ("、" if zh else ", ").join(states)) if states else ""
    if f.get("relocation") is not None:
        extra += "，已搬离" if zh else ", moved away"
    return (f"续费信号 {v:.2f}" if zh else f"renewal signal {v:.2f}") + extra


def money(amount: float, currency: str | None, language: str) -> str:
    """Format an amount: ``18.6 万元`` in Chinese for CNY, ``186,000 CNY`` in English."""
    cur = (currency or "").upper()
    if language == "zh" and cur in ("", "CNY", "RMB"):
        return f"{amount / 1e4:.1f} 万元" if abs(amount) >= 1e4 else f"{amount:,.0f} 元"
    return f"{amount:,.0f} {cur}".strip() if language == "zh" else f"{amount:,.0f} {cur or 'CNY'}".strip()


def _n(x: Any) -> str:
    v = float(x)
    return f"{int(v)}" if v.is_integer() else f"{v:.1f}"


def _names(keys: Any, table: Mapping[str, tuple[str, str]], zh: bool) -> str:
    return ("、" if zh else ", ").join(table[k][0 if zh else 1] for k in keys if k in table)


_Builder = Callable[[float, Mapping[str, Any]], str]

_ZH: dict[str, _Builder] = {
    "recency": lambda v, f: f"距最近一次往来 {_n(v)} 天",
    "frequency": lambda v, f: f"近180天 {_n(v)} 笔订单",
    "monetary": lambda v, f: f"近12个月订单金额 {money(v, f.get('currency'), 'zh')}，共 {f.get('orders')} 笔",
    "quote_rejections": lambda v, f: f"近12个月 {_n(v)} 次报价被拒",
    "objections": lambda v, f: (
        f"{_n(v)} 条记录提出异议：{_names(f.get('categories', {}), OBJECTION_NAMES, True)}"
    ),
    "sentiment": lambda v, f: (
        f"客户情绪均值 {v:+.2f}，{f.get('records')} 条记录中 {f.get('negative')} 条负面"
    ),
    "competitor_mentions": lambda v, f: (
        f"{_n(v)} 条记录提到竞品" + (f"（{'、'.join(f['names'])}）" if f.get("names") else "")
    ),
    "open_tickets": lambda v, f: f"未关闭工单 {_n(v)} 个，共 {f.get('total')} 个工单",
    "complaints": lambda v, f: f"近12个月投诉 {_n(v)} 次",
    "response_time": lambda v, f: f"平均响应 {v:.1f} 小时，{f.get('unanswered')} 条来信未回复",
    "surgery_volume_trend": lambda v, f: f"近{f.get('months')}个月手术量月均变化 {v * 100:+.1f}%",
    "cash_flow_stability": lambda v, f: (
        f"近{f.get('months')}个月{_flow(f, True)}流水稳定性 {v:.2f}，月均 "
        f"{money(f.get('mean', 0.0), f.get('currency'), 'zh')}"
    ),
    "avg_monthly_flow": lambda v, f: f"近{f.get('months')}个月月均流水 {money(v, f.get('currency'), 'zh')}",
    "repayment_history": lambda v, f: (
        f"{f.get('payments')} 笔还款全部按时"
        if not f.get("late")
        else f"{f.get('payments')} 笔还款中 {f.get('on_time')} 笔按时，逾期平均 "
        f"{_n(f.get('avg_days_late', 0))} 天"
    ),
    "requested_amount_ratio": lambda v, f: (
        f"申请金额 {money(f.get('requested_amount', 0.0), f.get('currency'), 'zh')}，为月均流水的 {v:.1f} 倍"
    ),
    "budget": lambda v, f: f"预算{_BUDGET_STATUS.get(str(f.get('status')), ('', ''))[0]}",
    "authority": lambda v, f: f"接触到的最高职位：{f.get('title')}",
    "need": lambda v, f: f"{_n(v)} 条记录表达了需求",
    "timeline": lambda v, f: f"时间信号“{f.get('cue')}”，强度 {v:.1f}",
    "engagement": lambda v, f: f"近90天双向互动 {_n(v)} 次",
    "renewal_signals": lambda v, f: _renewal(v, f, True),
    "incidents": lambda v, f: f"近30天 {_n(v)} 起服务事故",
    "relocation": lambda v, f: "客户已搬离服务范围",
    "our_faults": lambda v, f: f"近180天承认的我方过失中 {_n(v)} 起之后客户未再购买",
    "returns": lambda v, f: (
        f"近180天退货 {_n(v)} 次"
        + (f"（{_names(f.get('reasons', {}), RETURN_NAMES, True)}）" if f.get("reasons") else "")
    ),
    "urgency": lambda v, f: f"近30天 {_n(v)} 条紧急诉求",
}

_EN: dict[str, _Builder] = {
    "recency": lambda v, f: f"last contact {_n(v)} days ago",
    "frequency": lambda v, f: f"{_n(v)} orders in the last 180 days",
    "monetary": lambda v, f: (
        f"{money(v, f.get('currency'), 'en')} over {f.get('orders')} orders in 12 months"
    ),
    "quote_rejections": lambda v, f: f"{_n(v)} rejected quote(s) in 12 months",
    "objections": lambda v, f: (
        f"objections in {_n(v)} record(s): {_names(f.get('categories', {}), OBJECTION_NAMES, False)}"
    ),
    "sentiment": lambda v, f: (
        f"mean customer sentiment {v:+.2f}, {f.get('negative')} of {f.get('records')} records negative"
    ),
    "competitor_mentions": lambda v, f: (
        f"competitors mentioned in {_n(v)} record(s)"
        + (f": {', '.join(f['names'])}" if f.get("names") else "")
    ),
    "open_tickets": lambda v, f: f"{_n(v)} open of {f.get('total')} tickets",
    "complaints": lambda v, f: f"{_n(v)} complaint(s) in 12 months",
    "response_time": lambda v, f: f"mean response {v:.1f} h, {f.get('unanswered')} message(s) unanswered",
    "surgery_volume_trend": lambda v, f: (
        f"surgery volume {v * 100:+.1f}% a month over {f.get('months')} months"
    ),
    "cash_flow_stability": lambda v, f: (
        f"{_flow(f, False)} flow stability {v:.2f} over the last {f.get('months')} months, "
        f"average {money(f.get('mean', 0.0), f.get('currency'), 'en')} a month"
    ),
    "avg_monthly_flow": lambda v, f: (
        f"average {money(v, f.get('currency'), 'en')} a month over {f.get('months')} months"
    ),
    "repayment_history": lambda v, f: (
        f"all {f.get('payments')} payments on time"
        if not f.get("late")
        else f"{f.get('on_time')} of {f.get('payments')} payments on time, late ones "
        f"{_n(f.get('avg_days_late', 0))} days late on average"
    ),
    "requested_amount_ratio": lambda v, f: (
        f"requested {money(f.get('requested_amount', 0.0), f.get('currency'), 'en')}"
        f", {v:.1f}x the average monthly flow"
    ),
    "budget": lambda v, f: f"budget {_BUDGET_STATUS.get(str(f.get('status')), ('', ''))[1]}",
    "authority": lambda v, f: f"most senior contact: {f.get('title')}",
    "need": lambda v, f: f"need expressed in {_n(v)} record(s)",
    "timeline": lambda v, f: f"timing cue '{f.get('cue')}', strength {v:.1f}",
    "engagement": lambda v, f: f"{_n(v)} two-way interaction(s) in 90 days",
    "renewal_signals": lambda v, f: _renewal(v, f, False),
    "incidents": lambda v, f: f"{_n(v)} service incident(s) in 30 days",
    "relocation": lambda v, f: "the customer moved out of the service area",
    "our_faults": lambda v, f: (
        f"{_n(v)} acknowledged error(s) of ours in 180 days not followed by a purchase"
    ),
    "returns": lambda v, f: (
        f"{_n(v)} return(s) in 180 days"
        + (f" ({_names(f.get('reasons', {}), RETURN_NAMES, False)})" if f.get("reasons") else "")
    ),
    "urgency": lambda v, f: f"{_n(v)} urgent request(s) in 30 days",
}


def rationale(fv: FeatureValue, contribution: float, spec: DecisionSpec, language: str) -> str:
    """Return one sentence explaining a factor: what was measured and how it moved the score.

    Args:
        fv: the feature.
        contribution: its contribution to the logit (sign gives the direction).
        spec: the decision type (for what the score measures).
        language: ``zh`` or ``en``.
    """
    label = spec.label_of(fv.name, language)
    target = spec.score_label(language)
    if language == "zh":
        if fv.missing:
            return f"{label}：无相关记录，按基准计，不影响{target}。"
        effect = (
            f"提高了{target}"
            if contribution > 0
            else f"降低了{target}"
            if contribution < 0
            else f"与基准持平，未影响{target}"
        )
        return f"{label}（{_ZH[fv.name](fv.value or 0.0, fv.facts)}）{effect}。"
    cap = label[:1].upper() + label[1:]
    if fv.missing:
        return f"{cap}: no supporting records, so it stays at the baseline and does not affect the {target}."
    effect = (
        f"raises the {target}"
        if contribution > 0
        else f"lowers the {target}"
        if contribution < 0
        else f"matches the baseline and leaves the {target} unchanged"
    )
    return f"{cap} ({_EN[fv.name](fv.value or 0.0, fv.facts)}) {effect}."
