"""CRM: the facade that wires settings → stores → gateway → graphs → ledger for ONE tenant."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent_crm.config import Settings, build_settings, get_settings
from agent_crm.errors import InputError, NotFoundError
from agent_crm.tenancy import tenant_dir, validate_tenant
from agent_crm.types import AuditRecord, Citation, Decision, Factor, Hit, Script

if TYPE_CHECKING:
    from agent_crm.agents.deps import TenantDeps
    from agent_crm.kb.ingest import IngestReport
    from agent_crm.sovereignty import Sovereignty

_DECISION_FIELDS = set(Decision.model_fields)
_SCRIPT_FIELDS = set(Script.model_fields)
_CITATION_FIELDS = set(Citation.model_fields)


class Models:
    """Model selection for one CRM object: ``crm.models.use("alias")`` takes effect on the next request."""

    def __init__(self, crm: CRM) -> None:
        self._crm = crm
        self._override: str | None = None

    def use(self, alias: str) -> None:
        """Switch this CRM's requests to a model alias (validated against the models file now)."""
        self._crm._deps().gateway.registry.get(alias)
        self._override = alias

    @property
    def current(self) -> str:
        """The alias the next request will use."""
        deps = self._crm._deps()
        return self._override or deps.tenant_settings.default_model or deps.gateway.registry.default_alias()

    def aliases(self) -> list[str]:
        """Aliases defined in the models file."""
        return list(self._crm._deps().gateway.registry.aliases())


