"""PII detection: validators, detectors, overlap resolution and the false-positive rate on non-PII numbers."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_crm.errors import ConfigError
from agent_crm.policy.detectors import Detector, PIIMatch
from agent_crm.policy.pii import (
    DETECTORS,
    KINDS,
    cn_id_valid,
    detect,
    iban_valid,
    luhn_valid,
    scan_with,
    select_detectors,
    uscc_valid,
)
from agent_crm.policy.prefilter import TextProfile
from agent_crm.policy.samples import CN_REGIONS, build_bank_card, build_cn_id, build_iban, build_uscc

CORPUS = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "non_pii_numbers.txt"
PROPS = settings(max_examples=200, deadline=None)

births = st.dates(dt.date(1930, 1, 1), dt.date(2012, 12, 31))
cn_ids = st.builds(build_cn_id, st.sampled_from(CN_REGIONS), births, st.integers(0, 999))
cards = st.builds(
    lambda prefix, body: build_bank_card(prefix + body[: 15 - len(prefix)]),
    st.sampled_from(["4", "51", "55", "62", "6222", "35", "6011"]),
    st.text("0123456789", min_size=15, max_size=15),
)


def kinds_of(text: str) -> list[tuple[str, str]]:
    """Return (kind, value) pairs detected in text."""
    return [(m.kind, m.value) for m in detect(text)]


def test_registry_has_the_ten_contract_kinds() -> None:
    """The registry holds exactly the placeholder kinds of the contract."""
    assert set(KINDS) == {
        "CN_ID", "PHONE", "LANDLINE", "EMAIL", "BANK_CARD", "PASSPORT", "USCC", "IBAN", "SSN", "IP"
    }
    assert all(isinstance(d, Detector) and d.kind == k for k, d in DETECTORS.items())


def test_validators_accept_known_good_values() -> None:
    """Published sample values pass their check-digit validators."""
    assert cn_id_valid("11010519491231002X")
    assert cn_id_valid("110105491231002")
    assert luhn_valid("4111111111111111") and luhn_valid("4111 1111 1111 1111")
    assert uscc_valid("91350100M000100Y43") and uscc_valid("91110000600037341L")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and iban_valid("GB82WEST12345698765432")


def test_validators_reject_wrong_check_digits_and_dates() -> None:
    """A wrong check char, an impossible birth date, an unknown region or country fails validation."""
    assert not cn_id_valid("110105194912310021")
    assert not cn_id_valid("110105194902300028")  # 30 February
    assert not cn_id_valid("991050194912310021")
    assert not luhn_valid("4111111111111112")
    assert not uscc_valid("91350100M000100Y44")
    assert not iban_valid("DE89 3704 0044 0532 0130 01")
    assert not iban_valid("ZZ89370400440532013000")


@PROPS
@given(cn_id=cn_ids, pos=st.integers(0, 16), delta=st.integers(1, 9))
def test_any_single_digit_change_breaks_a_cn_id(cn_id: str, pos: int, delta: int) -> None:
    """MOD 11-2 catches every single-digit substitution in the first 17 digits."""
    digit = str((int(cn_id[pos]) + delta) % 10)
    assert cn_id_valid(cn_id)
    assert not cn_id_valid(cn_id[:pos] + digit + cn_id[pos + 1 :])


@PROPS
@given(card=cards, pos=st.integers(0, 15), delta=st.integers(1, 9))
def test_any_single_digit_change_breaks_a_card(card: str, pos: int, delta: int) -> None:
    """Luhn catches every single-digit substitution."""
    digit = str((int(card[pos]) + delta) % 10)
    assert luhn_valid(card)
    assert not luhn_valid(card[:pos] + digit + card[pos + 1 :])


@PROPS
@given(
    head=st.sampled_from(["91", "92", "11", "12", "51", "52", "Y1", "N2"]),
    region=st.sampled_from(["110000", "310115", "440300", "330100"]),
    org=st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
)
def test_generated_usccs_are_detected_exactly(head: str, region: str, org: str) -> None:
    """A built USCC validates and is detected as one USCC span inside Chinese text."""
    code = build_uscc(head, region, org)
    assert uscc_valid(code)
    assert kinds_of(f"统一社会信用代码{code}，请核对") == [("USCC", code)]


@PROPS
@given(
    country=st.sampled_from(["DE", "FR", "ES", "NL", "GB", "IT"]),
    digits=st.text("0123456789", min_size=22, max_size=22),
)
def test_generated_ibans_validate_and_are_detected(country: str, digits: str) -> None:
    """A built IBAN of the registered length passes mod-97 and is detected whole."""
    lengths = {"DE": 22, "FR": 27, "ES": 24, "NL": 18, "GB": 22, "IT": 27}
    bban = (digits * 2)[: lengths[country] - 4]
    if country in {"NL", "GB"}:
        bban = "ABCD" + bban[4:]
    iban = build_iban(country, bban)
    assert iban_valid(iban)
    assert kinds_of(f"IBAN: {iban}.") == [("IBAN", iban)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13812345678联系", [("PHONE", "13812345678")]),
        ("手机：+86 139 1234 5678。", [("PHONE", "+86 139 1234 5678")]),
        ("call 138-1234-5678 or 0086 13912345678",
         [("PHONE", "138-1234-5678"), ("PHONE", "0086 13912345678")]),
        ("电话:13812345678/13912345678", [("PHONE", "13812345678"), ("PHONE", "13912345678")]),
        ("座机0571-88776655转", [("LANDLINE", "0571-88776655")]),
        ("北京(010) 6552 1234，上海021-12345678-801", [("LANDLINE", "(010) 6552 1234"),
                                                      ("LANDLINE", "021-12345678-801")]),
        ("邮箱zhang.san+crm@example.com.cn联系", [("EMAIL", "zhang.san+crm@example.com.cn")]),
        ("身份证号11010519491231002X。", [("CN_ID", "11010519491231002X")]),
        ("旧证110105491231002", [("CN_ID", "110105491231002")]),
        ("卡号6222 0212 3456 7890 128", [("BANK_CARD", "6222 0212 3456 7890 128")]),
        ("card 4111 1111 1111 1111 12/28", [("BANK_CARD", "4111 1111 1111 1111")]),
        ("护照号码：G12345678", [("PASSPORT", "G12345678")]),
        ("证件E12345678已核验", [("PASSPORT", "E12345678")]),
        ("SSN 123-45-6789", [("SSN", "123-45-6789")]),
        ("服务器192.168.1.10宕机", [("IP", "192.168.1.10")]),
        ("addr 2001:db8:85a3::8a2e:370:7334 up", [("IP", "2001:db8:85a3::8a2e:370:7334")]),
        ("全角电话１３８１２３４５６７８联系", [("PHONE", "１３８１２３４５６７８")]),
        ("邮箱ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ。", [("EMAIL", "ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ")]),
    ],
)
def test_detect_finds_pii_in_bilingual_text(text: str, expected: list[tuple[str, str]]) -> None:
    """Each kind is found with its exact span, glued to Chinese characters or in English."""
    assert kinds_of(text) == expected
    for m in detect(text):
        assert text[m.start : m.end] == m.value


@pytest.mark.parametrize(
    "text",
    [
        "SKU-TS-0042-BL", "SO-2026-004512", "金额1,380,000.00元", "2026-11-13 13:45:00", "20261113134501",
        "订单号2026111300451234567", "¥13812345678", "13812345678.00", "合同额13812345678元",
        "PO-13812345678",
        "13812345678-BL", "v1.2.3.4", "版本 10.0.0.1", "time 13:45:00", "MAC 00:1A:2B:3C:4D:5E",
        "G12345678 without a keyword", "000-12-3456", "110105194912310021", "4111111111111112",
        "订单号 4111111111111111", "1381234567", "138123456789",
    ],
)
def test_detect_ignores_non_pii_numbers(text: str) -> None:
    """Identifiers, amounts, dates, versions and invalid checksums produce no match."""
    assert detect(text) == []


def test_order_context_is_overridden_by_a_card_keyword() -> None:
    """A card-like number after 订单 is suppressed, but not when 卡号 is nearer in the window."""
    assert detect("订单号 4111111111111111") == []
    assert kinds_of("订单付款卡号4111111111111111") == [("BANK_CARD", "4111111111111111")]


def test_overlap_keeps_longer_match() -> None:
    """An email containing a mobile wins over the mobile inside it."""
    assert kinds_of("联系13812345678@163.com") == [("EMAIL", "13812345678@163.com")]


def test_overlap_tie_goes_to_the_more_specific_kind() -> None:
    """On equal spans the detector with the lower priority number wins, whatever the registration order."""

    class Broad(Detector):
        kind, priority, patterns = "BROAD", 90, (re.compile(r"[0-9]{6}"),)

    class Narrow(Detector):
        kind, priority, patterns = "NARROW", 1, (re.compile(r"[0-9]{6}"),)

    class Longer(Detector):
        kind, priority, patterns = "LONGER", 99, (re.compile(r"x[0-9]{6}"),)

    assert [m.kind for m in scan_with((Broad(), Narrow()), "id 123456")] == ["NARROW"]
    assert [m.kind for m in scan_with((Narrow(), Broad(), Longer()), "id x123456")] == ["LONGER"]


def test_cn_id_shaped_numbers_are_never_cards() -> None:
    """An ID that also passes Luhn is a CN_ID, and the card detector alone rejects its shape."""
    ids = (build_cn_id("440305", dt.date(1990, 1, 1), seq) for seq in range(300))
    luhn_ids = [i for i in ids if luhn_valid(i)]
    assert luhn_ids, "some IDs must also pass Luhn for this test to mean anything"
    assert kinds_of(f"证件{luhn_ids[0]}") == [("CN_ID", luhn_ids[0])]
    assert detect(f"证件{luhn_ids[0]}", kinds=["BANK_CARD"]) == []


def test_detect_results_are_sorted_and_disjoint() -> None:
    """Matches come back in text order without overlaps."""
    text = "A 13812345678, B zhang@x.cn, C 11010519491231002X, D 0571-88776655, E 10.0.0.1"
    found = detect(text)
    assert [m.kind for m in found] == ["PHONE", "EMAIL", "CN_ID", "LANDLINE", "IP"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_detect_kinds_filter_and_unknown_kind() -> None:
    """Asking for some kinds returns only those; an unknown kind is a ConfigError."""
    text = "电话13812345678 邮箱a@b.cn"
    assert kinds_of_subset(text, ["EMAIL"]) == [("EMAIL", "a@b.cn")]
    with pytest.raises(ConfigError, match="NAME"):
        detect(text, kinds=["NAME"])


def kinds_of_subset(text: str, kinds: list[str]) -> list[tuple[str, str]]:
    """Return (kind, value) pairs for a subset of kinds."""
    return [(m.kind, m.value) for m in detect(text, kinds=kinds)]


def test_detectors_find_works_standalone() -> None:
    """A detector used on its own folds full-width text and reports offsets into the original."""
    text = "电话：１３８-１２３４-５６７８"
    (match,) = DETECTORS["PHONE"].find(text)
    assert match == PIIMatch("PHONE", 3, len(text), "１３８-１２３４-５６７８")


class Ungated(Detector):
    """A wrapper that runs a detector on every text, bypassing its cheap gate."""

    def __init__(self, inner: Detector) -> None:
        self.inner = inner
        self.kind = inner.kind  # type: ignore[misc]
        self.priority = inner.priority  # type: ignore[misc]

    def applies(self, folded: str, profile: TextProfile) -> bool:
        """Always run."""
        return True

    def scan(self, folded: str, original: str) -> Iterator[PIIMatch]:
        """Delegate to the wrapped detector."""
        return self.inner.scan(folded, original)


CORPUS_LINES = [ln for ln in CORPUS.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
PIECES = st.one_of(
    st.sampled_from(CORPUS_LINES),
    cn_ids,
    cards,
    cards.map(lambda c: " ".join(c[i : i + 4] for i in range(0, 16, 4))),
    st.sampled_from(["13812345678", "+86 139 1234 5678", "0571-88776655", "(010) 6552 1234", "123-45-6789",
                     "G12345678", "护照", "a@b.cn", "10.0.0.1", "fe80::1", "91350100M000100Y43",
                     "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "NL91 ABNA 0417 1643 00"]),
    st.text("客户电话：，。 ABCDEGXYZ-()+.0123456789", max_size=12),
)


@PROPS
@given(pieces=st.lists(PIECES, min_size=1, max_size=6), joiner=st.sampled_from(["", " ", "，", "\n"]))
def test_cheap_gates_never_hide_a_match(pieces: list[str], joiner: str) -> None:
    """Detection with the prefilter gates equals detection with every detector forced to run."""
    text = joiner.join(pieces)
    forced = tuple(Ungated(d) for d in select_detectors())
    assert scan_with(select_detectors(), text) == scan_with(forced, text)


def test_non_pii_corpus_false_positive_rate_below_two_percent() -> None:
    """Fewer than 2 % of the ≥300 non-PII lines (orders, amounts, dates, SKUs, bad checksums) fire."""
    lines = CORPUS_LINES
    assert len(lines) >= 300
    fired = [(ln, kinds_of(ln)) for ln in lines if detect(ln)]
    rate = len(fired) / len(lines)
    print(f"\nnon-PII false positives: {len(fired)}/{len(lines)} = {rate:.2%}")
    for line, hits in fired:
        print(f"  fired: {line!r} -> {hits}")
    assert rate < 0.02, f"false-positive rate {rate:.2%}; fired: {fired}"
