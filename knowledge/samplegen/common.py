"""Shared building blocks of the sample-data generator: clock anchor, records, PII values, text helpers.

Everything here is deterministic given the ``random.Random`` passed in; nothing reads the clock.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CST = timezone(timedelta(hours=8))
UTC = UTC
AS_OF = datetime(2026, 11, 20, 0, 0, tzinfo=CST)
"""Anchor of the sample data: every timestamp lies before it."""

FIELD_ORDER = (
    "id",
    "customer_id",
    "customer_name",
    "channel",
    "timestamp",
    "direction",
    "author",
    "contact_name",
    "subject",
    "text",
    "amount",
    "currency",
    "product",
    "department",
    "region",
    "tags",
    "fields",
)


@dataclass
class Contact:
    """A person at a customer, as listed in the customer directory."""

    name: str
    title: str
    role: str
    dept: str = ""
    """Generator-only: the department the contact belongs to (not written to the directory)."""


@dataclass
class Customer:
    """A customer (account) of a tenant."""

    customer_id: str
    name: str
    aliases: list[str]
    contacts: list[Contact]
    region: str
    segment: str
    extra: dict[str, Any] = field(default_factory=dict)
    """Generator-only attributes (size, baseline flows, ...)."""

    def directory_row(self) -> dict[str, Any]:
        """Return the customers.jsonl row."""
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "aliases": list(self.aliases),
            "contacts": [{"name": c.name, "title": c.title, "role": c.role} for c in self.contacts],
            "region": self.region,
            "segment": self.segment,
        }

    def contact(self, name: str) -> Contact:
        """Return the contact called ``name``."""
        for c in self.contacts:
            if c.name == name:
                return c
        raise KeyError(f"{self.customer_id} has no contact {name}")


@dataclass
class Query:
    """A labelled retrieval query; ``relevant`` holds record dicts whose ids are assigned later."""

    language: str
    query: str
    relevant: list[dict[str, Any]]
    kind: str
    filters: dict[str, Any] | None = None


@dataclass
class TenantData:
    """Everything generated for one tenant."""

    tenant: str
    prefix: str
    customers: list[Customer]
    records: list[dict[str, Any]]
    docs: dict[str, str]
    queries: list[Query]
    legacy: list[dict[str, Any]] = field(default_factory=list)
    """Extra records written to a legacy CSV export (ruralbank)."""


_SEQ = [0]


def record(
    cust: Customer,
    channel: str,
    when: datetime,
    direction: str,
    text: str,
    *,
    author: str | None = None,
    contact: str | None = None,
    subject: str | None = None,
    amount: float | None = None,
    currency: str | None = None,
    product: str | None = None,
    department: str | None = None,
    region: str | None = None,
    tags: list[str] | tuple[str, ...] = (),
    fields: dict[str, Any] | None = None,
    pii: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Build one interaction record (ids are assigned after sorting by time)."""
    if when >= AS_OF:
        raise ValueError(f"timestamp {when} is not before AS_OF")
    _SEQ[0] += 1
    rec: dict[str, Any] = {
        "customer_id": cust.customer_id,
        "customer_name": cust.name,
        "channel": channel,
        "timestamp": when,
        "direction": direction,
        "author": author,
        "contact_name": contact,
        "subject": subject,
        "text": text,
        "amount": amount,
        "currency": currency,
        "product": product,
        "department": department,
        "region": region if region is not None else cust.region,
        "tags": list(tags),
        "fields": dict(fields or {}),
        "_seq": _SEQ[0],
        "_pii": list(pii or []),
    }
    return rec


def add_pii(rec: dict[str, Any], sentence: str, values: list[tuple[str, str]], *, sep: str = "") -> None:
    """Append a sentence carrying PII values to a record's text and remember the values."""
    rec["text"] = rec["text"].rstrip() + sep + sentence
    rec["_pii"].extend(values)


def serialise(rec: dict[str, Any]) -> dict[str, Any]:
    """Return the record as written to JSONL: fixed key order, nulls and empty extras omitted."""
    out: dict[str, Any] = {}
    for key in FIELD_ORDER:
        value = rec.get(key)
        if value is None or (key in ("tags", "fields") and not value):
            continue
        if key == "timestamp":
            value = value.isoformat()
        out[key] = value
    return out


DATA_DIR = Path(__file__).resolve().parent / "data"


def load_table(name: str) -> list[dict[str, Any]]:
    """Return a directory table from ``samplegen/data`` (a JSON array of objects)."""
    rows: list[dict[str, Any]] = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
    return rows


# --------------------------------------------------------------------------- time


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0, tz: timezone = CST) -> datetime:
    """Return a fixed timestamp."""
    return datetime(y, m, d, hh, mm, tzinfo=tz)


def on_day(rng: random.Random, day: date, tz: timezone = CST, start: int = 8, end: int = 19) -> datetime:
    """Return a business-hours time on ``day``."""
    hour = rng.randint(start, end)
    return datetime(
        day.year,
        day.month,
        day.day,
        hour,
        rng.choice((0, 5, 10, 12, 18, 20, 25, 30, 36, 40, 45, 50, 55)),
        tzinfo=tz,
    )


def rand_day(rng: random.Random, start: date, end: date) -> date:
    """Return a day in [start, end]."""
    return start + timedelta(days=rng.randint(0, (end - start).days))


