"""Trust policy end to end: generated PII never reaches Chroma, the lexical index, a model request, the logs or
the audit ledger (real stores, real HTTP to the scripted model server), unless the policy allows it."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_crm import CRM
from agent_crm.config import Settings, build_settings
from agent_crm.kb.chroma import get_client
from agent_crm.logs import configure_logging, get_logger
from agent_crm.policy.redaction import redact_text
from agent_crm.policy.samples import CN_REGIONS, build_bank_card, build_cn_id
from agent_crm.policy.vault import log_redactor
from agent_crm.tenancy import collection_name
from tests.support.model_server import Reply, ScriptedModelServer, write_models_file

DIGITS = "0123456789"
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
POLICY = {
    "pii": {"PHONE": "pseudonymize", "EMAIL": "pseudonymize", "CN_ID": "hash", "BANK_CARD": "mask",
            "LANDLINE": "drop"},
    "fields": {"contact_name": "pseudonymize", "fields.id_number": "encrypt", "amount": "cross_verify"},
}
COMPOSE_REPLY = {"answer": "已根据记录给出建议。", "scripts": []}


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    """Draw a CN mobile in one of many written formats (full-width too)."""
    number = "1" + draw(st.sampled_from("3456789")) + draw(st.text(DIGITS, min_size=9, max_size=9))
    sep = draw(st.sampled_from(["", " ", "-"]))
    body = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    value = draw(st.sampled_from(["", "+86 ", "+86-", "0086 ", "(+86) "])) + body
    if draw(st.integers(0, 5)) == 0:
        value = value.translate({cp: cp + 0xFEE0 for cp in range(0x30, 0x3A)})
    return value


@st.composite
def cn_ids(draw: st.DrawFn) -> str:
    """Draw an 18-character resident ID with its check digit."""
    birth = draw(st.dates(dt.date(1940, 1, 1), dt.date(2010, 12, 31)))
    return build_cn_id(draw(st.sampled_from(CN_REGIONS)), birth, draw(st.integers(0, 999)))


@st.composite
def cards(draw: st.DrawFn) -> str:
    """Draw a Luhn-valid UnionPay card, compact or grouped by four."""
    card = build_bank_card("6222" + draw(st.text(DIGITS, min_size=11, max_size=11)))
    return " ".join(card[i : i + 4] for i in range(0, 16, 4)) if draw(st.booleans()) else card


emails = st.builds(lambda local, n, dom: f"{local}{n}@{dom}",
                   st.from_regex(r"[a-z][a-z_.]{1,8}[a-z]", fullmatch=True), st.integers(0, 999),
                   st.sampled_from(["acme.cn", "qq.com", "example.com", "hosp.org.cn"]))
landlines = st.builds(lambda a, n: f"{a}-{n}", st.sampled_from(["010", "021", "0571", "0755"]),
                      st.builds(lambda h, t: h + t, st.sampled_from("2345678"), st.text(DIGITS, min_size=7, max_size=7)))
names = st.builds(lambda s, g, t: s + g + t, st.sampled_from(SURNAMES), st.text(SURNAMES, min_size=1, max_size=2),
                  st.sampled_from(["经理", "主任", "总监", "老板"]))
ZH = ["客户来电，手机{phone}，邮箱{email}，需要回访。", "身份证号{cn_id}，银行卡号{card}，座机{landline}。",
      "请联系{phone}（{landline}）确认报价，发票寄到{email}。"]
EN = ["Called the client, mobile {phone}, e-mail {email}; follow up next week.",
      "ID {cn_id}, card number {card}, office {landline}. Send the quote today.",
      "Please call {phone} or write to {email} about the renewal."]


@dataclass
class Example:
    """The PII values of one generated customer."""

    phone: str
    email: str
    cn_id: str
    card: str
    landline: str
    contact: str
    id_number: str
    templates: list[str]

    def raw_values(self) -> list[str]:
        """Return every form a leak could take: each value as written and its compact digits."""
        folded = self.phone.translate({cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)})
        forms = [self.phone, self.email, self.cn_id, self.card, self.landline, self.contact, self.id_number]
        forms += [re.sub(r"\D", "", folded)[-11:], re.sub(r"\D", "", self.card), re.sub(r"\D", "", self.landline)]
        return forms


examples = st.builds(Example, mobiles(), emails, cn_ids(), cards(), landlines, names, cn_ids(),
                     st.lists(st.sampled_from(ZH + EN), min_size=2, max_size=3))


@dataclass
class Env:
    """One tenant under the mixed policy, its model server and the captured log."""

    crm: CRM
    settings: Settings
    server: ScriptedModelServer
    log: io.StringIO
    counter: Iterator[int] = field(default_factory=itertools.count)

    @property
    def tenant_dir(self) -> Path:
        """Return the tenant's directory."""
        return self.settings.home / "tenants" / self.crm.tenant


