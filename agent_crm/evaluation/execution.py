"""Run one case on one model through the SDK (``CRM.ask`` / ``CRM.decide`` with ``model=alias``).

Whatever the model does — answer, time out, return garbage, fail over to a fallback — the outcome is captured
for scoring; only KeyboardInterrupt and SystemExit propagate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent_crm.errors import AgentCRMError
from agent_crm.evaluation.dataset import Case
from agent_crm.logs import get_logger
from agent_crm.types import Decision

if TYPE_CHECKING:
    from agent_crm.service import CRM

log = get_logger("evaluation.execution")

MAX_ERROR_CHARS = 300


@dataclass
class Outcome:
    """What running a case produced."""

    decision: Decision | None = None
    error: str | None = None
    error_kind: str | None = None
    """Kind of the last failed attempt (``timeout``, ``invalid_output``, ...) or the exception's class name."""
    latency_ms: float = 0.0
    """Wall time of the SDK call."""
    model_calls: list[dict[str, Any]] = field(default_factory=list)
    """The audit record's model calls (alias, attempts, usage, cost), or the failed attempts of an error."""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


def _failed_attempts(exc: BaseException) -> tuple[str | None, list[dict[str, Any]]]:
    attempts = getattr(exc, "attempts", None)
    if not attempts:
        return None, []
    calls = [{"purpose": "failed", "alias": a.alias, "model": a.model,
              "attempts": [{"alias": a.alias, "model": a.model, "ok": a.ok, "error_kind": a.error_kind}]}
             for a in attempts]
    return attempts[-1].error_kind, calls


def _audit_usage(crm: CRM, decision: Decision, out: Outcome) -> None:
    if not decision.audit_id:
        return
    try:
        record = crm.audit_record(decision.audit_id)
    except AgentCRMError as exc:
        log.warning("eval_audit_unreadable", audit_id=decision.audit_id, error=exc.__class__.__name__)
        return
    payload = record.payload
    data = payload.get("data", payload) if isinstance(payload.get("data"), dict) else payload
    out.model_calls = [c for c in data.get("model_calls") or [] if isinstance(c, dict)]
    tokens = data.get("tokens") or {}
    out.tokens_in = int(tokens.get("in") or sum(int((c.get("usage") or {}).get("prompt_tokens") or 0)
                                                 for c in out.model_calls))
    out.tokens_out = int(tokens.get("out") or sum(int((c.get("usage") or {}).get("completion_tokens") or 0)
                                                   for c in out.model_calls))
    out.cost_usd = float(data.get("cost_usd") or sum(float(c.get("cost_usd") or 0.0) for c in out.model_calls))


def execute(crm: CRM, case: Case, alias: str) -> Outcome:
    """Run ``case`` with model ``alias`` on ``crm`` and return the outcome (never raises for model failures)."""
    out = Outcome()
    start = time.perf_counter()
    try:
        if case.input.question is not None:
            out.decision = crm.ask(case.input.question, model=alias)
        else:
            out.decision = crm.decide(customer=case.input.customer or "", type=case.input.type or "",
                                      language=case.language or "en", model=alias)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # scored, never crashes the run
        out.error = (" ".join(str(exc).split()) or exc.__class__.__name__)[:MAX_ERROR_CHARS]
        kind, calls = _failed_attempts(exc)
        out.error_kind = kind or exc.__class__.__name__
        out.model_calls = calls
        if not isinstance(exc, AgentCRMError):
            log.warning("eval_case_crashed", case=case.id, model=alias, error=exc.__class__.__name__)
    out.latency_ms = round((time.perf_counter() - start) * 1000, 3)
    if out.decision is not None:
        _audit_usage(crm, out.decision, out)
    return out
