"""Evaluation datasets: decision cases and retrieval cases read from JSONL, validated, hashed.

A decision case names a tenant (a sample tenant folder under ``knowledge/tenants/`` or ``"inline"`` with its own
``records`` and ``customers``), an input (``{"question": ...}`` for the assistant, or ``{"customer": ..., "type":
...}`` for a direct decision), a language and what is expected of the answer::

    {"id": "credit-lin", "tenant": "ruralbank", "input": {"customer": "rb-lin-supermarket",
     "type": "credit_recommendation"}, "language": "zh",
     "expect": {"labels": ["approve"], "top_factors": ["cash_flow_stability", "repayment_history"],
                "must_cite": ["rb-000386"], "never": ["6217..."], "latency_ms": 5000}}

A retrieval case is ``{"id", "tenant", "query", "relevant": [record ids], "filters": {...}?}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent_crm.errors import InputError

INLINE = "inline"
"""Tenant name of cases that carry their own records and customers."""
DECISION_TYPES = ("next_best_action", "lead_score", "churn_risk", "ticket_routing", "credit_recommendation")


def canonical_json(value: Any) -> str:
    """Serialise ``value`` as canonical JSON (sorted keys, no spaces, UTF-8 text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def sha256_text(text: str) -> str:
    """Return the hex sha256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseInput(_Strict):
    """What the case asks: a question for the assistant, or a decision about one customer."""

    question: str | None = None
    """A question in natural language (runs ``CRM.ask``)."""
    customer: str | None = None
    """Customer id (with ``type``: runs ``CRM.decide``)."""
    type: str | None = None
    """Decision type of a direct decision."""

    @model_validator(mode="after")
    def _one_form(self) -> CaseInput:
        if self.question is not None:
            if not self.question.strip() or self.customer is not None:
                raise ValueError("give either a non-empty 'question' or 'customer' + 'type'")
        elif not self.customer or not self.type:
            raise ValueError("give either 'question' or both 'customer' and 'type'")
        if self.type is not None and self.type not in DECISION_TYPES:
            raise ValueError(f"unknown decision type {self.type!r} (known: {', '.join(DECISION_TYPES)})")
        return self


class Expect(_Strict):
    """What a good answer looks like."""

    label: str | None = None
    """The one right label (shortcut for ``labels: [label]``)."""
    labels: tuple[str, ...] = ()
    """Acceptable labels (any of them is right)."""
    customer: str | None = None
    """Customer the answer must be about (question cases: checks customer resolution)."""
    type: str | None = None
    """Decision type the question should be answered with (question cases)."""
    top_factors: tuple[str, ...] = ()
    """Factor names expected among the top three (a set unless ``factors_ordered``)."""
    factors_ordered: bool = False
    """Whether ``top_factors`` is given in rank order (enables rank correlation)."""
    must_cite: tuple[str, ...] = ()
    """Record ids the answer must cite."""
    never: tuple[str, ...] = ()
    """Strings that must never appear in any output (raw PII values of the source records, ...)."""
    latency_ms: float | None = Field(default=None, gt=0)
    """Latency budget of the whole case, in milliseconds."""

    @property
    def acceptable(self) -> tuple[str, ...]:
        """Return every acceptable label (``label`` first, then ``labels``, no duplicates)."""
        out = [self.label] if self.label else []
        return tuple(dict.fromkeys([*out, *self.labels]))

    @model_validator(mode="after")
    def _has_label(self) -> Expect:
        if not self.acceptable:
            raise ValueError("expect needs 'label' or 'labels'")
        return self


class Case(_Strict):
    """One evaluation case."""

    id: str = Field(min_length=1, max_length=120)
    tenant: str = Field(min_length=1)
    """A sample tenant name (folder under the knowledge root) or ``inline``."""
    input: CaseInput
    language: Literal["zh", "en"] | None = None
    """Answer language (direct decisions; questions follow their own language when None)."""
    expect: Expect
    records: tuple[dict[str, Any], ...] | None = None
    """Inline tenant: the interaction records."""
    customers: tuple[dict[str, Any], ...] | None = None
    """Inline tenant: the customer directory entries."""
    note: str = ""
    """Why the expectation is what it is (for reviewers; not scored)."""
    tags: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _inline_data(self) -> Case:
        if self.tenant == INLINE and not self.records:
            raise ValueError("an inline case needs 'records'")
        if self.tenant != INLINE and (self.records or self.customers):
            raise ValueError("'records'/'customers' are only allowed with tenant 'inline'")
        return self

    @property
    def kind(self) -> Literal["ask", "decide"]:
        """``ask`` for question cases, ``decide`` for direct decisions."""
        return "ask" if self.input.question is not None else "decide"

    @property
    def decision_type(self) -> str:
        """The decision type this case is about (input type, else the expected type; ``clarification`` for cases
        that expect the assistant to ask back, else ``unknown``)."""
        fallback = "clarification" if "clarify" in self.expect.acceptable else "unknown"
        return self.input.type or self.expect.type or fallback

    @property
    def customer(self) -> str | None:
        """The customer the answer must be about (input customer, else the expected one)."""
        return self.input.customer or self.expect.customer

    @property
    def inline_digest(self) -> str:
        """Return the sha256 of an inline case's records and customers ("" for sample tenants)."""
        if self.tenant != INLINE:
            return ""
        return sha256_text(canonical_json({"records": self.records, "customers": self.customers or []}))

    @property
    def tenant_key(self) -> str:
        """Tenant id used in the eval home (inline data gets ``inline-<hash of its records>``)."""
        return f"inline-{self.inline_digest[:12]}" if self.tenant == INLINE else self.tenant

    def canonical(self) -> str:
        """Return the case as canonical JSON (the part of the resume key that the case contributes)."""
        return canonical_json(self.model_dump(mode="json"))


class RetrievalCase(BaseModel):
    """A query with the record ids that answer it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    tenant: str
    query: str = Field(min_length=1)
    relevant: tuple[str, ...] = Field(min_length=1)
    language: str | None = None
    kind: str = ""
    """What the query tests (paraphrase, keyword, identifier, cross_channel, ...)."""
    filters: dict[str, Any] = Field(default_factory=dict)
    """Search filters (``customer_id``, ``channel``)."""


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read dataset ({exc.__class__.__name__}: {exc})") from exc
    rows: list[tuple[int, dict[str, Any]]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise InputError(f"{path}:{n}: each line must be a JSON object")
        rows.append((n, obj))
    return rows


def _errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'case'}: {e['msg']}" for e in exc.errors())


def load_cases(path: Path) -> list[Case]:
    """Read and validate a decision dataset; raise InputError naming the file, line and field of a bad case."""
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for n, obj in _read_jsonl(path):
        try:
            case = Case.model_validate(obj)
        except ValidationError as exc:
            raise InputError(f"{path}:{n}: invalid case: {_errors(exc)}") from None
        if case.id in seen:
            raise InputError(f"{path}:{n}: duplicate case id {case.id!r} (first on line {seen[case.id]})")
        seen[case.id] = n
        cases.append(case)
    if not cases:
        raise InputError(f"{path}: the dataset has no cases")
    return cases


def load_retrieval_cases(path: Path) -> list[RetrievalCase]:
    """Read a retrieval dataset (query -> relevant record ids)."""
    out: list[RetrievalCase] = []
    for n, obj in _read_jsonl(path):
        try:
            out.append(RetrievalCase.model_validate(obj))
        except ValidationError as exc:
            raise InputError(f"{path}:{n}: invalid retrieval case: {_errors(exc)}") from None
    return out


def dataset_digest(cases: Iterable[Case]) -> str:
    """Return a sha256 over every case (order-sensitive): identifies the dataset a results file came from."""
    h = hashlib.sha256()
    for case in cases:
        h.update(case.canonical().encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()
