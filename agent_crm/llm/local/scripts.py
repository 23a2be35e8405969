"""Follow-up scripts: one per strategy, each built from its own factors and knowledge documents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent_crm.llm.local import lexicon
from agent_crm.llm.local.evidence import EvidenceBook, FactorView
from agent_crm.llm.local.language import Lang, detect_language, end_sentence
from agent_crm.llm.local.strategies import wording

POINTS_PER_SCRIPT = 2
"""Factors turned into talking points per script."""

_DOC_PRIORITY = ("compliance", "documents", "conditions", "value", "resolution", "relationship")
_DOC_FALLBACK = {"compliance", "documents"}
_MORE = {"zh": "另外，关于{label}：{grounding}。", "en": "Also, on {label}: {grounding}."}


def plan_strategies(requested: Sequence[str], decision_type: str, n: int) -> list[str]:
    """Return ``n`` distinct strategies: the requested ones first, topped up with the type's defaults."""
    if n <= 0:
        return []
    default = lexicon.DEFAULT_STRATEGIES.get(decision_type, ("value", "relationship", "compliance"))
    out: list[str] = []
    for s in [*requested, *default, *lexicon.GENERIC_STRATEGIES]:
        key = s.strip().lower().replace("-", "_").removesuffix("_led")
        if key and key not in out:
            out.append(key)
    return out[:n]


def assign_factors(factors: Sequence[FactorView], strategies: Sequence[str]) -> dict[str, list[FactorView]]:
    """Give each factor to exactly one strategy (by cue words, then to the emptiest one), heaviest first."""
    buckets: dict[str, list[FactorView]] = {s: [] for s in strategies}
    if not strategies:
        return buckets
    loose: list[FactorView] = []
    for f in factors:
        text = f"{f.name} {f.label}"
        scores = [(lexicon.strategy_score(text, s), -i, s) for i, s in enumerate(strategies)]
        best = max(scores)
        if best[0] > 0:
            buckets[best[2]].append(f)
        else:
            loose.append(f)
    for f in loose:
        target = min(strategies, key=lambda s: (len(buckets[s]), strategies.index(s)))
        buckets[target].append(f)
    for (
        s
    ) in strategies:  # an empty script borrows the lightest factor of the fullest bucket (never its only one)
        if not buckets[s]:
            donor = max(strategies, key=lambda d: (len(buckets[d]), -strategies.index(d)))
            if len(buckets[donor]) >= 2:
                buckets[s].append(buckets[donor].pop())
    return buckets


def _point(
    book: EvidenceBook, f: FactorView, template: str, used: set[str], lang: Lang
) -> tuple[str, str] | None:
    """Return ``(sentence, cited id)`` for a factor point ('' id when grounded by the rationale only)."""
    grounding = book.ground(f, used, lang)
    if grounding is not None:
        excerpt, citation = grounding
        said = f"记录显示{excerpt}{citation}" if lang == "zh" else f"the record says {excerpt} {citation}"
        return template.format(label=f.label, grounding=said), citation.strip("[]")
    rationale = f.rationale.strip().rstrip("。.")
    if rationale and detect_language(rationale) == lang:
        return template.format(label=f.label, grounding=rationale), ""
    return None


def _assign_documents(book: EvidenceBook, strategies: Sequence[str]) -> dict[str, Any]:
    docs: dict[str, Any] = {}
    used: set[str] = set()
    for s in sorted(strategies, key=lambda x: (_DOC_PRIORITY.index(x) if x in _DOC_PRIORITY else 99, x)):
        item = book.document_for(s, used, fallback=s in _DOC_FALLBACK)
        if item is not None:
            docs[s] = item
            used.add(item.record_id)
    return docs


def build_scripts(
    book: EvidenceBook,
    factors: Sequence[FactorView],
    decision_type: str,
    label: str,
    customer_name: str,
    n: int,
    requested: Sequence[str],
    lang: Lang,
) -> list[dict[str, Any]]:
    """Build ``n`` follow-up scripts differentiated by strategy.

    Each script is built from a disjoint set of factors and its own knowledge document(s), quoting them with
    citations; the policy/compliance script quotes the best-matching rules document.

    Args:
        book: The context's evidence and knowledge.
        factors: The decision's factors, heaviest first.
        decision_type: The decision type (chooses default strategies and titles).
        label: The decision label (kept verbatim).
        customer_name: The customer's display name.
        n: Number of scripts wanted.
        requested: Strategies asked for by the caller (topped up with the type's defaults).
        lang: Output language.

    Returns:
        Script dicts with strategy, title, text, factors and citations.
    """
    strategies = plan_strategies(requested, decision_type, n)
    buckets = assign_factors(factors, strategies)
    docs = _assign_documents(book, strategies)
    used: set[str] = set()
    scripts: list[dict[str, Any]] = []
    for strategy in strategies:
        words = wording(strategy, decision_type, lang)
        title = f"{words.title}（{customer_name}）" if lang == "zh" and customer_name else words.title
        if lang == "en" and customer_name:
            title = f"{words.title} ({customer_name})"
        lines = [words.opening]
        names: list[str] = []
        citations: list[str] = []
        for f in buckets.get(strategy, [])[:POINTS_PER_SCRIPT]:
            template = words.point if not names else _MORE[lang]
            point = _point(book, f, template, used, lang)
            if point is None:
                continue
            lines.append(point[0])
            names.append(f.name)
            if point[1]:
                citations.append(point[1])
        doc = docs.get(strategy)
        if doc is not None:
            excerpt = book.quote_document(doc, strategy, lang)
            if excerpt is not None:
                grounding = f"{excerpt}[{doc.record_id}]" if lang == "zh" else f"{excerpt} [{doc.record_id}]"
                lines.append(words.doc.format(title=doc.title or doc.record_id, grounding=grounding))
                citations.append(doc.record_id)
        if len(lines) == 1 and label:
            lines.append(
                f"结合本次结论（{label}），我们建议按以下方式推进。"
                if lang == "zh"
                else f"Given the result ({label}), we suggest the following."
            )
        lines.append(words.closing)
        scripts.append(
            {
                "strategy": strategy,
                "title": title,
                "text": "\n".join(end_sentence(line, lang) for line in lines),
                "factors": names,
                "citations": list(dict.fromkeys(citations)),
            }
        )
    return scripts
