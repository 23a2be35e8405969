"""Knowledge documents (policies, playbooks, rules digests) loaded as records of the reserved customer ``_kb``."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

from agent_crm.errors import InputError
from agent_crm.types import Interaction, SourceRef

KNOWLEDGE_CUSTOMER = "_kb"
"""Customer id under which a tenant's knowledge documents are stored (searchable, never a real customer)."""
DOC_SUFFIXES = (".md", ".markdown", ".txt")
_FRONT_DATE = re.compile(r"^(?:date|日期)\s*[:：]\s*(\d{4}-\d{2}-\d{2})", re.MULTILINE | re.IGNORECASE)


def load_document(path: Path, tenant: str) -> Interaction:
    """Load one Markdown/text document as a knowledge record (id ``doc:<file stem>``)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read document: {exc.strerror}") from exc
    if b"\x00" in raw[:4096]:
        raise InputError(f"{path}: not a text document (binary content); expected Markdown or plain text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="strict")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    title = lines[0].lstrip("# ").strip() if lines else path.stem
    dated = _FRONT_DATE.search(text)
    ts = (
        datetime.fromisoformat(dated.group(1)).replace(tzinfo=UTC)
        if dated
        else datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
    )
    body = "\n".join(lines[1:]) if len(lines) > 1 else text
    return Interaction(
        id=f"doc:{path.stem}",
        tenant=tenant,
        customer_id=KNOWLEDGE_CUSTOMER,
        customer_name=None,
        channel="doc",
        timestamp=ts,
        subject=title,
        text=body,
        source=SourceRef(file=str(path), line=1),
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
