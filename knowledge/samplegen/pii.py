"""Sprinkle personal data (and look-alike non-personal numbers) into record texts so redaction is exercised.

Each planter looks at the record (channel, direction) and returns ``None`` when its sentence would not fit
there, so the personal data always reads like something a rep or customer would really write. Every planted
value is remembered on the record (``_pii``) so the generator can write a manifest.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from typing import Any

from samplegen.common import (
    add_pii,
    bank_card,
    cn_id,
    cn_id_invalid,
    cn_mobile,
    digits_not_luhn,
    fmt_mobile,
    group4,
    iban_de,
)

Planted = tuple[str, list[tuple[str, str]]]
Planter = Callable[[random.Random, dict[str, Any]], Planted | None]

_MAIL_USERS = (
    "zhangwei",
    "sbk_office",
    "lily.chen",
    "wangxm",
    "hr2021",
    "caigou",
    "finance.dept",
    "qiuyue88",
    "yang.fan",
    "ortho_ward",
    "lab.kq",
    "happy_mom",
    "linjia",
)
_MAIL_HOSTS = ("163.com", "126.com", "qq.com", "sina.com", "foxmail.com", "139.com")


def cn_email(rng: random.Random) -> str:
    """Return a mainland-style e-mail address."""
    if rng.random() < 0.35:
        return f"{rng.randint(10000000, 2999999999)}@qq.com"
    return f"{rng.choice(_MAIL_USERS)}{rng.choice(('', str(rng.randint(1, 99))))}@{rng.choice(_MAIL_HOSTS)}"


def _who(rec: dict[str, Any], default: str = "对方") -> str:
    return str(rec.get("contact_name") or default)


def _ch(rec: dict[str, Any], *channels: str) -> bool:
    return rec["channel"] in channels


def _phone(rng: random.Random) -> str:
    return fmt_mobile(rng, cn_mobile(rng))


def _card(rng: random.Random) -> str:
    card = bank_card(rng)
    return group4(card) if rng.random() < 0.4 else card


# ---------------------------------------------------------------------------------------------- medtech


def med_phone(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant a contact's mobile number in a call, visit, meeting or ticket."""
    if not _ch(rec, "call", "note", "meeting", "ticket", "chat"):
        return None
    p = _phone(rng)
    return rng.choice(
        [
            f"{_who(rec)}说以后急诊直接打他手机{p}。",
            f"（{_who(rec)}手机 {p}）",
            f"库房新的对接人电话{p}，已存通讯录。",
            f"回电请打{p}，科室座机经常没人接。",
        ]
    ), [("PHONE", p)]


