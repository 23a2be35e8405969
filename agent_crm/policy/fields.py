"""Per-field and per-PII-kind actions: the text policy, the record policy and a tenant's compiled policy.

- :class:`TextPolicy` applies the policy's action per detected PII kind to a text: ``mask`` (``<PHONE>``),
  ``pseudonymize`` (``<PHONE_1>`` from the vault), ``hash`` (``<PHONE#3fa9c2d1e0b4>``), ``drop`` (removed) or
  ``allow`` (left). It is a :class:`~agent_crm.policy.redaction.Redactor`, so it fits wherever one does.
- :class:`FieldPolicy` is a record step of the ingest :class:`~agent_crm.policy.redaction.PolicyPipeline`:
  a field the policy names gets its action on the whole value (``contact_name: pseudonymize`` gives
  ``<CONTACT_NAME_1>``; ``encrypt`` keeps the value only as ciphertext in ``fields._sealed``); the fields the
  default policy scans (subject, text, author, every string in ``fields``) get the text policy.
- :func:`compile_policy` turns a :class:`~agent_crm.policy.policy_file.TrustPolicy` into what the runtime
  needs: the ingest pipeline, the text policy for questions, answers and model requests, the request filter.
  The default policy compiles to exactly the default pipeline and ``redact_text``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agent_crm.errors import ConfigError
from agent_crm.policy.pii import PIIMatch, scan_with
from agent_crm.policy.policy_file import TEXT_FIELDS, Action, TrustPolicy
from agent_crm.policy.redaction import PolicyPipeline, Redactor, default_pipeline, redact_text
from agent_crm.policy.vault import Vault
from agent_crm.types import Interaction

__all__ = [
    "SCANNED_FIELDS",
    "SEALED_KEY",
    "CompiledPolicy",
    "FieldPolicy",
    "TextPolicy",
    "compile_policy",
    "field_label",
]

SCANNED_FIELDS = ("subject", "text", "author")
"""Record fields scanned for PII when the policy names no action for them (strings in ``fields`` too)."""
SEALED_KEY = "_sealed"
"""Key of ``Interaction.fields`` holding the ciphertext of ``encrypt`` fields (field name -> Fernet token)."""
_LABEL_RE = re.compile(r"[^A-Z0-9]+")


def field_label(name: str) -> str:
    """Return the placeholder label of a field: ``contact_name`` -> ``CONTACT_NAME``, ``fields.id no`` -> ``ID_NO``."""
    key = name[7:] if name.startswith("fields.") else name
    label = _LABEL_RE.sub("_", key.upper()).strip("_") or "FIELD"
    return label if label[0].isalpha() else f"F_{label}"


class TextPolicy(Redactor):
    """Apply per-kind actions to the PII found in a text.

    Args:
        actions: action per PII kind (kinds left out: ``mask``).
        vault: the tenant's vault (needed for ``pseudonymize`` and ``hash``).
        create: give new values a pseudonym (ingest); when false, values the vault does not know are masked
            (questions, model requests and outputs never grow the vault).

    Raises:
        ConfigError: ``pseudonymize`` or ``hash`` without a vault.
    """

    def __init__(self, actions: Mapping[str, Action], vault: Vault | None, *, create: bool = True) -> None:
        super().__init__()
        self.actions: dict[str, Action] = {k: actions.get(k, Action.MASK) for k in self.kinds}
        """Action per kind."""
        needs_vault = {Action.PSEUDONYMIZE, Action.HASH} & set(self.actions.values())
        if needs_vault and vault is None:
            raise ConfigError(f"PII actions {sorted(a.value for a in needs_vault)} need the tenant's vault")
        self.vault = vault
        self.create = create
        self._allowed = frozenset(k for k, a in self.actions.items() if a is Action.ALLOW)

    def matches(self, text: str) -> list[PIIMatch]:
        """Return the PII spans this policy changes (allowed kinds left out)."""
        found = scan_with(self._detectors, text)
        return [m for m in found if m.kind not in self._allowed] if self._allowed else found

    def __call__(self, text: str) -> str:
        """Return ``text`` with each PII span replaced according to its kind's action."""
        found = self.matches(text)
        return self._replace(text, found) if found else text

    def redact_with_report(self, text: str) -> tuple[str, dict[str, int]]:
        """Return the new text and how many spans of each kind were changed."""
        found = self.matches(text)
        counts: dict[str, int] = {}
        for m in found:
            counts[m.kind] = counts.get(m.kind, 0) + 1
        return (self._replace(text, found) if found else text), counts

    def token(self, kind: str, value: str) -> str:
        """Return what replaces one ``value`` of ``kind``."""
        action = self.actions[kind]
        if action is Action.MASK or self.vault is None:
            return self._placeholders[kind]
        if action is Action.PSEUDONYMIZE:
            return self.vault.pseudonym(kind, value, create=self.create) or self._placeholders[kind]
        if action is Action.HASH:
            return self.vault.hash_token(kind, value)
        if action is Action.DROP:
            return ""
        return value

    def _replace(self, text: str, found: list[PIIMatch]) -> str:
        parts: list[str] = []
        pos = 0
        for m in found:
            parts.append(text[pos : m.start])
            parts.append(self.token(m.kind, m.value))
            pos = m.end
        parts.append(text[pos:])
        return "".join(parts)


