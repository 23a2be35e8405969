"""Per-subject data keys for crypto-shredding the personal parts of audit payloads.

Each subject (a customer pseudonym or id) gets its own Fernet data key. Personal values are stored only as
Fernet ciphertext of their canonical JSON; deleting the subject's key makes every ciphertext of that subject
unreadable while the ciphertext (and therefore every hash over it) stays in place. Data keys may themselves be
wrapped with a master key (envelope encryption) so that a copy of the database file alone exposes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from agent_crm.audit.canonical import canonical_json
from agent_crm.errors import ConfigError

__all__ = [
    "InvalidToken", "can_decrypt", "decrypt_personal", "encrypt_personal", "new_data_key", "unwrap_key",
    "wrap_key",
]


def new_data_key() -> bytes:
    """Return a fresh random Fernet data key (urlsafe base64, 44 bytes)."""
    return Fernet.generate_key()


def _master(master_key: bytes) -> Fernet:
    try:
        return Fernet(master_key)
    except (ValueError, TypeError) as exc:
        raise ConfigError("the audit master key must be a Fernet key (urlsafe base64 of 32 bytes)") from exc


def wrap_key(data_key: bytes, master_key: bytes | None) -> tuple[bytes, bool]:
    """Return the data key as stored (wrapped with the master key if one is given) and if it is wrapped."""
    if master_key is None:
        return data_key, False
    return _master(master_key).encrypt(data_key), True


def unwrap_key(stored: bytes, wrapped: bool, master_key: bytes | None) -> bytes:
    """Return the data key from its stored form.

    Raises:
        ConfigError: the key is wrapped and no master key, or the wrong one, was given.
    """
    if not wrapped:
        return stored
    if master_key is None:
        raise ConfigError("audit data keys are wrapped with a master key but none was configured")
    try:
        return _master(master_key).decrypt(stored)
    except InvalidToken as exc:
        raise ConfigError("audit data keys cannot be unwrapped: wrong master key") from exc


def encrypt_personal(data_key: bytes, personal: Mapping[str, Any]) -> str:
    """Encrypt the canonical JSON of ``personal`` with a subject's data key; return the Fernet token."""
    return Fernet(data_key).encrypt(canonical_json(personal)).decode("ascii")


def decrypt_personal(data_key: bytes, token: str) -> dict[str, Any]:
    """Decrypt a token written by :func:`encrypt_personal`.

    Raises:
        InvalidToken: the token was not made with this key (e.g. the subject's key was shredded and replaced).
    """
    value = json.loads(Fernet(data_key).decrypt(token.encode("ascii")))
    if not isinstance(value, dict):
        raise InvalidToken
    return value


def can_decrypt(data_key: bytes, token: str) -> bool:
    """Return whether ``token`` opens with ``data_key``."""
    try:
        decrypt_personal(data_key, token)
    except InvalidToken:
        return False
    return True
