"""What each reader role sees of an answer, a decision, a record or any API response: :func:`present`.

=============  ==========================================  =====================================
role           pseudonyms (``<PHONE_1>``)                  raw PII left in the data
=============  ==========================================  =====================================
agent          kept as they are                            typed placeholders (``<PHONE>``)
analyst        partly masked values (``138****5678``)      partly masked
compliance     re-identified (one audit record per call)   left as is
=============  ==========================================  =====================================

``admin`` reads as ``agent``: administering a tenant is not a reason to see its customers' data. Placeholders
and hash tokens carry no value and stay for everyone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel

from agent_crm.errors import InputError
from agent_crm.policy.pii import DETECTORS, detect
from agent_crm.policy.redaction import redact_text
from agent_crm.policy.vault import PSEUDONYM_RE, Vault, canonical_value

__all__ = ["ROLE_VIEWS", "ReaderRole", "partial_mask", "present", "reader_role"]

T = TypeVar("T")
_NON_DIGIT = re.compile(r"\D")


class ReaderRole(StrEnum):
    """How much of the personal data a reader sees."""

    AGENT = "agent"
    ANALYST = "analyst"
    COMPLIANCE = "compliance"


ROLE_VIEWS: dict[str, ReaderRole] = {
    "agent": ReaderRole.AGENT, "analyst": ReaderRole.ANALYST, "compliance": ReaderRole.COMPLIANCE,
    "admin": ReaderRole.AGENT,
}
"""API key role -> reader view."""


def reader_role(role: str) -> ReaderRole:
    """Return the view of an API role name (``agent``, ``analyst``, ``compliance``, ``admin``).

    Raises:
        InputError: an unknown role.
    """
    view = ROLE_VIEWS.get(str(role).strip().lower())
    if view is None:
        raise InputError(f"unknown reader role {role!r}; roles: {', '.join(ROLE_VIEWS)}")
    return view


def _stars(n: int) -> str:
    return "*" * max(n, 1)


def partial_mask(kind: str, value: str) -> str:
    """Return ``value`` partly masked for an analyst (``13812345678`` -> ``138****5678``)."""
    if kind in ("PHONE", "LANDLINE"):
        digits = canonical_value("PHONE", value) if kind == "PHONE" else _NON_DIGIT.sub("", value)
        head = 3 if kind == "PHONE" else 4
        if len(digits) > head + 4:
            return digits[:head] + "****" + digits[-4:]
        return digits[:2] + _stars(len(digits) - 2)
    if kind == "EMAIL":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind in ("CN_ID", "BANK_CARD"):
        c = canonical_value(kind, value)
        return c[:6] + _stars(len(c) - 10) + c[-4:] if len(c) > 10 else c[:2] + _stars(len(c) - 2)
    text = value.strip()
    if kind in DETECTORS and len(text) > 6:
        return text[:2] + _stars(len(text) - 4) + text[-2:]
    return text[:1] + _stars(len(text) - 1)


def _map_strings(obj: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(obj, str):
        return fn(obj)
    if isinstance(obj, BaseModel):
        return type(obj).model_validate(_map_strings(obj.model_dump(mode="json"), fn))
    if isinstance(obj, dict):
        return {k: _map_strings(v, fn) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_map_strings(v, fn) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_map_strings(v, fn) for v in obj)
    return obj


def _pseudonyms(obj: Any) -> set[str]:
    found: set[str] = set()

    def collect(text: str) -> str:
        found.update(m.group(0) for m in PSEUDONYM_RE.finditer(text))
        return text

    _map_strings(obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj, collect)
    return found


def _kind_of(pseudonym: str) -> str:
    m = PSEUDONYM_RE.fullmatch(pseudonym)
    return m.group(1) if m else ""


def _mask_raw(text: str) -> str:
    found = detect(text)
    if not found:
        return text
    parts: list[str] = []
    pos = 0
    for m in found:
        parts += [text[pos : m.start], partial_mask(m.kind, m.value)]
        pos = m.end
    return "".join(parts) + text[pos:]


def present(
    text_or_obj: T, role: str, vault: Vault | None, *, actor: str | None = None, purpose: str = ""
) -> T:
    """Return what a reader of ``role`` may see of a text or a JSON-like object (same type back).

    Args:
        text_or_obj: a string, or dicts/lists/tuples of them, or a pydantic model (e.g. a Decision).
        role: ``agent``, ``analyst``, ``compliance`` (or ``admin``, read as ``agent``).
        vault: the tenant's vault (None: pseudonyms cannot be resolved and stay).
        actor: who reads (recorded with a compliance re-identification; default ``role:compliance``).
        purpose: why (recorded with a compliance re-identification).

    Raises:
        InputError: an unknown role.
        ConfigError: compliance re-identification without an audit ledger on the vault.
    """
    view = reader_role(role)
    if view is ReaderRole.AGENT:
        return _map_strings(text_or_obj, redact_text)  # type: ignore[no-any-return]
    names = _pseudonyms(text_or_obj) if vault is not None else set()
    if view is ReaderRole.ANALYST:
        values = vault.lookup(names) if vault is not None and names else {}
        shown = {p: partial_mask(_kind_of(p), v) for p, v in values.items()}

        def analyst(text: str) -> str:
            text = _mask_raw(text)
            return PSEUDONYM_RE.sub(lambda m: shown.get(m.group(0), m.group(0)), text) if shown else text

        return _map_strings(text_or_obj, analyst)  # type: ignore[no-any-return]
    if vault is None or not names:
        return text_or_obj
    values = vault.reidentify_many(names, actor or f"role:{view.value}", purpose=purpose)
    if not values:
        return text_or_obj
    return _map_strings(  # type: ignore[no-any-return]
        text_or_obj, lambda text: PSEUDONYM_RE.sub(lambda m: values.get(m.group(0), m.group(0)), text)
    )
