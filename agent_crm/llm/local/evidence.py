"""Evidence and knowledge documents of a compose context: choosing, quoting and citing them safely."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agent_crm.llm.local import lexicon
from agent_crm.llm.local.language import (
    Lang,
    cite,
    cjk_count,
    find_first,
    fmt_number,
    number_strings,
    quote,
    window,
)

ZH_QUOTE_LIMIT = 60
"""Longest quote (characters) taken from a Chinese snippet."""
EN_QUOTE_LIMIT = 160
"""Longest quote (characters) taken from a Latin-script snippet."""


@dataclass(frozen=True)
class Item:
    """One quotable record: a retrieved interaction or a knowledge document."""

    record_id: str
    text: str
    title: str = ""
    channel: str = ""
    position: int = 0
    """Order in the context (retrieval rank)."""
    injection_at: int = -1
    """Position of instruction-like text in ``text`` (-1 when none)."""

    @property
    def safe_text(self) -> str:
        """Return the part of the text before any instruction-like cue (all of it when there is none)."""
        return self.text if self.injection_at < 0 else self.text[: self.injection_at]


@dataclass(frozen=True)
class FactorView:
    """A decision factor as read from the context."""

    name: str
    label: str
    weight: float
    direction: str
    value: Any
    evidence: tuple[str, ...]
    rationale: str

    def anchors(self) -> list[str]:
        """Return strings whose presence in a snippet ties it to this factor (numbers first)."""
        out = list(number_strings(self.value))
        if isinstance(self.value, str) and self.value and len(self.value) <= 20:
            out.append(self.value)
        if self.label:
            out.append(self.label)
            if cjk_count(self.label) >= 2:
                out += [self.label[i : i + 2] for i in range(len(self.label) - 1)]
        out += [part for part in self.name.split("_") if len(part) >= 3]
        return out


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def read_factors(raw: Any, lang: Lang) -> list[FactorView]:
    """Read the decision's factors, ordered by weight (desc) then name, tolerating missing fields."""
    out: list[FactorView] = []
    for f in raw or ():
        if not isinstance(f, Mapping) or not f.get("name"):
            continue
        name = str(f["name"])
        direction = str(f.get("direction") or "neutral")
        if direction not in ("positive", "negative", "neutral"):
            direction = "neutral"
        out.append(
            FactorView(
                name=name,
                label=str(f.get("label") or lexicon.factor_fallback_label(name, lang)),
                weight=_as_float(f.get("weight")),
                direction=direction,
                value=f.get("value"),
                evidence=tuple(str(e) for e in f.get("evidence") or () if e),
                rationale=str(f.get("rationale") or ""),
            )
        )
    return sorted(out, key=lambda x: (-abs(x.weight), x.name))


