"""The audit form of a model call."""

from __future__ import annotations

import dataclasses
from typing import Any


def model_call_record(purpose: str, result: Any, prompt: Any) -> dict[str, Any]:
    """Describe one gateway call (an ``LLMResult``) and the prompt template it used, for state and audit."""
    return {
        "purpose": purpose,
        "alias": result.alias,
        "model": result.model,
        "model_version": result.model_version,
        "region": result.region,
        "usage": dataclasses.asdict(result.usage),
        "cost_usd": result.cost_usd,
        "latency_ms": round(result.latency_ms, 3),
        "attempts": [
            {"alias": a.alias, "model": a.model, "ok": a.ok, "error_kind": a.error_kind} for a in result.attempts
        ],
        "prompt": {"id": prompt.id, "version": prompt.version, "sha256": prompt.sha256},
    }
