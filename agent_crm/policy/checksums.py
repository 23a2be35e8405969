"""Check digits and plausibility tests behind the PII detectors (pure functions on strings, no I/O).

Every validator takes the compact form of a value (separators removed) and answers with a bool, so the
detectors can reject look-alikes (order numbers, SKUs, timestamps) that have the right shape but the wrong
arithmetic.
"""

from __future__ import annotations

import datetime as _dt

__all__ = [
    "CN_REGION_PREFIXES",
    "IBAN_LENGTHS",
    "USCC_ALPHABET",
    "cn_id_check_char",
    "cn_id_valid",
    "iban_valid",
    "iin_plausible",
    "looks_like_cn_id",
    "luhn_check_digit",
    "luhn_valid",
    "org_code_check_char",
    "plausible_date",
    "uscc_check_char",
    "uscc_valid",
]

CN_REGION_PREFIXES = frozenset(
    str(n)
    for n in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51,
              52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91)
)
"""First two digits of a PRC administrative division code (provinces, HK/MO/TW permits, 91 = foreigners)."""

_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100-2015 (no I, O, S, V, Z)."""
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}
"""IBAN length per country (SWIFT IBAN registry)."""


def plausible_date(year: int, month: int, day: int) -> bool:
    """Tell whether a birth date exists on the calendar and lies in 1900-2099 (no clock: deterministic)."""
    if not 1900 <= year <= 2099:
        return False
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True


def cn_id_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character of the first 17 digits of a PRC resident ID."""
    total = sum(int(c) * w for c, w in zip(first17, _CN_ID_WEIGHTS, strict=True))
    return _CN_ID_CHECK[total % 11]


def cn_id_valid(value: str) -> bool:
    """Validate a PRC resident ID: 18 chars with region, birth date and check char, or 15 legacy digits."""
    if len(value) == 18:
        head, check = value[:17], value[17].upper()
        if not head.isascii() or not head.isdigit() or value[:2] not in CN_REGION_PREFIXES:
            return False
        if not plausible_date(int(value[6:10]), int(value[10:12]), int(value[12:14])):
            return False
        return cn_id_check_char(head) == check
    if len(value) == 15 and value.isascii() and value.isdigit():
        if value[:2] not in CN_REGION_PREFIXES:
            return False
        return plausible_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    return False


def looks_like_cn_id(digits: str) -> bool:
    """Tell whether 18 digits have a PRC region prefix and a birth date in place (checksum not looked at)."""
    if len(digits) != 18 or digits[:2] not in CN_REGION_PREFIXES:
        return False
    return plausible_date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))


def luhn_check_digit(partial: str) -> str:
    """Return the Luhn digit that makes ``partial + digit`` valid."""
    total = 0
    for i, c in enumerate(reversed(partial)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """Validate a Luhn (mod 10) number; spaces and dashes are ignored, anything else fails."""
    digits = number.replace(" ", "").replace("-", "")
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def iin_plausible(digits: str) -> bool:
    """Tell whether a card number's issuer prefix fits its length (Visa, Mastercard, Amex, UnionPay, ...)."""
    n, first = len(digits), digits[0]
    if n == 13:
        return first == "4"
    if n in (14, 15):
        return first == "3"
    if n == 16:
        return first in "3456" or 2221 <= int(digits[:4]) <= 2720
    return 17 <= n <= 19 and first in "3456"


def org_code_check_char(first8: str) -> str:
    """Return the GB 11714 check character of an 8-character organization code."""
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character of the first 17 characters of a unified social credit code."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_valid(code: str) -> bool:
    """Validate an 18-character unified social credit code (alphabet, region digits, GB 32100 check char)."""
    if len(code) != 18 or any(c not in _USCC_VALUE for c in code):
        return False
    if not code[2:8].isdigit():
        return False
    return uscc_check_char(code[:17]) == code[17]


def iban_valid(iban: str) -> bool:
    """Validate an IBAN (spaces ignored): known country, registered length, ISO 7064 mod-97 remainder 1."""
    compact = iban.replace(" ", "").upper()
    if len(compact) != IBAN_LENGTHS.get(compact[:2], -1) or not compact.isascii() or not compact.isalnum():
        return False
    if not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    remainder = 0
    for c in rearranged:
        remainder = (remainder * (100 if c.isalpha() else 10) + int(c, 36)) % 97
    return remainder == 1
