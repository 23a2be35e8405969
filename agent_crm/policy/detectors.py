"""The PII detector classes: one per kind, each a precompiled regex plus a validator.

Each detector finds candidates with a regex, then keeps only those a validator accepts (checksums,
birth-date plausibility, Luhn, mod-97), so order numbers, SKUs, amounts, dates and timestamps stay untouched.
Numbers are matched inside Chinese text with no spaces around them, but never as part of a longer run: a
candidate glued to a letter or digit, continuing a number (``2026-…``, ``….00``, ``…:30``) or an identifier
(``SKU-…``, ``…-BL``) is not a match. Detectors scan the text returned by
:func:`agent_crm.policy.prefilter.prepare` (full-width ASCII folded one-for-one when its numbers are
full-width), so offsets always refer to the caller's text. The registry and ``detect`` live in
:mod:`agent_crm.policy.pii`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from agent_crm.policy.checksums import (
    IBAN_LENGTHS,
    cn_id_valid,
    iban_valid,
    iin_plausible,
    looks_like_cn_id,
    luhn_valid,
    org_code_check_char,
    uscc_valid,
)
from agent_crm.policy.prefilter import TextProfile, fold, prepare

__all__ = [
    "BankCardDetector",
    "CNIDDetector",
    "Detector",
    "EmailDetector",
    "IBANDetector",
    "IPDetector",
    "LandlineDetector",
    "PIIMatch",
    "PassportDetector",
    "PhoneDetector",
    "SSNDetector",
    "USCCDetector",
    "fold",
]


@dataclass(frozen=True, slots=True)
class PIIMatch:
    """One piece of personal data found in a text: its kind and its span ``text[start:end] == value``."""

    kind: str
    start: int
    end: int
    value: str


# ---------------------------------------------------------------------------------------------- edges
# Left edge: not glued to a letter/digit or a currency sign, not the tail of a number (2026-, 1., 13:) or
# of an identifier (SKU-, SO_). Right edge: not glued to a letter/digit, not followed by a continuing number
# (-12, .00, :30), an identifier tail (-BL) or an amount unit (元, 万, 亿). Commas and slashes are list
# separators, so "13812345678,13912345678" and "13812345678/13912345678" give two phones.
_L = r"(?<![0-9A-Za-z¥$€£￥])(?<![0-9][-_.:])(?<![A-Za-z][-_])"
_R = r"(?![0-9A-Za-z])(?![-_.:][0-9])(?![-_][A-Za-z])(?![元万亿])"


def _rx(body: str) -> re.Pattern[str]:
    return re.compile(_L + "(?:" + body + ")" + _R)


class Detector:
    """Base of the PII detectors: a kind, a tie-break priority, a cheap gate and a scan of folded text."""

    kind: ClassVar[str] = ""
    """Kind name; the placeholder is built from it (``<PHONE>``)."""
    priority: ClassVar[int] = 50
    """On equally long overlapping matches the lower priority (more specific kind) wins."""
    min_digits: ClassVar[int] = 0
    """Skip texts whose longest digit cluster (``TextProfile.max_digits``) has fewer digits (0: never)."""
    skips_quiet_text: ClassVar[bool] = False
    """True when the kind never occurs in a text without a long digit cluster, an @ or a colon."""
    patterns: ClassVar[tuple[re.Pattern[str], ...]] = ()

    def applies(self, folded: str, profile: TextProfile) -> bool:
        """Tell whether this detector could match at all (cheap; a false "yes" only costs time)."""
        return self.min_digits == 0 or profile.max_digits >= self.min_digits

    def find(self, text: str) -> Iterator[PIIMatch]:
        """Yield this kind's matches in ``text`` (they may overlap matches of other kinds)."""
        folded, profile = prepare(text)
        if self.applies(folded, profile):
            yield from self.scan(folded, text)

    def scan(self, folded: str, original: str) -> Iterator[PIIMatch]:
        """Yield matches found in ``folded`` (output of :func:`fold`), values taken from ``original``."""
        for pattern in self.patterns:
            for m in pattern.finditer(folded):
                if self.accept(m, folded):
                    s, e = m.span()
                    yield PIIMatch(self.kind, s, e, original[s:e])

    def accept(self, m: re.Match[str], folded: str) -> bool:
        """Validate a regex candidate (checksum, date, context); the default accepts every candidate."""
        return True


