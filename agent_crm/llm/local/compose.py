"""The ``compose`` task: a grounded answer assembled from a decision's top factors, plus follow-up scripts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agent_crm.llm.local import lexicon
from agent_crm.llm.local.evidence import EvidenceBook, FactorView, read_factors, weight_text
from agent_crm.llm.local.language import (
    Lang,
    cite,
    detect_language,
    end_sentence,
    fmt_number,
    normalise_language,
)
from agent_crm.llm.local.scripts import build_scripts

TOP_PER_DIRECTION = 3
"""Factors shown per direction (top positive and top negative, as in predictive lead scoring)."""

_FLAG_TEXT: dict[str, tuple[str, str]] = {
    "prompt_injection": (
        "检索到的记录中含有指令性文字，已按数据处理",
        "retrieved records contain instruction-like text, treated as data",
    ),
    "unverified_amount": ("部分金额未经交叉核验", "some amounts are not cross-verified"),
    "pending_approval": ("该决策待人工审批", "this decision is pending human approval"),
    "low_evidence": (
        "可用证据较少，结论仅供参考",
        "little evidence is available; treat the result with care",
    ),
}


def select_factors(factors: list[FactorView]) -> list[FactorView]:
    """Return the top factors of both directions, by weight (neutral factors left out)."""
    pos = [f for f in factors if f.direction == "positive"][:TOP_PER_DIRECTION]
    neg = [f for f in factors if f.direction == "negative"][:TOP_PER_DIRECTION]
    return sorted(pos + neg, key=lambda f: (-abs(f.weight), f.name))


def _label_text(label: str, lang: Lang) -> str:
    if lang == "en":
        return label.replace("_", " ")
    gloss = lexicon.LABEL_GLOSS.get(label.casefold())
    return f"{gloss}（{label}）" if gloss and gloss != label else label


def _headline(ctx: Mapping[str, Any], decision: Mapping[str, Any], lang: Lang) -> str:
    customer = ctx.get("customer") or {}
    name = ""
    if isinstance(customer, Mapping):
        name = str(customer.get("name") or customer.get("customer_id") or "")
    dtype = str(decision.get("type") or "")
    label = str(decision.get("label") or "")
    score = decision.get("score")
    has_score = isinstance(score, int | float) and not isinstance(score, bool)
    tname = lexicon.type_name(dtype, lang) if dtype else ""
    if lang == "zh":
        outcome = _label_text(label, lang) if label else "暂无"
        head = (f"{name}的" if name else "") + f"{tname}结论：" + outcome
        return head + (f"，评分 {fmt_number(score)}" if has_score else "") + "。"
    subject = (tname[:1].upper() + tname[1:]) if tname else "Decision"
    head = subject + (f" for {name}" if name else "") + ": " + (label or "none yet")
    return head + (f" (score {fmt_number(score)})" if has_score else "") + "."


def _factor_sentence(i: int, f: FactorView, dtype: str, grounding: tuple[str, str], lang: Lang) -> str:
    excerpt, citation = grounding
    phrase = lexicon.direction_phrase(dtype, f.direction, lang)
    rationale = (
        f.rationale.strip().rstrip("。.") if f.rationale and detect_language(f.rationale) == lang else ""
    )
    if lang == "zh":
        body = f"{i}. {f.label}（权重 {weight_text(f)}%，{phrase}）："
        body += f"{rationale}；" if rationale else ""
        return body + f"记录显示{excerpt}{citation}。"
    body = f"{i}. {f.label} ({weight_text(f)}% of the weight, {phrase}): "
    body += f"{rationale}; " if rationale else ""
    return body + f"the record says {excerpt} {citation}."


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return fmt_number(value)
    if isinstance(value, str) and value.strip() and len(value) <= 80:
        return value.strip()
    if isinstance(value, list | tuple) and value and all(isinstance(v, str | int | float) for v in value):
        return "、".join(str(v) for v in value[:6])
    return None


_DETAIL_KEYS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("action", "next_action", "recommended_action"), "建议行动", "recommended action"),
    (("queue", "team"), "分派队列", "queue"),
    (("priority",), "优先级", "priority"),
    (("suggested_limit", "limit", "credit_limit"), "建议额度", "suggested limit"),
    (("requested_amount",), "申请金额", "requested amount"),
    (("avg_monthly_flow",), "月均流水", "average monthly flow"),
    (("opportunity",), "商机热度", "opportunity"),
    (("currency",), "币种", "currency"),
    (("term_months",), "期限（月）", "term (months)"),
    (("failures", "bant_failures", "missing"), "未满足的条件", "unmet criteria"),
    (("conditions",), "附加条件", "conditions"),
    (("alternatives",), "备选方案", "alternatives"),
)


def _details_sentence(details: Any, lang: Lang) -> str:
    if not isinstance(details, Mapping) or not details:
        return ""
    parts: list[str] = []
    seen: set[str] = set()
    for keys, zh, en in _DETAIL_KEYS:
        for key in keys:
            if key in details and key not in seen:
                text = _scalar(details[key])
                seen.add(key)
                if text:
                    parts.append(f"{zh}：{text}" if lang == "zh" else f"{en}: {text}")
                break
    # only the keys named above are shown: the rest (logit, bias, as_of, ...) are for auditors, not readers
    if not parts:
        return ""
    return ("要点：" + "；".join(parts) + "。") if lang == "zh" else ("Details: " + "; ".join(parts) + ".")


def _notes(book: EvidenceBook, missing: list[FactorView], flags: list[str], lang: Lang) -> list[str]:
    out: list[str] = []
    if missing:
        labels = "、".join(f.label for f in missing) if lang == "zh" else ", ".join(f.label for f in missing)
        out.append(
            f"其余因素（{labels}）缺少可引用的记录，未展开。"
            if lang == "zh"
            else f"Other factors ({labels}) have no quotable record and are not detailed."
        )
    if book.flagged:
        ids = cite(book.flagged)
        out.append(
            f"注意：记录 {ids} 含有指令性文字，已作为数据处理，未予执行。"
            if lang == "zh"
            else f"Note: record {ids} contains instruction-like text; treated as data and not followed."
        )
    shown = [f for f in flags if f != "prompt_injection" or not book.flagged]
    if shown:
        texts = [(_FLAG_TEXT[f][0 if lang == "zh" else 1] if f in _FLAG_TEXT else f) for f in shown]
        out.append(
            ("提示：" + "；".join(texts) + "。") if lang == "zh" else ("Flags: " + "; ".join(texts) + ".")
        )
    return out


def _action_sentence(ctx: Mapping[str, Any], decision: Mapping[str, Any], lang: Lang) -> str:
    """Explain a next-best-action choice by its drivers (``details.action_factors``), citing seen records."""
    details = decision.get("details")
    drivers = details.get("action_factors") if isinstance(details, Mapping) else None
    if not isinstance(drivers, list) or not drivers:
        return ""
    labels = {str(f.get("name")): str(f.get("label") or "") for f in decision.get("factors") or ()
              if isinstance(f, Mapping)}
    seen = {str(e) for f in decision.get("factors") or () if isinstance(f, Mapping) for e in f.get("evidence") or ()}
    seen |= {str(e.get("record_id")) for e in ctx.get("evidence") or () if isinstance(e, Mapping)}
    parts = []
    for d in drivers[:3]:
        if not isinstance(d, Mapping) or not d.get("feature"):
            continue
        name = str(d["feature"])
        label = labels.get(name) or lexicon.factor_fallback_label(name, lang)
        shown = d.get("display")
        if lang == "zh" and isinstance(shown, str) and re.search(r"[A-Za-z]{3,}", shown):
            shown = None  # the engine's displays are English; a Chinese answer keeps the label alone
        text = f"{label}（{shown}）" if lang == "zh" and isinstance(shown, str) and 0 < len(shown) <= 60 else (
            f"{label} ({shown})" if isinstance(shown, str) and 0 < len(shown) <= 60 else label)
        ids = [str(e) for e in d.get("evidence") or () if str(e) in seen][:2]
        parts.append(text + "".join(f"[{i}]" for i in ids))
    if not parts:
        return ""
    return ("选择该行动的原因：" + "；".join(parts) + "。") if lang == "zh" else (
        "Why this action: " + "; ".join(parts) + ".")


def compose(ctx: Mapping[str, Any], question: str) -> dict[str, Any]:
    """Answer the ``compose`` task.

    Args:
        ctx: The compose context (customer, decision, evidence, knowledge, n_scripts, strategies, flags).
        question: The user's question (the context's ``question`` field wins when present).

    Returns:
        A dict matching ``COMPOSE_SCHEMA``: ``answer`` and ``scripts``.
    """
    question = str(ctx.get("question") or question or "")
    lang = normalise_language(ctx.get("language"), question)
    decision = ctx.get("decision") if isinstance(ctx.get("decision"), Mapping) else {}
    assert isinstance(decision, Mapping)
    dtype = str(decision.get("type") or "")
    book = EvidenceBook(ctx.get("evidence"), ctx.get("knowledge"))
    factors = read_factors(decision.get("factors"), lang)
    used: set[str] = set()

    lines = [_headline(ctx, decision, lang)]
    if dtype == "next_best_action" and (why := _action_sentence(ctx, decision, lang)):
        lines.append(why)
    missing: list[FactorView] = []
    numbered = 0
    for f in select_factors(factors):
        grounding = book.ground(f, used, lang)
        if grounding is None:
            missing.append(f)
            continue
        numbered += 1
        if numbered == 1:
            lines.append("主要依据：" if lang == "zh" else "Main factors:")
        lines.append(_factor_sentence(numbered, f, dtype, grounding, lang))
    if numbered == 0:
        related = book.related(question, used, 2)
        quotes = [(book.quote(item, (), lang), item.record_id) for item in related]
        quotes = [(q, rid) for q, rid in quotes if q]
        if quotes:
            body = ("相关记录：" if lang == "zh" else "Related records: ") + (
                "；" if lang == "zh" else "; "
            ).join(f"{q}{cite([rid])}" if lang == "zh" else f"{q} {cite([rid])}" for q, rid in quotes)
            lines.append(end_sentence(body, lang))
            used.update(rid for _, rid in quotes)
        else:
            lines.append(
                "未检索到可引用的记录，结论仅基于评分模型。"
                if lang == "zh"
                else "No quotable record was retrieved; the result rests on the scoring model alone."
            )
    details = _details_sentence(decision.get("details"), lang)
    if details:
        lines.append(details)
    flags = [str(f) for f in ctx.get("flags") or () if f]
    n_scripts = ctx.get("n_scripts", 3)
    n = int(n_scripts) if isinstance(n_scripts, int | float) and not isinstance(n_scripts, bool) else 3
    strategies = [str(s) for s in ctx.get("strategies") or () if s]
    customer = ctx.get("customer") if isinstance(ctx.get("customer"), Mapping) else {}
    assert isinstance(customer, Mapping)
    name = str(customer.get("name") or customer.get("customer_id") or "")
    scripts = build_scripts(book, factors, dtype, str(decision.get("label") or ""), name, n, strategies, lang)
    lines += _notes(book, missing, flags, lang)
    return {"answer": "\n".join(lines), "scripts": scripts}
