"""Models file and registry: parsing, errors naming the key, hot reload, default override, chains."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from structlog.testing import capture_logs

from agent_crm.errors import ConfigError, NotFoundError
from agent_crm.llm.registry import DEFAULT_MODELS_FILE, ModelRegistry, parse_model_id

BRIEF_EXAMPLE = """
default: local
models:
  - model_name: local
    litellm_params: {model: local/crm-reasoner}
    model_info: {region: local, context_window: 32768, version: "1.0", max_output_tokens: 2048}
  - model_name: remote-cn
    litellm_params: {model: openai/qwen-plus, api_base: "http://127.0.0.1:9000/v1",
                     api_key: "os.environ/QWEN_KEY", timeout: 20, max_tokens: 1024, temperature: 0.2,
                     top_p: 0.9}
    model_info: {region: cn, context_window: 32000, version: "2025-01", input_cost_per_token: 0.0000008}
    fallbacks: [local]
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def doc(*entries: dict[str, Any], default: str | None = None) -> str:
    body: dict[str, Any] = {"models": list(entries)}
    if default is not None:
        body["default"] = default
    return yaml.safe_dump(body, sort_keys=False)


def entry(alias: str, model: str = "openai/m", **extra: Any) -> dict[str, Any]:
    return {"model_name": alias, "litellm_params": {"model": model}, **extra}


def rewrite_and_wait(path: Path, text: str) -> None:
    """Rewrite a models file and wait past the registry's stat throttle (0.2 s)."""
    path.write_text(text, encoding="utf-8")
    time.sleep(0.25)


def test_packaged_default_is_the_local_reasoner() -> None:
    """With no path the registry reads the packaged file: local -> local/crm-reasoner in region local."""
    reg = ModelRegistry()
    assert reg.path == DEFAULT_MODELS_FILE and DEFAULT_MODELS_FILE.is_file()
    assert reg.default_alias() == "local" and reg.aliases() == ("local",)
    spec = reg.get("local")
    assert (spec.model, spec.provider, spec.name, spec.region) == (
        "local/crm-reasoner",
        "local",
        "crm-reasoner",
        "local",
    )
    assert (spec.context_window, spec.max_output_tokens, spec.version) == (32768, 2048, "1.0")


def test_full_entry_is_parsed_into_a_spec(tmp_path: Path) -> None:
    """Every documented field of an entry lands in ModelSpec; unknown LiteLLM params pass through in extra."""
    reg = ModelRegistry(write(tmp_path / "models.yaml", BRIEF_EXAMPLE))
    spec = reg.get("remote-cn")
    assert (spec.provider, spec.name, spec.region, spec.version) == ("openai", "qwen-plus", "cn", "2025-01")
    assert spec.params.api_base == "http://127.0.0.1:9000/v1"
    assert (spec.params.timeout, spec.params.max_tokens, spec.params.temperature) == (20.0, 1024, 0.2)
    assert dict(spec.params.extra) == {"top_p": 0.9}
    assert spec.fallbacks == ("local",) and spec.context_window == 32000
    assert spec.input_cost_per_1k == pytest.approx(0.0008) and spec.output_cost_per_1k is None


def test_env_api_key_is_resolved_at_call_time_and_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An os.environ/NAME key is read when resolved (not at load) and never appears in the spec's repr."""
    monkeypatch.delenv("QWEN_KEY", raising=False)
    spec = ModelRegistry(write(tmp_path / "models.yaml", BRIEF_EXAMPLE)).get("remote-cn")
    assert spec.params.resolve_api_key() is None and spec.params.api_key_env() == "QWEN_KEY"
    monkeypatch.setenv("QWEN_KEY", "sk-secret-123")
    assert spec.params.resolve_api_key() == "sk-secret-123"
    assert "sk-secret" not in repr(spec) and "QWEN_KEY" not in repr(spec)


