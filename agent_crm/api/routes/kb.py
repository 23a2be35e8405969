"""Knowledge-base routes of a tenant: ingest uploads, search, a JSONL export of records and audit records."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from agent_crm.access import Permission
from agent_crm.api.deps import TenantScope, run_blocking, tenant_scope
from agent_crm.api.uploads import ALLOWED_SUFFIXES, save_multipart
from agent_crm.service import CRM
from agent_crm.tenancy import tenant_dir
from agent_crm.types import Hit

router = APIRouter(tags=["knowledge base"])

_ingest_locks: dict[str, threading.Lock] = {}
_ingest_locks_guard = threading.Lock()

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["files"],
            "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                                     "description": f"Files to ingest ({', '.join(ALLOWED_SUFFIXES)})."}},
        }}},
    }
}


def _ingest_files(crm: CRM, paths: list[FsPath]) -> dict[str, Any]:
    with _ingest_locks_guard:
        lock = _ingest_locks.setdefault(crm.tenant, threading.Lock())
    with lock:  # one ingest at a time per tenant in this process
        return crm.ingest(paths).to_dict()


@router.post("/v1/tenants/{tenant}/ingest",
             summary="Ingest uploaded JSONL/CSV/TSV logs, customer directories and Markdown documents",
             openapi_extra=_UPLOAD_BODY)
async def ingest(
    request: Request, scope: TenantScope = Depends(tenant_scope(Permission.INGEST, create=True))
) -> dict[str, Any]:
    """Ingest a multipart upload; invalid records are quarantined and duplicates skipped, as with the CLI.

    The upload is streamed to disk and refused with 413 as soon as it exceeds ``max_upload_bytes``. This is
    how a tenant gets its data, so an admin key's tenant is created by its first ingest.
    The response is the CLI's IngestReport JSON plus the upload id and the names of the files received.
    """
    settings = request.app.state.settings
    upload_id = uuid.uuid4().hex[:16]
    target = tenant_dir(settings.home, scope.tenant) / "uploads" / upload_id
    try:
        files = await save_multipart(request.stream(), request.headers.get("content-type"), target,
                                     settings.max_upload_bytes, request.headers.get("content-length"))
        report = await run_blocking(request, _ingest_files, scope.crm, files)
    finally:
        await run_blocking(request, shutil.rmtree, target, True)
    return {**report, "upload_id": upload_id, "files_received": [f.name for f in files]}


def hit_json(h: Hit) -> dict[str, Any]:
    """A search hit as JSON (the same fields as ``agent-crm search --json``)."""
    c = h.chunk
    return {"record_id": c.record_id, "chunk_id": c.id, "customer_id": c.customer_id, "channel": c.channel,
            "timestamp": c.timestamp.isoformat(), "text": c.text, "score": h.score,
            "dense_score": h.dense_score, "lexical_score": h.lexical_score,
            "source": {"file": c.source.file, "line": c.source.line}}


@router.get("/v1/tenants/{tenant}/search", summary="Hybrid (dense + BM25) search with citations")
async def search(
    request: Request,
    q: str = Query(min_length=1, max_length=2000, description="What to look for (Chinese or English)."),
    k: int = Query(default=8, ge=1, le=100, description="Number of hits."),
    customer: str | None = Query(default=None, max_length=128, description="Only this customer's records."),
    channel: list[str] | None = Query(default=None, description="Only these channels (repeatable)."),
    scope: TenantScope = Depends(tenant_scope(Permission.SEARCH)),
) -> dict[str, Any]:
    """Search the tenant's records; the query is PII-masked before it is embedded."""
    hits = await run_blocking(request, scope.crm.search, q, k=k, customer=customer, channel=channel or None)
    return {"object": "list", "data": [hit_json(h) for h in hits]}


def _export_lines(crm: CRM) -> Iterator[bytes]:
    deps = crm._deps()
    yield _line({"kind": "export", "tenant": crm.tenant, "format": "agent_crm.export.v0"})
    for rec in deps.records.iter_all():
        yield _line({"kind": "record", "data": rec.model_dump(mode="json")})
    offset = 0
    while True:
        batch = deps.ledger.list(limit=1000, offset=offset)
        for a in batch:
            yield _line({"kind": "audit", "data": a.model_dump(mode="json")})
        if len(batch) < 1000:
            break
        offset += len(batch)


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


@router.get("/v1/tenants/{tenant}/export", summary="JSONL stream of the tenant's records and audit records",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}}}})
async def export(scope: TenantScope = Depends(tenant_scope(Permission.EXPORT))) -> StreamingResponse:
    """Stream one JSON object per line: a header, every record (redacted, as stored), every audit record."""
    return StreamingResponse(
        _export_lines(scope.crm), media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{scope.tenant}-export.jsonl"'},
    )
