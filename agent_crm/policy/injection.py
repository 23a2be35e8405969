"""Prompt-injection guard: instruction-like text inside retrieved records is data, never instructions.

Retrieved records reach models inside the ``<crm_context>`` data block already; this module finds the
instruction-like parts of that data (bilingual override phrases such as "ignore previous instructions" /
"忽略以上所有指令", speaker and role-play markers such as ``system:``, "你现在是", ``[INST]``, requests to relabel
a customer or to reveal other customers, and tool-call look-alikes such as ``{"tool": ...}`` or
``<function_call>``) and replaces each with :data:`MARKER` in what the model sees. The run is flagged
``prompt_injection`` with the record ids.

The guard's second half works on outputs: :func:`scrub_names` removes other customers' names and ids from an
answer, so a poisoned record cannot make the assistant reveal another customer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MARKER",
    "OTHER_CUSTOMER",
    "InjectionMatch",
    "find_injections",
    "neutralise",
    "neutralise_items",
    "other_customer_names",
    "scrub_names",
]

MARKER = "[removed: instruction-like text]"
"""What replaces instruction-like text in what models see."""
OTHER_CUSTOMER = "<OTHER_CUSTOMER>"
"""What replaces another customer's name or id in an answer."""

_I = re.IGNORECASE
_SENTENCE_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("override", re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n。]{0,40}?"
        r"\b(?:instructions?|prompts?|rules?|directions?|guidelines?|guardrails?)\b", _I)),
    ("override", re.compile(
        r"(?:忽略|无视|忘记|忘掉|不要理会|不要遵守|不要遵循|不必遵守|跳过)掉?"
        r"(?:以上|之前|前面|上面|上述|先前|前述|此前|所有|全部|一切|你的|系统)?[^。！？\n]{0,12}?"
        r"(?:指令|指示|提示词?|规则|要求|设定|限制|约束|说明)")),
    ("role", re.compile(
        r"\byou\s+are\s+(?:now|no\s+longer)\b|\bact\s+as\s+(?:a|an|the|if)\b|\bpretend\s+(?:to\s+be|you\s+are)\b"
        r"|\brole-?\s?play\b|\bfrom\s+now\s+on\b|\bnew\s+instructions?\b|\bsystem\s+prompt\b|\bjailbreak\b"
        r"|\bdeveloper\s+mode\b", _I)),
    ("role", re.compile(
        r"你现在是|你现在扮演|你将扮演|请扮演|扮演(?:一个|一名|成)|假装你是|从现在(?:开始|起)[，,]?你|你的新(?:身份|任务|指令)"
        r"|系统提示|系统指令|新的指令|以下是新指令|开发者模式")),
    ("speaker", re.compile(
        r"\b(?:system|assistant|developer)\s*[:：]|\[/?(?:system|inst)\]|<<\s*/?sys\s*>>"
        r"|<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|(?:^|\n)\s*#{2,}\s*(?:instructions?|system)\b"
        r"|(?:^|\n)\s*(?:human|user)\s*[:：]|(?:系统|助手)\s*[:：]", _I)),
    ("relabel", re.compile(
        r"\b(?:mark|label|classify|set|flag)\s+(?:this|the|that)\s+(?:customer|client|account|lead|loan|application)"
        r"\s+as\b|\bchange\s+the\s+(?:decision|label|answer|score|rating)\b", _I)),
    ("relabel", re.compile(
        r"(?:把|将)(?:这个|该|此|这位)?(?:客户|用户|账户|贷款|申请|线索)(?:标记|标注|设置|设|改|评)为"
        r"|(?:把|将)(?:结论|标签|评分|结果|风险等级)改为")),
    ("exfiltration", re.compile(
        r"\b(?:tell|give|show|list|reveal|send|print)\s+(?:me\s+|us\s+)?(?:the\s+)?(?:other|all|every)\s+"
        r"(?:customers?|clients?|accounts?)\b|\breveal\s+(?:your|the)\s+(?:system\s+)?(?:prompt|instructions)\b", _I)),
    ("exfiltration", re.compile(r"(?:告诉|透露|给|发|列出|提供)(?:我|给我)?(?:其他|其它|别的|所有|全部)(?:的)?(?:客户|用户)")),
)
_JSON_TOOL = re.compile(
    r"\{\s*[\"'](?:tool|tool_name|tool_calls?|function|function_call|action|arguments|api|command)[\"']\s*:", _I)
_TAG_TOOL = re.compile(
    r"<\s*(function_calls?|tool_calls?|tool_use|tool_result|invoke|function)\b[^>]*>", _I)
_TERMINATORS = re.compile(r"[。！？!?\n]|\.(?=\s|$)")


@dataclass(frozen=True)
class InjectionMatch:
    """One instruction-like span of a text."""

    kind: str
    """override | role | speaker | relabel | exfiltration | tool_call."""
    start: int
    end: int
    cue: str
    """The text that gave it away (at most 60 characters)."""


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    begin = 0
    for m in _TERMINATORS.finditer(text, 0, start):
        begin = m.end()
    while begin < start and text[begin].isspace():
        begin += 1
    stop = _TERMINATORS.search(text, end)
    return begin, (stop.end() if stop else len(text))


