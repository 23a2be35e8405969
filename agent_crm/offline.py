"""Environment that keeps every bundled engine offline; applied before any heavy library is imported."""

from __future__ import annotations

import importlib.util
import os

_DONE = False


def ensure_offline_env() -> None:
    """Set the variables that stop hubs, telemetry and cost-map downloads (idempotent, cheap)."""
    global _DONE
    if _DONE:
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
    os.environ.setdefault("LANGSMITH_TRACING", "false")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    spec = importlib.util.find_spec("litellm")
    if spec is not None and spec.origin:
        cache = os.path.join(os.path.dirname(spec.origin), "litellm_core_utils", "tokenizers")
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", cache)
        os.environ.setdefault("CUSTOM_TIKTOKEN_CACHE_DIR", cache)
    _DONE = True
