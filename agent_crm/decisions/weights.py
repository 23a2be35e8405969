"""Scoring weights: the packaged defaults, tenant overrides merged over them, and tenant baselines."""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from agent_crm.decisions.catalog import DECISION_TYPES, FEATURES, DecisionSpec, get_spec
from agent_crm.decisions.features import FeatureContext, compute_in
from agent_crm.decisions.scoring import TRANSFORMS, ScoringModel
from agent_crm.errors import ConfigError
from agent_crm.types import Interaction

SECTIONS: tuple[str, ...] = (
    "bias",
    "weights",
    "baselines",
    "scales",
    "transforms",
    "bounds",
    "thresholds",
    "params",
)
DEFAULT_SOURCE = "agent_crm/decisions/weights/default.yaml"


def _read_yaml(text: str, source: str) -> Any:
    import yaml  # imported on first load only: keeps ``import agent_crm.decisions`` light

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}: invalid YAML{where}: {problem}") from None


def _number(value: Any, source: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{source}: {key}: expected a number, got {type(value).__name__} {value!r}")
    return float(value)


def _mapping(value: Any, source: str, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: {key}: expected a mapping, got {type(value).__name__}")
    return value


def _check_names(names: Iterable[Any], allowed: Sequence[str], source: str, key: str, what: str) -> None:
    for name in names:
        if name not in allowed:
            valid = ", ".join(allowed) if allowed else "(none)"
            raise ConfigError(f"{source}: {key}.{name}: unknown {what} {name!r}; valid: {valid}")


def _validate_block(raw: Any, spec: DecisionSpec, source: str, *, complete: bool) -> dict[str, Any]:
    """Validate one decision type's block and return it as plain, typed data."""
    t = spec.decision_type
    block = _mapping(raw, source, t)
    _check_names(block, SECTIONS, source, t, "section")
    out: dict[str, Any] = {}
    if "bias" in block:
        out["bias"] = _number(block["bias"], source, f"{t}.bias")
    for section in ("weights", "baselines", "scales"):
        if section not in block:
            continue
        items = _mapping(block[section], source, f"{t}.{section}")
        _check_names(items, spec.features, source, f"{t}.{section}", f"feature for {t}")
        out[section] = {k: _number(v, source, f"{t}.{section}.{k}") for k, v in items.items()}
        if section == "scales":
            for k, v in out[section].items():
                if v <= 0:
                    raise ConfigError(f"{source}: {t}.scales.{k}: scale must be > 0, got {v}")
    if "transforms" in block:
        items = _mapping(block["transforms"], source, f"{t}.transforms")
        _check_names(items, spec.features, source, f"{t}.transforms", f"feature for {t}")
        for k, v in items.items():
            if v not in TRANSFORMS:
                raise ConfigError(
                    f"{source}: {t}.transforms.{k}: unknown transform {v!r}; valid: {', '.join(TRANSFORMS)}"
                )
        out["transforms"] = dict(items)
    if "bounds" in block:
        items = _mapping(block["bounds"], source, f"{t}.bounds")
        _check_names(items, spec.features, source, f"{t}.bounds", f"feature for {t}")
        bounds: dict[str, tuple[float, float]] = {}
        for k, v in items.items():
            key = f"{t}.bounds.{k}"
            if not isinstance(v, list | tuple) or len(v) != 2:
                raise ConfigError(f"{source}: {key}: expected [low, high], got {v!r}")
            lo, hi = _number(v[0], source, f"{key}[0]"), _number(v[1], source, f"{key}[1]")
            if lo >= hi:
                raise ConfigError(f"{source}: {key}: low {lo} must be below high {hi}")
            bounds[k] = (lo, hi)
        out["bounds"] = bounds
    if "thresholds" in block:
        items = _mapping(block["thresholds"], source, f"{t}.thresholds")
        _check_names(items, spec.thresholds, source, f"{t}.thresholds", f"threshold for {t}")
        out["thresholds"] = {k: _number(v, source, f"{t}.thresholds.{k}") for k, v in items.items()}
        for k, v in out["thresholds"].items():
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"{source}: {t}.thresholds.{k}: must be within [0, 1], got {v}")
    if "params" in block:
        items = _mapping(block["params"], source, f"{t}.params")
        _check_names(items, spec.params, source, f"{t}.params", f"parameter for {t}")
        out["params"] = {k: _number(v, source, f"{t}.params.{k}") for k, v in items.items()}
    if complete:
        _check_complete(out, spec, source)
    return out


def _check_complete(block: Mapping[str, Any], spec: DecisionSpec, source: str) -> None:
    t = spec.decision_type
    if "bias" not in block:
        raise ConfigError(f"{source}: {t}.bias: missing")
    for section in ("weights", "baselines", "scales"):
        for f in spec.features:
            if f not in block.get(section, {}):
                raise ConfigError(f"{source}: {t}.{section}.{f}: missing")
    for name in spec.thresholds:
        if name not in block.get("thresholds", {}):
            raise ConfigError(f"{source}: {t}.thresholds.{name}: missing")
    for name in spec.params:
        if name not in block.get("params", {}):
            raise ConfigError(f"{source}: {t}.params.{name}: missing")


def _validate_file(raw: Any, source: str, *, complete: bool) -> dict[str, dict[str, Any]]:
    if raw is None:
        raw = {}
    doc = _mapping(raw, source, "(top level)")
    out: dict[str, dict[str, Any]] = {}
    for key, block in doc.items():
        if key == "version":
            _number(block, source, "version")
            continue
        if key not in DECISION_TYPES:
            raise ConfigError(
                f"{source}: {key}: unknown decision type {key!r}; valid: {', '.join(DECISION_TYPES)}"
            )
        out[key] = _validate_block(block, get_spec(key), source, complete=complete)
    if complete:
        for t in DECISION_TYPES:
            if t not in out:
                raise ConfigError(f"{source}: {t}: missing")
    return out


@functools.cache
def _default_blocks() -> dict[str, dict[str, Any]]:
    text = resources.files("agent_crm.decisions").joinpath("weights", "default.yaml").read_text("utf-8")
    blocks = _validate_file(_read_yaml(text, DEFAULT_SOURCE), DEFAULT_SOURCE, complete=True)
    for t, block in blocks.items():
        _check_order(block, get_spec(t), DEFAULT_SOURCE)
    return blocks


def _merge(
    base: dict[str, dict[str, Any]], over: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    merged = copy.deepcopy(base)
    for t, block in over.items():
        for section, value in block.items():
            if isinstance(value, dict):
                merged[t].setdefault(section, {}).update(value)
            else:
                merged[t][section] = value
    return merged


def _check_order(block: Mapping[str, Any], spec: DecisionSpec, source: str) -> None:
    names = spec.thresholds
    values = [block["thresholds"][name] for name in names]
    for i in range(1, len(names)):
        if values[i] > values[i - 1]:
            raise ConfigError(
                f"{source}: {spec.decision_type}.thresholds.{names[i]}: {values[i]} is above "
                f"{names[i - 1]} ({values[i - 1]}); bands must be ordered best first"
            )


def _model(t: str, block: Mapping[str, Any]) -> ScoringModel:
    return ScoringModel(
        decision_type=t,
        bias=block["bias"],
        weights=dict(block["weights"]),
        baselines=dict(block["baselines"]),
        scale=dict(block["scales"]),
        thresholds=dict(block.get("thresholds", {})),
        transforms=dict(block.get("transforms", {})),
        bounds=dict(block.get("bounds", {})),
        params=dict(block.get("params", {})),
    )


@functools.cache
def default_models() -> dict[str, ScoringModel]:
    """Return the packaged default model of every decision type (cached; models are immutable)."""
    return {t: _model(t, b) for t, b in _default_blocks().items()}


def load_weights(path: Path | str | None = None) -> dict[str, ScoringModel]:
    """Load scoring models: the packaged defaults with an optional tenant override file merged over them.

    Args:
        path: YAML file with the same shape as ``weights/default.yaml`` listing only what changes; None for
            the defaults.

    Raises:
        ConfigError: the file is missing, is not valid YAML, names an unknown decision type, section, feature,
            threshold or parameter, or holds a non-numeric or out-of-range value (the message names the file
            and the key path, e.g. ``w.yaml: churn_risk.weights.recency: expected a number, got str 'x'``).
    """
    if path is None:
        return dict(default_models())
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: weights file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read weights file: {exc}") from None
    override = _validate_file(_read_yaml(text, source), source, complete=False)
    merged = _merge(_default_blocks(), override)
    for t in override:
        _check_order(merged[t], get_spec(t), source)
    return {t: _model(t, b) for t, b in merged.items()}


def tenant_baselines(
    decision_type: str,
    records_by_customer: Mapping[str, Sequence[Interaction]],
    as_of: datetime,
    *,
    competitors: Iterable[str] = (),
) -> dict[str, float]:
    """Return the tenant's average customer for ``decision_type``'s scored features.

    Level features: the mean over customers that have evidence for the feature (features no customer has
    are left out, so the configured prior stays). Count features: 0.0 — having no evidence *is* a count of
    zero, and a non-zero baseline would make one complaint look better than none.
    """
    spec = get_spec(decision_type)
    names = tuple(competitors)
    sums: dict[str, list[float]] = {f: [] for f in spec.features}
    for customer in sorted(records_by_customer):
        ctx = FeatureContext(
            records_by_customer[customer], as_of, names, ignore_our_faults=spec.ignore_our_faults
        )
        for name, fv in compute_in(ctx, spec.features).items():
            if fv.value is not None:
                sums[name].append(fv.value)
    out: dict[str, float] = {}
    for name in spec.features:
        if FEATURES[name].kind == "count":
            out[name] = 0.0
        elif sums[name]:
            out[name] = round(math.fsum(sums[name]) / len(sums[name]), 6)
    return out
