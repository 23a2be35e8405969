"""In-process backends registered as LiteLLM custom providers: registration, response_format, region, cost."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent_crm.llm.gateway import Gateway, register_provider
from agent_crm.llm.registry import ModelRegistry
from agent_crm.offline import ensure_offline_env
from tests.support.model_server import ScriptedModelServer, write_models_file

ensure_offline_env()
import litellm  # noqa: E402  (after the offline environment; tests may use LiteLLM's CustomLLM base)

WriteModels = Callable[..., Path]


class EchoLLM(litellm.CustomLLM):
    """Zero-latency custom provider: echoes the last message (as JSON when a response_format is given)."""

    def __init__(self, tag: str = "echo") -> None:
        super().__init__()
        self.tag = tag
        self.calls: list[dict[str, Any]] = []

    def completion(
        self,
        model: str,
        messages: list,
        api_base: str,
        custom_prompt_dict: dict,  # type: ignore[override]
        model_response: Any,
        print_verbose: Any,
        encoding: Any,
        api_key: Any,
        logging_obj: Any,
        optional_params: dict,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        self.calls.append(
            {
                "model": model,
                "messages": messages,
                "params": dict(optional_params),
                "timeout": kwargs.get("timeout"),
            }
        )
        last = str(messages[-1].get("content", ""))
        text = json.dumps({"echo": last}) if optional_params.get("response_format") else f"{self.tag}: {last}"
        model_response.choices[0].message.content = text
        model_response.model = model
        model_response.usage = litellm.Usage(prompt_tokens=7, completion_tokens=3, total_tokens=10)
        return model_response

    async def acompletion(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.completion(*args, **kwargs)


def inproc(alias: str, provider: str = "echo-test", *, region: str = "local", **info: Any) -> dict[str, Any]:
    """Return a models-file entry for an in-process provider."""
    return {
        "model_name": alias,
        "litellm_params": {"model": f"{provider}/m1"},
        "model_info": {"region": region, **info},
    }


@pytest.fixture
def echo() -> EchoLLM:
    """A fresh echo backend registered as provider echo-test."""
    handler = EchoLLM()
    register_provider("echo-test", handler)
    return handler


def test_custom_provider_answers_with_explicit_timeout_and_no_retries(echo: EchoLLM, tmp_path: Path) -> None:
    """A registered CustomLLM answers by alias, gets an explicit timeout and no retries; costs nothing."""
    path = write_models_file(tmp_path / "m.yaml", [inproc("here", version="0.1")])
    result = Gateway(ModelRegistry(path), default_timeout=7.5).complete([{"role": "user", "content": "hi"}])
    assert (result.text, result.alias, result.model) == ("echo: hi", "here", "echo-test/m1")
    assert result.model_version == "0.1"
    usage = result.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (7, 3, 10)
    assert result.cost_usd == 0.0
    (call,) = echo.calls
    assert call["model"] == "m1" and call["timeout"] == 7.5 and call["params"]["max_retries"] == 0


def test_custom_provider_receives_the_response_format(echo: EchoLLM, tmp_path: Path) -> None:
    """With a schema, the custom provider gets response_format json_schema; its JSON becomes data."""
    schema = {"type": "object", "required": ["echo"], "properties": {"echo": {"type": "string"}}}
    path = write_models_file(tmp_path / "m.yaml", [inproc("here")])
    result = Gateway(ModelRegistry(path)).complete(
        [{"role": "user", "content": "问"}], response_schema=schema
    )
    assert result.data == {"echo": "问"}
    sent = echo.calls[0]["params"]["response_format"]
    assert sent == {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}


def test_registering_again_replaces_the_handler(tmp_path: Path) -> None:
    """register_provider is idempotent per handler and a new handler for the same name takes over."""
    first, second = EchoLLM("first"), EchoLLM("second")
    register_provider("echo-swap", first)
    register_provider("echo-swap", first)
    path = write_models_file(tmp_path / "m.yaml", [inproc("x", "echo-swap")])
    gw = Gateway(ModelRegistry(path))
    assert gw.complete([{"role": "user", "content": "a"}]).text == "first: a"
    register_provider("echo-swap", second)
    assert gw.complete([{"role": "user", "content": "b"}]).text == "second: b"
    assert sum(1 for e in litellm.custom_provider_map if e["provider"] == "echo-swap") == 1


def test_in_process_region_is_always_allowed(
    echo: EchoLLM, model_server: ScriptedModelServer, models_yaml: WriteModels
) -> None:
    """A remote alias outside the allowed regions is skipped; the in-process 'local' region still answers."""
    path = models_yaml(
        model_server.entry("remote-us", "model-us", region="us", fallbacks=["here"]), inproc("here")
    )
    result = Gateway(ModelRegistry(path), allowed_regions={"cn"}).complete([{"role": "user", "content": "q"}])
    assert (result.alias, result.region) == ("here", "local")
    assert [a.error_kind for a in result.attempts] == ["region", None]
    assert model_server.requests == []


def test_local_alias_of_the_packaged_file_routes_to_the_builtin_provider() -> None:
    """The packaged 'local' alias resolves to the built-in local provider, registered on first use."""
    gw = Gateway(ModelRegistry())
    gw.warm_up()
    assert any(e["provider"] == "local" for e in litellm.custom_provider_map)
    result = gw.complete([{"role": "user", "content": "你好"}])
    assert (result.alias, result.model, result.region, result.model_version) == (
        "local",
        "local/crm-reasoner",
        "local",
        "1.0",
    )
    assert result.cost_usd == 0.0 and result.attempts[-1].ok


def test_provider_is_registered_again_when_the_map_was_replaced(echo: EchoLLM, tmp_path: Path) -> None:
    """If other code replaces litellm.custom_provider_map, the next call registers the provider again."""
    path = write_models_file(tmp_path / "m.yaml", [inproc("here")])
    gw = Gateway(ModelRegistry(path))
    assert gw.complete([{"role": "user", "content": "a"}]).text == "echo: a"
    saved = list(litellm.custom_provider_map)
    litellm.custom_provider_map = [e for e in saved if e["provider"] != "echo-test"]
    try:
        assert gw.complete([{"role": "user", "content": "b"}]).text == "echo: b"
    finally:
        litellm.custom_provider_map = saved
