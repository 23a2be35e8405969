"""Language detection, number formatting, quoting and text windows for the local reasoner (pure, fast)."""

from __future__ import annotations

import re
from collections.abc import Iterable

Lang = str
"""``"zh"`` or ``"en"``."""

ZH_SHARE = 0.15
"""Share of CJK characters among letters from which a text counts as Chinese."""

_SENTENCE_END = "。！？!?；;\n"


def is_cjk(ch: str) -> bool:
    """Tell whether a character is a CJK ideograph (or CJK punctuation-free extension letter)."""
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    )


_CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


def cjk_count(text: str) -> int:
    """Count the CJK ideographs of ``text``."""
    return len(_CJK_RE.findall(text))


def detect_language(text: str, default: Lang = "en") -> Lang:
    """Return ``"zh"`` when CJK ideographs make up at least ``ZH_SHARE`` of the letters, else ``"en"``.

    Args:
        text: Any text.
        default: Language of a text without letters.
    """
    cjk = 0
    latin = 0
    for ch in text:
        if is_cjk(ch):
            cjk += 1
        elif ch.isascii() and ch.isalpha():
            latin += 1
    if cjk == 0 and latin == 0:
        return default
    return "zh" if cjk / (cjk + latin) >= ZH_SHARE else "en"


def normalise_language(value: object, fallback_text: str = "") -> Lang:
    """Return a valid language code from a context value, detecting it from ``fallback_text`` when missing."""
    if value in ("zh", "en"):
        return str(value)
    if isinstance(value, str) and value.lower().startswith("zh"):
        return "zh"
    if isinstance(value, str) and value.lower().startswith("en"):
        return "en"
    return detect_language(fallback_text)


def fmt_number(value: object) -> str:
    """Format a number as in the data (integers plain, up to 4 decimals verbatim, else 2 decimals)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return "NaN"
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        if round(value, 4) == value:
            return repr(value)
        text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
        return text if text not in ("-0", "") else "0"
    return str(value)


def quote(text: str, lang: Lang) -> str:
    """Wrap a snippet in the language's quotation marks (「…」 in Chinese, "…" in English)."""
    return f"「{text}」" if lang == "zh" else f"\u201c{text}\u201d"


def cite(record_ids: Iterable[str]) -> str:
    """Render record ids as square-bracket citations, e.g. ``[med-1][med-2]``."""
    return "".join(f"[{rid}]" for rid in record_ids)


def end_sentence(text: str, lang: Lang) -> str:
    """Make sure a sentence ends with a full stop of the language (keeps an existing end mark)."""
    text = text.rstrip()
    if not text:
        return text
    if text[-1] in "。！？.!?」\u201d":
        return text
    return text + ("。" if lang == "zh" else ".")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentence spans ``(start, end)`` at Chinese and Latin sentence ends and newlines."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i, ch in enumerate(text):
        if ch in _SENTENCE_END or (ch == "." and (i + 1 == len(text) or text[i + 1] == " ")):
            spans.append((start, i + 1))
            start = i + 1
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in "。；;，,"):
        end -= 1
    return start, end


def window(text: str, anchor: int, limit: int) -> str:
    """Return an exact substring of ``text`` of at most ``limit`` characters around ``anchor``.

    The window is the sentence containing the anchor when it fits, else a slice centred on the anchor.
    Leading/trailing spaces and a trailing comma or full stop are trimmed.
    """
    text_len = len(text)
    if text_len <= limit:
        s, e = _strip_span(text, 0, text_len)
        return text[s:e]
    anchor = max(0, min(anchor, text_len - 1))
    for s, e in sentence_spans(text):
        if s <= anchor < e and e - s <= limit:
            s2, e2 = _strip_span(text, s, e)
            if e2 > s2:
                return text[s2:e2]
    start = max(0, anchor - limit // 3)
    end = min(text_len, start + limit)
    start = max(0, end - limit)
    s, e = _strip_span(text, start, end)
    return text[s:e]


def find_first(text: str, needles: Iterable[str]) -> int:
    """Return the smallest position of any needle in ``text`` (case-insensitive for Latin), or -1."""
    low = text.casefold()
    best = -1
    for needle in needles:
        if not needle:
            continue
        pos = low.find(needle.casefold())
        if pos >= 0 and (best < 0 or pos < best):
            best = pos
    return best


def number_strings(value: object) -> list[str]:
    """Return the textual forms a numeric feature value may take inside a snippet."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, str):
            return re.findall(r"\d+(?:\.\d+)?", value)
        return []
    forms = {fmt_number(value)}
    if isinstance(value, float) and value == int(value):
        forms.add(str(int(value)))
    if isinstance(value, int | float) and abs(value) >= 1000 and value == int(value):
        forms.add(f"{int(value):,}")
    return sorted(f for f in forms if f and f != "0")
