"""Model aliases read from a YAML models file (shaped like a LiteLLM Router ``model_list``), hot-reloaded.

The file maps aliases (``local``, ``remote-cn``) to LiteLLM model ids (``provider/model``), their call
parameters, their region, context window and version, and their fallbacks. A running process picks up edits on
the next lookup; a broken edit is logged and the last good configuration stays in force.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from agent_crm.errors import ConfigError, NotFoundError
from agent_crm.logs import get_logger

_log = get_logger("llm.registry")

DEFAULT_MODELS_FILE = Path(__file__).with_name("models.default.yaml")
"""The packaged models file (alias ``local`` -> ``local/crm-reasoner``)."""
ENV_REF_PREFIX = "os.environ/"
"""An ``api_key`` of ``os.environ/NAME`` is read from the environment variable NAME at call time."""
IN_PROCESS_REGION = "local"
"""Region of backends running inside this process; always allowed (the data does not leave the process)."""
RELOAD_INTERVAL_S = 0.2
"""At most one ``os.stat`` of the models file per this many seconds."""

_ALIAS_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_ENTRY_KEYS = frozenset({"model_name", "litellm_params", "model_info", "fallbacks"})
_KNOWN_PARAMS = frozenset({"model", "api_base", "api_key", "timeout", "max_tokens", "temperature"})
_RESERVED_PARAMS = frozenset(
    {"messages", "stream", "stream_options", "num_retries", "max_retries", "response_format", "metadata",
     "fallbacks", "mock_response"}
)


def parse_model_id(model: str) -> tuple[str, str]:
    """Split a LiteLLM model id ``provider/model`` into ``(provider, name)``; the one place ids are parsed.

    Raises:
        ValueError: the id is not ``provider/model`` (both parts non-empty, no surrounding spaces).
    """
    provider, sep, name = model.partition("/")
    if not sep or not provider or not name or model != model.strip() or " " in provider:
        raise ValueError("must be 'provider/model'")
    return provider, name


@dataclass(frozen=True, slots=True)
class ModelParams:
    """Call parameters of one alias (``litellm_params`` minus ``model``)."""

    api_base: str | None = None
    """Base URL of an OpenAI-compatible or provider endpoint."""
    api_key: str | None = field(default=None, repr=False)
    """A literal key or ``os.environ/NAME``; never logged, never shown in reprs."""
    timeout: float | None = None
    """Per-call timeout in seconds (the gateway's default when None)."""
    max_tokens: int | None = None
    """Default completion budget."""
    temperature: float | None = None
    """Sampling temperature."""
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Any other LiteLLM completion parameter (``top_p``, ``api_version``, ...), passed through as is."""

    def resolve_api_key(self) -> str | None:
        """Return the key to send now: ``os.environ/NAME`` is looked up at call time (None when unset)."""
        key = self.api_key
        if key is not None and key.startswith(ENV_REF_PREFIX):
            return os.environ.get(key[len(ENV_REF_PREFIX):]) or None
        return key

    def api_key_env(self) -> str | None:
        """Return NAME when the key is an ``os.environ/NAME`` reference, else None."""
        key = self.api_key
        return key[len(ENV_REF_PREFIX):] if key is not None and key.startswith(ENV_REF_PREFIX) else None


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One alias of the models file, resolved and validated."""

    alias: str
    """The name callers use (``model_name`` in the file)."""
    model: str
    """LiteLLM model id ``provider/model``."""
    params: ModelParams = field(default_factory=ModelParams)
    """Call parameters."""
    region: str = "unknown"
    """Where the backend runs (``local`` = inside this process); checked against allowed regions."""
    context_window: int | None = None
    """Prompt + completion token limit, checked before calling (None = not checked)."""
    max_output_tokens: int | None = None
    """Largest completion the backend gives; caps requested ``max_tokens``."""
    version: str | None = None
    """Model version recorded with results (else the backend's reported model)."""
    fallbacks: tuple[str, ...] = ()
    """Aliases to try, in order, when this one fails."""
    input_cost_per_1k: float | None = None
    """USD per 1,000 prompt tokens (overrides LiteLLM's price map when set)."""
    output_cost_per_1k: float | None = None
    """USD per 1,000 completion tokens."""
    provider: str = field(init=False)
    """Provider part of ``model`` (derived)."""
    name: str = field(init=False)
    """Model part of ``model`` (derived)."""

    def __post_init__(self) -> None:
        provider, name = parse_model_id(self.model)
        object.__setattr__(self, "provider", provider)
        object.__setattr__(self, "name", name)

    @property
    def has_costs(self) -> bool:
        """Whether the models file declares prices for this alias."""
        return self.input_cost_per_1k is not None or self.output_cost_per_1k is not None


@dataclass(frozen=True, slots=True)
class ModelsConfig:
    """One parsed models file."""

    source: str
    """Where it was read from."""
    default: str
    """Alias used when a call names none."""
    specs: Mapping[str, ModelSpec]
    """Aliases in file order."""


# ---- parsing -------------------------------------------------------------------------
class _Fail(Exception):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Fail(where, "must be a mapping")
    return value


def _number(value: Any, where: str, *, integer: bool, low: float, high: float | None = None) -> Any:
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or value < low or (high is not None and value > high):
        kind = "an integer" if integer else "a number"
        bound = f" between {low:g} and {high:g}" if high is not None else f" >= {low:g}"
        raise _Fail(where, f"must be {kind}{bound}")
    return value


def _opt_str(value: Any, where: str) -> str | None:
    if value is None:
        return None
    scalar = isinstance(value, str | int | float | dt.date) and not isinstance(value, bool)
    if not scalar or str(value).strip() == "":
        raise _Fail(where, "must be a non-empty string")
    return str(value)


def _params(raw: Mapping[str, Any], where: str) -> tuple[str, ModelParams]:
    model = raw.get("model")
    if not isinstance(model, str):
        raise _Fail(f"{where}.model", "must be 'provider/model'")
    try:
        parse_model_id(model)
    except ValueError as exc:
        raise _Fail(f"{where}.model", str(exc)) from None
    for key in raw:
        if key in _RESERVED_PARAMS:
            raise _Fail(f"{where}.{key}", "is set by the gateway per call, not in the models file")
    api_key = raw.get("api_key")
    if api_key is not None and (not isinstance(api_key, str) or api_key in ("", ENV_REF_PREFIX)):
        raise _Fail(f"{where}.api_key", "must be a non-empty string or 'os.environ/NAME'")
    timeout = raw.get("timeout")
    max_tokens = raw.get("max_tokens")
    temperature = raw.get("temperature")
    params = ModelParams(
        api_base=_opt_str(raw.get("api_base"), f"{where}.api_base"),
        api_key=api_key,
        timeout=None if timeout is None else float(
            _number(timeout, f"{where}.timeout", integer=False, low=0.001, high=600)),
        max_tokens=None if max_tokens is None else _number(
            max_tokens, f"{where}.max_tokens", integer=True, low=1),
        temperature=None if temperature is None else float(
            _number(temperature, f"{where}.temperature", integer=False, low=0, high=2)),
        extra=MappingProxyType({k: v for k, v in raw.items() if k not in _KNOWN_PARAMS}),
    )
    return model, params


def _cost(info: Mapping[str, Any], where: str, side: str) -> float | None:
    per_1k, per_token = info.get(f"{side}_cost_per_1k"), info.get(f"{side}_cost_per_token")
    if per_1k is not None and per_token is not None:
        raise _Fail(f"{where}.{side}_cost_per_1k", f"give either {side}_cost_per_1k or {side}_cost_per_token")
    if per_1k is not None:
        return float(_number(per_1k, f"{where}.{side}_cost_per_1k", integer=False, low=0))
    if per_token is not None:
        return float(_number(per_token, f"{where}.{side}_cost_per_token", integer=False, low=0)) * 1000
    return None


def _spec(raw: Any, where: str) -> ModelSpec:
    entry = _mapping(raw, where)
    for key in entry:
        if key not in _ENTRY_KEYS:
            raise _Fail(f"{where}.{key}", f"unknown key (expected one of {', '.join(sorted(_ENTRY_KEYS))})")
    alias = entry.get("model_name")
    if not isinstance(alias, str) or not _ALIAS_RE.match(alias):
        raise _Fail(f"{where}.model_name", "must be an alias of letters, digits, '.', '_', ':' or '-'")
    model, params = _params(_mapping(entry.get("litellm_params"), f"{where}.litellm_params"),
                            f"{where}.litellm_params")
    info = _mapping(entry.get("model_info") or {}, f"{where}.model_info")
    fallbacks = entry.get("fallbacks") or []
    if not isinstance(fallbacks, list) or not all(isinstance(f, str) for f in fallbacks):
        raise _Fail(f"{where}.fallbacks", "must be a list of aliases")
    window, out = info.get("context_window"), info.get("max_output_tokens")
    return ModelSpec(
        alias=alias,
        model=model,
        params=params,
        region=_opt_str(info.get("region"), f"{where}.model_info.region") or "unknown",
        context_window=None if window is None else _number(
            window, f"{where}.model_info.context_window", integer=True, low=1),
        max_output_tokens=None if out is None else _number(
            out, f"{where}.model_info.max_output_tokens", integer=True, low=1),
        version=_opt_str(info.get("version"), f"{where}.model_info.version"),
        fallbacks=tuple(fallbacks),
        input_cost_per_1k=_cost(info, f"{where}.model_info", "input"),
        output_cost_per_1k=_cost(info, f"{where}.model_info", "output"),
    )


def parse_models(doc: Any, source: str) -> ModelsConfig:
    """Validate a loaded models document; raise ConfigError naming ``source``, the key path and the reason."""
    try:
        top = _mapping(doc, "(top level)")
        for key in top:
            if key not in ("default", "models"):
                raise _Fail(str(key), "unknown key (expected 'default' and 'models')")
        entries = top.get("models")
        if not isinstance(entries, list) or not entries:
            raise _Fail("models", "must be a non-empty list")
        specs: dict[str, ModelSpec] = {}
        for i, raw in enumerate(entries):
            spec = _spec(raw, f"models[{i}]")
            if spec.alias in specs:
                raise _Fail(f"models[{i}].model_name", f"duplicate alias '{spec.alias}'")
            specs[spec.alias] = spec
        for i, spec in enumerate(specs.values()):
            for j, fb in enumerate(spec.fallbacks):
                if fb not in specs:
                    raise _Fail(f"models[{i}].fallbacks[{j}]", f"unknown alias '{fb}'")
                if fb == spec.alias:
                    raise _Fail(f"models[{i}].fallbacks[{j}]", "an alias cannot fall back to itself")
        default = top.get("default", next(iter(specs)))
        if not isinstance(default, str) or default not in specs:
            raise _Fail("default", f"must be one of the aliases ({', '.join(specs)})")
    except _Fail as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return ModelsConfig(source=source, default=default, specs=MappingProxyType(specs))


def load_models_file(path: Path) -> ModelsConfig:
    """Read and validate a models YAML file; raise ConfigError (file, key path, reason) if it is unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read models file ({exc.__class__.__name__})") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(yaml)"
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"{path}: {where}: invalid YAML ({problem})") from None
    return parse_models(doc, str(path))


# ---- the registry --------------------------------------------------------------------
class ModelRegistry:
    """Aliases from a models file, reloaded when it changes (mtime, size, inode), with a default override."""

    def __init__(self, path: Path | str | None = None, *, reload_interval: float = RELOAD_INTERVAL_S) -> None:
        """Load ``path`` (None = the packaged default file); raise ConfigError when the first load fails."""
        self._path = Path(path).expanduser() if path is not None else DEFAULT_MODELS_FILE
        self._interval = reload_interval
        self._lock = threading.Lock()
        self._override: str | None = None
        self._stamp = self._stat()
        self._config = load_models_file(self._path)
        self._next_check = time.monotonic() + reload_interval

    @property
    def path(self) -> Path:
        """The models file in use."""
        return self._path

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def config(self) -> ModelsConfig:
        """Return the current configuration, reloading the file first when it changed."""
        now = time.monotonic()
        if now < self._next_check:
            return self._config
        with self._lock:
            if now < self._next_check:
                return self._config
            stamp = self._stat()
            self._next_check = time.monotonic() + self._interval
            if stamp is None or stamp == self._stamp:
                if stamp is None and self._stamp is not None:
                    _log.error("models_file_missing", path=str(self._path), action="keeping last good config")
                    self._stamp = None
                return self._config
            self._stamp = stamp
            try:
                fresh = load_models_file(self._path)
            except ConfigError as exc:
                _log.error("models_file_invalid", path=str(self._path), error=str(exc),
                           action="keeping last good config")
                return self._config
            self._config = fresh
            _log.info("models_file_reloaded", path=str(self._path), aliases=list(fresh.specs),
                      default=fresh.default)
            return fresh

    def aliases(self) -> tuple[str, ...]:
        """Return the known aliases in file order."""
        return tuple(self.config().specs)

    def default_alias(self) -> str:
        """Return the alias used when a call names none (the ``set_default`` override, else the file's)."""
        config = self.config()
        return self._override or config.default

    def set_default(self, alias: str | None) -> None:
        """Make ``alias`` the default in this process (None restores the file's default)."""
        if alias is not None:
            self.get(alias)
        self._override = alias

    def get(self, alias: str) -> ModelSpec:
        """Return the spec of ``alias``; raise NotFoundError listing the known aliases."""
        specs = self.config().specs
        spec = specs.get(alias)
        if spec is None:
            raise NotFoundError(f"unknown model alias '{alias}'; known aliases: {', '.join(specs)}")
        return spec

    def resolve_chain(self, alias: str | None = None) -> list[ModelSpec]:
        """Return ``alias`` (or the default) then its fallbacks, transitively, breadth first, once each."""
        config = self.config()
        first = alias or self._override or config.default
        head = config.specs.get(first)
        if head is None:
            raise NotFoundError(f"unknown model alias '{first}'; known aliases: {', '.join(config.specs)}")
        chain = [head]
        seen = {first}
        i = 0
        while i < len(chain):
            for fb in chain[i].fallbacks:
                if fb not in seen and fb in config.specs:
                    seen.add(fb)
                    chain.append(config.specs[fb])
            i += 1
        return chain

