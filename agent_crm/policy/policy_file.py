"""Tenant AI policy files (``<home>/tenants/<tenant>/policy.yaml``): what happens to each field and PII kind.

A policy file names an action per record field (``author``, ``contact_name``, ``customer_name``, ``subject``,
``text``, ``product``, ``department``, ``amount``, ``fields.<key>``) and per detected PII kind (``CN_ID``,
``PHONE``, ``EMAIL``, ...), the regions model calls may go to, and how many independent records must back an
amount. A missing file means the defaults, which are the behaviour without any policy: every PII kind is
masked with its typed placeholder, fields are left to the PII scan, any region is allowed.

Mistakes are reported as :class:`PolicyFileError` (a ConfigError) naming the file, the line and column (from
the YAML marks), the key path and the reason. The example lives in ``knowledge/policies/policy.example.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

import yaml

from agent_crm.errors import ConfigError
from agent_crm.policy.pii import DETECTORS
from agent_crm.policy.residency import ResidencyRules

__all__ = [
    "AMOUNT_ACTIONS",
    "FIELD_ALIASES",
    "KIND_ACTIONS",
    "POLICY_FILE_NAME",
    "TEXT_FIELDS",
    "TEXT_FIELD_ACTIONS",
    "Action",
    "PolicyFileError",
    "TrustPolicy",
    "default_policy",
    "load_policy",
    "parse_policy",
]

POLICY_FILE_NAME = "policy.yaml"
"""Name of a tenant's policy file inside its directory."""


class Action(StrEnum):
    """What a policy does with a field or a PII kind."""

    ALLOW = "allow"
    """Pass the value through unchanged (a PII kind: everywhere, model requests included)."""
    MASK = "mask"
    """Replace it by a typed placeholder (``<PHONE>``, ``<CONTACT_NAME>``)."""
    PSEUDONYMIZE = "pseudonymize"
    """Replace it by a reversible pseudonym from the tenant's vault (``<PHONE_1>``, same value, same pseudonym)."""
    HASH = "hash"
    """Replace it by a salted sha256 prefix (``<PHONE#3fa9c2d1e0b4>``; per-tenant salt, not reversible)."""
    DROP = "drop"
    """Remove it (a field becomes empty, a PII span disappears from the text)."""
    ENCRYPT = "encrypt"
    """Keep it only as Fernet ciphertext at rest (``fields._sealed``); everything else sees a placeholder."""
    CROSS_VERIFY = "cross_verify"
    """Keep an amount, and require any amount in a request or answer to be backed by independent records."""


KIND_ACTIONS = frozenset({Action.ALLOW, Action.MASK, Action.PSEUDONYMIZE, Action.HASH, Action.DROP})
"""Actions a PII kind may take (encryption at rest applies to fields; pseudonyms are encrypted in the vault)."""
TEXT_FIELD_ACTIONS = frozenset(Action) - {Action.CROSS_VERIFY}
"""Actions of a text field of the record."""
AMOUNT_ACTIONS = frozenset({Action.ALLOW, Action.DROP, Action.ENCRYPT, Action.CROSS_VERIFY})
"""Actions of the numeric ``amount`` field."""
TEXT_FIELDS = ("author", "contact_name", "customer_name", "subject", "text", "product", "department")
"""Record fields holding text that a policy may name."""
FIELD_ALIASES: Mapping[str, str] = MappingProxyType({"deal_amount": "amount"})
"""Other names accepted for record fields."""
_TOP_KEYS = frozenset({"version", "pii", "fields", "residency", "cross_verify"})
_RESIDENCY_KEYS = frozenset({"allowed_regions", "by_customer_region", "on_violation"})
_REGION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_FIELD_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


class PolicyFileError(ConfigError):
    """A policy file is invalid; ``file``, ``line`` (1-based, 0 = unknown), ``key_path`` and ``reason`` say where."""

    def __init__(self, file: str, line: int, column: int, key_path: str, reason: str) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.key_path = key_path
        self.reason = reason
        where = f"{file}:{line}:{column}" if line else file
        super().__init__(f"{where}: {key_path or '<top>'}: {reason}")


