"""Parse and check single fields of an interaction record (ids, channel, timestamp, amount, tags, ...).

Each parser returns the clean value or raises ``FieldError`` whose message is the reason shown to the user.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from agent_crm.types import Direction

_DIRECTIONS: dict[str, Direction] = {
    "inbound": "inbound", "in": "inbound", "incoming": "inbound",
    "outbound": "outbound", "out": "outbound", "outgoing": "outbound",
    "internal": "internal",
}
_CURRENCY_ALIASES = {"RMB": "CNY", "人民币": "CNY", "元": "CNY"}
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_TAG_SPLIT = re.compile(r"[;,；，、]")
_MAX_ID = 512
_AMOUNT_RE = re.compile(
    r"""(?P<sign1>[-+])?\s*(?P<code1>[A-Za-z]{3}(?![A-Za-z]))?\s*(?P<sym>US\$|HK\$|[¥￥$€£₩₹])?\s*(?P<sign2>[-+])?\s*
    (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*(?P<unit>万元|亿元|万|亿|元)?\s*
    (?P<code2>[A-Za-z]{3})?""",
    re.VERBOSE,
)
_UNITS = {"万元": 1e4, "万": 1e4, "亿元": 1e8, "亿": 1e8, "元": 1.0}
_LOOSE_TS = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})(?:\.(\d{1,6}))?\s*秒?)?)?"
)


FieldProblem = tuple[str | None, str]
"""(field or None for the whole record, reason)."""


class FieldError(Exception):
    """A field value that cannot be used (the message is the reason shown to the user)."""


def kind_of(value: Any) -> str:
    """Name a value's type the way a JSON user would."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def present(value: Any) -> bool:
    """Tell whether a raw value counts as given (None and blank strings do not)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def parse_text(value: Any) -> str | None:
    """Return a stripped string (numbers become their text), None when absent."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    raise FieldError(f"expected a string, got {kind_of(value)}")


def parse_id(value: Any, name: str) -> str:
    """Return a required identifier (a non-empty string, or an integer written as text)."""
    if not present(value):
        raise FieldError(f"missing required field {name!r}")
    if isinstance(value, str):
        out = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        out = str(value)
    else:
        raise FieldError(f"expected a string, got {kind_of(value)}")
    if len(out) > _MAX_ID:
        raise FieldError(f"longer than {_MAX_ID} characters")
    return out


def parse_channel(value: Any) -> str:
    """Return the channel as one lower-case token (inner spaces become '_': 'Phone Call' -> 'phone_call')."""
    if not present(value):
        raise FieldError("missing required field 'channel'")
    if not isinstance(value, str):
        raise FieldError(f"expected a string, got {kind_of(value)}")
    return "_".join(value.lower().split())


def parse_timestamp(value: Any) -> datetime:
    """Return an aware UTC datetime from ISO 8601 text (naive = UTC), 'YYYY-MM-DD HH:MM[:SS]' or a date."""
    if not present(value):
        raise FieldError("missing required field 'timestamp'")
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            dt = _loose_timestamp(text)
    else:
        raise FieldError(f"expected an ISO 8601 string, got {kind_of(value)}")
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _loose_timestamp(text: str) -> datetime:
    """Parse '2026/11/13 10:20', '2026-1-5' or '2026年11月13日 10时20分'; raise FieldError otherwise."""
    m = _LOOSE_TS.fullmatch(text)
    if m is not None:
        year, month, day, hour, minute, second = (int(p) if p else 0 for p in m.groups()[:6])
        micro = int((m.group(7) or "0").ljust(6, "0"))
        try:
            return datetime(year, month, day, hour, minute, second, micro)
        except ValueError as exc:
            raise FieldError(f"invalid timestamp {text!r}: {exc}") from None
    raise FieldError(
        f"invalid timestamp {text!r}: expected ISO 8601 such as 2026-11-13T10:20:00+08:00, "
        "'2026-11-13 10:20:00' or 2026-11-13"
    )


def parse_direction(value: Any) -> Direction | None:
    """Return inbound, outbound or internal (also accepts in/out, incoming/outgoing), None when absent."""
    if not present(value):
        return None
    if not isinstance(value, str):
        raise FieldError(f"expected a string, got {kind_of(value)}")
    key = value.strip().lower()
    if key not in _DIRECTIONS:
        raise FieldError(f"invalid direction {value!r}: expected inbound, outbound or internal (or in/out)")
    return _DIRECTIONS[key]


def parse_amount(value: Any) -> tuple[float | None, str | None]:
    """Return (amount, currency code in the text) from a number or text like '¥12,000.50' or 'USD 1,200'."""
    if not present(value):
        return None, None
    if isinstance(value, bool):
        raise FieldError("expected a number, got boolean")
    if isinstance(value, int | float | Decimal):
        number = float(value)
        if not math.isfinite(number):
            raise FieldError(f"amount must be a finite number, got {value}")
        return number, None
    if not isinstance(value, str):
        raise FieldError(f"expected a number, got {kind_of(value)}")
    text = value.strip()
    m = _AMOUNT_RE.fullmatch(text)
    if m is None or (m.group("sign1") and m.group("sign2")) or (m.group("code1") and m.group("code2")):
        raise FieldError(
            f"invalid amount {text!r}: expected a number such as 12000.50, 12,000.50 or ¥12,000.50"
        )
    number = float(m.group("num").replace(",", "")) * _UNITS.get(m.group("unit") or "", 1.0)
    if "-" in (m.group("sign1") or "", m.group("sign2") or ""):
        number = -number
    code = (m.group("code1") or m.group("code2") or "").upper()
    code = _CURRENCY_ALIASES.get(code, code)
    if not code and (m.group("unit") or "").endswith("元"):
        code = "CNY"
    return number, code or None


def parse_currency(value: Any) -> str | None:
    """Return an upper-case ISO 4217 code (RMB/人民币/元 mean CNY), None when absent."""
    text = parse_text(value)
    if text is None:
        return None
    code = _CURRENCY_ALIASES.get(text.upper(), text.upper())
    if not _CURRENCY_RE.fullmatch(code):
        raise FieldError(f"invalid currency {text!r}: expected an ISO 4217 code such as CNY or USD")
    return code


def parse_tags(value: Any) -> tuple[str, ...]:
    """Return de-duplicated tags from a list or a ';' / ',' separated string (also ；，、)."""
    if not present(value):
        return ()
    if isinstance(value, str):
        items: list[Any] = _TAG_SPLIT.split(value)
    elif isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, set | frozenset):
        items = sorted(value, key=str)
    else:
        raise FieldError(f"expected a list of strings or a ';'-separated string, got {kind_of(value)}")
    out: list[str] = []
    for item in items:
        if isinstance(item, str) or (isinstance(item, int | float) and not isinstance(item, bool)):
            tag = str(item).strip()
            if tag:
                out.append(tag)
        elif item is not None:
            raise FieldError(f"tags must be strings, got {kind_of(item)}")
    return tuple(dict.fromkeys(out))


def parse_fields(value: Any, from_text: bool) -> dict[str, Any]:
    """Return the free ``fields`` object (in CSV a JSON object written in the cell)."""
    if not present(value):
        return {}
    if from_text and isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise FieldError(f"invalid JSON in fields at column {exc.colno}: {exc.msg}") from None
    if not isinstance(value, Mapping):
        raise FieldError(f"expected a JSON object, got {kind_of(value)}")
    return {str(k): v for k, v in value.items()}