class EvidenceBook:
    """The quotable records of a context, with the quoting rules of the reasoner.

    Instruction-like text inside a record is never quoted: only the part before it is, and the record is
    reported as containing such text. Only ids present in the context are ever cited.
    """

    def __init__(self, evidence: Any, knowledge: Any) -> None:
        """Index the context's evidence and knowledge lists (first occurrence of an id wins)."""
        self.evidence: dict[str, Item] = {}
        self.knowledge: dict[str, Item] = {}
        for target, raw, text_key in (
            (self.evidence, evidence, "snippet"),
            (self.knowledge, knowledge, "snippet"),
        ):
            for pos, e in enumerate(raw or ()):
                if not isinstance(e, Mapping) or not e.get("record_id"):
                    continue
                rid = str(e["record_id"])
                text = str(e.get(text_key) or e.get("text") or "")
                title = str(e.get("title") or "")
                if rid not in target:
                    inj = lexicon.injection_at(text)
                    if inj < 0 and lexicon.injection_at(title) >= 0:
                        inj = 0
                    target[rid] = Item(rid, text, title, str(e.get("channel") or ""), pos, inj)
        self.flagged: list[str] = []
        """Ids of quoted records whose instruction-like text was withheld (in order of first use)."""

    def _note(self, item: Item) -> None:
        if item.injection_at >= 0 and item.record_id not in self.flagged:
            self.flagged.append(item.record_id)

    def quote(self, item: Item, anchors: Iterable[str], lang: Lang) -> str | None:
        """Return a quoted exact excerpt of ``item`` around the first anchor (None: nothing safe to quote)."""
        self._note(item)
        text = item.safe_text
        if len(text.strip()) < 4:
            return None
        limit = ZH_QUOTE_LIMIT if cjk_count(text) * 3 >= len(text) else EN_QUOTE_LIMIT
        pos = find_first(text, anchors)
        excerpt = window(text, max(pos, 0), limit)
        return quote(excerpt, lang) if excerpt else None

    def for_factor(self, factor: FactorView, used: set[str]) -> Item | None:
        """Pick the factor's best evidence record in the context (unused, anchored, earliest first)."""
        anchors = factor.anchors()
        numbers = set(number_strings(factor.value))
        best: tuple[int, int, int, int] | None = None
        chosen: Item | None = None
        for order, rid in enumerate(factor.evidence):
            item = self.evidence.get(rid)
            if item is None:
                continue
            text = item.safe_text.casefold()
            hits = sum(1 for a in anchors if a and a.casefold() in text)
            has_number = int(any(n in text for n in numbers))
            key = (int(rid not in used), has_number, hits, -order)
            if best is None or key > best:
                best, chosen = key, item
        return chosen

    def ground(self, factor: FactorView, used: set[str], lang: Lang) -> tuple[str, str] | None:
        """Return ``(quoted excerpt, citation)`` grounding a factor and mark its record used (or None)."""
        item = self.for_factor(factor, used)
        if item is None:
            return None
        excerpt = self.quote(item, factor.anchors(), lang)
        if excerpt is None:
            return None
        used.add(item.record_id)
        return excerpt, cite([item.record_id])

    def related(self, text: str, used: set[str], limit: int) -> list[Item]:
        """Return up to ``limit`` unused evidence items sharing the most words/bigrams with ``text``."""
        anchors = _text_anchors(text)
        scored = []
        for item in self.evidence.values():
            if item.record_id in used or len(item.safe_text.strip()) < 4:
                continue
            low = item.safe_text.casefold()
            scored.append((-sum(1 for a in anchors if a in low), item.position, item))
        scored.sort(key=lambda s: (s[0], s[1]))
        return [s[2] for s in scored[:limit]]

    def document_for(self, strategy: str, used: set[str], *, fallback: bool) -> Item | None:
        """Pick the knowledge document that best fits a strategy (any unused one when ``fallback``)."""
        best: tuple[int, int] | None = None
        chosen: Item | None = None
        for item in self.knowledge.values():
            if item.record_id in used:
                continue
            score = lexicon.strategy_score(item.title + " " + item.safe_text, strategy)
            if score == 0 and not fallback:
                continue
            key = (score, -item.position)
            if best is None or key > best:
                best, chosen = key, item
        return chosen

    def quote_document(self, item: Item, strategy: str, lang: Lang) -> str | None:
        """Quote a knowledge document around its first cue of ``strategy``."""
        return self.quote(item, lexicon.STRATEGY_CUES.get(strategy, ()), lang)


def _text_anchors(text: str) -> list[str]:
    low = text.casefold()
    words = [
        w for w in "".join(ch if ch.isalnum() else " " for ch in low).split() if len(w) >= 3 and w.isascii()
    ]
    cjk = "".join(ch if cjk_count(ch) else " " for ch in low)
    bigrams = [seg[i : i + 2] for seg in cjk.split() for i in range(len(seg) - 1)]
    return sorted(set(words + bigrams))


def weight_text(factor: FactorView) -> str:
    """Return the factor's weight as shown (a percentage share of the attribution)."""
    return fmt_number(abs(factor.weight))
