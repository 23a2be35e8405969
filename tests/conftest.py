"""Shared fixtures: a scripted OpenAI-compatible model server on 127.0.0.1 and a models-file writer."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.support.model_server import ScriptedModelServer, write_models_file


def pytest_configure(config: pytest.Config) -> None:
    """Silence third-party warnings that LiteLLM's own imports raise under pydantic 2.11+."""
    config.addinivalue_line("filterwarnings", "ignore:.*using the `ReadOnly` qualifier:UserWarning")
    config.addinivalue_line(
        "filterwarnings", "ignore:Accessing the 'model_.*' attribute on the instance is deprecated"
    )


@pytest.fixture(scope="session")
def model_server_session() -> Iterator[ScriptedModelServer]:
    """One scripted model server for the whole session (real HTTP on 127.0.0.1, a free port)."""
    server = ScriptedModelServer().start()
    yield server
    server.stop()


@pytest.fixture
def model_server(model_server_session: ScriptedModelServer) -> ScriptedModelServer:
    """The session's scripted model server with no scripted replies and an empty request log."""
    model_server_session.reset()
    return model_server_session


@pytest.fixture
def models_yaml(tmp_path: Path, model_server: ScriptedModelServer) -> Callable[..., Path]:
    """Return ``write(*entries, default=None, name="models.yaml") -> Path`` writing a models file in tmp_path.

    Entries are dicts (build them with ``model_server.entry(alias, model, ...)``); with no entries the file
    has one alias ``remote`` pointing at the scripted server as ``openai/scripted``.
    """

    def write(*entries: Mapping[str, Any], default: str | None = None, name: str = "models.yaml") -> Path:
        chosen = entries or (model_server.entry("remote"),)
        return write_models_file(tmp_path / name, chosen, default)

    return write
