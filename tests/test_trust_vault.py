"""The pseudonym vault: values encrypted at rest, audited re-identification, per-tenant keys, log scrubbing."""

from __future__ import annotations

import io
import stat
import threading
from pathlib import Path

import pytest

from agent_crm.audit.sqlite import SqliteLedger
from agent_crm.config import build_settings
from agent_crm.errors import ConfigError
from agent_crm.logs import configure_logging, get_logger
from agent_crm.policy.redaction import redact_text
from agent_crm.policy.vault import KEY_FILE, TenantKeys, Vault, log_redactor, master_key, open_vault


def make(tmp_path: Path, tenant: str = "acme") -> tuple[Vault, SqliteLedger]:
    """Open a vault with its ledger."""
    ledger = SqliteLedger(tmp_path / f"{tenant}-audit.sqlite", tenant)
    return Vault(tmp_path / f"{tenant}-vault.sqlite", tenant, TenantKeys.derive(b"m", tenant), ledger=ledger), ledger


def file_bytes(path: Path) -> bytes:
    """Return a SQLite file with its WAL and shared-memory files."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_values_are_encrypted_at_rest(tmp_path: Path) -> None:
    """The vault file holds neither the value nor its digits; the pseudonym survives a reopen."""
    vault, _ = make(tmp_path)
    p = vault.pseudonym("PHONE", "13812345678")
    name = vault.pseudonym("CONTACT_NAME", "张主任")
    vault.close()
    blob = file_bytes(vault.path)
    assert b"13812345678" not in blob and "张主任".encode() not in blob
    again = Vault(vault.path, "acme", TenantKeys.derive(b"m", "acme"))
    assert again.pseudonym("PHONE", "138 1234 5678", create=False) == p == "<PHONE_1>"
    assert again.lookup([p, name]) == {p: "13812345678", name: "张主任"}
    assert stat.S_IMODE(vault.path.stat().st_mode) == 0o600


def test_reidentification_is_audited_without_values(tmp_path: Path) -> None:
    """Each re-identification appends one ``reidentification`` record naming actor and pseudonyms only."""
    vault, ledger = make(tmp_path)
    p = vault.pseudonym("PHONE", "13812345678")
    assert vault.reidentify(f"请致电 {p}，不是 <PHONE_9>", "compliance@acme", purpose="complaint 42") == \
        "请致电 13812345678，不是 <PHONE_9>"
    records = ledger.list(kind="reidentification")
    assert len(records) == 1 and records[0].actor == "compliance@acme"
    assert records[0].payload["data"] == {"pseudonyms": [p], "count": 1, "purpose": "complaint 42"}
    assert b"13812345678" not in file_bytes(ledger.path)
    vault.reidentify("nothing to reveal", "compliance@acme")
    assert len(ledger.list(kind="reidentification")) == 1, "no record when nothing was revealed"


def test_reidentification_needs_a_ledger(tmp_path: Path) -> None:
    """A vault without an audit ledger refuses to re-identify."""
    vault = Vault(tmp_path / "v.sqlite", "acme", TenantKeys.derive(b"m", "acme"))
    p = vault.pseudonym("PHONE", "13812345678")
    with pytest.raises(ConfigError):
        vault.reidentify(p, "someone")


def test_tenants_cannot_read_each_others_vault(tmp_path: Path) -> None:
    """Another tenant's keys open neither the values nor the sealed fields of a vault."""
    a, _ = make(tmp_path, "acme")
    token = a.seal({"id": "X-1"})
    a.pseudonym("PHONE", "13812345678")
    intruder = Vault(a.path, "globex", TenantKeys.derive(b"m", "globex"))
    assert intruder.pseudonym("PHONE", "13812345678", create=False) is None, "digests are keyed per tenant"
    with pytest.raises(ConfigError):
        intruder.unseal(token)


def test_concurrent_writers_never_share_a_number(tmp_path: Path) -> None:
    """Threads pseudonymizing at once give each value one pseudonym and each pseudonym one value."""
    vault, _ = make(tmp_path)
    other = Vault(vault.path, "acme", TenantKeys.derive(b"m", "acme"))  # a second connection, like a 2nd process
    out: dict[str, set[str]] = {}
    lock = threading.Lock()

    def work(v: Vault, offset: int) -> None:
        for i in range(40):
            value = f"1390000{(i + offset) % 60:04d}"
            p = v.pseudonym("PHONE", value)
            with lock:
                out.setdefault(value, set()).add(p or "")

    threads = [threading.Thread(target=work, args=(v, k * 20)) for k, v in enumerate([vault, other, vault, other])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(ps) == 1 for ps in out.values())
    names = [next(iter(ps)) for ps in out.values()]
    assert len(set(names)) == len(names) == len(vault) == 60


def test_home_key_file_is_created_0600(tmp_path: Path) -> None:
    """Without settings.encryption_key the master key is a 0600 file under the home, stable across calls."""
    cfg = build_settings(home=tmp_path / "home")
    key = master_key(cfg)
    path = cfg.home / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and master_key(cfg) == key
    configured = build_settings(home=tmp_path / "home2", encryption_key="k" * 44)
    assert master_key(configured) == b"k" * 44 and not (configured.home / KEY_FILE).exists()
    vault = open_vault(cfg, "acme")
    assert vault.pseudonym("EMAIL", "li@acme.cn") == "<EMAIL_1>"


def test_log_redactor_covers_pseudonymized_field_values(tmp_path: Path) -> None:
    """A logged contact name the policy pseudonymized comes out as its pseudonym; PII kinds stay masked."""
    vault, _ = make(tmp_path)
    name = vault.pseudonym("CONTACT_NAME", "欧阳晓峰")
    buf = io.StringIO()
    configure_logging(level="INFO", fmt="json", redactor=log_redactor, stream=buf)
    try:
        get_logger("test").info("visit", note="欧阳晓峰 电话 13812345678", who=["欧阳晓峰"])
    finally:
        configure_logging(level="WARNING", redactor=redact_text)
    out = buf.getvalue()
    assert "欧阳晓峰" not in out and "13812345678" not in out
    assert out.count(name or "?") == 2 and "<PHONE>" in out


def test_forgotten_values_are_gone_and_numbers_not_reused(tmp_path: Path) -> None:
    """Erasure shreds a value: it no longer re-identifies, and the value seen again gets a new pseudonym."""
    vault, _ = make(tmp_path)
    p = vault.pseudonym("PHONE", "13812345678")
    assert vault.forget([p, "<PHONE_7>"]) == 1
    assert vault.reidentify(f"call {p}", "cmp") == f"call {p}"
    assert vault.pseudonym("PHONE", "13812345678") == "<PHONE_2>"
