"""API keys: one tenant and one role per key, stored hashed in ``<home>/access.sqlite``.

A key reads ``acrm_<key_id>_<secret>``. The key id is public (it names the key in logs, lists and audit
records); the secret is 32 random bytes, shown once when the key is created and never stored: the store keeps
``HMAC-SHA256(salt, secret)`` with a random per-key salt. A slow password hash is not needed because the
secret is high-entropy random data, not a password; verification compares digests in constant time.

The role matrix is in :mod:`agent_crm.access.roles`.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent_crm.access.roles import Role, parse_role
from agent_crm.errors import InputError, NotFoundError
from agent_crm.sqlite_db import Migration, connect, migrate
from agent_crm.tenancy import validate_tenant

KEY_PREFIX = "acrm"
DEFAULT_RATE_LIMIT = 600
"""Requests per minute of a key when none is given."""
MAX_RATE_LIMIT = 1_000_000
ACCESS_DB = "access.sqlite"

_KEY_RE = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{32,128}})$")
_NAME_RE = re.compile(r"^[\w .@:/-]{0,80}$")

_MIGRATIONS: list[Migration] = [
    ("0001_api_keys", """
CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    role TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    rate_limit INTEGER NOT NULL,
    models TEXT,
    salt TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX api_keys_tenant ON api_keys(tenant)
"""),
]


@dataclass(frozen=True)
class KeyInfo:
    """What a verified key may do (never carries the secret)."""

    key_id: str
    tenant: str
    role: Role
    name: str
    rate_limit: int
    """Requests per minute."""
    created_at: str
    revoked_at: str | None = None
    models: tuple[str, ...] | None = None
    """Model aliases this key may use (None = every alias of the models file)."""

    @property
    def actor(self) -> str:
        """How the key is named in audit records: ``key:<id>`` plus its name when it has one."""
        return f"key:{self.key_id}" + (f" ({self.name})" if self.name else "")

    def may_use(self, alias: str) -> bool:
        """Whether this key may use the model alias."""
        return self.models is None or alias in self.models

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (no secret, no hash)."""
        out = asdict(self)
        out["role"] = self.role.value
        out["models"] = list(self.models) if self.models is not None else None
        return out


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode("ascii"), hashlib.sha256).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _info(row: sqlite3.Row | tuple[Any, ...]) -> KeyInfo:
    key_id, tenant, role, name, rate_limit, models, created_at, revoked_at = row
    return KeyInfo(key_id=key_id, tenant=tenant, role=Role(role), name=name, rate_limit=int(rate_limit),
                   created_at=created_at, revoked_at=revoked_at,
                   models=tuple(json.loads(models)) if models is not None else None)


_COLS = "key_id, tenant, role, name, rate_limit, models, created_at, revoked_at"


class KeyStore:
    """The API keys of a data home (all tenants), in one SQLite file readable by every server process."""

    def __init__(self, path: Path) -> None:
        """Open (creating when missing) the key store at ``path``."""
        self.path = path
        self._lock = threading.Lock()
        self._conn = connect(path, durable=True)
        migrate(self._conn, _MIGRATIONS)
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if p.exists():
                os.chmod(p, 0o600)

    @classmethod
    def for_home(cls, home: Path) -> KeyStore:
        """The key store of a data home (``<home>/access.sqlite``)."""
        return cls(Path(home) / ACCESS_DB)

    def create(
        self, tenant: str, role: Role | str, name: str | None = None, *, rate_limit: int = DEFAULT_RATE_LIMIT,
        models: builtins.list[str] | tuple[str, ...] | None = None,
    ) -> tuple[str, str]:
        """Create a key; return ``(key_id, plaintext)`` (the plaintext is not kept and cannot be shown again).

        Raises:
            TenantError: ``tenant`` is not a valid tenant id.
            InputError: unknown role, a name with unusual characters, or a rate limit out of range.
        """
        tenant = validate_tenant(tenant)
        role = parse_role(str(role))
        name = (name or "").strip()
        if not _NAME_RE.fullmatch(name):
            raise InputError("key name: use at most 80 letters, digits, spaces or . @ : / - _")
        if not 1 <= rate_limit <= MAX_RATE_LIMIT:
            raise InputError(f"rate_limit must be within 1..{MAX_RATE_LIMIT} requests per minute")
        chosen = None if models is None else json.dumps(sorted({m.strip() for m in models if m.strip()}))
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        with self._lock:
            self._conn.execute(
                "INSERT INTO api_keys(key_id, tenant, role, name, rate_limit, models, salt, secret_hash,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key_id, tenant, role.value, name, rate_limit, chosen, salt, _digest(salt, secret), _now()),
            )
        return key_id, f"{KEY_PREFIX}_{key_id}_{secret}"

    def list(self, tenant: str | None = None, *, include_revoked: bool = True) -> builtins.list[KeyInfo]:
        """Keys (no secrets), oldest first, optionally of one tenant and only the active ones."""
        where, args = [], []
        if tenant is not None:
            where.append("tenant = ?")
            args.append(validate_tenant(tenant))
        if not include_revoked:
            where.append("revoked_at IS NULL")
        sql = f"SELECT {_COLS} FROM api_keys" + (f" WHERE {' AND '.join(where)}" if where else "")
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY created_at, key_id", args).fetchall()
        return [_info(r) for r in rows]

    def get(self, key_id: str) -> KeyInfo:
        """One key by id; raise NotFoundError when there is none."""
        with self._lock:
            row = self._conn.execute(f"SELECT {_COLS} FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no API key with id {key_id!r}")
        return _info(row)

    def revoke(self, key_id: str) -> KeyInfo:
        """Revoke a key and return it; effective at once in every process (revoking twice keeps the first)."""
        with self._lock:
            self._conn.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                               (_now(), key_id))
        return self.get(key_id)

    def verify(self, plaintext: str) -> KeyInfo | None:
        """Return the key a presented plaintext belongs to; None when malformed, unknown or revoked."""
        m = _KEY_RE.fullmatch(plaintext.strip())
        if m is None:
            return None
        key_id, secret = m.groups()
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLS}, salt, secret_hash FROM api_keys WHERE key_id = ?", (key_id,)
            ).fetchone()
        if row is None:
            return None
        *cols, salt, secret_hash = row
        if not hmac.compare_digest(_digest(salt, secret), secret_hash):
            return None
        info = _info(tuple(cols))
        return None if info.revoked_at is not None else info

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()