def med_email(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant an e-mail address where documents are sent."""
    if not _ch(rec, "call", "meeting", "note", "ticket", "email"):
        return None
    m = cn_email(rng)
    return rng.choice([f"资料已发到{m}。", f"{_who(rec)}让以后的对账单发到{m}。", f"对方邮箱：{m}"]), [
        ("EMAIL", m)
    ]


def med_id(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant an engineer's resident ID (hospitals register surgery-support staff by ID)."""
    if not _ch(rec, "call", "note", "ticket"):
        return None
    n = cn_id(rng, 1985, 1999)
    return rng.choice(
        [
            f"医院要求跟台人员实名备案，已报孙浩的身份证号{n}。",
            f"新来的跟台工程师身份证{n}，手术室门禁卡在办。",
        ]
    ), [("CN_ID", n)]


def med_card(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant a rep's personal card number in an internal expense remark."""
    if not (_ch(rec, "note", "ticket") and rec.get("author")):
        return None
    c = _card(rng)
    return rng.choice(
        [
            f"{rec['author']}垫付的加急配送费走个人报销，卡号{c}。",
            f"临时叫的闪送费用由{rec['author']}先垫，报销卡号{c}。",
        ]
    ), [("BANK_CARD", c)]


# ---------------------------------------------------------------------------------------------- ruralbank


def rb_phone(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant a borrower's or guarantor's mobile number."""
    if rec.get("author") in ("收单系统", "信贷核心系统"):
        return None
    p = _phone(rng)
    if _ch(rec, "application") or "担保" in (rec.get("subject") or ""):
        return rng.choice([f"担保人电话{p}。", f"共同还款人（配偶）手机{p}。"]), [("PHONE", p)]
    return rng.choice(
        [
            f"{_who(rec, '客户')}换了新手机号{p}，已更新系统。",
            f"（{_who(rec, '客户')}手机 {p}）",
            f"回电请打{p}。",
        ]
    ), [("PHONE", p)]


def rb_id(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant a resident ID in an application, visit or guarantee note."""
    if not _ch(rec, "application", "note", "ticket") or rec.get("author") in ("收单系统",):
        return None
    n = cn_id(rng)
    if "担保" in (rec.get("subject") or ""):
        return f"保证人身份证号{n}，已核对原件。", [("CN_ID", n)]
    return rng.choice([f"{_who(rec, '客户')}身份证号{n}，已核对原件。", f"登记证件号码{n}。"]), [("CN_ID", n)]


def rb_card(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant a debit card number where banks really write one down."""
    c = _card(rng)
    if rec.get("author") == "收单系统":
        return f"收单结算卡{c}。", [("BANK_CARD", c)]
    if _ch(rec, "application"):
        return f"放款账户{c}。", [("BANK_CARD", c)]
    if _ch(rec, "payment"):
        return f"扣款账户{c}。", [("BANK_CARD", c)]
    if _ch(rec, "ticket"):
        return f"款项已原路退回至{c}。", [("BANK_CARD", c)]
    if _ch(rec, "note", "call"):
        return f"{_who(rec, '客户')}新办了借记卡{c}，已签约自动还款。", [("BANK_CARD", c)]
    return None


def rb_email(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant an e-mail address for electronic statements."""
    if not _ch(rec, "note", "call") or rec.get("author") == "收单系统":
        return None
    m = cn_email(rng)
    return f"{_who(rec, '客户')}要求电子对账单发到{m}。", [("EMAIL", m)]


# ---------------------------------------------------------------------------------------------- eduspring


def edu_phone(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant a parent's (or advisor's) mobile number."""
    p = _phone(rng)
    if _ch(rec, "chat") and rec["direction"] == "outbound" and "续报" in (rec.get("subject") or ""):
        return f"有问题直接打我电话{p}。", [("PHONE", p)]
    if (_ch(rec, "chat", "call", "ticket") and rec["direction"] != "outbound") or _ch(rec, "call"):
        return rng.choice(
            [f"家长新手机号{p}，已更新。", f"（{_who(rec, '家长')}手机 {p}）", f"回电请打{p}。"]
        ), [("PHONE", p)]
    return None


def edu_email(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant an e-mail address for invoices."""
    m = cn_email(rng)
    if _ch(rec, "payment"):
        return f"电子发票已发送至{m}。", [("EMAIL", m)]
    if _ch(rec, "chat") and rec["direction"] == "inbound":
        return f"\n{_who(rec, '家长')}：发票麻烦发到{m}，谢谢。", [("EMAIL", m)]
    return None


def edu_id(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant a student's resident ID (insurance or contest sign-up)."""
    n = cn_id(rng, 2013, 2019)
    if _ch(rec, "chat") and rec["direction"] == "inbound":
        return f"\n{_who(rec, '家长')}：孩子身份证号{n}，报名竞赛用。", [("CN_ID", n)]
    if _ch(rec, "payment"):
        return f"学员意外险登记身份证号{n}。", [("CN_ID", n)]
    return None


def edu_card(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
    """Plant a card number in a refund request or a card payment."""
    c = _card(rng)
    if _ch(rec, "ticket"):
        return f"家长留的退款卡号：{c}。", [("BANK_CARD", c)]
    if _ch(rec, "payment") and "POS" in rec["text"]:
        return f"刷卡卡号{c}。", [("BANK_CARD", c)]
    return None


ZH_PLANTERS: dict[str, list[tuple[Planter, int]]] = {
    "medtech": [(med_phone, 5), (med_email, 3), (med_id, 2), (med_card, 1)],
    "ruralbank": [(rb_phone, 4), (rb_id, 4), (rb_card, 4), (rb_email, 1)],
    "eduspring": [(edu_phone, 5), (edu_email, 3), (edu_id, 2), (edu_card, 2)],
}


def sprinkle(
    rng: random.Random,
    records: list[dict[str, Any]],
    planters: list[tuple[Planter, int]],
    *,
    ratio: float = 0.10,
    protect: set[int] | None = None,
    sep: str = "",
) -> None:
    """Append PII sentences to about ``ratio`` of the records (counting those already carrying PII)."""
    protect = protect or set()
    need = max(0, round(ratio * len(records)) - sum(1 for r in records if r["_pii"]))
    eligible = [r for r in records if not r["_pii"] and id(r) not in protect]
    rng.shuffle(eligible)
    for rec in eligible:
        if need <= 0:
            break
        order = rng.choices([p for p, _ in planters], weights=[w for _, w in planters], k=len(planters))
        for planter in order + [p for p, _ in planters]:
            got = planter(rng, rec)
            if got:
                sentence, values = got
                first, nl, rest = rec["text"].partition("\n")
                if sep == " " and nl and not sentence.startswith("\n"):
                    rec["text"] = f"{first.rstrip()} {sentence}\n{rest}"
                    rec["_pii"].extend(values)
                else:
                    add_pii(rec, sentence, values, sep="" if sentence.startswith("\n") else sep)
                need -= 1
                break


_BAD_ID = {
    "medtech": ("ticket", "跟台人员备案表上的身份证号{x}校验不通过，已让孙浩重新核对。"),
    "ruralbank": ("application", "登记的身份证号{x}校验不通过，已让对方重新提供。"),
    "eduspring": ("payment", "保险登记时孩子的身份证号{x}校验不通过，已请家长重新发。"),
}


def lookalike_zh(rng: random.Random, rec: dict[str, Any], kind: str) -> str | None:
    """Return a sentence with a non-personal number resembling PII that fits the record, or None."""
    ch = rec["channel"]
    options: list[str] = []
    if ch in ("order", "payment"):
        options.append(f"电子发票号码{rng.randint(10**19, 10**20 - 1)}。")
    if ch == "payment":
        options += [
            f"交易流水号{digits_not_luhn(rng, 16, '2026')}。",
            f"凭证号{digits_not_luhn(rng, 19, '6222')}（内部凭证，非卡号）。",
        ]
    if ch == "order":
        options += [
            f"货号{rng.choice(('13', '15', '18'))}{rng.randint(10**7, 10**8 - 1)}。",
            f"快递单号SF{rng.randint(10**12, 10**13 - 1)}。",
        ]
    if ch == "ticket":
        options.append(f"补发快递单号SF{rng.randint(10**12, 10**13 - 1)}。")
    bad_channel, sentence = _BAD_ID[kind]
    if ch == bad_channel:
        years = (2013, 2019) if kind == "eduspring" else (1962, 1999)
        options.append(sentence.format(x=cn_id_invalid(rng, *years)))
    return rng.choice(options) if options else None


def lookalikes_zh(
    rng: random.Random, records: list[dict[str, Any]], count: int, kind: str, protect: set[int] | None = None
) -> None:
    """Append non-personal numbers that resemble PII (invoice numbers, serials, codes) to some records."""
    protect = protect or set()
    eligible = [r for r in records if not r["_pii"] and id(r) not in protect]
    rng.shuffle(eligible)
    for rec in eligible:
        if count <= 0:
            break
        sentence = lookalike_zh(rng, rec, kind)
        if sentence:
            rec["text"] = rec["text"].rstrip() + sentence
            count -= 1


def sprinkle_zh(
    rng: random.Random, records: list[dict[str, Any]], kind: str, protect: set[int] | None = None
) -> None:
    """Plant PII in ~10 % of a Chinese tenant's records, plus a few look-alike numbers."""
    sprinkle(rng, records, ZH_PLANTERS[kind], protect=protect)
    lookalikes_zh(rng, records, max(6, len(records) // 25), kind, protect=protect)


# ---------------------------------------------------------------------------------------------- shopglobal


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def en_planters() -> list[tuple[Planter, int]]:
    """Return the English planters (shopglobal)."""

    def email(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
        if rec["direction"] != "inbound" or not _ch(rec, "chat", "ticket", "email", "return"):
            return None
        name = _ascii(str(rec.get("contact_name") or "buyer")).lower()
        local = name.replace(" ", rng.choice((".", "_", ""))).replace("'", "")
        host = rng.choice(("gmail.com", "outlook.com", "yahoo.com", "gmx.de", "icloud.com"))
        mail = f"{local}{rng.choice(('', str(rng.randint(1, 99))))}@{host}"
        return rng.choice(
            [
                f"Please reply to {mail} instead, I don't check the other inbox.",
                f"(alt email: {mail})",
                f"You can also reach me at {mail}.",
            ]
        ), [("EMAIL", mail)]

    def phone(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
        if rec["direction"] != "inbound" or not _ch(rec, "chat", "ticket", "email", "return"):
            return None
        num = f"+1 ({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
        if rec["region"] == "EU":
            num = f"+49 {rng.randint(151, 179)} {rng.randint(1000000, 9999999)}"
        elif rec["region"] == "SEA":
            num = f"+65 {rng.randint(8000, 9999)} {rng.randint(1000, 9999)}"
        return rng.choice(
            [
                f"Best number to reach me is {num}.",
                f"Courier can call {num} on arrival.",
                f"Call me on {num} if anything is unclear.",
            ]
        ), [("PHONE", num)]

    def card(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
        if not _ch(rec, "chat", "ticket") or rec["direction"] != "inbound":
            return None
        num = bank_card(rng, rng.choice(("4", "51", "55")), 16)
        shown = group4(num) if rng.random() < 0.5 else num
        if _ch(rec, "chat"):
            lines = rec["text"].split("\n")
            customer = lines[0].split(":")[0] if ":" in lines[0] else "Customer"
            agent = lines[1].split(":")[0] if len(lines) > 1 and ":" in lines[1] else "Agent"
            return (
                f"\n{customer}: my card is {shown} if you need it\n{agent}: Please never share card numbers "
                "here, I've masked it on our side."
            ), [("BANK_CARD", shown)]
        if (rec["fields"].get("topic") or "") != "payment":
            return None
        return f"Card used: {shown}.", [("BANK_CARD", shown)]

    def iban(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
        if rec["region"] != "EU" or not _ch(rec, "return", "email") or rec["direction"] != "inbound":
            return None
        num = iban_de(rng)
        shown = group4(num) if rng.random() < 0.5 else num
        return f"If a card refund isn't possible, please transfer to IBAN {shown}.", [("IBAN", shown)]

    def ip(rng: random.Random, rec: dict[str, Any]) -> Planted | None:
        if not _ch(rec, "ticket"):
            return None
        octets = [rng.choice((73, 81, 94, 103, 185))] + [rng.randint(1, 254) for _ in range(3)]
        addr = ".".join(str(o) for o in octets)
        return f"Fraud check: order placed from IP {addr}.", [("IP", addr)]

    return [(email, 6), (phone, 4), (card, 2), (iban, 1), (ip, 1)]
