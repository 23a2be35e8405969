"""Field and PII-kind actions: mask, pseudonymize, hash, drop, encrypt, allow, on texts and records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_crm.audit.sqlite import SqliteLedger
from agent_crm.errors import ConfigError
from agent_crm.policy.fields import SEALED_KEY, TextPolicy, compile_policy
from agent_crm.policy.policy_file import Action, default_policy, parse_policy
from agent_crm.policy.redaction import default_pipeline, redact_text
from agent_crm.policy.samples import CN_REGIONS, build_bank_card, build_cn_id
from agent_crm.policy.vault import TenantKeys, Vault, canonical_value
from agent_crm.types import Interaction

DIGITS = "0123456789"
PROPS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TS = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def vault_at(path: Path, tenant: str = "acme", master: bytes = b"test-master") -> Vault:
    """Open a vault with a ledger beside it."""
    ledger = SqliteLedger(path.parent / f"{tenant}-audit.sqlite", tenant)
    return Vault(path, tenant, TenantKeys.derive(master, tenant), ledger=ledger)


def rec(**kw: object) -> Interaction:
    """Build a record with defaults for the required fields."""
    base: dict[str, object] = {"id": "r1", "tenant": "acme", "customer_id": "c1", "channel": "call", "timestamp": TS}
    return Interaction.model_validate(base | kw)


@st.composite
def phones(draw: st.DrawFn) -> str:
    """Draw a mobile in a random written form."""
    n = "1" + draw(st.sampled_from("3456789")) + draw(st.text(DIGITS, min_size=9, max_size=9))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return draw(st.sampled_from(["", "+86 ", "0086 "])) + f"{n[:3]}{sep}{n[3:7]}{sep}{n[7:]}"


cn_ids = st.builds(build_cn_id, st.sampled_from(CN_REGIONS), st.dates(dt.date(1950, 1, 1), dt.date(2008, 1, 1)),
                   st.integers(0, 999))
cards = st.builds(lambda d: build_bank_card("6222" + d), st.text(DIGITS, min_size=11, max_size=11))
emails = st.builds(lambda a, b: f"{a}@{b}.cn", st.from_regex(r"[a-z]{2,8}[0-9]{0,3}", fullmatch=True),
                   st.from_regex(r"[a-z]{3,8}", fullmatch=True))
values = st.one_of(phones().map(lambda v: ("PHONE", v)), cn_ids.map(lambda v: ("CN_ID", v)),
                   cards.map(lambda v: ("BANK_CARD", v)), emails.map(lambda v: ("EMAIL", v)))
fillers = st.sampled_from(["客户电话：{}，请回访。", "Contact {} tomorrow.", "身份信息 {} 已核验。", "（{}）", "备注{}。"])


def value_key(item: tuple[tuple[str, str], str]) -> tuple[str, str]:
    """Identify a drawn value by kind and canonical form (one written form per value in an example)."""
    return item[0][0], canonical_value(*item[0])


@PROPS
@given(items=st.lists(st.tuples(values, fillers), min_size=1, max_size=4, unique_by=value_key))
def test_pseudonyms_round_trip_exactly(tmp_path_factory: pytest.TempPathFactory, items: list[tuple[tuple[str, str], str]]) -> None:
    """pseudonymize -> reidentify gives back the original text; no raw value is left in between."""
    vault = vault_at(tmp_path_factory.mktemp("v") / "vault.sqlite")
    policy = TextPolicy({k: Action.PSEUDONYMIZE for k in ("PHONE", "CN_ID", "BANK_CARD", "EMAIL")}, vault)
    text = " ".join(f.format(v) for (_, v), f in items)
    masked = policy(text)
    for (_, value), _ in items:
        assert value not in masked
    assert vault.reidentify(masked, "auditor") == text


@PROPS
@given(phone=phones(), other=phones())
def test_same_value_same_pseudonym_in_every_format(tmp_path_factory: pytest.TempPathFactory, phone: str,
                                                    other: str) -> None:
    """Two writings of one phone share a pseudonym; a different phone gets another one."""
    vault = vault_at(tmp_path_factory.mktemp("v") / "vault.sqlite")
    digits = canonical_value("PHONE", phone)
    p1 = vault.pseudonym("PHONE", phone)
    assert vault.pseudonym("PHONE", f"{digits[:3]}-{digits[3:7]}-{digits[7:]}") == p1
    assert (vault.pseudonym("PHONE", other) == p1) == (canonical_value("PHONE", other) == digits)


def test_each_kind_action_on_text(tmp_path: Path) -> None:
    """mask, pseudonymize, hash, drop and allow each do what they say."""
    vault = vault_at(tmp_path / "vault.sqlite")
    actions = {"PHONE": Action.PSEUDONYMIZE, "EMAIL": Action.ALLOW, "CN_ID": Action.HASH, "IP": Action.DROP}
    cn_id = build_cn_id("110105", dt.date(1990, 3, 7), 123)
    text = f"电话13812345678 邮箱li@acme.cn 身份证{cn_id} 主机10.1.2.3 卡号{build_bank_card('622202123456789')}"
    out = TextPolicy(actions, vault)(text)
    assert "<PHONE_1>" in out and "li@acme.cn" in out and "<BANK_CARD>" in out
    assert cn_id not in out and "<CN_ID#" in out and "10.1.2.3" not in out and "<IP" not in out
    assert TextPolicy(actions, vault, create=False)("打给 13900000000") == "打给 <PHONE>", "unknown values masked"


def test_hash_is_stable_per_tenant_and_differs_across_tenants(tmp_path: Path) -> None:
    """The hash token links one tenant's records but not two tenants' (per-tenant salt)."""
    a = vault_at(tmp_path / "a.sqlite", "acme")
    b = vault_at(tmp_path / "b.sqlite", "globex")
    assert a.hash_token("PHONE", "13812345678") == a.hash_token("PHONE", "+86 138 1234 5678")
    assert a.hash_token("PHONE", "13812345678") != b.hash_token("PHONE", "13812345678")
    assert len(a.hash_token("PHONE", "13812345678")) == len("<PHONE#>") + 12


def test_field_actions_on_a_record(tmp_path: Path) -> None:
    """Named fields get their action on the whole value; encrypted ones are sealed and can be opened."""
    vault = vault_at(tmp_path / "vault.sqlite")
    policy = parse_policy(
        "fields:\n  contact_name: pseudonymize\n  author: hash\n  subject: allow\n  product: mask\n"
        "  amount: encrypt\n  fields.id_number: encrypt\n  fields.internal: drop\n  fields.hotline: allow\n"
    )
    out = compile_policy(policy, vault).pipeline(rec(
        contact_name="张主任", author="王销售", subject="回电 13812345678", product="骨科耗材", amount=1260000.0,
        text="手机 13912345678", fields={"id_number": "X-991", "internal": "secret", "hotline": "13700001111",
                                       "mobile": 13600001111},
    ))
    assert out.contact_name == "<CONTACT_NAME_1>" and out.author is not None and out.author.startswith("<AUTHOR#")
    assert out.subject == "回电 13812345678", "an allowed field is not scanned"
    assert out.product == "<PRODUCT>" and out.amount is None and out.text == "手机 <PHONE>"
    assert out.fields["hotline"] == "13700001111" and out.fields["mobile"] == "<PHONE>"
    assert "internal" not in out.fields and out.fields["id_number"] == "<ID_NUMBER_ENCRYPTED>"
    opened = vault.unseal_fields(out.fields[SEALED_KEY], "auditor")
    assert opened == {"amount": 1260000.0, "fields.id_number": "X-991"}
    assert vault.reidentify(out.contact_name or "", "auditor") == "张主任"


def test_input_sealed_key_is_scanned_not_trusted(tmp_path: Path) -> None:
    """A record cannot smuggle raw PII past the scan under the reserved ``_sealed`` key."""
    policy = parse_policy("fields:\n  fields.secret: encrypt\n")
    out = compile_policy(policy, vault_at(tmp_path / "v.sqlite")).pipeline(
        rec(fields={SEALED_KEY: {"x": "13812345678"}, "other": "ok"}))
    assert "13812345678" not in out.model_dump_json()


def test_default_policy_compiles_to_the_default_pipeline() -> None:
    """Without a policy the pipeline and text policy behave exactly as before (mask every kind)."""
    compiled = compile_policy(default_policy(), None)
    assert compiled.text is redact_text
    record = rec(text="电话13812345678", subject="li@acme.cn", fields={"m": "13912345678"})
    assert compiled.pipeline(record) == default_pipeline()(record)


def test_vault_actions_need_a_vault() -> None:
    """pseudonymize/hash/encrypt without a vault is a configuration error, not a silent mask."""
    with pytest.raises(ConfigError):
        compile_policy(parse_policy("pii:\n  PHONE: pseudonymize\n"), None)
    with pytest.raises(ConfigError):
        compile_policy(parse_policy("fields:\n  fields.x: encrypt\n"), None)


def test_request_filter_keeps_pseudonyms_and_handles_content_parts(tmp_path: Path) -> None:
    """Model messages get the text policy; pseudonyms pass; list-of-parts content is covered too."""
    vault = vault_at(tmp_path / "vault.sqlite")
    compiled = compile_policy(parse_policy("pii:\n  PHONE: pseudonymize\n"), vault)
    compiled.pipeline(rec(text="13812345678"))
    msgs = [{"role": "user", "content": "<PHONE_1> 和 13812345678 和 13900000000"},
            {"role": "user", "content": [{"type": "text", "text": "li@acme.cn"}]}]
    out = compiled.request_filter(msgs)
    assert out[0]["content"] == "<PHONE_1> 和 <PHONE_1> 和 <PHONE>"
    assert out[1]["content"][0]["text"] == "<EMAIL>"
    assert msgs[0]["content"].endswith("13900000000"), "the caller's messages are not changed"
