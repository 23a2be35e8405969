"""Prepare the tenants an evaluation needs in its own data home, once, and reuse them on later runs.

A sample tenant is ingested from ``<knowledge root>/<tenant>/`` (interactions, customer directory, docs); an
inline tenant's records and customers are written to ``<out>/inline/<tenant id>/`` and ingested from there.
``<home>/eval-tenants.json`` remembers the fingerprint (sha256 over the source files) each tenant was ingested
from, so a rerun skips tenants whose data did not change.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_crm.config import Settings
from agent_crm.errors import InputError
from agent_crm.evaluation.dataset import INLINE, Case
from agent_crm.logs import get_logger

log = get_logger("evaluation.tenants")

MARKER = "eval-tenants.json"
SOURCE_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".tsv", ".md", ".txt")


def find_knowledge_root(start: Path) -> Path | None:
    """Return the nearest ``knowledge/tenants`` folder at or above ``start``, else under the working directory."""
    for base in [start.resolve(), *start.resolve().parents, Path.cwd()]:
        candidate = base / "knowledge" / "tenants"
        if candidate.is_dir():
            return candidate
    return None


def folder_fingerprint(folder: Path) -> str:
    """Return a sha256 over the relative paths and bytes of the ingestible files of ``folder``."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SOURCE_SUFFIXES):
        h.update(str(path.relative_to(folder)).encode("utf-8") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


@dataclass
class TenantFacts:
    """What scoring needs to know about a prepared tenant."""

    tenant: str
    fingerprint: str
    record_ids: frozenset[str] = frozenset()
    """Every stored record id (citations must be one of these)."""
    lexicon: tuple[str, ...] = ()
    """Entity names: customer names, aliases, contacts, products, competitors."""
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Customer id -> its names and aliases (the context a model is legitimately given)."""


def _write_inline(case: Case, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in case.records or ()]
    (folder / "interactions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if case.customers:
        rows = [json.dumps(c, ensure_ascii=False, sort_keys=True) for c in case.customers]
        (folder / "customers.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


class TenantPreparer:
    """Ingest each needed tenant into the eval home once (thread-safe; remembers fingerprints)."""

    def __init__(self, settings: Settings, *, knowledge_root: Path | None, inline_dir: Path) -> None:
        """Prepare tenants in ``settings.home`` from ``knowledge_root`` (sample tenants) or ``inline_dir``."""
        self.settings = settings
        self.knowledge_root = knowledge_root
        self.inline_dir = inline_dir
        self._lock = threading.Lock()
        self._marker = Path(settings.home) / MARKER
        self._facts: dict[str, TenantFacts] = {}

    def _read_marker(self) -> dict[str, Any]:
        try:
            data = json.loads(self._marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def source_folder(self, name: str) -> Path:
        """Return the folder a sample tenant is ingested from; raise InputError when it does not exist."""
        if self.knowledge_root is None:
            raise InputError(f"tenant {name!r}: no knowledge/tenants folder found (give --knowledge DIR)")
        folder = self.knowledge_root / name
        if not folder.is_dir():
            raise InputError(f"tenant {name!r}: {folder} does not exist")
        return folder

    def prepare(self, cases: Sequence[Case], extra_tenants: Iterable[str] = ()) -> dict[str, TenantFacts]:
        """Ingest every tenant the cases (and ``extra_tenants``) need; return their facts by tenant id."""
        wanted: dict[str, tuple[Path, str]] = {}
        for case in cases:
            key = case.tenant_key
            if key in wanted:
                continue
            if case.tenant == INLINE:
                folder = self.inline_dir / key
                _write_inline(case, folder)
                wanted[key] = (folder, case.inline_digest)
            else:
                folder = self.source_folder(case.tenant)
                wanted[key] = (folder, folder_fingerprint(folder))
        for name in extra_tenants:
            if name not in wanted:
                folder = self.source_folder(name)
                wanted[name] = (folder, folder_fingerprint(folder))
        for tenant, (folder, fingerprint) in wanted.items():
            self._ensure(tenant, folder, fingerprint)
        return {t: self._facts[t] for t in wanted}

    def _ensure(self, tenant: str, folder: Path, fingerprint: str) -> None:
        from agent_crm.service import CRM

        with self._lock:
            marker = self._read_marker()
            crm = CRM(tenant, settings=self.settings, actor="eval")
            if marker.get(tenant, {}).get("fingerprint") != fingerprint:
                if tenant in marker:
                    log.warning("eval_tenant_changed", tenant=tenant,
                                note="re-ingesting; records removed from the source stay in the eval home")
                report = crm.ingest(folder)
                log.info("eval_tenant_ingested", tenant=tenant, records=report.records_ok,
                         quarantined=report.quarantined)
                marker[tenant] = {"fingerprint": fingerprint, "source": str(folder),
                                  "records": report.records_ok + report.duplicates}
                self._marker.parent.mkdir(parents=True, exist_ok=True)
                self._marker.write_text(json.dumps(marker, ensure_ascii=False, indent=2, sort_keys=True),
                                        encoding="utf-8")
            self._facts[tenant] = self._collect(tenant, fingerprint)

    def _collect(self, tenant: str, fingerprint: str) -> TenantFacts:
        from agent_crm.tenant_runtime import open_tenant

        store = open_tenant(self.settings, tenant).records
        ids: set[str] = set()
        lexicon: set[str] = set()
        names: dict[str, tuple[str, ...]] = {}
        for rec in store.iter_all():
            ids.add(rec.id)
            for value in (rec.customer_name, rec.contact_name, rec.product):
                if value:
                    lexicon.add(value)
            lexicon.update(_strings(rec.fields.get("competitor")))
        for entry in store.directory():
            own = (entry.name, *entry.aliases)
            names[entry.customer_id] = tuple(x for x in own if x)
            lexicon.update(x for x in own if x)
            lexicon.update(c.name for c in entry.contacts if c.name)
        return TenantFacts(tenant, fingerprint, frozenset(ids), tuple(sorted(lexicon)), names)


def tenant_fingerprints(facts: dict[str, TenantFacts]) -> dict[str, str]:
    """Return tenant id -> fingerprint (for the run's metadata)."""
    return {t: f.fingerprint for t, f in sorted(facts.items())}

