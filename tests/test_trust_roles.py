"""Reader roles: agents see pseudonyms, analysts partly masked values, compliance re-identifies (audited)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_crm.audit.sqlite import SqliteLedger
from agent_crm.errors import InputError
from agent_crm.policy.roles import partial_mask, present
from agent_crm.policy.vault import TenantKeys, Vault
from agent_crm.types import Citation, Decision


@pytest.fixture()
def vault(tmp_path: Path) -> Vault:
    """A vault holding one phone and one contact name, with a ledger."""
    v = Vault(tmp_path / "vault.sqlite", "acme", TenantKeys.derive(b"m", "acme"),
              ledger=SqliteLedger(tmp_path / "audit.sqlite", "acme"))
    v.pseudonym("PHONE", "13812345678")
    v.pseudonym("CONTACT_NAME", "张主任")
    return v


def decision() -> Decision:
    """A decision whose answer and citation carry pseudonyms and one raw e-mail."""
    return Decision(
        type="next_best_action", label="follow_up", score=0.7, tenant="acme", customer_id="c1",
        answer="请联系 <CONTACT_NAME_1>（<PHONE_1>），或写信到 li.na@acme.cn；<PHONE> 未知。",
        citations=(Citation(record_id="r1", snippet="<CONTACT_NAME_1> 来电 <PHONE_1>"),),
    )


def test_agent_sees_pseudonyms_and_placeholders(vault: Vault) -> None:
    """The agent view keeps pseudonyms and masks any raw PII with typed placeholders."""
    d = present(decision(), "agent", vault)
    assert isinstance(d, Decision)
    assert d.answer == "请联系 <CONTACT_NAME_1>（<PHONE_1>），或写信到 <EMAIL>；<PHONE> 未知。"
    assert present(decision(), "admin", vault) == d
    assert vault.ledger.list(kind="reidentification") == []


def test_analyst_sees_partly_masked_values(vault: Vault) -> None:
    """The analyst view shows 138****5678 for a pseudonym, l***@acme.cn for raw e-mail, no audit record."""
    d = present(decision(), "analyst", vault)
    assert d.answer == "请联系 张**（138****5678），或写信到 l***@acme.cn；<PHONE> 未知。"
    assert d.citations[0].snippet == "张** 来电 138****5678"
    assert vault.ledger.list(kind="reidentification") == []


def test_compliance_reidentifies_once_per_call_and_is_audited(vault: Vault) -> None:
    """The compliance view gives the real values back and records one re-identification naming the reader."""
    out = present({"answer": decision().answer, "items": ["<PHONE_1>"]}, "compliance", vault, actor="cmp@acme")
    assert out["answer"] == "请联系 张主任（13812345678），或写信到 li.na@acme.cn；<PHONE> 未知。"
    assert out["items"] == ["13812345678"]
    rows = vault.ledger.list(kind="reidentification")
    assert len(rows) == 1 and rows[0].actor == "cmp@acme"
    assert rows[0].payload["data"]["pseudonyms"] == ["<CONTACT_NAME_1>", "<PHONE_1>"]


def test_texts_without_a_vault_and_unknown_roles() -> None:
    """Strings work as well as objects; without a vault pseudonyms stay; an unknown role is an input error."""
    assert present("<PHONE_1> 13900001111", "analyst", None) == "<PHONE_1> 139****1111"
    assert present("<PHONE_1>", "compliance", None) == "<PHONE_1>"
    with pytest.raises(InputError):
        present("x", "guest", None)


@pytest.mark.parametrize(
    ("kind", "value", "shown"),
    [("PHONE", "+86 138 1234 5678", "138****5678"), ("CN_ID", "11010519900307123X", "110105********123X"),
     ("BANK_CARD", "6222 0212 3456 7897", "622202******7897"), ("EMAIL", "zhang.san@acme.cn", "z***@acme.cn"),
     ("LANDLINE", "0571-88776655", "0571****6655"), ("CONTACT_NAME", "欧阳晓峰", "欧***")],
)
def test_partial_masks(kind: str, value: str, shown: str) -> None:
    """Partial masks keep only the conventional visible digits or characters."""
    assert partial_mask(kind, value) == shown
