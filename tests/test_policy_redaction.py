"""PII redaction: property tests over generated PII in bilingual filler, record redaction and the pipeline."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_crm.errors import ConfigError
from agent_crm.logs import configure_logging, get_logger
from agent_crm.policy.redaction import (
    PolicyPipeline,
    RecordPolicy,
    RecordRedactor,
    Redactor,
    default_pipeline,
    redact_text,
)
from agent_crm.policy.samples import (
    CN_REGIONS,
    build_bank_card,
    build_cn_id,
    build_cn_id_legacy,
    build_iban,
    build_uscc,
)
from agent_crm.types import Interaction

PROPS = settings(max_examples=200, deadline=None)
DIGITS = "0123456789"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Filler never contains digits, amount units (元万亿 end a number as an amount by design) or order-context
# words (订单, 单号, order, ...), which by design keep a card-like number from being read as a card.
CJK = (
    "客户联系电话请您尽快回复谢谢我们的产品价格已经确认方案会议"
    "张王李经理总监明天上午下午沟通需求采购意向地址"
)
WORDS = ["please", "call", "contact", "the", "customer", "about", "renewal", "thanks", "meeting", "tomorrow",
         "price", "quote", "email", "me", "at", "Mr", "Zhang", "Li"]
OPEN = ["", " ", "：", ":", "，", "(", "（", "\n", '"', "【", "、"]
CLOSE = ["", " ", "，", "。", ".", ")", "）", "!", "?", ";", "】", "\n", "、"]

cjk_text = st.text(CJK, max_size=12)
english = st.lists(st.sampled_from(WORDS), max_size=5).map(" ".join)
left_filler = st.one_of(cjk_text, english.map(lambda s: s + " " if s else s))
right_filler = st.one_of(cjk_text, english.map(lambda s: " " + s if s else s))


def digits_of(value: str) -> str:
    """Return the value with every non-alphanumeric character removed."""
    return re.sub(r"[^0-9A-Za-z]", "", value)


@st.composite
def mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """Draw a CN mobile in one of many written formats."""
    number = "1" + draw(st.sampled_from("3456789")) + draw(st.text(DIGITS, min_size=9, max_size=9))
    sep = draw(st.sampled_from(["", " ", "-", "."]))
    body = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    prefix = draw(st.sampled_from(["", "", "+86", "+86 ", "+86-", "0086 ", "0086", "86-", "(+86)", "(+86) "]))
    return "PHONE", prefix + body


@st.composite
def cn_ids(draw: st.DrawFn) -> tuple[str, str]:
    """Draw an 18-char resident ID (either case of X) or a 15-digit legacy one."""
    region = draw(st.sampled_from(CN_REGIONS))
    seq = draw(st.integers(0, 999))
    if draw(st.booleans()):
        value = build_cn_id(region, draw(st.dates(dt.date(1930, 1, 1), dt.date(2015, 12, 31))), seq)
        return "CN_ID", value.lower() if draw(st.booleans()) else value
    birth = draw(st.dates(dt.date(1930, 1, 1), dt.date(1999, 12, 31)))
    return "CN_ID", build_cn_id_legacy(region, birth, seq)


@st.composite
def bank_cards(draw: st.DrawFn) -> tuple[str, str]:
    """Draw a Luhn-valid card (Visa, Mastercard, UnionPay, JCB; 16 or 19 digits), compact or grouped."""
    prefix = draw(st.sampled_from(["4", "51", "55", "62", "6222", "6228", "35", "2221"]))
    length = 19 if prefix.startswith("62") and draw(st.booleans()) else 16
    card = build_bank_card(prefix + draw(st.text(DIGITS, min_size=length - 1 - len(prefix),
                                                 max_size=length - 1 - len(prefix))))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return "BANK_CARD", sep.join(card[i : i + 4] for i in range(0, len(card), 4)) if sep else card


@st.composite
def emails(draw: st.DrawFn) -> tuple[str, str]:
    """Draw an e-mail address with dotted local part and a common TLD."""
    local = draw(st.from_regex(r"[a-z][a-z0-9_]{0,10}(\.[a-z0-9]{1,6})?", fullmatch=True))
    domain = draw(st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True))
    tld = draw(st.sampled_from(["com", "cn", "com.cn", "net", "org", "io", "co.uk"]))
    return "EMAIL", f"{local}@{domain}.{tld}"


@st.composite
def usccs(draw: st.DrawFn) -> tuple[str, str]:
    """Draw a unified social credit code with both check characters."""
    head = draw(st.sampled_from(["91", "92", "93", "11", "12", "51", "52", "Y1"]))
    region = draw(st.sampled_from(["110000", "310115", "440300", "330100", "510100"]))
    return "USCC", build_uscc(head, region, draw(st.text(USCC_CHARS, min_size=8, max_size=8)))


@st.composite
def ibans(draw: st.DrawFn) -> tuple[str, str]:
    """Draw an IBAN of a European country, compact or in groups of four."""
    country, bank, n_digits = draw(st.sampled_from([
        ("DE", "", 18), ("FR", "", 23), ("ES", "", 20),
        ("NL", "ABNA", 10), ("GB", "WEST", 14), ("IT", "X", 22),
    ]))
    iban = build_iban(country, bank + draw(st.text(DIGITS, min_size=n_digits, max_size=n_digits)))
    grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return "IBAN", grouped if draw(st.booleans()) else iban


@st.composite
def landlines(draw: st.DrawFn) -> tuple[str, str]:
    """Draw a CN landline with area code in dash, bracket or +86 form."""
    area = draw(st.sampled_from(["010", "021", "020", "0571", "0755", "028"]))
    local = draw(st.sampled_from("2345678")) + draw(st.text(DIGITS, min_size=7, max_size=7))
    forms = ["{a}-{l}", "({a}){l}", "({a}) {l4} {r4}", "+86 {a0} {l4} {r4}", "{a}-{l}-801"]
    form = draw(st.sampled_from(forms))
    return "LANDLINE", form.format(a=area, a0=area[1:], l=local, l4=local[:4], r4=local[4:])


pii_values = st.one_of(mobiles(), cn_ids(), bank_cards(), emails(), usccs(), ibans(), landlines())


@PROPS
@given(item=pii_values, left=left_filler, right=right_filler, open_=st.sampled_from(OPEN),
       close=st.sampled_from(CLOSE))
def test_embedded_pii_never_survives_redaction(
    item: tuple[str, str], left: str, right: str, open_: str, close: str
) -> None:
    """A generated value inside Chinese/English filler becomes its typed placeholder, digits and all."""
    kind, value = item
    text = f"{left}{open_}{value}{close}{right}"
    out, counts = Redactor().redact_with_report(text)
    assert value not in out
    if kind != "EMAIL":
        assert digits_of(value) not in digits_of(out)
    assert f"<{kind}>" in out
    assert counts == {kind: 1}
    assert redact_text(out) == out, "redaction must be idempotent"


@PROPS
@given(
    items=st.lists(pii_values, min_size=2, max_size=4),
    gaps=st.lists(st.sampled_from(["，", "; ", " 和 ", "、", " and "]), min_size=4, max_size=4),
)
def test_several_values_in_one_text_are_all_counted(items: list[tuple[str, str]], gaps: list[str]) -> None:
    """Several PII values in one text are each replaced and counted under their kind."""
    text = "客户资料：" + "".join(f"{value}{gap}" for (_, value), gap in zip(items, gaps, strict=False))
    out, counts = Redactor().redact_with_report(text)
    expected: dict[str, int] = {}
    for kind, value in items:
        expected[kind] = expected.get(kind, 0) + 1
        assert value not in out
    assert counts == expected


def test_redactor_kinds_and_placeholder_are_configurable() -> None:
    """Only the configured kinds are replaced, with the configured placeholder format."""
    text = "电话13812345678，邮箱li@example.cn"
    assert Redactor(kinds=["EMAIL"], placeholder="[{kind}]")(text) == "电话13812345678，邮箱[EMAIL]"
    assert Redactor(placeholder="***")(text) == "电话***，邮箱***"
    assert Redactor()(text) == "电话<PHONE>，邮箱<EMAIL>"


@pytest.mark.parametrize(
    ("kwargs", "needle"), [({"kinds": ["NAME"]}, "NAME"), ({"placeholder": "<{name}>"}, "name")]
)
def test_redactor_rejects_bad_config(kwargs: dict[str, object], needle: str) -> None:
    """An unknown kind or a placeholder with unknown fields is a ConfigError."""
    with pytest.raises(ConfigError, match=needle):
        Redactor(**kwargs)  # type: ignore[arg-type]


def test_text_without_pii_is_returned_unchanged() -> None:
    """Text with numbers but no PII comes back as the very same string."""
    text = "订单SO-2026-004512金额¥1,380,000.00，交期2026-11-13 13:45，SKU-TS-0042-BL"
    assert redact_text(text) is text


def test_log_processor_redacts_every_event_string() -> None:
    """Logs configured with redact_text never contain the PII passed in event values."""
    buf = io.StringIO()
    try:
        configure_logging(level="INFO", fmt="json", redactor=redact_text, stream=buf)
        get_logger("test").info("客户13812345678来电", email="wang@example.com", ids=["11010519491231002X"])
    finally:
        structlog.reset_defaults()
    event = json.loads(buf.getvalue())
    assert event["event"] == "客户<PHONE>来电"
    assert event["email"] == "<EMAIL>" and event["ids"] == ["<CN_ID>"]


def make_record(**over: object) -> Interaction:
    """Build an interaction full of PII in its free-text parts."""
    base: dict[str, object] = {
        "id": "rec-13812345678",
        "tenant": "acme",
        "customer_id": "C-0571-88776655",
        "channel": "call",
        "timestamp": dt.datetime(2026, 11, 13, 9, 30, tzinfo=dt.UTC),
        "author": "li.lei@acme.cn",
        "subject": "回电 13912345678",
        "text": "张主任手机13812345678，身份证11010519491231002X，邮箱zhang@hospital.cn。",
        "amount": 13812345678.0,
        "tags": ("13812345678",),
        "content_hash": "abc",
        "fields": {
            "status": "open",
            "pos_monthly_flow": 1380000,
            "mobile_as_int": 13812345678,
            "contact": {"phone": "+86 138 1234 5678", "history": ["a@b.cn", ("card 4111111111111111", 3)]},
            "ok": True,
        },
    }
    base.update(over)
    return Interaction.model_validate(base)


def test_record_redactor_cleans_text_subject_author_and_nested_fields() -> None:
    """Text, subject, author and strings at any depth of fields are redacted; containers keep their types."""
    rec = make_record()
    out = RecordRedactor()(rec)
    assert out.text == "张主任手机<PHONE>，身份证<CN_ID>，邮箱<EMAIL>。"
    assert out.subject == "回电 <PHONE>" and out.author == "<EMAIL>"
    assert out.fields == {
        "status": "open",
        "pos_monthly_flow": 1380000,
        "mobile_as_int": "<PHONE>",
        "contact": {"phone": "<PHONE>", "history": ["<EMAIL>", ("card <BANK_CARD>", 3)]},
        "ok": True,
    }
    assert rec.text.startswith("张主任手机138"), "the input record is not modified"


def test_record_redactor_leaves_ids_channel_time_amount_alone() -> None:
    """Ids, customer, channel, timestamp, amount, tags and content hash are copied unchanged."""
    rec = make_record()
    out, counts = RecordRedactor().redact_with_report(rec)
    keep = ("id", "tenant", "customer_id", "channel", "timestamp", "amount", "tags", "content_hash", "source")
    assert {k: getattr(out, k) for k in keep} == {k: getattr(rec, k) for k in keep}
    assert out is not rec
    assert counts == {"PHONE": 4, "CN_ID": 1, "EMAIL": 3, "BANK_CARD": 1}


def test_record_without_pii_is_returned_as_is() -> None:
    """A record with nothing to redact is the same object (no copy)."""
    rec = make_record(author="Li Lei", subject="回电", text="客户要求下周报价。", fields={"status": "open"})
    assert RecordRedactor()(rec) is rec


def test_pipeline_runs_steps_in_order() -> None:
    """Steps run in the order given, each seeing the previous step's output."""
    seen: list[str] = []

    def tag(label: str) -> RecordPolicy:
        def step(rec: Interaction) -> Interaction:
            seen.append(f"{label}:{rec.text}")
            return rec.model_copy(update={"text": f"{rec.text}[{label}]"})

        return step

    pipe = PolicyPipeline([RecordRedactor(), tag("A"), tag("B")])
    out = pipe(make_record(text="电话13812345678"))
    assert out.text == "电话<PHONE>[A][B]"
    assert seen == ["A:电话<PHONE>", "B:电话<PHONE>[A]"]


def test_pipeline_then_returns_a_new_pipeline() -> None:
    """then() appends steps to a copy; the default pipeline is just the record redactor."""
    base = default_pipeline()
    assert len(base) == 1 and isinstance(base.steps[0], RecordRedactor)
    longer = base.then(lambda r: r.model_copy(update={"subject": "x"}))
    assert len(base) == 1 and len(longer) == 2
    out = longer(make_record())
    assert out.subject == "x" and "<PHONE>" in out.text

