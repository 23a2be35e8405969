"""The stores of one tenant that sovereignty operations read and change, passed in by the service layer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from agent_crm.errors import ConfigError
from agent_crm.sovereignty.fingerprints import FingerprintChain, chain_for
from agent_crm.sovereignty.locks import TenantFileLock
from agent_crm.tenancy import tenant_dir

if TYPE_CHECKING:
    from agent_crm.audit.ledger import Ledger
    from agent_crm.config import Settings
    from agent_crm.kb.chunking import Chunker
    from agent_crm.kb.filters import SearchFilters
    from agent_crm.kb.records import RecordStore
    from agent_crm.policy.residency import ResidencyRules
    from agent_crm.policy.vault import Vault
    from agent_crm.types import Chunk, Hit

RETENTION_LOCK = ".retention.lock"


class IndexLike(Protocol):
    """What sovereignty needs of a tenant index (kb.index.TenantIndex)."""

    def upsert(self, chunks: Sequence[Chunk]) -> object: ...

    def delete(self, record_ids: Sequence[str]) -> int: ...

    def delete_customer(self, customer_id: str) -> int: ...

    def search(self, query: str, k: int = 8, filters: SearchFilters | None = None) -> list[Hit]: ...


_retention_locks: dict[str, TenantFileLock] = {}
_locks_guard = threading.Lock()


def _nothing() -> None:
    return None


@dataclass
class TenantStores:
    """One tenant's record store, index and ledger, with the settings they were opened with."""

    settings: Settings
    tenant: str
    records: RecordStore
    index: IndexLike
    ledger: Ledger
    on_change: Callable[[], None] = _nothing
    """Called after records changed (the service resets derived caches)."""
    vault: Vault | None = None
    """The tenant's pseudonym vault: seals encrypted fields, salts pseudonyms, forgets erased values."""
    residency: ResidencyRules | None = None
    """The tenant's residency rules (trust policy), for the cross-border report's allowed regions."""

    def require_vault(self) -> Vault:
        """Return the vault.

        Raises:
            ConfigError: these stores were opened without the tenant's vault.
        """
        if self.vault is None:
            raise ConfigError(f"tenant {self.tenant!r}: encrypting and anonymising records needs its vault")
        return self.vault

    @property
    def directory(self) -> Path:
        """Return the tenant's data directory."""
        return tenant_dir(self.settings.home, self.tenant)

    @property
    def chain(self) -> FingerprintChain:
        """Return the tenant's fingerprint chain."""
        return chain_for(self.directory, self.tenant)

    @property
    def retention_lock(self) -> TenantFileLock:
        """Return the lock that serialises retention runs and erasures of this tenant (one per process)."""
        path = (self.directory / RETENTION_LOCK).resolve()
        with _locks_guard:
            return _retention_locks.setdefault(str(path), TenantFileLock(path, timeout=120.0))

    def chunker(self) -> Chunker:
        """Return a chunker configured like the ingest pipeline's."""
        from agent_crm.kb.chunking import Chunker

        return Chunker.from_settings(self.settings)
