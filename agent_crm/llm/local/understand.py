"""The ``understand`` task: intent, decision type, customer resolution and language of a question."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent_crm.llm.local import lexicon
from agent_crm.llm.local.language import Lang, cjk_count, detect_language, is_cjk

_TYPE_RES: dict[str, tuple[re.Pattern[str], dict[str, int]]] = {
    t: (lexicon.compile_cues(c for c, _ in cues), {c.casefold(): w for c, w in cues})
    for t, cues in lexicon.TYPE_LEXICON.items()
}
_SEARCH_RE = lexicon.compile_cues(lexicon.SEARCH_CUES)
_CHITCHAT_RE = lexicon.compile_cues(lexicon.CHITCHAT_CUES, whole_words=True)
_FOLLOW_UP_RE = lexicon.compile_cues(lexicon.FOLLOW_UP_CUES, whole_words=True)


@dataclass(frozen=True)
class Surface:
    """One way a customer can be named in a question."""

    key: str
    """Case-folded text to look for."""
    text: str
    """Text as written in the directory."""
    customer_id: str
    kind: str
    """name | alias | contact | id | derived (surname + title, last name)."""


@dataclass
class Span:
    """A matched stretch of the question and every customer one of its surfaces names."""

    start: int
    end: int
    text: str
    kinds: set[str] = field(default_factory=set)
    customer_ids: list[str] = field(default_factory=list)


def _entry_surfaces(entry: Mapping[str, Any]) -> list[Surface]:
    cid = str(entry.get("customer_id") or "")
    if not cid:
        return []
    found: list[tuple[str, str]] = [(cid, "id")]
    if entry.get("name"):
        found.append((str(entry["name"]), "name"))
    found += [(str(a), "alias") for a in entry.get("aliases") or () if a]
    for contact in entry.get("contacts") or ():
        name = str(contact.get("name") or "") if isinstance(contact, Mapping) else str(contact)
        title = str(contact.get("title") or "") if isinstance(contact, Mapping) else ""
        if not name:
            continue
        found.append((name, "contact"))
        if 2 <= len(name) <= 3 and cjk_count(name) == len(name) and title and cjk_count(title) == len(title):
            if len(title) <= 4 and title not in name:
                found.append((name[0] + title, "derived"))
        elif name.isascii() and len(name.split()) >= 2:
            found.append((name.split()[-1], "derived"))
    out = []
    for text, kind in found:
        text = text.strip()
        if len(text) >= 2:
            out.append(Surface(text.casefold(), text, cid, kind))
    return out


def _bounded(question: str, start: int, end: int) -> bool:
    """Tell whether a Latin match stands as a whole word (CJK matches always do)."""
    before = question[start - 1] if start > 0 else " "
    after = question[end] if end < len(question) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def find_spans(question: str, surfaces: Sequence[Surface]) -> list[Span]:
    """Find every directory surface in the question, grouped by span (case-insensitive for Latin)."""
    low = question.casefold()
    spans: dict[tuple[int, int], Span] = {}
    for surface in surfaces:
        pos = low.find(surface.key)
        while pos >= 0:
            end = pos + len(surface.key)
            if not surface.key.isascii() or _bounded(low, pos, end):
                span = spans.setdefault((pos, end), Span(pos, end, question[pos:end]))
                span.kinds.add(surface.kind)
                if surface.customer_id not in span.customer_ids:
                    span.customer_ids.append(surface.customer_id)
            pos = low.find(surface.key, pos + 1)
    return list(spans.values())


def select_longest(spans: Sequence[Span]) -> list[Span]:
    """Keep non-overlapping spans, longest first (the longest match wins an overlap), in question order."""
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


@dataclass(frozen=True)
class Resolution:
    """Outcome of customer resolution."""

    customer_id: str | None
    candidates: tuple[str, ...]
    matched: str | None
    ambiguous_surface: str | None = None
    """The shared surface (e.g. 李主任) when one name points to several customers."""
    ambiguous_kind: str = ""


def resolve(
    question: str, surfaces: Sequence[Surface], order: Mapping[str, int]
) -> tuple[Resolution, list[Span]]:
    """Resolve the customer a question names.

    The non-overlapping longest matches are intersected (``一院的李主任`` narrows a shared 李主任);
    when they name different customers, the longest match decides, and equal-length matches of
    different customers are ambiguous.
    """
    chosen = select_longest(find_spans(question, surfaces))
    if not chosen:
        return Resolution(None, (), None), []
    common = set(chosen[0].customer_ids)
    for span in chosen[1:]:
        common &= set(span.customer_ids)
    longest = max(s.end - s.start for s in chosen)
    top = [s for s in chosen if s.end - s.start == longest]
    if common:
        ids = sorted(common, key=lambda c: order.get(c, 1 << 30))
        shared = [s for s in chosen if len(s.customer_ids) > 1]
        pivot = max(shared, key=lambda s: s.end - s.start) if shared and len(ids) > 1 else top[0]
    else:
        ids = sorted({c for s in top for c in s.customer_ids}, key=lambda c: order.get(c, 1 << 30))
        pivot = top[0]
    if len(ids) == 1:
        return Resolution(ids[0], (ids[0],), top[0].text), chosen
    same_surface = len({s.text.casefold() for s in top}) == 1 or len(pivot.customer_ids) > 1
    kind = "contact" if pivot.kinds & {"contact", "derived"} else "customer"
    return Resolution(None, tuple(ids), pivot.text, pivot.text if same_surface else None, kind), chosen


def _clarify_ambiguous(res: Resolution, names: Mapping[str, str], lang: Lang) -> str:
    shown = [names.get(c, c) for c in res.candidates]
    surface = res.ambiguous_surface
    if lang == "zh":
        if surface and res.ambiguous_kind == "contact":
            items = [f"{n}的{surface}" for n in shown]
            return f"您指的是哪位{surface}：" + "、".join(items[:-1]) + "，还是" + items[-1] + "？"
        return "您指的是哪家客户：" + "、".join(shown[:-1]) + "，还是" + shown[-1] + "？"
    if surface and res.ambiguous_kind == "contact":
        items = [f"{surface} at {n}" for n in shown]
        return f"Which {surface} do you mean: " + ", ".join(items[:-1]) + ", or " + items[-1] + "?"
    return "Which customer do you mean: " + ", ".join(shown[:-1]) + ", or " + shown[-1] + "?"


def _clarify_missing(lang: Lang) -> str:
    if lang == "zh":
        return "请问您指的是哪家客户？请提供客户名称或联系人姓名。"
    return "Which customer do you mean? Please give the customer's name or a contact's name."


def detect_type(question: str, allowed: Sequence[str]) -> str | None:
    """Return the allowed decision type whose cues weigh most in the question (None when no cue)."""
    low = question.casefold()
    best: tuple[int, int] | None = None
    best_type: str | None = None
    for rank, dtype in enumerate(lexicon.TYPE_ORDER):
        if allowed and dtype not in allowed:
            continue
        pattern, weights = _TYPE_RES[dtype]
        hits = {m.group(0) for m in pattern.finditer(low)}
        score = sum(weights.get(h, 1) for h in hits)
        if score and (best is None or (score, -rank) > best):
            best, best_type = (score, -rank), dtype
    return best_type


def _strip_spans(question: str, spans: Sequence[Span]) -> str:
    out, pos = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(question[pos : span.start])
        pos = max(pos, span.end)
    out.append(question[pos:])
    return " ".join(out)


def question_language(question: str, spans: Sequence[Span]) -> Lang:
    """Detect the question's language with directory names removed (English about 张主任 is English)."""
    rest = _strip_spans(question, spans)
    if any(ch.isalpha() for ch in rest):
        return detect_language(rest)
    return "zh" if any(is_cjk(ch) for ch in question) else "en"