@pytest.mark.parametrize(
    ("model", "ok"),
    [
        ("openai/gpt-4o", True),
        ("local/crm-reasoner", True),
        ("openai/ft:gpt-4o:org/x", True),
        ("gpt-4o", False),
        ("/x", False),
        ("openai/", False),
        (" openai/x", False),
        ("", False),
    ],
)
def test_parse_model_id_accepts_only_provider_slash_model(model: str, ok: bool) -> None:
    """Model ids are parsed in one place: provider before the first slash, the rest is the model name."""
    if ok:
        provider, name = parse_model_id(model)
        assert f"{provider}/{name}" == model and provider and name
    else:
        with pytest.raises(ValueError, match="provider/model"):
            parse_model_id(model)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (doc(entry("a"), entry("b", "gpt-4o")), "models[1].litellm_params.model: must be 'provider/model'"),
        (doc(entry("a", fallbacks=["nope"])), "models[0].fallbacks[0]: unknown alias 'nope'"),
        (doc(entry("a"), entry("a")), "models[1].model_name: duplicate alias 'a'"),
        (
            doc({"model_name": "a", "litellm_params": {"model": "openai/m", "timeout": -1}}),
            "models[0].litellm_params.timeout",
        ),
        (
            doc({"model_name": "a", "litellm_params": {"model": "openai/m", "stream": True}}),
            "models[0].litellm_params.stream",
        ),
        (
            doc({"model_name": "a", "litellm_params": {"model": "openai/m", "api_key": ""}}),
            "models[0].litellm_params.api_key",
        ),
        (doc(entry("a", model_info={"context_window": "big"})), "models[0].model_info.context_window"),
        (
            doc(entry("a", model_info={"input_cost_per_1k": 1, "input_cost_per_token": 0.001})),
            "models[0].model_info.input_cost_per_1k",
        ),
        (doc(entry("a", fallback=["a"])), "models[0].fallback: unknown key"),
        (doc(entry("a"), default="b"), "default: must be one of the aliases"),
        (doc(entry("bad alias!")), "models[0].model_name"),
        ("models: []\n", "models: must be a non-empty list"),
        ("defaults: a\nmodels: []\n", "defaults: unknown key"),
        ("models:\n  - model_name: a\n    litellm_params: {model: openai/m\n", "invalid YAML"),
    ],
)
def test_bad_models_file_raises_config_error_naming_file_and_key(
    tmp_path: Path, text: str, where: str
) -> None:
    """A models file that cannot be used fails the first load with ConfigError: file, key path and reason."""
    path = write(tmp_path / "models.yaml", text)
    with pytest.raises(ConfigError) as err:
        ModelRegistry(path)
    assert str(err.value).startswith(f"{path}: ") and where in str(err.value)


def test_missing_file_raises_config_error(tmp_path: Path) -> None:
    """A models file that does not exist is a ConfigError naming the file."""
    with pytest.raises(ConfigError, match=r"nowhere\.yaml"):
        ModelRegistry(tmp_path / "nowhere.yaml")


def test_hot_reload_picks_up_a_new_default_and_a_new_target(tmp_path: Path) -> None:
    """Editing the file changes the default alias and an alias's target on the next lookup, no restart."""
    path = write(
        tmp_path / "models.yaml", doc(entry("a", "openai/one"), entry("b", "openai/two"), default="a")
    )
    reg = ModelRegistry(path)
    assert reg.default_alias() == "a" and reg.get("a").model == "openai/one"
    rewrite_and_wait(path, doc(entry("a", "openai/three"), entry("b", "openai/two"), default="b"))
    assert reg.default_alias() == "b" and reg.get("a").model == "openai/three"
    assert [s.alias for s in reg.resolve_chain()] == ["b"]