@dataclass(frozen=True)
class TrustPolicy:
    """One tenant's AI policy, validated (see the module docstring)."""

    pii: Mapping[str, Action]
    """Action of every registered PII kind (kinds the file does not name: ``mask``)."""
    fields: Mapping[str, Action] = field(default_factory=lambda: MappingProxyType({}))
    """Action of each field the file names (``contact_name``, ``amount``, ``fields.id_number``)."""
    residency: ResidencyRules = field(default_factory=ResidencyRules)
    """Where model calls with this tenant's data may go."""
    min_sources: int = 2
    """Independent records that must back an amount under ``cross_verify``."""
    source: str = "<default>"
    """Where the policy was read from."""

    @property
    def masks_only(self) -> bool:
        """Whether the policy is the default text policy: every kind masked, no field rule."""
        return not self.fields and all(a is Action.MASK for a in self.pii.values())

    @property
    def cross_verify(self) -> bool:
        """Whether any field asks for cross-verification of amounts."""
        return any(a is Action.CROSS_VERIFY for a in self.fields.values())

    @property
    def cross_verify_fields(self) -> tuple[str, ...]:
        """Keys of ``fields`` whose numbers count as amounts of a record (``fields.<key>: cross_verify``)."""
        return tuple(k[7:] for k, a in self.fields.items() if a is Action.CROSS_VERIFY and k.startswith("fields."))

    def uses(self, action: Action) -> bool:
        """Whether any kind or field takes ``action``."""
        return action in self.pii.values() or action in self.fields.values()


def default_policy() -> TrustPolicy:
    """Return the policy of a tenant without a policy file (mask every PII kind)."""
    return TrustPolicy(pii=MappingProxyType({k: Action.MASK for k in DETECTORS}))


def load_policy(path: Path, *, tenant_regions: Sequence[str] | None = None) -> TrustPolicy:
    """Load a tenant's policy file; a missing file gives :func:`default_policy`.

    Args:
        path: the policy file.
        tenant_regions: ``allowed_regions`` of the tenant settings file, intersected with the policy's.

    Raises:
        PolicyFileError: the file is not valid YAML or breaks a rule (file, line, key path, reason).
    """
    policy = parse_policy(path.read_text(encoding="utf-8"), str(path)) if path.exists() else default_policy()
    if tenant_regions is not None:
        policy = _with_tenant_regions(policy, tenant_regions)
    return policy


def _with_tenant_regions(policy: TrustPolicy, regions: Sequence[str]) -> TrustPolicy:
    res = policy.residency
    allowed = frozenset(regions) if res.allowed_regions is None else res.allowed_regions & frozenset(regions)
    rules = ResidencyRules(allowed, res.by_customer_region, res.on_violation)
    return TrustPolicy(policy.pii, policy.fields, rules, policy.min_sources, policy.source)


