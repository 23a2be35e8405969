"""agent_crm.evaluation: compare model aliases on decision and retrieval datasets (re-exports only)."""

from agent_crm.evaluation.dataset import (
    Case,
    CaseInput,
    Expect,
    RetrievalCase,
    load_cases,
    load_retrieval_cases,
)
from agent_crm.evaluation.gate import DEFAULT_GATES, GateRule, evaluate_gates, load_gates
from agent_crm.evaluation.harness import run
from agent_crm.evaluation.results import CaseResult, EvalResults, GateReport, ModelSummary, RetrievalSummary

__all__ = [
    "DEFAULT_GATES",
    "Case",
    "CaseInput",
    "CaseResult",
    "EvalResults",
    "Expect",
    "GateReport",
    "GateRule",
    "ModelSummary",
    "RetrievalCase",
    "RetrievalSummary",
    "evaluate_gates",
    "load_cases",
    "load_gates",
    "load_retrieval_cases",
    "run",
]