def month_key(d: date) -> str:
    """Return ``YYYY-MM``."""
    return f"{d.year:04d}-{d.month:02d}"


def add_months(d: date, n: int) -> date:
    """Return the first day of the month ``n`` months after ``d``'s month."""
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


# --------------------------------------------------------------------------- PII values

CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CN_ID_CHECK = "10X98765432"
CN_AREA_CODES = (
    "330102",
    "330106",
    "330110",
    "330521",
    "330523",
    "330282",
    "330681",
    "320505",
    "320583",
    "310115",
    "340104",
    "330302",
    "330781",
    "321002",
)


def cn_id_check(body17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character of a 17-digit ID body."""
    return CN_ID_CHECK[sum(int(c) * w for c, w in zip(body17, CN_ID_WEIGHTS, strict=True)) % 11]


def cn_id(rng: random.Random, born_from: int = 1962, born_to: int = 1999) -> str:
    """Return an 18-digit resident ID number with a valid checksum."""
    born = date(rng.randint(born_from, born_to), rng.randint(1, 12), rng.randint(1, 28))
    body = f"{rng.choice(CN_AREA_CODES)}{born:%Y%m%d}{rng.randint(10, 999):03d}"
    return body + cn_id_check(body)


def cn_id_invalid(rng: random.Random, born_from: int = 1962, born_to: int = 1999) -> str:
    """Return an 18-digit number shaped like an ID whose checksum is wrong (a non-PII look-alike)."""
    good = cn_id(rng, born_from, born_to)
    wrong = [c for c in "0123456789" if c != good[-1]]
    return good[:-1] + rng.choice(wrong)


def luhn_check_digit(body: str) -> str:
    """Return the Luhn check digit for ``body``."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    """Return whether ``number`` passes the Luhn check."""
    return luhn_check_digit(number[:-1]) == number[-1]


CARD_PREFIXES = (
    ("622202", 19),
    ("622848", 19),
    ("621700", 19),
    ("622588", 16),
    ("623668", 19),
    ("621483", 16),
)


def bank_card(rng: random.Random, prefix: str | None = None, length: int | None = None) -> str:
    """Return a Luhn-valid bank card number (16–19 digits)."""
    if prefix is None or length is None:
        prefix, length = rng.choice(CARD_PREFIXES)
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    return body + luhn_check_digit(body)


def digits_not_luhn(rng: random.Random, length: int, prefix: str = "") -> str:
    """Return a digit string of ``length`` that fails the Luhn check (a non-PII look-alike)."""
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    good = luhn_check_digit(body)
    return body + str((int(good) + rng.randint(1, 9)) % 10)


def cn_mobile(rng: random.Random) -> str:
    """Return an 11-digit mainland mobile number."""
    return (
        rng.choice(
            (
                "138",
                "139",
                "137",
                "135",
                "136",
                "150",
                "151",
                "158",
                "159",
                "186",
                "187",
                "188",
                "189",
                "177",
                "199",
                "133",
                "153",
                "180",
            )
        )
        + f"{rng.randint(0, 99999999):08d}"
    )


def fmt_mobile(rng: random.Random, number: str) -> str:
    """Return the mobile in one of the spellings seen in CRM notes."""
    style = rng.randint(0, 3)
    if style == 0:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if style == 1:
        return f"+86 {number}"
    if style == 2:
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    return number


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(rng: random.Random, area: str = "330523") -> str:
    """Return an 18-character unified social credit code with a valid check character (GB 32100-2015)."""
    org = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    body = rng.choice(("91", "92", "93")) + area + org
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def iban_de(rng: random.Random) -> str:
    """Return a German IBAN with valid check digits (ISO 13616 mod 97)."""
    bban = f"{rng.randint(10000000, 99999999)}{rng.randint(0, 9999999999):010d}"
    numeric = int(bban + "131400")  # D=13, E=14, then "00"
    check = 98 - numeric % 97
    return f"DE{check:02d}{bban}"


def group4(s: str) -> str:
    """Return ``s`` in groups of four characters."""
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4))


# --------------------------------------------------------------------------- text helpers


def compose(
    rng: random.Random, core: list[str], optional: list[str], lo: int = 1, hi: int = 6, sep: str = ""
) -> str:
    """Join the core sentences with a random number of optional ones (total between lo and hi)."""
    want = rng.randint(max(lo, len(core)), max(hi, len(core)))
    extra = rng.sample(optional, min(len(optional), max(0, want - len(core))))
    parts = list(core)
    for s in extra:
        parts.insert(rng.randint(1, len(parts)) if parts else 0, s)
    return sep.join(p for p in parts if p)


def cny(rng: random.Random, amount: float) -> str:
    """Return a CNY amount in one of the ways reps write it."""
    style = rng.randint(0, 3)
    if style == 0:
        return f"¥{amount:,.0f}"
    if style == 1 and amount >= 10000:
        wan = amount / 10000
        return f"{wan:.1f}万元".replace(".0万", "万")
    if style == 2:
        return f"{amount:.0f}元"
    return f"{amount:,.0f}元"


def wan(amount: float) -> str:
    """Return an amount in 万 (ten-thousands) without trailing zeros."""
    v = amount / 10000
    return (f"{v:.1f}" if abs(v - round(v)) > 1e-9 else f"{v:.0f}") + "万"
