"""Interaction and customer-directory loaders: formats, encodings, precise issues, content hashes."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_crm.errors import InputError, TenantError
from agent_crm.kb.loaders import (
    CustomerEntry,
    LoadIssue,
    load_directory_file,
    load_file,
    load_records,
    read_directory_file,
    record_content_hash,
)
from agent_crm.types import Interaction, SourceRef

HEADER = "id,customer_id,channel,timestamp,text"


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    """Write rows (dicts are JSON-encoded, strings written verbatim) one per line."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rec(i: int, **kw: Any) -> dict[str, Any]:
    """Return a valid record dict with id ``r{i}`` (overrides in ``kw``)."""
    return {"id": f"r{i}", "customer_id": "c1", "channel": "email", "timestamp": "2026-11-13T10:20:00+08:00",
            "text": f"客户第{i}次来电。"} | kw


def by_line(issues: list[LoadIssue]) -> dict[int, set[str | None]]:
    """Map line -> set of offending fields."""
    out: dict[int, set[str | None]] = {}
    for issue in issues:
        out.setdefault(issue.line, set()).add(issue.field)
    return out


def test_jsonl_happy_path_normalises_every_field(tmp_path: Path) -> None:
    """A valid JSONL file loads with channel, timestamp, direction, amount, tags and fields normalised."""
    path = write_jsonl(tmp_path / "a.jsonl", [
        {"id": "r1", "tenant": "acme", "customer_id": "hz-first", "customer_name": "杭州一院",
         "channel": "Email", "timestamp": "2026-11-13T10:20:00+08:00", "direction": "out", "author": "王销售",
         "contact_name": "张主任", "subject": "报价", "text": "  已发报价。\r\n请确认。 ",
         "amount": "¥12,000.50", "currency": "cny",
         "product": "CT-9000", "department": "骨科", "region": "CN-ZJ", "tags": ["vip", "vip", "quote"],
         "fields": {"status": "open"}, "priority": 2},
        {"id": 42, "customer_id": "c2", "channel": "call", "timestamp": "2026-11-13 10:20:00",
         "subject": "回访", "direction": "IN"},
        {"id": "r3", "customer_id": "c2", "channel": "note", "timestamp": "2026-11-13", "text": "备注"},
    ])
    result = load_file(path, "acme")
    assert result.issues == [] and result.format == "jsonl" and result.encoding == "utf-8"
    assert result.file_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    r1, r2, r3 = result.records
    assert (r1.channel, r1.direction, r1.amount, r1.currency) == ("email", "outbound", 12000.5, "CNY")
    assert r1.timestamp == datetime(2026, 11, 13, 2, 20, tzinfo=UTC)
    assert r1.text == "已发报价。\n请确认。"
    assert r1.tags == ("vip", "quote")
    assert r1.fields == {"status": "open", "priority": 2}
    assert r1.source == SourceRef(file=str(path), line=1) and r1.tenant == "acme"
    assert r1.content_hash == record_content_hash(r1) and len(r1.content_hash) == 64
    r2_ts = datetime(2026, 11, 13, 10, 20, tzinfo=UTC)
    assert (r2.id, r2.direction, r2.text, r2.timestamp) == ("42", "inbound", "", r2_ts)
    assert r3.timestamp == datetime(2026, 11, 13, tzinfo=UTC) and r3.source.line == 3


def test_csv_happy_path_with_multiline_cell_fields_column_and_extra_columns(tmp_path: Path) -> None:
    """CSV rows load with 1-based start lines, JSON ``fields``, split tags and extra columns in fields."""
    path = tmp_path / "a.csv"
    path.write_text(
        'ID,Customer_ID,channel,timestamp,text,tags,fields,owner,amount\n'
        'r1,c1,Phone Call,2026-11-13 10:20,"第一行\n第二行",vip;hot,"{""status"": ""won""}",alice,"1,200"\n'
        'r2,c1,email,2026/11/14,hello,"a, b",,,\n',
        encoding="utf-8",
    )
    result = load_file(path, "acme")
    assert result.issues == [] and result.format == "csv"
    r1, r2 = result.records
    assert r1.channel == "phone_call" and r1.text == "第一行\n第二行" and r1.amount == 1200.0
    assert r1.tags == ("vip", "hot") and r1.fields == {"status": "won", "owner": "alice"}
    assert (r1.source.line, r2.source.line) == (2, 4)
    assert r2.tags == ("a", "b") and r2.fields == {} and r2.timestamp == datetime(2026, 11, 14, tzinfo=UTC)


