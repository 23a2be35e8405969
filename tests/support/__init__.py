"""Test support: a scripted OpenAI-compatible model server and models-file helpers."""

from .model_server import Received, Reply, ScriptedModelServer, write_models_file

__all__ = ["Received", "Reply", "ScriptedModelServer", "write_models_file"]
