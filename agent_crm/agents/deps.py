"""Everything a graph run needs from one tenant, opened once by the service and injected as run-time context."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agent_crm.tenant_settings import TenantSettings
from agent_crm.types import Interaction

if TYPE_CHECKING:
    from agent_crm.audit.ledger import Ledger
    from agent_crm.kb.index import TenantIndex
    from agent_crm.kb.records import RecordStore
    from agent_crm.llm.gateway import Gateway
    from agent_crm.policy.fields import CompiledPolicy
    from agent_crm.policy.residency import ResidencyRouter
    from agent_crm.policy.vault import Vault


@dataclass
class TenantDeps:
    """One tenant's stores, model gateway and ledger (the tenant is fixed here and nowhere else)."""

    tenant: str
    records: RecordStore
    index: TenantIndex
    gateway: Gateway
    ledger: Ledger
    tenant_settings: TenantSettings
    weights: dict[str, Any]
    """Decision type -> ScoringModel for this tenant (defaults merged with the tenant's override)."""
    redact: Callable[[str], str]
    """Text redactor applied to anything leaving the run (answers, audit text)."""
    # trust policy (issue 4): the tenant's compiled policy, pseudonym vault and residency router
    policy: CompiledPolicy | None = None
    """The tenant's policy (ingest pipeline, text policy, cross-verification); None = defaults."""
    vault: Vault | None = None
    """The tenant's pseudonym vault (``agent_crm.policy.roles.present`` reads through it)."""
    residency: ResidencyRouter | None = None
    """Where the tenant's model requests may go (the gateway asks it per call; the audit records it)."""
    _baselines: dict[str, tuple[int, dict[str, float]]] = field(default_factory=dict)
    _injections: dict[tuple[str, str], bool] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def as_of(self) -> datetime | None:
        """Reference time for decisions: the newest record's time (deterministic, no wall clock)."""
        return self.records.latest_timestamp()

    def baselines(self, decision_type: str) -> dict[str, float]:
        """The tenant's average customer for a decision type (recomputed when the records' generation moves,
        which also follows other processes' writes)."""
        generation = self.records.current_generation()
        cached = self._baselines.get(decision_type)
        if cached is not None and cached[0] == generation:
            return cached[1]
        from agent_crm.decisions.weights import tenant_baselines

        by_customer = {c: self.records.by_customer(c) for c in self.records.customer_ids() if not c.startswith("_")}
        as_of = self.as_of()
        value = tenant_baselines(decision_type, by_customer, as_of) if as_of else {}
        with self._lock:
            self._baselines[decision_type] = (generation, value)
        return value

    def injected_records(self, records: Sequence[Interaction]) -> list[str]:
        """Ids of records holding instruction-like text (prompt injection), memoised per record content."""
        from agent_crm.policy.injection import find_injections

        out = []
        for rec in records:
            key = (rec.id, rec.content_hash)
            hit = self._injections.get(key)
            if hit is None:
                hit = bool(find_injections(f"{rec.subject or ''}\n{rec.text}"))
                self._injections[key] = hit
            if hit:
                out.append(rec.id)
        return out

    def records_changed(self) -> None:
        """Forget derived caches after an ingest, erasure or retention run."""
        with self._lock:
            self._baselines.clear()