def _json_end(text: str, start: int) -> int:
    depth, in_str, quote, i = 0, False, "", start
    while i < len(text):
        ch = text[i]
        if in_str:
            if ch == "\\":
                i += 1
            elif ch == quote:
                in_str = False
        elif ch in "\"'":
            in_str, quote = True, ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def find_injections(text: str) -> list[InjectionMatch]:
    """Return the instruction-like spans of ``text`` (sorted, merged where they overlap)."""
    if not text:
        return []
    spans: list[InjectionMatch] = []
    for kind, pattern in _SENTENCE_CUES:
        for m in pattern.finditer(text):
            s, e = _sentence(text, m.start(), m.end())
            spans.append(InjectionMatch(kind, s, e, m.group(0).strip()[:60]))
    for m in _JSON_TOOL.finditer(text):
        spans.append(InjectionMatch("tool_call", m.start(), _json_end(text, m.start()), m.group(0)[:60]))
    for m in _TAG_TOOL.finditer(text):
        close = re.compile(r"</\s*" + re.escape(m.group(1)) + r"\s*>", _I).search(text, m.end())
        end = close.end() if close else _sentence(text, m.start(), m.end())[1]
        spans.append(InjectionMatch("tool_call", m.start(), end, m.group(0)[:60]))
    if not spans:
        return []
    spans.sort(key=lambda s: (s.start, -s.end))
    merged = [spans[0]]
    for span in spans[1:]:
        last = merged[-1]
        if span.start < last.end:
            if span.end > last.end:
                merged[-1] = InjectionMatch(last.kind, last.start, span.end, last.cue)
        else:
            merged.append(span)
    return merged


def neutralise(text: str) -> tuple[str, list[InjectionMatch]]:
    """Return ``text`` with each instruction-like span replaced by :data:`MARKER`, and the spans."""
    found = find_injections(text)
    if not found:
        return text, []
    parts: list[str] = []
    pos = 0
    for m in found:
        parts += [text[pos : m.start], MARKER]
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts), found


def neutralise_items(
    items: Sequence[dict[str, Any]], keys: Sequence[str] = ("snippet", "title")
) -> tuple[list[dict[str, Any]], list[str]]:
    """Neutralise the text ``keys`` of evidence items; return the new items and the ids of flagged records."""
    out: list[dict[str, Any]] = []
    flagged: list[str] = []
    for item in items:
        new = item
        for key in keys:
            value = item.get(key)
            if isinstance(value, str) and value:
                clean, found = neutralise(value)
                if found:
                    new = {**new, key: clean}
                    rid = str(item.get("record_id", ""))
                    if rid and rid not in flagged:
                        flagged.append(rid)
        out.append(new)
    return out, flagged


_NAMES_CACHE: dict[tuple[int, str | None, int], tuple[Any, list[str]]] = {}
"""(directory identity, customer, min_chars) -> names; the record store replaces its directory tuple on change."""


def other_customer_names(directory: Iterable[Any], customer_id: str | None, *, min_chars: int = 2) -> list[str]:
    """Return the names, aliases, contact names and ids of the directory's other customers (longest first).

    Names the current customer also uses (a shared contact name, a part of its own name) are left out, and so
    are ASCII names shorter than 3 characters.
    """
    key = (id(directory), customer_id, min_chars)
    hit = _NAMES_CACHE.get(key)
    if hit is not None and hit[0] is directory:
        return hit[1]
    entries = list(directory)
    own: set[str] = set()
    for e in entries:
        if e.customer_id == customer_id:
            own |= {e.customer_id, e.name, *e.aliases, *(c.name for c in e.contacts)}
    own.discard("")
    others: set[str] = set()
    for e in entries:
        if e.customer_id == customer_id:
            continue
        for name in (e.customer_id, e.name, *e.aliases, *(c.name for c in e.contacts)):
            shortest = max(min_chars, 3) if name.isascii() else min_chars
            if name and len(name) >= shortest and name not in own and not any(name in o for o in own):
                others.add(name)
    result = sorted(others, key=lambda n: (-len(n), n))
    if len(_NAMES_CACHE) >= 256:
        _NAMES_CACHE.clear()
    _NAMES_CACHE[key] = (directory, result)  # holding the directory keeps its id from being reused
    return result


@functools.lru_cache(maxsize=64)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    # ASCII names and ids only match as whole tokens (customer "1001" is not the amount "10010")
    return re.compile("|".join(
        rf"(?<![A-Za-z0-9_\-]){re.escape(n)}(?![A-Za-z0-9_\-])" if n.isascii() else re.escape(n) for n in names
    ))


def scrub_names(text: str, names: Sequence[str]) -> tuple[str, list[str]]:
    """Replace each of ``names`` in ``text`` by :data:`OTHER_CUSTOMER`; return the text and the names found."""
    if not text or not names:
        return text, []
    pattern = _names_pattern(tuple(names))
    found: list[str] = []

    def repl(m: re.Match[str]) -> str:
        if m.group(0) not in found:
            found.append(m.group(0))
        return OTHER_CUSTOMER

    return pattern.sub(repl, text), found
