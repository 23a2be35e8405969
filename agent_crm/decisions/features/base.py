"""Feature values, the per-call record context and the parsers of structured fields."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from agent_crm.decisions import textmatch
from agent_crm.types import Interaction

# fmt: off
TEXT_FIELDS: tuple[str, ...] = (
    "reason", "return_reason", "loss_reason", "objection", "objections", "feedback", "comment", "notes",
    "summary", "category", "ticket_category", "issue", "issue_type",
)
# fmt: on
"""String fields scanned together with subject and text."""


@dataclass(frozen=True, slots=True)
class FeatureValue:
    """One computed feature with the records it was computed from.

    ``value`` is None when no record supports the feature ("missing"); a missing feature contributes exactly
    zero (it sits at its baseline). ``evidence`` lists record ids, newest first. ``facts`` holds the numbers
    behind the value (month counts, amounts, categories with record ids) for rationales and ``details``.
    """

    name: str
    value: float | None
    evidence: tuple[str, ...] = ()
    display: str = "missing"
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def missing(self) -> bool:
        """Whether the feature has no value (no evidence)."""
        return self.value is None


def missing(name: str, **facts: Any) -> FeatureValue:
    """Return a missing feature (no evidence, contributes its baseline)."""
    return FeatureValue(name, None, (), "missing", facts)


class RecordView:
    """A record prepared once per call: age, lower-cased text, cached term hits."""

    __slots__ = (
        "_cats",
        "_comp",
        "age_days",
        "channel",
        "direction",
        "fields",
        "id",
        "low",
        "rank",
        "rec",
        "text",
        "ts",
    )

    def __init__(self, rec: Interaction, as_of: datetime, rank: int) -> None:
        self.rec = rec
        self.id = rec.id
        self.ts = _aware(rec.timestamp)
        self.age_days = (as_of - self.ts).total_seconds() / 86400.0
        self.rank = rank
        self.channel = (rec.channel or "").lower()
        self.direction = rec.direction
        self.fields: Mapping[str, Any] = rec.fields
        parts = [rec.subject or "", rec.text]
        if rec.fields:
            parts.extend(v for k in TEXT_FIELDS if isinstance(v := rec.fields.get(k), str))
        self.text = "\n".join(p for p in parts if p)
        self.low = self.text.lower()
        self._cats: dict[str, tuple[textmatch.TermHit, ...]] | None = None
        self._comp: list[str] | None = None

    @property
    def cats(self) -> dict[str, tuple[textmatch.TermHit, ...]]:
        """Lexicon hits of the record's text by category."""
        if self._cats is None:
            self._cats = textmatch.index(self.low)
        return self._cats

    def has(self, category: str, *, negated: bool | None = False) -> bool:
        """Return whether the text has a hit of ``category`` (non-negated by default; None = either)."""
        hits = self.cats.get(category)
        if not hits:
            return False
        return negated is None or any(h.negated == negated for h in hits)

    def first(self, category: str) -> textmatch.TermHit | None:
        """Return the first non-negated hit of ``category``, if any."""
        for h in self.cats.get(category, ()):
            if not h.negated:
                return h
        return None

    def terms(self, category: str) -> list[str]:
        """Return the distinct non-negated terms of ``category``, in text order."""
        out: list[str] = []
        for h in self.cats.get(category, ()):
            if not h.negated and h.term not in out:
                out.append(h.term)
        return out

    @property
    def competitors(self) -> list[str]:
        """Competitor names given in ``fields.competitor`` / ``fields.competitors``."""
        if self._comp is None:
            self._comp = competitor_field(self)
        return self._comp


class FeatureContext:
    """The records of one customer as seen at ``as_of`` (records after ``as_of`` are ignored).

    Args:
        records: the customer's interaction records.
        as_of: reference time (timezone-aware; naive is taken as UTC).
        competitors: known competitor names (e.g. from tenant knowledge).
    """

    def __init__(
        self, records: Sequence[Interaction], as_of: datetime, competitors: Iterable[str] = ()
    ) -> None:
        self.as_of = _aware(as_of)
        ordered = sorted(
            (r for r in records if _aware(r.timestamp) <= self.as_of),
            key=lambda r: (-_aware(r.timestamp).timestamp(), r.id),
        )
        self.views: list[RecordView] = [RecordView(r, self.as_of, i) for i, r in enumerate(ordered)]
        self.by_id: dict[str, RecordView] = {v.id: v for v in self.views}
        self.month = month_index(self.as_of)
        self.memo: dict[str, Any] = {}
        names: dict[str, str] = {}
        for name in competitors:
            if isinstance(name, str) and name.strip():
                names.setdefault(name.strip().lower(), name.strip())
        for v in self.within(365):  # same window as competitor_mentions, so every source is evidence
            for name in v.competitors:
                names.setdefault(name.lower(), name)
        self.competitor_names: dict[str, str] = names
        """Lower-cased name -> display name."""
        self.competitor_key: tuple[str, ...] = tuple(sorted(names))

    def within(self, days: float) -> list[RecordView]:
        """Return the records at most ``days`` old, newest first."""
        return [v for v in self.views if v.age_days <= days]