class _Located:
    """A YAML document with the mark of every key path, to report errors where they are."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.value_marks: dict[tuple[str, ...], yaml.Mark] = {}
        self.key_marks: dict[tuple[str, ...], yaml.Mark] = {}
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data: Any = yaml.safe_load(text) if node is not None else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
            raise PolicyFileError(source, line, col, "", f"invalid YAML: {problem}") from exc
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[str, ...]) -> None:
        self.value_marks[path] = node.start_mark
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = (*path, str(key_node.value))
                if key in self.key_marks:
                    self.fail(key, f"duplicate key {key_node.value!r}", at_key=True, mark=key_node.start_mark)
                self.key_marks[key] = key_node.start_mark
                self._walk(value_node, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*path, str(i)))

    def fail(
        self, path: tuple[str, ...], reason: str, *, at_key: bool = False, mark: yaml.Mark | None = None
    ) -> NoReturn:
        """Raise a PolicyFileError located at ``path`` (its key, or its value)."""
        if mark is None:
            marks = self.key_marks if at_key else self.value_marks
            probe = path
            while probe and probe not in marks:
                probe = probe[:-1]
            mark = marks.get(probe) or self.value_marks.get(probe)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        raise PolicyFileError(self.source, line, col, ".".join(path), reason)


def parse_policy(text: str, source: str = "<policy>") -> TrustPolicy:
    """Parse and validate policy YAML text (``source`` names it in errors).

    Raises:
        PolicyFileError: invalid YAML or an invalid rule, with its location.
    """
    doc = _Located(text, source)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        doc.fail((), "expected a mapping with keys " + ", ".join(sorted(_TOP_KEYS)))
    for key in data:
        if str(key) not in _TOP_KEYS:
            doc.fail((str(key),), f"unknown key; expected one of {', '.join(sorted(_TOP_KEYS))}", at_key=True)
    if data.get("version", 1) != 1:
        doc.fail(("version",), "unsupported policy version (this release reads version 1)")
    pii = {k: Action.MASK for k in DETECTORS}
    for kind, raw in _mapping(doc, data, "pii").items():
        if kind not in DETECTORS:
            doc.fail(("pii", kind), f"unknown PII kind; known: {', '.join(sorted(DETECTORS))}", at_key=True)
        pii[kind] = _action(doc, ("pii", kind), raw, KIND_ACTIONS, "a PII kind")
    fields: dict[str, Action] = {}
    for name, raw in _mapping(doc, data, "fields").items():
        target = FIELD_ALIASES.get(name, name)
        if target == "amount":
            allowed, what = AMOUNT_ACTIONS, "the amount field"
        elif target in TEXT_FIELDS:
            allowed, what = TEXT_FIELD_ACTIONS, "a text field"
        elif target.startswith("fields.") and _FIELD_KEY_RE.match(target[7:]):
            allowed, what = frozenset(Action), "a fields.<key> entry"
        else:
            names = ", ".join((*TEXT_FIELDS, "amount", "fields.<key>"))
            doc.fail(("fields", name), f"unknown field; expected one of {names}", at_key=True)
        if target in fields:
            doc.fail(("fields", name), f"{target!r} is named twice (directly and through an alias)", at_key=True)
        fields[target] = _action(doc, ("fields", name), raw, allowed, what)
    residency = _residency(doc, _mapping(doc, data, "residency"))
    cross = _mapping(doc, data, "cross_verify")
    for key in cross:
        if key != "min_sources":
            doc.fail(("cross_verify", key), "unknown key; expected min_sources", at_key=True)
    min_sources = cross.get("min_sources", 2)
    if isinstance(min_sources, bool) or not isinstance(min_sources, int) or not 1 <= min_sources <= 10:
        doc.fail(("cross_verify", "min_sources"), "must be an integer from 1 to 10")
    return TrustPolicy(MappingProxyType(pii), MappingProxyType(fields), residency, min_sources, source)


def _mapping(doc: _Located, data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        doc.fail((key,), "expected a mapping")
    out: dict[str, Any] = {}
    for k, v in value.items():
        if not isinstance(k, str):
            doc.fail((key, str(k)), "keys must be strings", at_key=True)
        out[k] = v
    return out


def _action(doc: _Located, path: tuple[str, ...], raw: Any, allowed: frozenset[Action], what: str) -> Action:
    names = ", ".join(a.value for a in Action if a in allowed)
    if not isinstance(raw, str):
        doc.fail(path, f"expected an action name ({names})")
    try:
        action = Action(raw.strip().lower())
    except ValueError:
        doc.fail(path, f"unknown action {raw!r}; {what} takes one of: {names}")
    if action not in allowed:
        hint = " (PII kinds are encrypted at rest by pseudonymize)" if action is Action.ENCRYPT else ""
        doc.fail(path, f"action {action.value!r} does not apply to {what}; use one of: {names}{hint}")
    return action


def _regions(doc: _Located, path: tuple[str, ...], raw: Any) -> frozenset[str]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        doc.fail(path, "expected a non-empty list of region names")
    for i, region in enumerate(raw):
        if not isinstance(region, str) or not _REGION_RE.match(region):
            doc.fail((*path, str(i)), f"invalid region name {region!r}")
    return frozenset(raw)


def _residency(doc: _Located, raw: Mapping[str, Any]) -> ResidencyRules:
    for key in raw:
        if key not in _RESIDENCY_KEYS:
            doc.fail(("residency", key), f"unknown key; expected one of {', '.join(sorted(_RESIDENCY_KEYS))}",
                     at_key=True)
    allowed = raw.get("allowed_regions")
    regions = None if allowed is None else _regions(doc, ("residency", "allowed_regions"), allowed)
    by_customer: dict[str, frozenset[str]] = {}
    mapping = raw.get("by_customer_region") or {}
    if not isinstance(mapping, dict):
        doc.fail(("residency", "by_customer_region"), "expected a mapping: customer region -> list of regions")
    for cregion, targets in mapping.items():
        path = ("residency", "by_customer_region", str(cregion))
        if not isinstance(cregion, str) or not _REGION_RE.match(cregion):
            doc.fail(path, f"invalid customer region {cregion!r}", at_key=True)
        by_customer[cregion.casefold()] = _regions(doc, path, targets)
    on_violation = raw.get("on_violation", "fallback")
    if on_violation not in ("fallback", "refuse"):
        doc.fail(("residency", "on_violation"), "must be 'fallback' (use an allowed alias of the chain) or 'refuse'")
    return ResidencyRules(regions, MappingProxyType(by_customer), on_violation)