@functools.lru_cache(maxsize=32)
def _surfaces_cached(directory_key: str) -> tuple[tuple[Surface, ...], tuple[tuple[str, str], ...]]:
    import json

    directory = json.loads(directory_key)
    surfaces: list[Surface] = []
    names: list[tuple[str, str]] = []
    for entry in directory:
        if isinstance(entry, Mapping):
            surfaces += _entry_surfaces(entry)
            names.append(
                (str(entry.get("customer_id") or ""), str(entry.get("name") or entry.get("customer_id")))
            )
    return tuple(surfaces), tuple(names)


def _directory(ctx: Mapping[str, Any]) -> tuple[tuple[Surface, ...], dict[str, str]]:
    import json

    directory = ctx.get("directory") or []
    surfaces, names = _surfaces_cached(json.dumps(directory, ensure_ascii=False, sort_keys=True))
    return surfaces, dict(names)


def understand(ctx: Mapping[str, Any], question: str) -> dict[str, Any]:
    """Answer the ``understand`` task.

    Args:
        ctx: The ``understand`` context (directory, decision_types, current_customer_id, history).
        question: The user's question (the context's ``question`` field wins when present).

    Returns:
        A dict matching ``UNDERSTAND_SCHEMA``.
    """
    question = str(ctx.get("question") or question or "")
    surfaces, names = _directory(ctx)
    order = {cid: i for i, cid in enumerate(names)}
    allowed = [str(t) for t in ctx.get("decision_types") or ()]
    res, spans = resolve(question, surfaces, order)
    lang = question_language(question, spans)
    history = [h for h in ctx.get("history") or () if isinstance(h, Mapping)]

    dtype = detect_type(question, allowed)
    if dtype is None and history and _FOLLOW_UP_RE.search(question.casefold()):
        for turn in reversed(history):
            if turn.get("role") == "user":
                dtype = detect_type(str(turn.get("content") or ""), allowed)
                if dtype:
                    break

    current = ctx.get("current_customer_id")
    current = str(current) if current else None
    if not spans and current is None:
        for turn in reversed(history):
            earlier, _ = resolve(str(turn.get("content") or ""), surfaces, order)
            if earlier.customer_id:
                current = earlier.customer_id
                break

    low = question.casefold()
    if dtype:
        intent = "decide"
    elif _CHITCHAT_RE.search(low) and not spans:
        intent = "chitchat"
    elif spans or _SEARCH_RE.search(low) or (current and len(question.strip()) > 3):
        intent = "search"
    else:
        intent = "chitchat"

    clarification: str | None = None
    customer_id = res.customer_id
    candidates = list(res.candidates)
    if res.candidates and customer_id is None and current in res.candidates:
        customer_id, candidates = current, [current]  # the conversation's customer settles the ambiguity
    elif res.candidates and customer_id is None:
        clarification = _clarify_ambiguous(res, names, lang)
    elif not spans and current is not None:
        customer_id, candidates = current, [current]
    elif customer_id is None and intent != "chitchat":
        clarification = _clarify_missing(lang)
    return {
        "intent": intent,
        "decision_type": dtype,
        "customer_id": customer_id,
        "candidates": candidates,
        "language": lang,
        "clarification": clarification,
        "matched": res.matched,
    }