def test_tsv_file_uses_tab_delimiter(tmp_path: Path) -> None:
    """A .tsv file is read with tabs, commas inside cells stay text."""
    path = tmp_path / "a.tsv"
    path.write_text("id\tcustomer_id\tchannel\ttimestamp\ttext\nr1\tc1\tchat\t2026-11-13\tyes, sure\n",
                    "utf-8")
    result = load_file(path, "acme")
    assert result.format == "tsv" and result.records[0].text == "yes, sure"


@pytest.mark.parametrize("name", ["bom.csv", "bom.jsonl"])
def test_utf8_bom_is_stripped(tmp_path: Path, name: str) -> None:
    """A UTF-8 byte order mark neither breaks the first header column nor the first JSON key."""
    path = tmp_path / name
    body = f"{HEADER}\nr1,c1,email,2026-11-13,你好\n" if name.endswith(".csv") else json.dumps(rec(1)) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    result = load_file(path, "acme")
    assert result.issues == [] and result.encoding == "utf-8-sig"
    assert result.records[0].id in ("r1",)


def gb_csv(tmp_path: Path) -> Path:
    """Write a GB18030 CSV whose bytes are not valid UTF-8."""
    row = "r1,c1,微信,2026-11-13,客户说下周签合同，预算十二万。,杭州一院"
    data = f"{HEADER},customer_name\n{row}\n".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    path = tmp_path / "导出.csv"
    path.write_bytes(data)
    return path


def test_gb18030_csv_detected_automatically(tmp_path: Path) -> None:
    """A Chinese GB18030 export is decoded without being told the encoding."""
    result = load_file(gb_csv(tmp_path), "acme")
    assert result.encoding == "gb18030"
    (r,) = result.records
    assert (r.text, r.channel, r.customer_name) == ("客户说下周签合同，预算十二万。", "微信", "杭州一院")


def test_encoding_argument_forces_decoding(tmp_path: Path) -> None:
    """``encoding=`` decodes as told; forcing a wrong one raises InputError naming the file and the offset."""
    path = gb_csv(tmp_path)
    assert load_file(path, "acme", encoding="gb18030").records[0].text.startswith("客户说")
    with pytest.raises(InputError) as err:
        load_file(path, "acme", encoding="utf-8")
    assert str(path) in str(err.value) and "offset" in str(err.value)


def test_each_error_kind_names_file_line_and_field(tmp_path: Path) -> None:
    """Every kind of bad record becomes an issue with the exact file, physical line, field and raw text."""
    rows: list[Any] = [
        rec(1),                                                   # 1 ok
        '{"id": "r2", "customer_id": "c1" "channel": "x"}',       # 2 malformed JSON
        rec(3, id=None),                                          # 3 missing id
        rec(4, customer_id=""),                                   # 4 missing customer_id
        rec(5, channel=None),                                     # 5 missing channel
        rec(6, timestamp="13/11/2026 morning"),                   # 6 bad timestamp
        rec(7, direction="sideways"),                             # 7 bad direction
        rec(8, amount="12,00"),                                   # 8 bad amount
        rec(9, text="  ", subject=None),                          # 9 neither text nor subject
        rec(10, tenant="other"),                                  # 10 wrong tenant
        rec(1),                                                   # 11 duplicate id
        "[1, 2]",                                                 # 12 not an object
        rec(13, tags={"a": 1}),                                   # 13 bad tags
        rec(14, fields=[1]),                                      # 14 bad fields
        rec(15, currency="dollars"),                              # 15 bad currency
        "",                                                       # 16 blank line: skipped
        rec(17, amount="USD 5", currency="CNY"),                  # 17 amount/currency conflict
        rec(18, timestamp="2026-02-30"),                          # 18 impossible date
        rec(19),                                                  # 19 ok
    ]
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    result = load_file(path, "acme")
    assert [r.id for r in result.records] == ["r1", "r19"]
    assert by_line(result.issues) == {
        2: {None}, 3: {"id"}, 4: {"customer_id"}, 5: {"channel"}, 6: {"timestamp"}, 7: {"direction"},
        8: {"amount"}, 9: {"text"}, 10: {"tenant"}, 11: {"id"}, 12: {None}, 13: {"tags"}, 14: {"fields"},
        15: {"currency"}, 17: {"amount"}, 18: {"timestamp"},
    }
    assert result.rejected == 16
    lines = path.read_text("utf-8").split("\n")
    for issue in result.issues:
        assert issue.file == str(path) and issue.raw == lines[issue.line - 1]
    reasons = {i.line: i.reason for i in result.issues}
    column = lines[1].index('"channel"') + 1
    assert reasons[2] == f"invalid JSON at column {column}: Expecting ',' delimiter"
    assert reasons[10] == "record belongs to tenant 'other', loading into 'acme'"
    assert "first seen on line 1" in reasons[11]
    assert "'12,00'" in reasons[8] and "13/11/2026 morning" in reasons[6]


