"""``crm.sovereignty``: fingerprints, retention, portability, erasure and reports of ONE tenant (the SDK face)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent_crm.errors import ConfigError
from agent_crm.sovereignty.anchors import period_anchor
from agent_crm.sovereignty.crossborder import CrossBorderLog, crossborder_log
from agent_crm.sovereignty.erasure import ErasureReport, erase_customer
from agent_crm.sovereignty.export import ExportFormat, export_tenant
from agent_crm.sovereignty.fingerprint_verify import FingerprintReport, verify_fingerprints
from agent_crm.sovereignty.importer import ImportReport, IngestRows, import_export
from agent_crm.sovereignty.report_audit import build_audit_report
from agent_crm.sovereignty.report_doc import Document
from agent_crm.sovereignty.report_sovereignty import build_sovereignty_report
from agent_crm.sovereignty.retention import RecordRetention, RetentionEngine, RetentionResult
from agent_crm.sovereignty.retention_policy import RetentionPolicy, load_policy
from agent_crm.sovereignty.stores import TenantStores

POLICY_FILE = "retention.yaml"


class Sovereignty:
    """Data-sovereignty operations on one tenant's stores.

    Args:
        stores: the tenant's stores (the service passes the ones it opened).
        ingest: ingests record dicts into this tenant (needed by :meth:`import_export`).
    """

    def __init__(self, stores: TenantStores, *, ingest: IngestRows | None = None) -> None:
        self.stores = stores
        self._ingest = ingest

    @property
    def tenant(self) -> str:
        """Return the tenant id."""
        return self.stores.tenant

    # ------------------------------------------------------------------ fingerprints
    def verify_fingerprints(self) -> FingerprintReport:
        """Verify the fingerprint chain and every live record against it."""
        return verify_fingerprints(self.stores.chain, self.stores.records)

    def anchor(self, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
        """Return the Merkle anchor of a period's fingerprint rows and audit records."""
        return period_anchor(self.stores.chain, self.stores.ledger, since, until)

    # ------------------------------------------------------------------ retention
    def policy(self, path: Path | None = None) -> RetentionPolicy:
        """Load the retention policy (``path``, else ``<tenant_dir>/retention.yaml``).

        Raises:
            ConfigError: no policy file, or an invalid one (file, key path, reason).
        """
        return load_policy(path or self.stores.directory / POLICY_FILE)

    def policy_or_none(self) -> RetentionPolicy | None:
        """Return the tenant's policy, or None when it has no policy file (an invalid file still raises)."""
        path = self.stores.directory / POLICY_FILE
        return load_policy(path) if path.exists() else None

    def run_retention(
        self, *, now: datetime | None = None, dry_run: bool = False, policy: Path | None = None,
        actor: str = "retention",
    ) -> RetentionResult:
        """Apply the retention policy at ``now`` (default: the current time)."""
        engine = RetentionEngine(self.stores, self.policy(policy))
        return engine.run(now or datetime.now(UTC), dry_run=dry_run, actor=actor)

    def retention_status(
        self, *, now: datetime | None = None, record_id: str | None = None, policy: Path | None = None
    ) -> list[RecordRetention]:
        """Return each live record's remaining retention time per rule (or one record's)."""
        return RetentionEngine(self.stores, self.policy(policy)).status(now or datetime.now(UTC), record_id)

    # ------------------------------------------------------------------ portability and erasure
    def export(
        self, out: Path, *, customer: str | None = None, fmt: ExportFormat = "jsonl", actor: str = "export"
    ) -> dict[str, Any]:
        """Export the tenant (or one customer) into ``out``; return the manifest."""
        return export_tenant(self.stores, out, customer=customer, fmt=fmt, actor=actor)

    def import_export(self, src: Path, *, actor: str = "import") -> ImportReport:
        """Import an export directory into this tenant.

        Raises:
            ConfigError: this object was built without an ingest function.
        """
        if self._ingest is None:
            raise ConfigError("importing needs an ingest function (use crm.sovereignty)")
        return import_export(src, self.stores, self._ingest, actor=actor)

    def erase(self, customer: str, *, actor: str = "system", scratch: Path | None = None) -> ErasureReport:
        """Erase a customer from every store, crypto-shred their audit data, and verify nothing remains."""
        return erase_customer(self.stores, customer, actor=actor, scratch=scratch)

    # ------------------------------------------------------------------ reports
    def crossborder(self, *, since: datetime | None = None, until: datetime | None = None) -> CrossBorderLog:
        """Return every model call's destination region against the customer's region."""
        return crossborder_log(self.stores, since=since, until=until, policy=self.policy_or_none())

    def sovereignty_report(self, *, now: datetime | None = None) -> Document:
        """Return the sovereignty report (data locations, retention, transfers, consent, chain status)."""
        return build_sovereignty_report(self.stores, policy=self.policy_or_none(), now=now)

    def audit_report(self, *, since: datetime | None = None, until: datetime | None = None) -> Document:
        """Return the AI-decision audit report of a period."""
        return build_audit_report(self.stores, since=since, until=until)