def home_for(tmp: Path, server: ScriptedModelServer, tenant: str, policy: dict[str, Any]) -> Settings:
    """Write a models file (remote -> scripted server, falling back to local) and the tenant's policy."""
    models = write_models_file(tmp / "models.yaml", [
        server.entry("remote", fallbacks=["local"]),
        {"model_name": "local", "litellm_params": {"model": "local/crm-reasoner"}, "model_info": {"region": "local"}},
    ], default="remote")
    home = tmp / "home"
    (home / "tenants" / tenant).mkdir(parents=True)
    (home / "tenants" / tenant / "policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    return build_settings(home=home, models_file=models)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, model_server_session: ScriptedModelServer) -> Iterator[Env]:
    """A tenant with the mixed policy; structlog captured (DEBUG, JSON) for the module."""
    log = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", redactor=log_redactor, stream=log)
    cfg = home_for(tmp_path_factory.mktemp("leaks"), model_server_session, "leaks", POLICY)
    yield Env(CRM("leaks", settings=cfg), cfg, model_server_session, log)
    configure_logging(level="WARNING", redactor=redact_text)


def records_for(n: int, ex: Example) -> list[dict[str, Any]]:
    """Build the interaction records of one generated customer."""
    values = {"phone": ex.phone, "email": ex.email, "cn_id": ex.cn_id, "card": ex.card, "landline": ex.landline}
    return [
        {"id": f"r{n}-{i}", "customer_id": f"c{n}", "customer_name": f"测试客户{n}号", "channel": ch,
         "timestamp": f"2026-0{1 + i}-1{i}T09:00:00+08:00", "text": tpl.format(**values),
         "subject": f"回访 {ex.phone}" if i == 0 else None, "contact_name": ex.contact, "amount": 1000.0 * (i + 1),
         "fields": {"id_number": ex.id_number, "note": f"备用邮箱 {ex.email}"}}
        for i, (tpl, ch) in enumerate(zip(ex.templates, ["call", "email", "ticket"], strict=False))
    ]


def stored_bytes(root: Path) -> bytes:
    """Return every file below ``root`` (SQLite files with their WAL, index files), concatenated."""
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def leaks(blob: str | bytes, values: list[str]) -> list[str]:
    """Return the values found in ``blob``."""
    if isinstance(blob, bytes):
        return [v for v in values if v and v.encode("utf-8") in blob]
    return [v for v in values if v and v in blob]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(ex=examples)
def test_generated_pii_reaches_no_store_request_log_or_ledger(env: Env, ex: Example) -> None:
    """No raw value of an example reaches Chroma, the lexical index, a model request, the log or the ledger."""
    n = next(env.counter)
    env.server.reset()
    env.server.set_default("scripted", Reply.of_json(COMPOSE_REPLY))
    rows = records_for(n, ex)
    report = env.crm.ingest(rows)
    assert report.records_ok == len(rows) and report.quarantined == 0
    get_logger("trust.test").warning("raw_record", text=rows[0]["text"], contact=ex.contact, email=ex.email)
    d = env.crm.decide(customer=f"c{n}", type="next_best_action", language="zh")
    env.crm.ask(f"电话 {ex.phone} 邮箱 {ex.email} 的客户最近怎么样？")
    values = ex.raw_values()

    col = get_client(env.settings).get_collection(collection_name("leaks"))
    got = col.get(where={"customer_id": f"c{n}"}, include=["documents", "metadatas"])
    assert got["ids"], "the example's chunks are in Chroma"
    assert leaks(json.dumps([got["documents"], got["metadatas"]], ensure_ascii=False), values) == []
    assert leaks(stored_bytes(env.settings.home / "chroma"), values) == []
    assert leaks(stored_bytes(env.tenant_dir / "lexical"), values) == []
    bodies = [json.dumps(r.body, ensure_ascii=False) for r in env.server.requests]
    assert len(bodies) >= 2, "decide and ask both reached the model server"
    assert leaks("\n".join(bodies), values) == []
    assert leaks(env.log.getvalue(), values) == []
    assert "<CONTACT_NAME_" in env.log.getvalue(), "the logged contact name was replaced by its pseudonym"
    assert leaks(b"".join(p.read_bytes() for p in env.tenant_dir.glob("audit.sqlite*")), values) == []
    assert leaks(stored_bytes(env.tenant_dir), values) == []  # records, vault, checkpoints too
    assert leaks(d.model_dump_json(), values) == []
    assert "<PHONE_" in "\n".join(got["documents"])  # pseudonymized, not masked


def test_pseudonyms_are_stable_across_records_and_questions(env: Env) -> None:
    """The same phone in two formats is one pseudonym in storage and in the model request of a question."""
    n = next(env.counter)
    rows = [{"id": f"s{n}-{i}", "customer_id": f"s{n}", "channel": "note", "timestamp": "2026-03-01T09:00:00+08:00",
             "text": text} for i, text in enumerate(["电话13700001111", "手机 +86 137 0000 1111，再联系"])]
    env.crm.ingest(rows)
    docs = get_client(env.settings).get_collection(collection_name("leaks")).get(where={"customer_id": f"s{n}"})
    found = {p for d in docs["documents"] or [] for p in re.findall(r"<PHONE_\d+>", d)}
    assert len(found) == 1
    env.server.reset()
    env.crm.ask("137-0000-1111 这个号码是谁的？")
    assert found.pop() in env.server.requests[0].text()


def test_allowed_field_and_kind_pass_through(
    tmp_path: Path, model_server: ScriptedModelServer
) -> None:
    """``subject: allow`` keeps a phone in the stored subject; ``EMAIL: allow`` lets e-mails reach the model."""
    policy = {"pii": {"EMAIL": "allow"}, "fields": {"subject": "allow"}}
    cfg = home_for(tmp_path, model_server, "allowed", policy)
    model_server.set_default("scripted", Reply.of_json(COMPOSE_REPLY))
    crm = CRM("allowed", settings=cfg)
    crm.ingest([{"id": "a1", "customer_id": "c1", "channel": "email", "timestamp": "2026-03-01T09:00:00+08:00",
                 "subject": "回电 13812345678", "text": "发票寄到 li.na@acme.cn，手机 13912345678。"}])
    docs = get_client(cfg).get_collection(collection_name("allowed")).get(include=["documents"])
    joined = "\n".join(docs["documents"] or [])
    assert "13812345678" in joined and "li.na@acme.cn" in joined
    assert "13912345678" not in joined and "<PHONE>" in joined
    crm.decide(customer="c1", type="next_best_action")
    sent = "\n".join(r.text() for r in model_server.requests)
    assert "li.na@acme.cn" in sent
    assert "13812345678" not in sent and "13912345678" not in sent, "kind rules still apply to model requests"