class CRM:
    """One tenant's AI CRM: ingest, search, decide, ask, correct, audit.

    Args:
        tenant: the tenant id (validated; every read and write is scoped to it).
        settings: settings to use (default: from the environment, ``AGENT_CRM_*``).
        home: shortcut overriding ``settings.home``.
        actor: who is acting (recorded in audit records).
    """

    def __init__(
        self, tenant: str, *, settings: Settings | None = None, home: str | Path | None = None, actor: str = "sdk"
    ) -> None:
        self.tenant = validate_tenant(tenant)
        base = settings or get_settings()
        self.settings = build_settings(**{**base.model_dump(), "home": Path(home)}) if home else base
        self.actor = actor
        self.models = Models(self)
        from agent_crm.logs import ensure_configured
        from agent_crm.policy.vault import log_redactor  # trust policy: PII masked, vault field values too

        ensure_configured(level=self.settings.log_level, fmt=self.settings.log_format, redactor=log_redactor)
        self._graph: Any = None
        self._graph_lock = threading.Lock()

    # ------------------------------------------------------------------ wiring
    def _deps(self) -> TenantDeps:
        from agent_crm.tenant_runtime import open_tenant

        return open_tenant(self.settings, self.tenant)

    def _compiled(self) -> Any:
        with self._graph_lock:
            if self._graph is None:
                from langgraph.checkpoint.sqlite import SqliteSaver

                from agent_crm.agents.assistant import builder

                path = tenant_dir(self.settings.home, self.tenant) / "checkpoints.sqlite"
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(path), check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                self._graph = builder.compile(checkpointer=SqliteSaver(conn))
            return self._graph

    # ------------------------------------------------------------------ knowledge base
    def ingest(
        self,
        source: str | Path | Sequence[str | Path] | Sequence[Mapping[str, Any]],
        *,
        encoding: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Ingest files/directories, or in-memory record dicts, into this tenant."""
        from agent_crm.tenant_runtime import ingestor_for

        ingestor = ingestor_for(self.settings, self._deps())
        if isinstance(source, str | Path):
            return ingestor.ingest_paths([Path(source)], encoding=encoding, progress=progress)
        items = list(source)
        if items and all(isinstance(x, Mapping) for x in items):
            return ingestor.ingest_dicts(items, progress=progress)  # type: ignore[arg-type]
        return ingestor.ingest_paths([Path(str(x)) for x in items], encoding=encoding, progress=progress)

    def search(
        self,
        query: str,
        *,
        k: int = 8,
        customer: str | None = None,
        channel: str | Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        tags: Sequence[str] = (),
        knowledge: bool = True,
    ) -> list[Hit]:
        """Hybrid search over this tenant's records (the query is PII-masked before it is embedded).

        ``knowledge=False`` searches interaction records only, leaving out knowledge documents (policies,
        playbooks), which otherwise answer many general questions first.
        """
        from agent_crm.kb.filters import SearchFilters

        deps = self._deps()
        chan = channel if channel is None or isinstance(channel, str) else tuple(channel)
        filters = SearchFilters(customer_id=customer, channel=chan, since=since, until=until, tags=tuple(tags))
        return list(deps.index.search(deps.redact(query), k=k, filters=filters, knowledge=knowledge))

    def retriever(self, k: int = 8) -> Any:
        """This tenant's knowledge base as a langchain-core ``BaseRetriever``."""
        from agent_crm.kb.retriever import TenantRetriever

        return TenantRetriever(index=self._deps().index, k=k)

    # ------------------------------------------------------------------ decisions
    def decide(
        self, *, customer: str, type: str, language: str | None = None, model: str | None = None,
        n_scripts: int | None = None, actor: str | None = None,
    ) -> Decision:
        """Make one decision of ``type`` about ``customer`` (through the assistant graph, audited)."""
        from agent_crm.decisions.catalog import get_spec

        get_spec(type)
        deps = self._deps()
        if not deps.records.by_customer(customer):
            raise NotFoundError(f"customer {customer!r} has no records in tenant {self.tenant!r}")
        entry = next((e for e in deps.records.directory() if e.customer_id == customer), None)
        name = entry.name if entry else customer
        lang = language or "en"
        question = f"{name} {type}" if lang == "en" else f"{name} 的决策：{type}"
        run = {"customer_id": customer, "decision_type": type, "language": lang, "entry": "decide",
               "customer_name": name}
        return self._run(question, thread_id=f"decide-{uuid.uuid4().hex}", model=model, run=run,
                         n_scripts=n_scripts, actor=actor)

    def ask(
        self, question: str, *, thread_id: str | None = None, model: str | None = None, actor: str | None = None
    ) -> Decision:
        """Ask the assistant a question; continue a conversation by passing the same ``thread_id``."""
        if not question or not question.strip():
            raise InputError("question must not be empty")
        return self._run(question, thread_id=thread_id or f"ask-{uuid.uuid4().hex}", model=model,
                         run={"entry": "ask"}, actor=actor)

    def approve(
        self, thread_id: str, *, approved: bool, actor: str, reason: str = "", label: str | None = None
    ) -> Decision:
        """Resume a decision waiting for human approval (``flags`` contains ``pending_approval``)."""
        from langgraph.types import Command

        from agent_crm.agents.state import AssistantContext

        graph = self._compiled()
        config = {"configurable": {"thread_id": thread_id}}
        state = graph.get_state(config)
        if not state.next:
            raise NotFoundError(f"thread {thread_id!r} has no decision waiting for approval")
        resume = {"approved": approved, "actor": actor, "reason": reason, "label": label}
        graph.invoke(Command(resume=resume), config=config, context=AssistantContext(deps=self._deps()),
                     durability="exit")
        return self._decision_from(graph.get_state(config).values, thread_id)

    def correct(
        self, audit_id: str, *, actor: str, reason: str, label: str | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        """Append a human correction linked to a decision's audit record (who, what changed, why)."""
        ledger = self._deps().ledger
        original = ledger.get(audit_id)
        data = original.payload.get("data") or {}
        before = data.get("decision") or {}
        payload = {"label_before": before.get("label"), "label_after": label, "changes": dict(changes or {}),
                   "decision_type": before.get("type"), "customer_id": data.get("customer_id")}
        return ledger.append("correction", payload, actor=actor, parent_id=audit_id,
                             subject=original.payload.get("subject"), personal={"reason": reason})

    # ------------------------------------------------------------------ audit
    def audit_record(self, audit_id: str) -> AuditRecord:
        """One audit record of this tenant."""
        return self._deps().ledger.get(audit_id)

    def verify_audit(self) -> Any:
        """Verify this tenant's audit chain (names the first bad record)."""
        return self._deps().ledger.verify()

    @property
    def sovereignty(self) -> Sovereignty:
        """Fingerprints, retention, export/import, erasure and sovereignty reports of this tenant."""
        from agent_crm.sovereignty import Sovereignty, TenantStores

        deps = self._deps()
        stores = TenantStores(settings=self.settings, tenant=self.tenant, records=deps.records, index=deps.index,
                              ledger=deps.ledger, on_change=deps.records_changed, vault=deps.vault,
                              residency=deps.residency.rules if deps.residency is not None else None)
        return Sovereignty(stores, ingest=self.ingest)

    # ------------------------------------------------------------------ async twins
    async def aingest(self, source: Any, **kw: Any) -> IngestReport:
        """Async twin of :meth:`ingest` (runs in a worker thread)."""
        return await asyncio.to_thread(self.ingest, source, **kw)

    async def asearch(self, query: str, **kw: Any) -> list[Hit]:
        """Async twin of :meth:`search`."""
        return await asyncio.to_thread(self.search, query, **kw)

    async def adecide(self, **kw: Any) -> Decision:
        """Async twin of :meth:`decide`."""
        return await asyncio.to_thread(lambda: self.decide(**kw))

    async def aask(self, question: str, **kw: Any) -> Decision:
        """Async twin of :meth:`ask`."""
        return await asyncio.to_thread(self.ask, question, **kw)

    async def acorrect(self, audit_id: str, **kw: Any) -> AuditRecord:
        """Async twin of :meth:`correct`."""
        return await asyncio.to_thread(lambda: self.correct(audit_id, **kw))

    # ------------------------------------------------------------------ internals
    def _run(
        self, question: str, *, thread_id: str, model: str | None, run: dict[str, Any], n_scripts: int | None = None,
        actor: str | None = None,
    ) -> Decision:
        from langchain_core.messages import HumanMessage

        from agent_crm.agents.state import AssistantContext

        deps = self._deps()
        alias = model or self.models.current
        deps.gateway.registry.get(alias)
        masked = deps.redact(question)
        run = {**run, "model": alias, "actor": actor or self.actor, "thread_id": thread_id,
               "started_perf": time.perf_counter()}
        if n_scripts is not None:
            run["n_scripts"] = n_scripts
        graph = self._compiled()
        config = {"configurable": {"thread_id": thread_id}}
        state_in = {"question": masked, "messages": [HumanMessage(content=masked)], "run": run,
                    "decision": None, "approval": None, "clarification": None, "flags": [], "evidence": [],
                    "knowledge": [], "audit_id": None}
        graph.invoke(state_in, config=config, context=AssistantContext(deps=deps), durability="exit")
        return self._decision_from(graph.get_state(config).values, thread_id)

    def _decision_from(self, values: Mapping[str, Any], thread_id: str) -> Decision:
        flags = tuple(sorted(set(values.get("flags", []))))
        calls = values.get("model_calls", [])
        writer = next((c for c in reversed(calls) if c.get("purpose") == "compose"), calls[-1] if calls else None)
        model = f"{writer['alias']} -> {writer['model']}" if writer else ""
        d = values.get("decision")
        if not d:
            return Decision(
                type="clarification", label="clarify", score=0.0, tenant=self.tenant,
                answer=values.get("clarification") or "", model=model, audit_id=values.get("audit_id"),
                language=values.get("language", "en"), flags=flags,
                details={"candidates": values.get("candidates", []), "thread_id": thread_id},
            )
        data = {k: v for k, v in d.items() if k in _DECISION_FIELDS}
        data["factors"] = tuple(Factor.model_validate(f) for f in d.get("factors", []))
        data["scripts"] = tuple(
            Script.model_validate({k: v for k, v in s.items() if k in _SCRIPT_FIELDS}) for s in d.get("scripts", [])
        )
        data["citations"] = tuple(
            Citation.model_validate({k: v for k, v in c.items() if k in _CITATION_FIELDS})
            for c in d.get("citations", [])
        )
        details = dict(d.get("details", {}))
        details["thread_id"] = thread_id
        if values.get("approval") is not None:
            details["approval"] = values["approval"]
        data.update(model=model, audit_id=values.get("audit_id"), flags=flags, details=details,
                    language=values.get("language", data.get("language", "en")))
        return Decision.model_validate(data)
