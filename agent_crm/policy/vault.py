"""The tenant's pseudonym vault: reversible pseudonyms (``<PHONE_1>``) whose values are encrypted at rest.

One SQLite file per tenant (``<tenant_dir>/vault.sqlite``) maps each pseudonym to its value, encrypted with
Fernet, and to a keyed digest of the value, so the same value always gets the same pseudonym without the
value being stored in the clear. Values are compared in a canonical form (``+86 138 1234 5678`` and
``13812345678`` are one phone); the first form seen is the one given back.

Keys: the master key is ``settings.encryption_key``, else a per-home key file (``<home>/keys/policy.key``,
created 0600 on first use). HKDF derives three keys per tenant from it: the Fernet key (values and fields
encrypted at rest), the lookup key (value digests) and the salt of the ``hash`` action. Another tenant's vault
or hashes cannot be read or linked with them.

Re-identification (:meth:`Vault.reidentify`) appends an audit record ``reidentification`` (actor, the
pseudonyms revealed, never their values). :func:`log_redactor` is the log processor's text redactor: PII
masked as ever, and values pseudonymized by field rules (names, which no detector finds) replaced by their
pseudonyms.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from agent_crm.errors import ConfigError
from agent_crm.policy.pii import DETECTORS, fold
from agent_crm.policy.redaction import redact_text
from agent_crm.sqlite_db import connect, migrate

if TYPE_CHECKING:
    from agent_crm.config import Settings

__all__ = [
    "KEY_FILE",
    "PSEUDONYM_RE",
    "TenantKeys",
    "Vault",
    "canonical_value",
    "log_redactor",
    "master_key",
    "open_vault",
]

KEY_FILE = Path("keys") / "policy.key"
"""The per-home master key file (below ``settings.home``), used when ``settings.encryption_key`` is unset."""
VAULT_FILE = "vault.sqlite"
"""Name of the vault inside a tenant's directory."""
PSEUDONYM_RE = re.compile(r"<([A-Z][A-Z0-9_]{0,47})_([1-9][0-9]{0,8})>")
"""A pseudonym: ``<KIND_N>``."""
HASH_HEX_CHARS = 12
"""Hex characters of the salted sha256 kept by the ``hash`` action."""
_MIGRATIONS = [(
    "001_pseudonyms",
    """CREATE TABLE pseudonyms (
        pseudonym TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        n INTEGER NOT NULL,
        digest TEXT NOT NULL UNIQUE,
        value_ct TEXT NOT NULL
    );
    CREATE UNIQUE INDEX pseudonyms_kind_n ON pseudonyms(kind, n)""",
)]
_DIGIT_KINDS = frozenset({"CN_ID", "BANK_CARD", "SSN", "LANDLINE", "IBAN", "USCC", "PASSPORT"})
_SEPARATORS = re.compile(r"[\s\-().+]")
_NON_DIGIT = re.compile(r"\D")


def master_key(settings: Settings) -> bytes:
    """Return the home's master key: ``settings.encryption_key``, else the key file (created 0600)."""
    if settings.encryption_key is not None:
        return settings.encryption_key.get_secret_value().encode("utf-8")
    path = Path(settings.home) / KEY_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def _derive(master: bytes, purpose: str, tenant: str) -> bytes:
    return HKDF(hashes.SHA256(), 32, b"agent_crm.policy", f"{purpose}:{tenant}".encode()).derive(master)


@dataclass(frozen=True)
class TenantKeys:
    """The three keys of one tenant, derived from the home's master key."""

    fernet: bytes
    """Fernet key (urlsafe base64) of vault values and encrypted fields."""
    lookup: bytes
    """HMAC key of value digests."""
    salt: bytes
    """Salt of the ``hash`` action."""

    @classmethod
    def derive(cls, master: bytes, tenant: str) -> TenantKeys:
        """Derive a tenant's keys from a master key."""
        return cls(base64.urlsafe_b64encode(_derive(master, "vault", tenant)),
                   _derive(master, "lookup", tenant), _derive(master, "hash-salt", tenant))


def canonical_value(kind: str, value: str) -> str:
    """Return the form in which two values of ``kind`` are the same value (digits of a phone, lower-case e-mail)."""
    v = fold(value).strip()
    if kind == "PHONE":
        digits = _NON_DIGIT.sub("", v)
        for prefix in ("0086", "86"):
            if len(digits) > 11 and digits.startswith(prefix):
                digits = digits[len(prefix):]
        return digits
    if kind == "EMAIL":
        return v.casefold()
    if kind in _DIGIT_KINDS:
        return _SEPARATORS.sub("", v).upper()
    if kind == "IP":
        return v.lower()
    return " ".join(v.split())


_open_vaults: weakref.WeakSet[Vault] = weakref.WeakSet()