def test_record_with_several_bad_fields_reports_each(tmp_path: Path) -> None:
    """A record with three bad fields yields three issues on the same line."""
    path = write_jsonl(tmp_path / "b.jsonl", [rec(1, timestamp="nope", amount="x", direction="up")])
    result = load_file(path, "acme")
    assert {(i.line, i.field) for i in result.issues} == {(1, "timestamp"), (1, "amount"), (1, "direction")}
    assert result.rejected == 1


def test_csv_issue_lines_count_header_as_line_one(tmp_path: Path) -> None:
    """CSV issues give the line a row starts on (after multi-line cells) and the row's raw text."""
    path = tmp_path / "b.csv"
    path.write_text(
        f"{HEADER}\n"
        'r1,c1,email,2026-11-13,"多行\n文本\n第三行"\n'   # lines 2-4
        "r2,c1,email,not-a-date,hi\n"                       # line 5
        "\n"                                                # line 6 blank
        "r3,c1,email\n"                                     # line 7 too few cells
        "r4,c1,email,2026-11-13,ok\n",                      # line 8
        encoding="utf-8",
    )
    result = load_file(path, "acme")
    assert [r.id for r in result.records] == ["r1", "r4"]
    assert [(r.source.line) for r in result.records] == [2, 8]
    assert [(i.line, i.field) for i in result.issues] == [(5, "timestamp"), (7, None)]
    assert result.issues[0].raw == "r2,c1,email,not-a-date,hi"
    assert "3 cells" in result.issues[1].reason and "header has 5" in result.issues[1].reason


def test_unbalanced_quote_is_reported_with_its_line_span(tmp_path: Path) -> None:
    """An unterminated quote swallowing later lines is one issue at its start line, naming the span."""
    path = tmp_path / "q.csv"
    path.write_text(f'{HEADER}\nr1,c1,email,2026-11-13,ok\nr2,c1,email,2026-11-13,"oops\nr3,c1,x,y,z\n',
                    "utf-8")
    result = load_file(path, "acme")
    assert [r.id for r in result.records] == ["r1"]
    (issue,) = result.issues
    assert issue.line == 3 and issue.field is None and "unbalanced quote" in issue.reason
    assert "lines 3-4" in issue.reason and issue.raw == 'r2,c1,email,2026-11-13,"oops\nr3,c1,x,y,z'


def test_text_after_closing_quote_is_an_issue_not_mangled(tmp_path: Path) -> None:
    """A cell like ``"x"y`` is reported on its line; the rows after it still load."""
    path = tmp_path / "q.csv"
    path.write_text(f'{HEADER}\nr1,c1,email,2026-11-13,"x"y\nr2,c1,email,2026-11-13,fine\n', "utf-8")
    result = load_file(path, "acme")
    assert [r.id for r in result.records] == ["r2"]
    assert [(i.line, i.field) for i in result.issues] == [(2, None)]


def test_mixed_file_keeps_every_good_record(tmp_path: Path) -> None:
    """In a file of 60 good and 15 bad records all 60 good ones are kept, in order."""
    rows: list[Any] = []
    for i in range(75):
        rows.append(rec(i, timestamp="bad") if i % 5 == 2 else rec(i))
    result = load_file(write_jsonl(tmp_path / "m.jsonl", rows), "acme")
    assert len(result.records) == 60 and result.rejected == 15 and len(result.issues) == 15
    assert [r.id for r in result.records] == [f"r{i}" for i in range(75) if i % 5 != 2]


def test_unknown_keys_are_preserved_and_conflicts_reported(tmp_path: Path) -> None:
    """Unknown JSONL keys land in fields (nested values intact); a key also inside fields is an issue."""
    path = write_jsonl(tmp_path / "u.jsonl", [
        rec(1, pos_monthly_flow=12000, repaid_on_time=True, extra={"k": [1, 2]}, source="salesforce"),
        rec(2, status="open", fields={"status": "won"}),
    ])
    result = load_file(path, "acme")
    (r1,) = result.records
    assert r1.fields == {"pos_monthly_flow": 12000, "repaid_on_time": True, "extra": {"k": [1, 2]},
                         "source": "salesforce"}
    assert [(i.line, i.field) for i in result.issues] == [(2, "status")]