class _BuiltinDetector(Detector):
    """A built-in kind: every value holds a 6+ character digit cluster, an @ or a colon."""

    skips_quiet_text = True


_STRIP_SEPARATORS = str.maketrans("", "", " -.()")


def _compact(value: str) -> str:
    return value.translate(_STRIP_SEPARATORS)


class CNIDDetector(_BuiltinDetector):
    """PRC resident ID: 18 chars with MOD 11-2 check char and birth date, or the 15-digit legacy form."""

    kind = "CN_ID"
    priority = 10
    min_digits = 15
    patterns = (
        _rx(r"[1-9][0-9]{5}(?P<s> ?)(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9](?P=s)[0-9]{3}[0-9Xx]"),
        _rx(r"[1-9][0-9]{5}[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}"),
    )

    def accept(self, m: re.Match[str], folded: str) -> bool:
        """Keep IDs whose region, birth date and check character are valid."""
        return cn_id_valid(_compact(m.group()))


class USCCDetector(_BuiltinDetector):
    """Unified social credit code (GB 32100): 18 chars with check char; all-digit codes also need GB 11714."""

    kind = "USCC"
    priority = 11
    patterns = (_rx(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"),)

    def applies(self, folded: str, profile: TextProfile) -> bool:
        """Run when 6+ digits touch a capital letter, or on an 18-digit cluster."""
        return profile.upper_adjacent >= 6 or profile.max_digits >= 18

    def accept(self, m: re.Match[str], folded: str) -> bool:
        """Keep codes with a valid check char (and a valid organization-code check when all digits)."""
        code = m.group()
        if not uscc_valid(code):
            return False
        return not code.isdigit() or org_code_check_char(code[8:16]) == code[16]


_CARD_NEGATIVE = re.compile(
    r"订单|单号|编号|流水|运单|快递|物流|发票|合同|批次|序列号|工单|"
    r"(?<![a-z])(?:order|invoice|tracking|ref|sku|serial|s/n|sn|po|so|ticket)(?![a-z])"
)
_CLAUSE_BREAK = re.compile(r"[。；;!?！？\n，,]")
_CARD_POSITIVE = re.compile(r"卡|card|账号|帐号|账户|account|acct|iban")


class BankCardDetector(_BuiltinDetector):
    """Payment card: 13-19 digits, optionally grouped, Luhn-valid with a plausible issuer prefix."""

    kind = "BANK_CARD"
    priority = 20
    min_digits = 13
    patterns = (
        _rx(r"[2-6][0-9]{12,18}"),
        _rx(r"[2-6][0-9]{3}(?P<s>[ \-])[0-9]{4}(?:(?P=s)[0-9]{1,4}){1,3}"),
        _rx(r"3[47][0-9]{2}(?P<s>[ \-])[0-9]{6}(?P=s)[0-9]{4,5}"),
        _rx(r"62[0-9]{4}(?P<s>[ \-])[0-9]{10,13}"),
    )

    def scan(self, folded: str, original: str) -> Iterator[PIIMatch]:
        """Yield valid cards; a failing grouped run is retried without trailing groups (expiry, CVV)."""
        for pattern in self.patterns:
            for m in pattern.finditer(folded):
                start, text = m.start(), m.group()
                sep = m.group("s") if "s" in pattern.groupindex else ""
                groups = text.split(sep) if sep else [text]
                for k in range(len(groups), 0, -1):
                    digits = "".join(groups[:k])
                    if len(digits) < 13:
                        break
                    if self._valid(digits) and not self._order_context(folded, start):
                        end = start + len(sep.join(groups[:k]))
                        yield PIIMatch(self.kind, start, end, original[start:end])
                        break

    @staticmethod
    def _valid(digits: str) -> bool:
        if len(digits) > 19 or not iin_plausible(digits) or not luhn_valid(digits):
            return False
        return not looks_like_cn_id(digits)

    @staticmethod
    def _order_context(folded: str, start: int) -> bool:
        """Tell whether an order/invoice/tracking label, and no card label, precedes in the same clause."""
        window = _CLAUSE_BREAK.split(folded[max(0, start - 16) : start])[-1].lower()
        return _CARD_NEGATIVE.search(window) is not None and _CARD_POSITIVE.search(window) is None


_PASSPORT_KEYWORD = re.compile(r"护照|passport|旅行证", re.IGNORECASE)


class PassportDetector(_BuiltinDetector):
    """Passport number: CN e-passport form (E12345678, EA1234567) always; other forms near a keyword."""

    kind = "PASSPORT"
    priority = 30
    patterns = (_rx(r"[A-Z]{1,2}[0-9]{7,8}|[0-9]{9}"),)
    _strong = re.compile(r"E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}")

    def applies(self, folded: str, profile: TextProfile) -> bool:
        """Run on 7+ digits after a capital letter, or on 9 digits with a passport keyword in the text."""
        if profile.upper_before >= 7:
            return True
        return profile.max_digits >= 9 and ("护照" in folded or "旅行证" in folded or "assport" in folded
                                             or "ASSPORT" in folded)

    def accept(self, m: re.Match[str], folded: str) -> bool:
        """Keep the e-passport form, or any form preceded (within 24 chars) by 护照/passport."""
        if self._strong.fullmatch(m.group()):
            return True
        return _PASSPORT_KEYWORD.search(folded, max(0, m.start() - 24), m.start()) is not None


_INTL_DIGITS = re.compile(r"[0-9]")


class PhoneDetector(_BuiltinDetector):
    """Phone numbers: PRC mobiles (1[3-9]x xxxx xxxx, optional +86/0086/86 prefix, consistent separators),
    international numbers written with a leading + country code (E.164: 8-15 digits, e.g. +49 176 3172745,
    +1 (717) 869-3340), and North-American numbers written with separators ((717) 869-3340, 717-869-3340)."""

    kind = "PHONE"
    priority = 40
    min_digits = 10
    patterns = (
        _rx(r"(?:(?:\+|00)?86[ \-]?|\(\+?86\)[ \-]?)?1[3-9][0-9](?P<s>[ \-.]?)[0-9]{4}(?P=s)[0-9]{4}"),
        _rx(r"\+[1-9][0-9]{0,2}[ \-.]?(?:\(?[0-9]{1,4}\)?[ \-.]?){1,4}[0-9]{2,4}"),
        _rx(r"(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[\-.])[2-9][0-9]{2}[\-.][0-9]{4}"),
    )

    def accept(self, m: re.Match[str], folded: str) -> bool:
        """Keep international candidates with an E.164-plausible digit count (8-15)."""
        if m.re is not self.patterns[1]:
            return True
        value = m.group(0)
        if value.startswith("+86"):
            return False  # PRC numbers: the mobile pattern and the landline detector type them precisely
        return 8 <= len(_INTL_DIGITS.findall(value)) <= 15


_SSN_SHAPE = re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}")
_AREA_START = re.compile(r"(?:^|[ (\-])0[1-9]|86")
_AREA = r"(?:10|2[0-9]|[3-9][0-9]{2})"
_LOCAL = r"[1-9][0-9]{2,3}[ \-]?[0-9]{4}(?:(?:-|转|分机|ext\.? ?|x|#)[0-9]{1,6})?"


class LandlineDetector(_BuiltinDetector):
    """PRC landline: area code (010, 02x, 0xxx) separated from a 7-8 digit number, optional extension."""

    kind = "LANDLINE"
    priority = 41
    patterns = (
        _rx(r"\(0" + _AREA + r"\) ?" + _LOCAL),
        _rx(r"0" + _AREA + r"-" + _LOCAL),
        _rx(r"(?<![0-9] )0" + _AREA + r" " + _LOCAL),  # not the tail of a space-grouped number
        _rx(r"(?:\+|00)86[ \-]?(?:\(0?" + _AREA + r"\) ?|0?" + _AREA + r"[ \-])" + _LOCAL),
    )

    def applies(self, folded: str, profile: TextProfile) -> bool:
        """Run when a 9+ digit cluster has an area code (0 and a non-zero digit, or 86) at a group start."""
        return any(_AREA_START.search(c) for c in profile.clusters)


class SSNDetector(_BuiltinDetector):
    """US social security number ddd-dd-dddd, excluding never-issued areas, groups and serials."""

    kind = "SSN"
    priority = 42
    patterns = (_rx(r"(?!000|666|9[0-9]{2})[0-9]{3}-(?!00)[0-9]{2}-(?!0000)[0-9]{4}"),)

    def applies(self, folded: str, profile: TextProfile) -> bool:
        """Run when a 9+ digit cluster has the ddd-dd-dddd shape."""
        return any(_SSN_SHAPE.search(c) for c in profile.clusters)


class EmailDetector(_BuiltinDetector):
    """E-mail address (ASCII local part and domain, TLD of letters)."""

    kind = "EMAIL"
    priority = 5
    patterns = (
        re.compile(
            # liberal local part (RFC-invalid forms such as a..b@x.cn are still someone's address: mask them)
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@"
            r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
        ),
    )

    def applies(self, folded: str, profile: TextProfile) -> bool:
        """Run when the text has an @."""
        return "@" in folded


class IBANDetector(_BuiltinDetector):
    """IBAN: country, check digits, registered length, compact or in groups of four, mod-97 valid."""

    kind = "IBAN"
    priority = 6
    patterns = (
        re.compile(r"(?<![0-9A-Za-z])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4})+(?: ?[A-Z0-9]{1,3})?(?![0-9A-Za-z])"),
    )

    def applies(self, folded: str, profile: TextProfile) -> bool:
        """Run when 6+ digits follow a capital letter (every BBAN holds such an account number)."""
        return profile.upper_before >= 6

    def scan(self, folded: str, original: str) -> Iterator[PIIMatch]:
        """Yield valid IBANs, cutting a candidate at its country's length (a following code is not eaten)."""
        for m in self.patterns[0].finditer(folded):
            need = IBAN_LENGTHS.get(m.group()[:2])
            if need is None:
                continue
            start, seen, end = m.start(), 0, m.start()
            for i, c in enumerate(m.group()):
                if c != " ":
                    seen += 1
                    if seen == need:
                        end = start + i + 1
                        break
            nxt = folded[end : end + 1]
            if seen == need and not (nxt.isascii() and nxt.isalnum()) and iban_valid(folded[start:end]):
                yield PIIMatch(self.kind, start, end, original[start:end])


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_VERSION_BEFORE = re.compile(
    r"(?:(?<![A-Za-z])(?:version|ver|v|build|release|firmware|rev)\.?|版本号?|固件|升级到|更新到)\s*[:：]?\s*$",
    re.IGNORECASE,
)


class IPDetector(_BuiltinDetector):
    """IP address: IPv4 with octet checks (not a version string) and IPv6 validated by :mod:`ipaddress`."""

    kind = "IP"
    priority = 45
    patterns = (
        re.compile(
            r"(?<![0-9A-Za-z])(?<![0-9]\.)" + _OCTET + r"(?:\." + _OCTET + r"){3}(?![0-9A-Za-z])(?!\.[0-9])"
        ),
    )
    _v6_quick = re.compile(r":[0-9A-Fa-f]{0,4}:")
    _v6 = re.compile(
        r"(?<![0-9A-Za-z:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
        r"(?:(?<=:)(?:[0-9]{1,3}\.){3}[0-9]{1,3})?(?![0-9A-Za-z:])"
    )

    def applies(self, folded: str, profile: TextProfile) -> bool:
        """Run on a cluster with three dots, or on two colons close together."""
        return profile.dots >= 3 or (":" in folded and self._v6_quick.search(folded) is not None)

    def scan(self, folded: str, original: str) -> Iterator[PIIMatch]:
        """Yield IPv4 addresses that are not version numbers, then valid IPv6 addresses."""
        for m in self.patterns[0].finditer(folded) if "." in folded else ():
            s, e = m.span()
            if _VERSION_BEFORE.search(folded, max(0, s - 12), s) or folded.startswith("版", e):
                continue
            yield PIIMatch(self.kind, s, e, original[s:e])
        if self._v6_quick.search(folded) is None:
            return
        for m in self._v6.finditer(folded):
            value = m.group()
            groups = [g for g in re.split(r"[:.]", value) if g]
            if len(groups) < 2 or ("::" not in value and value.count(":") != 7):
                continue
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                continue
            s, e = m.span()
            yield PIIMatch(self.kind, s, e, original[s:e])
