"""Cross-verification of amounts (``amount: cross_verify``): no amount without independent sources.

Any amount in a request or a model output (``126万元``, ``¥1,260,000``, ``$5k``, ``300万``, ``1.26 million
yuan``) must be backed by at least ``min_sources`` independent source records of the customer: different
record ids with different content (a copy of a record is not a second source), ideally of different channels
(reported, not required). A record backs an amount through its ``amount`` field, the numbers of its
``fields.<key>: cross_verify`` entries, or an amount written in its subject or text. Numbers the decision
engine computed (the decision's details and factor values) are its own output, not claims about the data,
and pass as ``decision``. Anything else is unverified: the run gets the flag ``unverified_amount``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from agent_crm.types import Interaction

__all__ = ["AmountCheck", "AmountMention", "check_amounts", "extract_amounts", "record_amounts", "summary"]

_NUM = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
_MAG = r"(千|万|亿|k|K|m|M|million|bn|billion)"
_BEFORE = r"(?<![0-9A-Za-z.,\-#_])"
_SUFFIX_RE = re.compile(
    _BEFORE + _NUM + r"\s*" + _MAG + r"?\s*(元|块钱|人民币|(?:RMB|CNY|USD|EUR|GBP|HKD|dollars?|yuan|euros?)(?![A-Za-z]))",
)
_PREFIX_RE = re.compile(
    r"(?:[¥￥$€£]|(?<![A-Za-z])(?:RMB|CNY|USD|EUR|GBP|HKD)\s?)\s*" + _NUM + r"\s*" + _MAG + r"?(?![0-9A-Za-z])"
)
_COUNTERS = "台人次个件份盒例张条家名位辆吨平亩头只支套单笔册本米字行户株斤年月天日周岁"
_BARE_RE = re.compile(_BEFORE + _NUM + r"\s*(万|亿)(?![元块人民币" + _COUNTERS + r"])")
_MAGNITUDE = {"千": 1e3, "万": 1e4, "亿": 1e8, "k": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
RELATIVE_TOLERANCE = 0.005
"""Two amounts are the same when they differ by at most this share (rounding: 126万 vs 1,258,000 is not)."""


@dataclass(frozen=True)
class AmountMention:
    """One amount written in a text."""

    value: float
    """The amount in units of its currency (``126万元`` -> 1260000.0)."""
    text: str
    """The text as written."""
    start: int
    end: int


@dataclass(frozen=True)
class AmountCheck:
    """The verdict on one amount of a request or an output."""

    where: str
    """Which text it came from (``request``, ``answer``, ``script:value``, ...)."""
    text: str
    value: float
    verified: bool
    basis: str
    """``records`` (independent sources found), ``decision`` (computed by the engine) or ``none``."""
    records: tuple[str, ...] = ()
    """Ids of the independent records backing it."""
    channels: tuple[str, ...] = ()
    """Their channels (different channels make stronger evidence)."""


def _value(number: str, frac: str | None, magnitude: str | None) -> float:
    base = float(number.replace(",", "") + (f".{frac}" if frac else ""))
    return base * _MAGNITUDE.get((magnitude or "").lower(), 1.0)


def extract_amounts(text: str) -> list[AmountMention]:
    """Return the monetary amounts written in ``text`` (sorted, non-overlapping)."""
    if not text:
        return []
    found: list[AmountMention] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_SUFFIX_RE, _PREFIX_RE, _BARE_RE):
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            found.append(AmountMention(_value(m.group(1), m.group(2), m.group(3)), m.group(0).strip(), start, end))
    return sorted(found, key=lambda a: a.start)


def _numbers(value: Any) -> Iterable[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, str):
        yield from (a.value for a in extract_amounts(value))
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _numbers(v)


def record_amounts(record: Interaction, fields: Iterable[str] = ()) -> list[float]:
    """Return the amounts a record states: ``amount``, numbers of the named ``fields`` keys, amounts in its text."""
    out: list[float] = [] if record.amount is None else [float(record.amount)]
    for key in fields:
        if key in record.fields:
            out.extend(_numbers(record.fields[key]))
    for text in (record.subject, record.text):
        if text:
            out.extend(a.value for a in extract_amounts(text))
    return out


def same_amount(a: float, b: float) -> bool:
    """Return whether two amounts are the same up to rounding."""
    return abs(a - b) <= max(RELATIVE_TOLERANCE * max(abs(a), abs(b)), 0.01)


def check_amounts(
    texts: Mapping[str, str],
    records: Sequence[Interaction],
    *,
    min_sources: int = 2,
    fields: Iterable[str] = (),
    computed: Any = None,
) -> list[AmountCheck]:
    """Check every amount of ``texts`` against the customer's records.

    Args:
        texts: where -> text (``request``, ``answer``, ``script:<strategy>``).
        records: the records that may back an amount (the customer's).
        min_sources: independent records needed.
        fields: ``fields`` keys whose numbers count as amounts of a record.
        computed: the decision engine's output (details, factor values): numbers in it pass as ``decision``.
    """
    keys = tuple(fields)
    support = [(r, record_amounts(r, keys)) for r in records]
    engine = list(_numbers(computed)) if computed is not None else []
    checks: list[AmountCheck] = []
    for where, text in texts.items():
        seen: set[float] = set()
        for mention in extract_amounts(text):
            if mention.value in seen:
                continue
            seen.add(mention.value)
            backing: dict[str, Interaction] = {}
            for rec, values in support:
                key = rec.content_hash or rec.id
                if key not in backing and any(same_amount(mention.value, v) for v in values):
                    backing[key] = rec
            ids = tuple(sorted(r.id for r in backing.values()))
            channels = tuple(sorted({r.channel for r in backing.values()}))
            if len(backing) >= min_sources:
                checks.append(AmountCheck(where, mention.text, mention.value, True, "records", ids, channels))
            elif any(same_amount(mention.value, v) for v in engine):
                checks.append(AmountCheck(where, mention.text, mention.value, True, "decision", ids, channels))
            else:
                checks.append(AmountCheck(where, mention.text, mention.value, False, "none", ids, channels))
    return checks


def summary(checks: Sequence[AmountCheck], min_sources: int) -> dict[str, Any]:
    """Return the decision/audit form of the checks (counts, each unverified amount with its partial support)."""
    return {
        "min_sources": min_sources,
        "checked": len(checks),
        "verified": sum(1 for c in checks if c.verified),
        "unverified": [
            {k: v for k, v in asdict(c).items() if k in ("where", "text", "value", "records", "channels")}
            for c in checks if not c.verified
        ],
    }