class Vault:
    """One tenant's pseudonyms and encrypted values (the SQLite file is created on first write).

    Args:
        path: the vault file.
        tenant: the tenant id.
        keys: the tenant's keys, or a callable returning them (called on first need).
        ledger: the tenant's audit ledger (required to re-identify).
    """

    def __init__(
        self, path: Path, tenant: str, keys: TenantKeys | Callable[[], TenantKeys], *, ledger: Any = None
    ) -> None:
        self.path = Path(path)
        self.tenant = tenant
        self.ledger = ledger
        self._keys_source = keys
        self._keys: TenantKeys | None = keys if isinstance(keys, TenantKeys) else None
        self._fernet: Fernet | None = None
        self._conn: Any = None
        self._lock = threading.RLock()
        self._by_digest: dict[str, str] = {}
        self._values: dict[str, str] = {}
        self._field_values: dict[str, str] | None = None
        self._scrub_re: re.Pattern[str] | None = None
        _open_vaults.add(self)

    # ------------------------------------------------------------------ plumbing
    @property
    def keys(self) -> TenantKeys:
        """The tenant's keys (derived on first use)."""
        if self._keys is None:
            source = self._keys_source
            self._keys = source if isinstance(source, TenantKeys) else source()
        return self._keys

    def _cipher(self) -> Fernet:
        if self._fernet is None:
            self._fernet = Fernet(self.keys.fernet)
        return self._fernet

    def _db(self, *, create: bool) -> Any:
        if self._conn is None:
            if not create and not self.path.exists():
                return None
            self._conn = connect(self.path, durable=True)
            migrate(self._conn, _MIGRATIONS)
            os.chmod(self.path, 0o600)
        return self._conn

    def _digest(self, kind: str, canonical: str) -> str:
        return hmac.new(self.keys.lookup, f"{kind}\x00{canonical}".encode(), hashlib.sha256).hexdigest()

    def close(self) -> None:
        """Close the SQLite connection (it reopens on next use)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __len__(self) -> int:
        """Return the number of pseudonyms."""
        with self._lock:
            db = self._db(create=False)
            return 0 if db is None else int(db.execute("SELECT COUNT(*) FROM pseudonyms").fetchone()[0])

    # ------------------------------------------------------------------ pseudonyms
    def pseudonym(self, kind: str, value: str, *, create: bool = True) -> str | None:
        """Return the pseudonym of ``value`` (``<KIND_N>``), creating it unless ``create`` is false.

        Returns:
            The pseudonym; None when ``create`` is false and the value has none yet.
        """
        digest = self._digest(kind, canonical_value(kind, value))
        with self._lock:
            found = self._by_digest.get(digest)
            if found is not None:
                return found
            db = self._db(create=create)
            if db is None:
                return None
            row = db.execute("SELECT pseudonym FROM pseudonyms WHERE digest=?", (digest,)).fetchone()
            if row is None and not create:
                return None
            if row is None:
                row = self._insert(db, kind, value, digest)
            self._by_digest[digest] = row[0]
            return str(row[0])

    def _insert(self, db: Any, kind: str, value: str, digest: str) -> tuple[str]:
        db.execute("BEGIN IMMEDIATE")  # serialises writers across processes: numbers are never reused
        try:
            row = db.execute("SELECT pseudonym FROM pseudonyms WHERE digest=?", (digest,)).fetchone()
            if row is None:
                n = int(db.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM pseudonyms WHERE kind=?", (kind,))
                        .fetchone()[0])
                name = f"<{kind}_{n}>"
                token = self._cipher().encrypt(value.encode("utf-8")).decode("ascii")
                db.execute("INSERT INTO pseudonyms(pseudonym, kind, n, digest, value_ct) VALUES (?, ?, ?, ?, ?)",
                           (name, kind, n, digest, token))
                row = (name,)
                self._values[name] = value
                if kind not in DETECTORS and self._field_values is not None:
                    self._field_values[value] = name
                    self._scrub_re = None
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return (str(row[0]),)

    def hash_token(self, kind: str, value: str) -> str:
        """Return the ``hash`` action's token: ``<KIND#`` + salted sha256 prefix + ``>`` (per-tenant salt)."""
        data = self.keys.salt + f"{kind}\x00{canonical_value(kind, value)}".encode()
        return f"<{kind}#{hashlib.sha256(data).hexdigest()[:HASH_HEX_CHARS]}>"

    def lookup(self, pseudonyms: Iterable[str]) -> dict[str, str]:
        """Return ``pseudonym -> value`` for the known ones, without an audit record (internal use).

        Only :mod:`agent_crm.policy.roles` (partial masks) and :meth:`reidentify` call this.
        """
        wanted = sorted(set(pseudonyms))
        out: dict[str, str] = {}
        with self._lock:
            missing = [p for p in wanted if p not in self._values]
            db = self._db(create=False) if missing else None
            if db is not None:
                for i in range(0, len(missing), 500):
                    part = missing[i : i + 500]
                    marks = ",".join("?" * len(part))
                    for name, token in db.execute(
                        f"SELECT pseudonym, value_ct FROM pseudonyms WHERE pseudonym IN ({marks}) AND value_ct != ''",
                        part,
                    ):
                        self._values[name] = self._cipher().decrypt(token.encode("ascii")).decode("utf-8")
            for p in wanted:
                if p in self._values:
                    out[p] = self._values[p]
        return out

    def reidentify_many(self, pseudonyms: Iterable[str], actor: str, *, purpose: str = "") -> dict[str, str]:
        """Return the values of known pseudonyms, appending one audit record naming them (not their values).

        Raises:
            ConfigError: the vault has no audit ledger to record the re-identification in.
        """
        if self.ledger is None:
            raise ConfigError("re-identification needs the tenant's audit ledger; open the vault with one")
        values = self.lookup(pseudonyms)
        if values:
            self.ledger.append("reidentification", {"pseudonyms": sorted(values), "count": len(values),
                                                    "purpose": purpose}, actor=actor)
        return values

    def reidentify(self, text: str, actor: str, *, purpose: str = "") -> str:
        """Replace the pseudonyms in ``text`` by their values (audited: actor and pseudonyms, no values)."""
        names = {m.group(0) for m in PSEUDONYM_RE.finditer(text)}
        if not names:
            return text
        values = self.reidentify_many(names, actor, purpose=purpose)
        return PSEUDONYM_RE.sub(lambda m: values.get(m.group(0), m.group(0)), text)

    def forget(self, pseudonyms: Iterable[str]) -> int:
        """Erase the values of ``pseudonyms`` (crypto-shredding for erasure); return how many were erased.

        The rows stay as tombstones so a number is never given to another value; the same value seen again
        gets a new pseudonym.
        """
        wanted = sorted(set(pseudonyms))
        with self._lock:
            db = self._db(create=False)
            if db is None or not wanted:
                return 0
            db.execute("BEGIN IMMEDIATE")
            try:
                n = 0
                for name in wanted:
                    n += db.execute("UPDATE pseudonyms SET value_ct='', digest='erased:' || pseudonym "
                                    "WHERE pseudonym=? AND value_ct != ''", (name,)).rowcount
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self._by_digest = {d: p for d, p in self._by_digest.items() if p not in wanted}
            for name in wanted:
                self._values.pop(name, None)
            self._field_values, self._scrub_re = None, None
            return n

    # ------------------------------------------------------------------ encrypted fields
    def seal(self, value: Any) -> str:
        """Encrypt a JSON value (an ``encrypt`` field) and return the Fernet token."""
        data = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        return self._cipher().encrypt(data).decode("ascii")

    def unseal(self, token: str) -> Any:
        """Decrypt a token made by :meth:`seal` (internal use; readers go through :meth:`unseal_fields`).

        Raises:
            ConfigError: the token was not sealed with this tenant's key.
        """
        try:
            return json.loads(self._cipher().decrypt(token.encode("ascii")))
        except InvalidToken as exc:
            raise ConfigError("encrypted field cannot be opened with this tenant's key") from exc

    def unseal_fields(self, sealed: Mapping[str, str], actor: str, *, purpose: str = "") -> dict[str, Any]:
        """Decrypt a record's ``fields._sealed`` values, appending an audit record naming the fields."""
        if self.ledger is None:
            raise ConfigError("opening encrypted fields needs the tenant's audit ledger")
        out = {name: self.unseal(token) for name, token in sealed.items()}
        if out:
            self.ledger.append("reidentification", {"fields": sorted(out), "count": len(out),
                                                    "purpose": purpose}, actor=actor)
        return out

    # ------------------------------------------------------------------ log scrubbing
    def _load_field_values(self) -> dict[str, str]:
        if self._field_values is None:
            values: dict[str, str] = {}
            db = self._db(create=False)
            if db is not None:
                rows = db.execute("SELECT pseudonym, kind, value_ct FROM pseudonyms WHERE value_ct != ''").fetchall()
                for name, kind, token in rows:
                    if kind not in DETECTORS:
                        values[self._cipher().decrypt(token.encode("ascii")).decode("utf-8")] = name
            self._field_values = values
        return self._field_values

    def scrub(self, text: str) -> str:
        """Replace values pseudonymized by field rules (names and the like) by their pseudonyms."""
        with self._lock:
            if self._scrub_re is None:
                values = sorted((v for v in self._load_field_values() if len(v) >= 2), key=len, reverse=True)
                self._scrub_re = re.compile("|".join(map(re.escape, values))) if values else re.compile(r"(?!x)x")
            pattern, names = self._scrub_re, self._field_values or {}
        return pattern.sub(lambda m: names.get(m.group(0), m.group(0)), text) if names else text


def log_redactor(text: str) -> str:
    """Redact a log string: PII masked, and values pseudonymized by field rules of any open vault replaced."""
    text = redact_text(text)
    for vault in list(_open_vaults):
        text = vault.scrub(text)
    return text


def open_vault(settings: Settings, tenant: str, *, ledger: Any = None) -> Vault:
    """Return the tenant's vault (keys derived from the home's master key on first need)."""
    from agent_crm.tenancy import tenant_dir

    path = tenant_dir(settings.home, tenant) / VAULT_FILE
    return Vault(path, tenant, lambda: TenantKeys.derive(master_key(settings), tenant), ledger=ledger)