def test_broken_edit_keeps_last_good_config_and_logs_then_fix_is_loaded(tmp_path: Path) -> None:
    """A reload that fails to parse logs an error and keeps serving the last good config until fixed."""
    path = write(tmp_path / "models.yaml", doc(entry("a", "openai/one")))
    reg = ModelRegistry(path)
    rewrite_and_wait(path, doc(entry("a", "not-a-model-id")))
    with capture_logs() as logs:
        assert reg.get("a").model == "openai/one"
    errors = [e for e in logs if e["log_level"] == "error"]
    assert errors and errors[0]["event"] == "models_file_invalid"
    assert "models[0].litellm_params.model" in errors[0]["error"]
    rewrite_and_wait(path, doc(entry("a", "openai/fixed")))
    assert reg.get("a").model == "openai/fixed"


def test_deleted_file_keeps_last_good_config(tmp_path: Path) -> None:
    """Removing the models file under a running registry keeps the last good aliases (and logs it)."""
    path = write(tmp_path / "models.yaml", doc(entry("a")))
    reg = ModelRegistry(path)
    os.remove(path)
    time.sleep(0.25)
    with capture_logs() as logs:
        assert reg.aliases() == ("a",)
    assert any(e["event"] == "models_file_missing" for e in logs)


def test_file_is_stat_at_most_once_per_interval(tmp_path: Path) -> None:
    """Within the reload interval lookups serve the loaded config without touching the file."""
    path = write(tmp_path / "models.yaml", doc(entry("a", "openai/one")))
    reg = ModelRegistry(path, reload_interval=60)
    path.write_text(doc(entry("a", "openai/two")), encoding="utf-8")
    assert reg.get("a").model == "openai/one"
    fast = ModelRegistry(path, reload_interval=0)
    path.write_text(doc(entry("a", "openai/three")), encoding="utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    assert fast.get("a").model == "openai/three"


def test_set_default_overrides_the_file_and_survives_reloads(tmp_path: Path) -> None:
    """set_default wins over the file's default (also after a reload); None restores the file's default."""
    path = write(tmp_path / "models.yaml", doc(entry("a"), entry("b"), entry("c"), default="a"))
    reg = ModelRegistry(path)
    reg.set_default("b")
    assert reg.default_alias() == "b" and reg.resolve_chain()[0].alias == "b"
    rewrite_and_wait(path, doc(entry("a"), entry("b"), entry("c"), default="c"))
    assert reg.default_alias() == "b"
    reg.set_default(None)
    assert reg.default_alias() == "c"
    with pytest.raises(NotFoundError):
        reg.set_default("zzz")


def test_unknown_alias_lists_known_aliases(tmp_path: Path) -> None:
    """Asking for an alias that does not exist raises NotFoundError naming the known ones."""
    reg = ModelRegistry(write(tmp_path / "models.yaml", doc(entry("alpha"), entry("beta"))))
    with pytest.raises(NotFoundError, match=r"'gamma'.*alpha, beta"):
        reg.get("gamma")
    with pytest.raises(NotFoundError, match="alpha, beta"):
        reg.resolve_chain("gamma")


def test_resolve_chain_is_transitive_breadth_first_without_cycles(tmp_path: Path) -> None:
    """The chain is the alias, its own fallbacks in order, then theirs; cycles and repeats are dropped."""
    text = doc(
        entry("a", fallbacks=["b", "c"]),
        entry("b", fallbacks=["d", "a"]),
        entry("c", fallbacks=["d"]),
        entry("d", fallbacks=["b"]),
        entry("e"),
    )
    reg = ModelRegistry(write(tmp_path / "models.yaml", text))
    assert [s.alias for s in reg.resolve_chain("a")] == ["a", "b", "c", "d"]
    assert [s.alias for s in reg.resolve_chain("d")] == ["d", "b", "a", "c"]
    assert [s.alias for s in reg.resolve_chain("e")] == ["e"]


def test_first_entry_is_default_when_file_names_none(tmp_path: Path) -> None:
    """Without a 'default' key the first alias of the file is the default."""
    reg = ModelRegistry(write(tmp_path / "models.yaml", doc(entry("first"), entry("second"))))
    assert reg.default_alias() == "first"