class FieldPolicy:
    """Apply a policy's field actions and its text policy to one record (an ingest pipeline step).

    Args:
        fields: action per field (``contact_name``, ``amount``, ``fields.<key>``).
        text: the text policy for the scanned fields.
        vault: the tenant's vault (pseudonyms, hashes and encryption of whole fields).
    """

    def __init__(self, fields: Mapping[str, Action], text: TextPolicy, vault: Vault | None) -> None:
        if vault is None and any(a in (Action.PSEUDONYMIZE, Action.HASH, Action.ENCRYPT) for a in fields.values()):
            raise ConfigError("field actions pseudonymize, hash and encrypt need the tenant's vault")
        self.fields = dict(fields)
        self.text = text
        self.vault = vault

    def __call__(self, record: Interaction) -> Interaction:
        """Return ``record`` with every field handled as the policy says."""
        update: dict[str, Any] = {}
        sealed: dict[str, str] = {}
        for name in TEXT_FIELDS:
            value = getattr(record, name)
            if not value:
                continue
            action = self.fields.get(name)
            if action is None:
                new = self.text(value) if name in SCANNED_FIELDS else value
            else:
                new = self._whole(name, value, action, sealed)
                if new is None and name == "text":
                    new = ""
            if new != value:
                update[name] = new
        amount_action = self.fields.get("amount")
        if record.amount is not None and amount_action in (Action.DROP, Action.ENCRYPT):
            if amount_action is Action.ENCRYPT:
                sealed["amount"] = self._seal(record.amount)
            update["amount"] = None
        fields = self._fields(record.fields, sealed)
        if sealed:  # the reserved key is ours: an input value under it was scanned like any other and is replaced
            fields = {**fields, SEALED_KEY: sealed}
        if fields != record.fields:
            update["fields"] = fields
        return record.model_copy(update=update) if update else record

    def _seal(self, value: Any) -> str:
        assert self.vault is not None
        return self.vault.seal(value)

    def _whole(self, name: str, value: Any, action: Action, sealed: dict[str, str]) -> Any:
        """Apply a field action to a whole value; None means the field is removed."""
        if action in (Action.ALLOW, Action.CROSS_VERIFY):
            return value
        if action is Action.DROP:
            return None
        label = field_label(name)
        if action is Action.MASK:
            return f"<{label}>"
        if action is Action.ENCRYPT:
            sealed[name] = self._seal(value)
            return f"<{label}_ENCRYPTED>"
        assert self.vault is not None
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        if action is Action.HASH:
            return self.vault.hash_token(label, text)
        return self.vault.pseudonym(label, text)

    def _fields(self, fields: dict[str, Any], sealed: dict[str, str]) -> dict[str, Any]:
        if not fields:
            return fields
        out: dict[str, Any] = {}
        for key, value in fields.items():
            action = self.fields.get(f"fields.{key}")
            new = self._scan(value) if action is None else self._whole(f"fields.{key}", value, action, sealed)
            if new is not None or action is None:
                out[key] = new
        return out

    def _scan(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value) if value else value
        if isinstance(value, dict):
            return {k: self._scan(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scan(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._scan(v) for v in value)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**10:
            digits = str(value)
            found = self.text.matches(digits)
            if len(found) == 1 and found[0].start == 0 and found[0].end == len(digits):
                return self.text(digits)
        return value


@dataclass(frozen=True)
class CompiledPolicy:
    """A tenant's policy ready for the runtime."""

    policy: TrustPolicy
    """The policy file's content."""
    pipeline: PolicyPipeline
    """The ingest pipeline (records before embedding and storage)."""
    text: Callable[[str], str]
    """Text policy for questions, answers and model requests (never adds pseudonyms to the vault)."""
    vault: Vault | None = None
    """The tenant's vault."""
    _system_cache: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Redacted system prompts (versioned templates: few, constant, still scanned once each)."""

    def request_filter(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Gateway request filter: the tenant's text policy on every message content (pseudonyms stay)."""
        out: list[dict[str, Any]] = []
        for m in messages:
            content = m.get("content")
            if isinstance(content, str) and m.get("role") == "system":
                clean = self._system_cache.get(content)
                if clean is None:
                    clean = self.text(content)
                    if len(self._system_cache) < 64:
                        self._system_cache[content] = clean
                m = {**m, "content": clean}
            elif isinstance(content, str):
                m = {**m, "content": self.text(content)}
            elif isinstance(content, list):
                parts = [
                    {**p, "text": self.text(p["text"])} if isinstance(p, dict) and isinstance(p.get("text"), str)
                    else p for p in content
                ]
                m = {**m, "content": parts}
            out.append(m)
        return out


def compile_policy(policy: TrustPolicy, vault: Vault | None) -> CompiledPolicy:
    """Compile a policy (the default one gives the default pipeline and ``redact_text``, unchanged).

    Raises:
        ConfigError: the policy needs a vault and none was given.
    """
    if policy.masks_only:
        return CompiledPolicy(policy, default_pipeline(), redact_text, vault)
    ingest_text = TextPolicy(policy.pii, vault, create=True)
    step = FieldPolicy(policy.fields, ingest_text, vault)
    return CompiledPolicy(policy, PolicyPipeline([step]), TextPolicy(policy.pii, vault, create=False), vault)
