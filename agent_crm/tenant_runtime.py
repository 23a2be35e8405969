"""Open one tenant's stores, gateway and ledger once per process (the service's wiring)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from agent_crm.agents.deps import TenantDeps
from agent_crm.config import Settings
from agent_crm.tenancy import tenant_dir, validate_tenant
from agent_crm.tenant_settings import load_tenant_settings

if TYPE_CHECKING:
    from agent_crm.kb.ingest import Ingestor
    from agent_crm.kb.records import RecordStore
    from agent_crm.llm.gateway import Gateway
    from agent_crm.policy.fields import CompiledPolicy
    from agent_crm.policy.residency import ResidencyRouter
    from agent_crm.policy.vault import Vault
    from agent_crm.tenant_settings import TenantSettings

_lock = threading.Lock()
_open_lock = threading.Lock()
_gateways: dict[str, Gateway] = {}
_tenants: dict[tuple[str, str, str], TenantDeps] = {}


def messages_redactor(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Gateway request filter: no raw PII in any message content sent to any backend."""
    from agent_crm.policy.redaction import redact_text

    return [{**m, "content": redact_text(m["content"])} if isinstance(m.get("content"), str) else m for m in messages]


def gateway_for(settings: Settings) -> Gateway:
    """The process's gateway for a models file (hot-reloading; shared by all tenants)."""
    from agent_crm.llm.gateway import Gateway
    from agent_crm.llm.registry import ModelRegistry

    key = str(settings.models_file or "")
    with _lock:
        gw = _gateways.get(key)
        if gw is None:
            gw = Gateway(ModelRegistry(settings.models_file), request_filters=(messages_redactor,))
            _gateways[key] = gw
        return gw


def open_tenant(settings: Settings, tenant: str) -> TenantDeps:
    """Open (once) and return the stores of a tenant, creating its directory on first use."""
    tenant = validate_tenant(tenant)
    key = (str(settings.home), tenant, str(settings.models_file or ""))
    with _lock:
        deps = _tenants.get(key)
    if deps is not None:
        return deps
    with _open_lock:  # one opener at a time: concurrent first requests must not open the stores twice
        with _lock:
            deps = _tenants.get(key)
        return deps if deps is not None else _open(settings, tenant, key)


def _open(settings: Settings, tenant: str, key: tuple[str, str, str]) -> TenantDeps:
    from agent_crm.audit.ledger import tenant_ledger
    from agent_crm.decisions.weights import load_weights
    from agent_crm.kb.index import TenantIndex
    from agent_crm.kb.records import RecordStore

    base = tenant_dir(settings.home, tenant)
    base.mkdir(parents=True, exist_ok=True)
    ts = load_tenant_settings(base / "tenant.yaml")
    weights_file = ts.weights_file if ts.weights_file is None or ts.weights_file.is_absolute() else base / ts.weights_file
    records = RecordStore(base / "records.sqlite", tenant)
    ledger = tenant_ledger(settings, tenant)
    policy, vault, residency, gateway = _trust(settings, tenant, base, ts, records, ledger)
    deps = TenantDeps(
        tenant=tenant,
        records=records,
        index=TenantIndex(settings, tenant),
        gateway=gateway,
        ledger=ledger,
        tenant_settings=ts,
        weights=load_weights(weights_file),
        redact=policy.text,
        policy=policy,
        vault=vault,
        residency=residency,
    )
    with _lock:
        return _tenants.setdefault(key, deps)


def _trust(
    settings: Settings, tenant: str, base: Path, ts: TenantSettings, records: RecordStore, ledger: Any
) -> tuple[CompiledPolicy, Vault, ResidencyRouter, Gateway]:
    """Trust policy (issue 4): the tenant's policy.yaml compiled, its vault, residency routing, its gateway.

    The tenant's gateway shares the process's registry (hot reload) but carries the tenant's text policy as
    its request filter and asks the residency router, per call, where the request's data may go.
    """
    from agent_crm.llm.gateway import Gateway
    from agent_crm.policy.fields import compile_policy
    from agent_crm.policy.policy_file import POLICY_FILE_NAME, load_policy
    from agent_crm.policy.residency import ResidencyRouter, ResidentGateway
    from agent_crm.policy.vault import open_vault

    policy = load_policy(base / POLICY_FILE_NAME, tenant_regions=ts.allowed_regions)
    vault = open_vault(settings, tenant, ledger=ledger)
    compiled = compile_policy(policy, vault)
    router = ResidencyRouter(policy.residency, tenant, records.directory, ledger)
    inner = Gateway(gateway_for(settings).registry, request_filters=(compiled.request_filter,))
    return compiled, vault, router, cast("Gateway", ResidentGateway(inner, router))


def ingestor_for(settings: Settings, deps: TenantDeps) -> Ingestor:
    """An ingest pipeline writing into the tenant's stores, with the tenant's policy (default: mask PII)."""
    from agent_crm.kb.chunking import Chunker
    from agent_crm.kb.ingest import Ingestor
    from agent_crm.policy.redaction import default_pipeline
    from agent_crm.sovereignty.journal import IngestGuard

    return Ingestor(
        tenant=deps.tenant,
        records=deps.records,
        index=deps.index,
        policy=deps.policy.pipeline if deps.policy is not None else default_pipeline(),  # trust policy
        chunker=Chunker(max_tokens=settings.chunk_max_tokens, overlap_sentences=settings.chunk_overlap_sentences),
        quarantine_dir=tenant_dir(settings.home, deps.tenant) / "quarantine",
        on_stored=lambda _batch: deps.records_changed(),
        write_guard=IngestGuard(tenant_dir(settings.home, deps.tenant), deps.tenant, deps.records),
    )


def list_tenants(settings: Settings) -> list[str]:
    """Tenants that have a data directory under the home."""
    root = Path(settings.home) / "tenants"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.exists() else []


def forget_tenants() -> None:
    """Drop the cached tenant runtimes (tests, and after a tenant's stores were replaced)."""
    with _lock:
        _tenants.clear()
