"""Policy files: defaults, the example file, and errors that name file, line, key path and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_crm.errors import ConfigError
from agent_crm.policy.pii import KINDS
from agent_crm.policy.policy_file import Action, PolicyFileError, default_policy, load_policy, parse_policy

EXAMPLE = Path(__file__).resolve().parents[1] / "knowledge" / "policies" / "policy.example.yaml"


def test_missing_file_gives_the_default_mask_everything_policy(tmp_path: Path) -> None:
    """No policy file: every kind masked, no field rule, any region, no cross-verification."""
    policy = load_policy(tmp_path / "policy.yaml")
    assert policy == default_policy()
    assert set(policy.pii) == set(KINDS) and all(a is Action.MASK for a in policy.pii.values())
    assert policy.masks_only and not policy.cross_verify and not policy.residency.restricted


def test_example_file_loads_with_every_section() -> None:
    """The shipped example is valid and uses pseudonymize, hash, encrypt, drop and cross_verify."""
    policy = load_policy(EXAMPLE)
    assert policy.pii["PHONE"] is Action.PSEUDONYMIZE and policy.pii["CN_ID"] is Action.HASH
    assert policy.pii["USCC"] is Action.MASK, "kinds not named stay masked"
    assert policy.fields["fields.id_number"] is Action.ENCRYPT
    assert policy.cross_verify and policy.cross_verify_fields == ("requested_amount",)
    assert policy.residency.allowed_regions == frozenset({"cn", "eu"})
    assert policy.residency.rule_for("EU-DE") == frozenset({"eu"})
    assert policy.residency.rule_for("CN-ZJ") is None


def test_deal_amount_is_an_alias_of_amount() -> None:
    """``deal_amount: cross_verify`` names the amount field."""
    assert parse_policy("fields:\n  deal_amount: cross_verify\n").fields == {"amount": Action.CROSS_VERIFY}


@pytest.mark.parametrize(
    ("text", "line", "col", "key_path", "reason"),
    [
        ("pii:\n  PHONE: scramble\n", 2, 10, "pii.PHONE", "unknown action 'scramble'"),
        ("pii:\n  PHONEY: mask\n", 2, 3, "pii.PHONEY", "unknown PII kind"),
        ("pii:\n  CN_ID: encrypt\n", 2, 10, "pii.CN_ID", "does not apply to a PII kind"),
        ("fields:\n  amount: hash\n", 2, 11, "fields.amount", "does not apply to the amount field"),
        ("fields:\n  text: cross_verify\n", 2, 9, "fields.text", "does not apply to a text field"),
        ("fields:\n  nickname: mask\n", 2, 3, "fields.nickname", "unknown field"),
        ("version: 1\nresidency:\n  allowed_regions: []\n", 3, 20, "residency.allowed_regions", "non-empty list"),
        ("residency:\n  by_customer_region:\n    EU: [eu, 'bad region']\n", 3, 14,
         "residency.by_customer_region.EU.1", "invalid region name"),
        ("residency:\n  on_violation: maybe\n", 2, 17, "residency.on_violation", "'fallback'"),
        ("cross_verify:\n  min_sources: 0\n", 2, 16, "cross_verify.min_sources", "from 1 to 10"),
        ("pii:\n  PHONE: mask\n  PHONE: allow\n", 3, 3, "pii.PHONE", "duplicate key"),
        ("fields:\n  amount: allow\n  deal_amount: drop\n", 3, 3, "fields.deal_amount", "named twice"),
        ("retention: 30\n", 1, 1, "retention", "unknown key"),
        ("pii: [PHONE\n", 2, 1, "", "invalid YAML"),
    ],
)
def test_invalid_policy_is_located(text: str, line: int, col: int, key_path: str, reason: str) -> None:
    """Each mistake raises a ConfigError with the file, line:column, key path and reason."""
    with pytest.raises(PolicyFileError) as info:
        parse_policy(text, "tenants/acme/policy.yaml")
    err = info.value
    assert isinstance(err, ConfigError)
    assert (err.file, err.line, err.column, err.key_path) == ("tenants/acme/policy.yaml", line, col, key_path)
    assert reason in err.reason
    assert str(err).startswith(f"tenants/acme/policy.yaml:{line}:{col}: ")


def test_tenant_settings_regions_narrow_the_policy(tmp_path: Path) -> None:
    """``allowed_regions`` of tenant.yaml is intersected with the policy's."""
    path = tmp_path / "policy.yaml"
    path.write_text("residency:\n  allowed_regions: [cn, eu]\n", encoding="utf-8")
    assert load_policy(path, tenant_regions=["eu", "us"]).residency.allowed_regions == frozenset({"eu"})
    assert load_policy(tmp_path / "none.yaml", tenant_regions=["cn"]).residency.allowed_regions == {"cn"}