def evidence(views: Iterable[RecordView]) -> tuple[str, ...]:
    """Return the ids of ``views`` newest first, without repeats."""
    seen: dict[str, int] = {}
    for v in views:
        seen.setdefault(v.id, v.rank)
    return tuple(sorted(seen, key=seen.__getitem__))


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def month_index(ts: date | datetime) -> int:
    """Return a month number (year * 12 + month - 1)."""
    return ts.year * 12 + ts.month - 1


_NUM = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_SCALE = {"万": 1e4, "亿": 1e8, "k": 1e3, "m": 1e6, "w": 1e4}


def parse_number(value: Any) -> float | None:
    """Parse a number from a field (int, float, or text such as ``"18.6万"``, ``"186,000"``, ``"¥1.2k"``)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    s = value.strip().lower().replace(",", "").replace("，", "")
    for sym in ("¥", "￥", "$", "€", "£", "元", "rmb", "cny", "usd", "eur", " "):
        s = s.replace(sym, "")
    mult = 1.0
    if s and s[-1] in _SCALE:
        mult = _SCALE[s[-1]]
        s = s[:-1]
    if not _NUM.match(s):
        return None
    return float(s) * mult


def parse_rate(value: Any) -> float | None:
    """Parse a 0..1 rate from ``0.92``, ``92``, ``"92%"`` (values above 1 are read as percentages)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        num = parse_number(value.strip()[:-1])
        return None if num is None else max(0.0, min(1.0, num / 100.0))
    num = parse_number(value)
    if num is None or num < 0:
        return None
    return min(1.0, num / 100.0 if num > 1.0 else num)


_TRUE = {"true", "yes", "y", "1", "是", "按时", "准时", "on time", "on_time", "paid"}
_FALSE = {"false", "no", "n", "0", "否", "逾期", "late", "overdue", "延迟"}


def parse_bool(value: Any) -> bool | None:
    """Parse a boolean field (``True``, ``"yes"``, ``"是"``, ``1``...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        s = value.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    return None


_YM = re.compile(r"(20\d{2}|19\d{2})\s*[-/.年]\s*(\d{1,2})")
_YMD = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_month(value: Any) -> int | None:
    """Parse a month (``"2024-05"``, ``"2024年5月"``, a date) into :func:`month_index` units."""
    if isinstance(value, datetime | date):
        return month_index(value)
    if isinstance(value, str):
        m = _YM.search(value)
        if m and 1 <= int(m.group(2)) <= 12:
            return int(m.group(1)) * 12 + int(m.group(2)) - 1
    return None


def parse_date(value: Any) -> datetime | None:
    """Parse a date field (``date``, ``datetime``, ISO text) as a UTC-aware datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        m = _YMD.search(value)
        if m:
            try:
                return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC)
            except ValueError:
                return None
    return None


_PERIOD_KEYS = ("month", "period", "date")


def monthly_points(view: RecordView, keys: Sequence[str]) -> list[tuple[int, float]]:
    """Read monthly values of a record from the first present field of ``keys``.

    Accepted shapes: a number (the month of the record, or of ``fields.month``), a mapping month -> number,
    or a list of ``{"month": ..., <any numeric key such as amount, value, pos_flow>: ...}`` entries.
    """
    for key in keys:
        raw = view.fields.get(key)
        if raw is None:
            continue
        points: list[tuple[int, float]] = []
        if isinstance(raw, Mapping):
            for k, val in raw.items():
                month, num = parse_month(k), parse_number(val)
                if month is not None and num is not None:
                    points.append((month, num))
        elif isinstance(raw, list):
            for item in raw:
                if isinstance(item, Mapping):
                    month = parse_month(next((item[k] for k in _PERIOD_KEYS if k in item), None))
                    num = next(
                        (
                            x
                            for k, val in item.items()
                            if k not in _PERIOD_KEYS and (x := parse_number(val)) is not None
                        ),
                        None,
                    )
                    if month is not None and num is not None:
                        points.append((month, num))
        else:
            num = parse_number(raw)
            if num is not None:
                month = parse_month(view.fields.get("month")) or month_index(view.ts)
                points.append((month, num))
        if points:
            return points
    return []


def competitor_field(view: RecordView) -> list[str]:
    """Return the competitor names a record's ``fields.competitor`` / ``competitors`` names."""
    out: list[str] = []
    if not view.fields:
        return out
    for key in ("competitor", "competitors"):
        raw = view.fields.get(key)
        items = raw if isinstance(raw, list | tuple) else [raw]
        out.extend(i.strip() for i in items if isinstance(i, str) and i.strip())
    return out


def fmt(value: float, digits: int = 2) -> str:
    """Format a number compactly and deterministically (integers without decimals)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"
