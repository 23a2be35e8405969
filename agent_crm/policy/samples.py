"""Build valid synthetic PII values (check digits computed) for tests, benchmarks and demo data.

The builders are pure: callers choose the parts (random or fixed), the builder adds the check digits, so a
value passes the same validators the detectors use. None of this is anyone's real data.
"""

from __future__ import annotations

import datetime as _dt

from agent_crm.policy.checksums import (
    USCC_ALPHABET,
    cn_id_check_char,
    luhn_check_digit,
    org_code_check_char,
    uscc_check_char,
)

__all__ = ["CN_REGIONS", "build_bank_card", "build_cn_id", "build_cn_id_legacy", "build_iban", "build_uscc"]

CN_REGIONS = (
    "110105", "310104", "440305", "330106", "510107", "320102", "420106", "610113", "370202", "500103",
)
"""A few real county-level division codes (Beijing Chaoyang, Shanghai Xuhui, Shenzhen Nanshan, ...)."""


def build_cn_id(region: str, birth: _dt.date, seq: int) -> str:
    """Return an 18-character resident ID for a 6-digit region, a birth date and a 3-digit sequence number."""
    head = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return head + cn_id_check_char(head)


def build_cn_id_legacy(region: str, birth: _dt.date, seq: int) -> str:
    """Return a 15-digit legacy resident ID (born 1900-1999; no check digit)."""
    return f"{region}{birth:%y%m%d}{seq % 1000:03d}"


def build_bank_card(partial: str) -> str:
    """Return ``partial`` (issuer prefix and account digits) completed with its Luhn check digit."""
    return partial + luhn_check_digit(partial)


def build_uscc(head: str, region: str, org8: str) -> str:
    """Return a unified social credit code from a 2-char authority/category head, region and 8-char org code.

    Both check characters are computed: the organization code's (GB 11714) and the code's own (GB 32100).
    """
    if any(c not in USCC_ALPHABET for c in head + org8):
        raise ValueError("USCC characters must come from the GB 32100 alphabet")
    first17 = f"{head}{region}{org8}{org_code_check_char(org8)}"
    return first17 + uscc_check_char(first17)


def build_iban(country: str, bban: str) -> str:
    """Return the compact IBAN for a country code and a BBAN, with its mod-97 check digits."""
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"