def test_reingested_export_recomputes_source_and_hash(tmp_path: Path) -> None:
    """A JSONL export of loaded records (with source and content_hash) loads back to the same records."""
    first = load_file(write_jsonl(tmp_path / "a.jsonl", [rec(1, tags=["x"], amount=5)]), "acme").records[0]
    exported = tmp_path / "export.jsonl"
    exported.write_text(first.model_dump_json() + "\n", encoding="utf-8")
    again = load_file(exported, "acme").records[0]
    assert again.content_hash == first.content_hash and again.fields == {}
    assert again.source == SourceRef(file=str(exported), line=1)


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("report.jsonl", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        ("sheet.csv", b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),
        ("blob.txt", b"\x00\x01\x02\x03binary", "binary"),
        ("notes.jsonl", "客户很满意\n下周再联系\n{\"id\": 1}\n".encode(), "JSON Lines"),
        ("array.jsonl", b'[{"id": "r1"}, {"id": "r2"}]\n', "JSON array"),
        ("wrong.csv", b"name,phone,city\nAlice,1,Paris\n", "lacks id, customer_id, channel, timestamp"),
        ("notext.csv", b"id,customer_id,channel,timestamp\nr1,c1,email,2026-11-13\n", "text or subject"),
        ("records.jsonl.csv", b'{"id": "r1"}\n', "name it .jsonl"),
        ("empty.dat", b"", "empty"),
    ],
)
def test_non_record_files_are_refused_with_actionable_message(
    tmp_path: Path, name: str, data: bytes, needle: str
) -> None:
    """Files that are not JSONL/CSV records raise InputError naming the file and what was expected."""
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        load_file(path, "acme")
    message = str(err.value)
    assert message.startswith(str(path)) and needle in message


def test_unknown_extension_is_sniffed_from_content(tmp_path: Path) -> None:
    """A .txt holding JSON Lines and a .dat holding CSV are both recognised by content."""
    jl = write_jsonl(tmp_path / "export.txt", [rec(1)])
    cs = tmp_path / "export.dat"
    cs.write_text(f"{HEADER}\nr1,c1,email,2026-11-13,hi\n", "utf-8")
    assert load_file(jl, "acme").format == "jsonl" and load_file(cs, "acme").format == "csv"


def test_missing_file_and_bad_tenant_raise(tmp_path: Path) -> None:
    """A missing path raises InputError naming it; an invalid tenant id raises TenantError."""
    with pytest.raises(InputError, match="not found"):
        load_file(tmp_path / "nope.jsonl", "acme")
    with pytest.raises(TenantError):
        load_file(write_jsonl(tmp_path / "a.jsonl", [rec(1)]), "Bad Tenant!")


def test_content_hash_is_format_independent_and_content_sensitive(tmp_path: Path) -> None:
    """The same record from JSONL and from CSV hashes equal; changing its text changes the hash."""
    data = {"id": "r1", "customer_id": "c1", "channel": "email", "timestamp": "2026-11-13 10:20:00",
            "text": "你好, \"world\"", "amount": "1200", "tags": "a;b", "subject": "s"}
    jl = write_jsonl(tmp_path / "a.jsonl", [data | {"amount": 1200, "tags": ["a", "b"]}])
    cs = tmp_path / "a.csv"
    cs.write_text("id,customer_id,channel,timestamp,text,amount,tags,subject\n"
                  'r1,c1,email,2026-11-13T10:20:00Z,"你好, ""world""",1200,a;b,s\n', "utf-8")
    h_json = load_file(jl, "acme").records[0].content_hash
    h_csv = load_file(cs, "acme").records[0].content_hash
    changed = load_records([data | {"text": "你好, world"}], "acme").records[0].content_hash
    assert h_json == h_csv
    assert changed != h_json
    assert load_records([data], "acme").records[0].content_hash == h_json


def test_load_records_validates_in_memory_inputs() -> None:
    """SDK dicts (datetime, Decimal, Interaction objects) load like file rows; issues use index + 1."""
    ts = datetime(2026, 11, 13, 10, 20)
    existing = Interaction(id="r9", tenant="acme", customer_id="c9", channel="chat", timestamp=ts, text="hi")
    result = load_records(
        [
            {"id": "r1", "customer_id": "c1", "channel": "email", "timestamp": ts, "text": "t",
             "amount": Decimal("12.5"), "fields": {"when": ts}},
            {"id": "r2", "customer_id": "c1", "channel": "email", "timestamp": ts},
            "not a mapping",
            existing,
            existing.model_copy(update={"id": "r10", "tenant": "other"}),
        ],
        "acme",
        "api",
    )
    assert [r.id for r in result.records] == ["r1", "r9"]
    r1 = result.records[0]
    assert r1.amount == 12.5 and r1.timestamp.tzinfo is UTC and r1.source == SourceRef(file="api", line=1)
    assert [(i.file, i.line, i.field) for i in result.issues] == [("api", 2, "text"), ("api", 3, None),
                                                                  ("api", 5, "tenant")]
    assert result.format == "records" and len(result.file_hash) == 64


