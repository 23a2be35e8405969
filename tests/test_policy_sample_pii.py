"""Every PII value planted in the sample tenants (knowledge/pii_manifest.jsonl) is redacted by the default policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_crm.kb.loaders import load_file
from agent_crm.policy.redaction import default_pipeline, redact_text

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = [json.loads(x) for x in (ROOT / "knowledge/pii_manifest.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("text", [
    "Call me at +1 (717) 869-3340 tomorrow", "WhatsApp +49 176 3172745 please", "office +44 20 7946 0958",
    "phone 717-869-3340.", "(415) 555-2671 is my cell", "+33 6 12 34 56 78",
])
def test_international_phone_formats_are_redacted(text: str) -> None:
    """International (+country code) and North-American phone formats become <PHONE>."""
    out = redact_text(text)
    assert "<PHONE>" in out
    assert not any(ch.isdigit() for ch in out)


@pytest.mark.parametrize("text", [
    "order SO-2026-004512 shipped 2026-11-13", "total 1,380,000.00 USD", "SKU-TS-0042-BL restocked",
    "version 2.10.3-1", "invoice INV-2026-000871 due 2026-12-01",
])
def test_business_numbers_are_not_phones(text: str) -> None:
    """Order numbers, dates, amounts and SKUs are left alone."""
    assert redact_text(text) == text


def test_every_planted_value_in_the_sample_tenants_is_redacted() -> None:
    """Load each sample tenant, apply the default policy: none of the manifest's raw values survive."""
    policy = default_pipeline()
    by_tenant: dict[str, list[dict[str, str]]] = {}
    for row in MANIFEST:
        by_tenant.setdefault(row["tenant"], []).append(row)
    assert by_tenant, "the manifest lists planted values"
    for tenant, rows in by_tenant.items():
        recs = {}
        for f in sorted((ROOT / "knowledge/tenants" / tenant).glob("*.jsonl")) + sorted(
                (ROOT / "knowledge/tenants" / tenant).glob("*.csv")):
            if f.name.startswith("customers"):
                continue
            recs.update({r.id: r for r in load_file(f, tenant).records})
        for row in rows:
            rec = recs[row["record_id"]]
            clean = policy(rec).model_dump_json()
            assert row["value"] not in clean, f"{tenant} {row['record_id']} {row['kind']} survived"


@pytest.mark.parametrize("address", ["a..a0@acme.cn", "x.@y.com", ".lead@corp.io", "li_lei+crm@mail.example.org"])
def test_unusual_email_forms_are_still_masked(address: str) -> None:
    """Malformed-but-real addresses (double dots, trailing dot) are someone's address: they are masked."""
    out = redact_text(f"请联系 {address} 谢谢")
    assert address not in out and "<EMAIL>" in out
