"""Retention policy files (YAML, per tenant): which records are anonymised, encrypted or deleted, and when.

Format (see ``knowledge/policies/retention.example.yaml``)::

    version: 1
    regions:                 # optional region groups: name -> member codes
      EU: [DE, FR, IT, ES, NL]
    rules:                   # every rule whose region matches the record applies (each once)
      - name: eu-anonymise
        region: EU           # a code, a group, a list of them, or "*"
        action: anonymise    # anonymise | encrypt | delete
        after: 72h           # time after the interaction: s, min, h, d, w, mo (30 d), y (365 d)
        fields: [fields.phone]   # anonymise: extra fields to drop; encrypt: the fields to encrypt
    default:                 # applies to records no rule matched (no region included)
      action: delete
      after: 3y

A record's region is ``record.region``, else its customer's directory region. ``CN-ZJ`` matches ``CN``;
a group matches its members and their sub-regions. Errors name the file, the key path and the reason.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, field_validator

from agent_crm.errors import ConfigError

Action = Literal["anonymise", "encrypt", "delete"]
ACTION_ORDER: tuple[Action, ...] = ("delete", "anonymise", "encrypt")

_UNITS = {
    "s": 1, "sec": 1, "second": 1, "seconds": 1, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400,
    "w": 7 * 86400, "week": 7 * 86400, "weeks": 7 * 86400, "mo": 30 * 86400, "month": 30 * 86400,
    "months": 30 * 86400, "y": 365 * 86400, "year": 365 * 86400, "years": 365 * 86400,
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$")
_CODE = re.compile(r"^(\*|[A-Za-z0-9][A-Za-z0-9_-]{0,31})$")
FIELD_TOPS = frozenset({"contact_name", "author", "customer_name", "subject", "product", "department"})
"""Top-level record fields a rule may name (others are ``fields.<key>``)."""


def parse_duration(value: Any) -> timedelta:
    """Parse ``72h``, ``30d``, ``3y``, ``0`` into a timedelta.

    Raises:
        ValueError: not a non-negative number with a unit.
    """
    if value == 0 or value == "0":
        return timedelta(0)
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"invalid duration {value!r}: give a number and a unit, e.g. 72h, 30d, 3y")
    m = _DURATION.match(value.lower())
    if not m or m.group(2) not in _UNITS:
        raise ValueError(f"invalid duration {value!r}: use a number and one of s, min, h, d, w, mo, y")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


def _field_path(p: str) -> str:
    if p in FIELD_TOPS or (p.startswith("fields.") and len(p) > 7):
        return p
    raise ValueError(f"unknown field {p!r}: use one of {', '.join(sorted(FIELD_TOPS))} or fields.<key>")


class _RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "default"
    region: str | list[str] = "*"
    action: Literal["anonymise", "anonymize", "encrypt", "delete"]
    after: str | int
    fields: list[Annotated[str, AfterValidator(_field_path)]] | None = None

    @field_validator("region")
    @classmethod
    def _codes(cls, v: str | list[str]) -> str | list[str]:
        for code in [v] if isinstance(v, str) else v:
            if not _CODE.match(code):
                raise ValueError(f"invalid region code {code!r}")
        return v

    @field_validator("after")
    @classmethod
    def _duration(cls, v: str | int) -> str | int:
        parse_duration(v)
        return v


class _PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    regions: dict[str, list[str]] = {}
    rules: list[_RuleModel] = []
    default: _RuleModel | None = None


@dataclass(frozen=True)
class RetentionRule:
    """One rule: records of ``regions`` get ``action`` once ``after`` has passed since the interaction."""

    name: str
    regions: tuple[str, ...]
    action: Action
    after: timedelta
    after_text: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetentionPolicy:
    """A validated retention policy."""

    source: str
    sha256: str
    rules: tuple[RetentionRule, ...]
    default: RetentionRule | None = None
    groups: dict[str, frozenset[str]] = field(default_factory=dict)

    def region_key(self, region: str | None) -> str | None:
        """Return the group a region belongs to, else its top-level code (``CN-ZJ`` -> ``CN``), upper case."""
        if not region:
            return None
        code = region.strip().upper()
        top = re.split(r"[-_ ]", code, maxsplit=1)[0]
        for name, members in self.groups.items():
            if code == name or top == name or code in members or top in members:
                return name
        return top

    def _matches(self, rule: RetentionRule, region: str | None) -> bool:
        if "*" in rule.regions:
            return True
        if not region:
            return False
        code = region.strip().upper()
        top = re.split(r"[-_ ]", code, maxsplit=1)[0]
        for r in rule.regions:
            members = self.groups.get(r)
            if code == r or top == r or (members is not None and (code in members or top in members)):
                return True
        return False

    def rules_for(self, region: str | None) -> tuple[RetentionRule, ...]:
        """Return the rules governing a record of ``region`` (the default when no rule matches)."""
        found = tuple(r for r in self.rules if self._matches(r, region))
        if found:
            return found
        return (self.default,) if self.default is not None else ()


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_policy(data: Any, source: str, raw: bytes = b"") -> RetentionPolicy:
    """Validate policy data (parsed YAML) from ``source``.

    Raises:
        ConfigError: ``<source>: <key path>: <reason>`` for the first problems found.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: (top level): expected a mapping with 'rules' and/or 'default'")
    try:
        model = _PolicyModel.model_validate(data)
    except ValidationError as exc:
        parts = [f"{source}: {_loc(tuple(e['loc']))}: {str(e['msg']).removeprefix('Value error, ')}"
                 for e in exc.errors()[:5]]
        raise ConfigError("; ".join(parts)) from exc
    groups = {name.upper(): frozenset(c.upper() for c in members) for name, members in model.regions.items()}
    for name, members in model.regions.items():
        bad = [c for c in members if not _CODE.match(c) or c == "*"]
        if bad:
            raise ConfigError(f"{source}: regions.{name}: invalid region code {bad[0]!r}")
    if not model.rules and model.default is None:
        raise ConfigError(f"{source}: (top level): the policy has no rules and no default")
    rules: list[RetentionRule] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(model.rules):
        if r.name in seen:
            raise ConfigError(f"{source}: rules[{i}].name: duplicate rule name {r.name!r} (first at rules[{seen[r.name]}])")
        seen[r.name] = i
        rules.append(_rule(r))
    default = _rule(model.default) if model.default is not None else None
    if default is not None and default.name in seen:
        raise ConfigError(f"{source}: default.name: {default.name!r} is also the name of rules[{seen[default.name]}]")
    return RetentionPolicy(source, hashlib.sha256(raw).hexdigest(), tuple(rules), default, groups)


def _rule(r: _RuleModel) -> RetentionRule:
    action: Action = "anonymise" if r.action == "anonymize" else r.action
    regions = tuple(c.upper() for c in ([r.region] if isinstance(r.region, str) else r.region))
    return RetentionRule(r.name, regions, action, parse_duration(r.after), str(r.after), tuple(r.fields or ()))


def load_policy(path: Path) -> RetentionPolicy:
    """Load and validate a policy file.

    Raises:
        ConfigError: the file is missing, is not YAML, or is invalid (file, key path, reason).
    """
    if not path.exists():
        raise ConfigError(f"{path}: no retention policy file (see knowledge/policies/retention.example.yaml)")
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8")) or {}
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(file)"
        raise ConfigError(f"{path}: {where}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    return parse_policy(data, str(path), raw)
