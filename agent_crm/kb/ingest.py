"""The ingest pipeline: load → validate/quarantine → policy (PII) → chunk → embed + index → record store."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agent_crm.errors import InputError
from agent_crm.kb.chunking import Chunker
from agent_crm.kb.documents import DOC_SUFFIXES, load_document
from agent_crm.kb.loaders import LoadIssue, LoadResult, load_directory_file, load_file, load_records
from agent_crm.kb.records import RecordStore
from agent_crm.logs import get_logger
from agent_crm.types import Chunk, Interaction

log = get_logger("kb.ingest")

RECORD_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".tsv")
BATCH_CHUNKS = 256
MAX_ISSUES_IN_REPORT = 200

Progress = Callable[[int], None]
"""Called with the number of records just processed."""


class ChunkIndex(Protocol):
    """What the pipeline needs of a tenant index (kb.index.TenantIndex)."""

    def upsert(self, chunks: Sequence[Chunk]) -> object: ...

    def delete(self, record_ids: Sequence[str]) -> object: ...


@dataclass
class IngestReport:
    """What an ingest run did (printed by the CLI, returned by the SDK and the API)."""

    tenant: str
    files: int = 0
    files_skipped: int = 0
    records_ok: int = 0
    """Records stored by this run (new + replaced)."""
    added: int = 0
    replaced: int = 0
    duplicates: int = 0
    """Records (or whole files) already ingested with the same content."""
    quarantined: int = 0
    chunks_added: int = 0
    customers: int = 0
    """Customer directory entries loaded."""
    documents: int = 0
    seconds: float = 0.0
    issues: list[dict[str, Any]] = field(default_factory=list)
    """The first invalid records' errors (file, line, field, reason)."""
    quarantine_files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (what ``agent-crm ingest --json`` prints)."""
        return asdict(self)


class Ingestor:
    """Ingest interaction logs, customer directories and knowledge documents into ONE tenant's stores."""

    def __init__(
        self,
        *,
        tenant: str,
        records: RecordStore,
        index: ChunkIndex,
        policy: Callable[[Interaction], Interaction],
        chunker: Chunker,
        quarantine_dir: Path,
        on_stored: Callable[[Sequence[Interaction]], None] | None = None,
        write_guard: Callable[[Sequence[Interaction]], AbstractContextManager[object]] | None = None,
    ) -> None:
        self.tenant = tenant
        self.records = records
        self.index = index
        self.policy = policy
        self.chunker = chunker
        self.quarantine_dir = quarantine_dir
        self.on_stored = on_stored
        # sovereignty hook: wraps each batch's index + record-store write (fingerprint journal, tenant lock)
        self.write_guard = write_guard

    # ------------------------------------------------------------------ entry points
    def ingest_paths(
        self, paths: Iterable[Path], *, encoding: str | None = None, progress: Progress | None = None
    ) -> IngestReport:
        """Ingest files and directories (recursively: *.jsonl, *.csv, *.tsv, customers*.*, *.md, *.txt)."""
        report = IngestReport(tenant=self.tenant)
        start = time.perf_counter()
        for path in expand_paths(paths):
            self._ingest_file(path, report, encoding=encoding, progress=progress)
        report.seconds = round(time.perf_counter() - start, 3)
        log.info("ingest.done", **{k: v for k, v in report.to_dict().items() if k not in ("issues", "quarantine_files")})
        return report

    def ingest_dicts(
        self, rows: Sequence[Mapping[str, Any]], *, source_name: str = "sdk", progress: Progress | None = None
    ) -> IngestReport:
        """Ingest in-memory records (SDK / HTTP), with the same validation and quarantine."""
        report = IngestReport(tenant=self.tenant)
        start = time.perf_counter()
        result = load_records(rows, self.tenant, source_name)
        report.files = 1
        self._quarantine(source_name, result, report)
        self._store(result.records, report, progress)
        report.seconds = round(time.perf_counter() - start, 3)
        return report

    # ------------------------------------------------------------------ steps
    def _ingest_file(
        self, path: Path, report: IngestReport, *, encoding: str | None, progress: Progress | None
    ) -> None:
        raw = path.read_bytes()
        file_hash = hashlib.sha256(raw).hexdigest()
        seen = self.records.file_seen(file_hash)
        if seen is not None:
            report.files_skipped += 1
            report.duplicates += seen
            return
        report.files += 1
        suffix = path.suffix.lower()
        if suffix in DOC_SUFFIXES:
            self._store([load_document(path, self.tenant)], report, progress)
            report.documents += 1
            count = 1
        elif path.name.lower().startswith("customers"):
            entries = load_directory_file(path)
            self.records.upsert_customers(entries)
            report.customers += len(entries)
            count = len(entries)
        else:
            result = load_file(path, self.tenant, encoding=encoding)
            self._quarantine(str(path), result, report)
            self._store(result.records, report, progress)
            count = len(result.records)
        self.records.mark_file(file_hash, path.name, count)

    def _store(self, records: Sequence[Interaction], report: IngestReport, progress: Progress | None) -> None:
        known = self.records.hashes([r.id for r in records])
        batch: list[Interaction] = []
        chunks: list[Chunk] = []
        replaced: list[str] = []
        for rec in records:
            old = known.get(rec.id)
            if old == rec.content_hash:
                report.duplicates += 1
                continue
            if old is not None:
                replaced.append(rec.id)
                report.replaced += 1
            else:
                report.added += 1
            known[rec.id] = rec.content_hash
            clean = self.policy(rec)
            batch.append(clean)
            chunks.extend(self.chunker(clean))
            if len(chunks) >= BATCH_CHUNKS:
                self._flush(batch, chunks, replaced, report, progress)
                batch, chunks, replaced = [], [], []
        if batch:
            self._flush(batch, chunks, replaced, report, progress)

    def _flush(
        self,
        batch: list[Interaction],
        chunks: list[Chunk],
        replaced: list[str],
        report: IngestReport,
        progress: Progress | None,
    ) -> None:
        with self.write_guard(batch) if self.write_guard is not None else nullcontext():
            if replaced:
                self.index.delete(replaced)
            self.index.upsert(chunks)
            self.records.put_many(batch)
        if self.on_stored is not None:
            self.on_stored(batch)
        report.records_ok += len(batch)
        report.chunks_added += len(chunks)
        if progress is not None:
            progress(len(batch))

    def _quarantine(self, source: str, result: LoadResult, report: IngestReport) -> None:
        if not result.issues:
            return
        report.quarantined += len({(i.file, i.line) for i in result.issues})
        for issue in result.issues:
            if len(report.issues) < MAX_ISSUES_IN_REPORT:
                report.issues.append(issue_dict(issue))
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        name = f"{Path(source).name}.{(result.file_hash or 'mem')[:12]}.quarantine.jsonl"
        target = self.quarantine_dir / name
        with target.open("w", encoding="utf-8") as fh:
            for issue in result.issues:
                fh.write(json.dumps(issue_dict(issue) | {"raw": issue.raw}, ensure_ascii=False) + "\n")
        os.chmod(target, 0o600)
        report.quarantine_files.append(str(target))


def issue_dict(issue: LoadIssue) -> dict[str, Any]:
    """The public fields of a load issue (the raw text stays in the quarantine file only)."""
    return {"file": issue.file, "line": issue.line, "field": issue.field, "reason": issue.reason}


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Expand directories into the ingestible files below them (sorted); refuse missing paths."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in (*RECORD_SUFFIXES, *DOC_SUFFIXES)
                       and not f.name.startswith("."))
            )
        elif p.exists():
            out.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    # customer directories first, so records can refer to names they define
    return sorted(out, key=lambda f: (not f.name.lower().startswith("customers"), str(f)))