@pytest.mark.parametrize(
    ("raw", "amount", "currency"),
    [(12000, 12000.0, None), ("12,000.50", 12000.5, None), ("¥12,000.50", 12000.5, None),
     ("USD 1,200", 1200.0, "USD"), ("-¥30", -30.0, None), ("12万元", 120000.0, "CNY"), ("RMB 8", 8.0, "CNY")],
)
def test_amount_formats(raw: Any, amount: float, currency: str | None) -> None:
    """Amounts accept numbers, thousands separators, currency symbols and codes, and 万."""
    (r,) = load_records([rec(1, amount=raw)], "acme").records
    assert (r.amount, r.currency) == (amount, currency)


def test_directory_loads_jsonl_and_csv_contacts(tmp_path: Path) -> None:
    """Directory rows give entries with aliases and contacts from objects, names or name|title|role text."""
    jl = write_jsonl(tmp_path / "customers.jsonl", [
        {"customer_id": "hz-first", "name": "杭州市第一人民医院", "aliases": ["杭州一院"],
         "contacts": [{"name": "张主任", "title": "骨科主任", "role": "decision_maker"}, "李工"],
         "region": "CN-ZJ"},
    ])
    cs = tmp_path / "customers.csv"
    cs.write_text("customer_id,name,aliases,contacts,segment,owner\n"
                  "rb-lin,林记超市,林记;林老板店,林老板|店主|owner; 小林,SMB,x\n", "utf-8")
    (e1,) = load_directory_file(jl)
    (e2,) = load_directory_file(cs)
    assert isinstance(e1, CustomerEntry) and e1.aliases == ("杭州一院",) and e1.region == "CN-ZJ"
    assert [(c.name, c.title, c.role) for c in e1.contacts] == [("张主任", "骨科主任", "decision_maker"),
                                                                 ("李工", None, None)]
    assert e2.aliases == ("林记", "林老板店") and e2.segment == "SMB"
    assert [(c.name, c.title, c.role) for c in e2.contacts] == [("林老板", "店主", "owner"),
                                                                 ("小林", None, None)]


def test_directory_issues_are_precise(tmp_path: Path) -> None:
    """Bad directory rows are issues (file, line, field); the strict loader raises listing them."""
    path = tmp_path / "customers.csv"
    path.write_text(
        'customer_id,name,contacts\nc1,One,\nc1,Dup,\nc3,,\nc4,Four,"[{""title"": ""x""}]"\n', "utf-8"
    )
    result = read_directory_file(path)
    assert [e.customer_id for e in result.entries] == ["c1"]
    assert [(i.line, i.field) for i in result.issues] == [(3, "customer_id"), (4, "name"), (5, "contacts")]
    with pytest.raises(InputError) as err:
        load_directory_file(path)
    assert f"{path}:3: customer_id: duplicate" in str(err.value)


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.sampled_from(["", " ", "2026-11-13", "¥1,200", "in", "email", "a;b", "{}", "acme", "other"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
_KEYS = st.sampled_from(["id", "tenant", "customer_id", "channel", "timestamp", "direction", "text",
                         "subject", "amount", "currency", "tags", "fields", "source", "content_hash", "misc"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _JSONISH, max_size=12), max_size=8))
def test_property_every_input_is_a_record_or_an_issue(rows: list[dict[str, Any]]) -> None:
    """For any JSON-like rows the loader never raises; each row is a record or has issues on its line."""
    result = load_records(rows, "acme")
    lines_ok = {r.source.line for r in result.records}
    lines_bad = {i.line for i in result.issues}
    assert not lines_ok & lines_bad
    assert lines_ok | lines_bad == set(range(1, len(rows) + 1))
    assert result.rejected == len(lines_bad)
    for r in result.records:
        assert r.content_hash == record_content_hash(r) and r.tenant == "acme"


def test_jsonl_loading_is_fast(tmp_path: Path) -> None:
    """Ten thousand JSONL records load in well under the time budget (ingest-path regression guard)."""
    rows = [rec(i, subject="跟进", tags=["vip"], amount="¥1,200", status="open") for i in range(10_000)]
    path = write_jsonl(tmp_path / "big.jsonl", rows)
    start = time.perf_counter()
    result = load_file(path, "acme")
    elapsed = time.perf_counter() - start
    assert len(result.records) == 10_000
    assert elapsed < 5.0, f"10k records took {elapsed:.2f}s"
