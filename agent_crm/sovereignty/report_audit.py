"""The AI-decision audit report of a period: every decision with its models, sources, attributions and the
human corrections and approvals linked to it, after the ledger's integrity summary (audit.report)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from agent_crm.audit.report import build_report
from agent_crm.sovereignty.export_rows import audit_rows, decision_rows, erased_subjects
from agent_crm.sovereignty.report_doc import Chart, Document, Facts, Para, Section, Table
from agent_crm.sovereignty.report_svg import bar_chart, diverging_bars
from agent_crm.sovereignty.stores import TenantStores
from agent_crm.types import AuditRecord

MAX_DECISIONS = 500
_PAGE = 1000


def _period(st: TenantStores, since: datetime | None, until: datetime | None) -> list[AuditRecord]:
    out: list[AuditRecord] = []
    offset = 0
    while True:
        page = st.ledger.list(since=since, until=until, limit=_PAGE, offset=offset)
        out += page
        if len(page) < _PAGE:
            return out
        offset += _PAGE


def _source_state(st: TenantStores, citation: dict[str, Any]) -> tuple[str, str]:
    """Return (source "file:line", state of the cited record now: unchanged / changed / gone)."""
    rec = st.records.get(str(citation.get("record_id")))
    if rec is None:
        return "", "gone"
    where = f"{rec.source.file}:{rec.source.line}" if rec.source.line else rec.source.file
    want = citation.get("content_hash")
    return where, "unchanged" if not want or want == rec.content_hash else "changed"


def _decision_section(st: TenantStores, d: dict[str, Any]) -> Section:
    models = "; ".join(f"{m.get('purpose')}: {m.get('alias')} → {m.get('model')} ({m.get('region')})"
                       for m in d["models"]) or "—"
    blocks: list[Para | Facts | Table | Chart] = [Facts([
        ("audit record", d["audit_id"]), ("time", d["created_at"]), ("customer", str(d["customer_id"])),
        ("outcome", f"{d['label']} (score {d['score']})"), ("models", models),
        ("flags", ", ".join(d["flags"]) or "—"),
    ])]
    attrs = d["attributions"]
    if attrs:
        signed = [(str(a.get("name")), (a.get("weight") or 0.0) * (-1 if a.get("direction") == "negative" else 1))
                  for a in attrs]
        table = Table(("factor", "weight %", "direction", "value", "contribution", "evidence"),
                      [(a.get("name"), a.get("weight"), a.get("direction"), a.get("value"), a.get("contribution"),
                        ", ".join(a.get("evidence") or [])) for a in attrs])
        blocks += [Chart(diverging_bars("Factor attribution (share of the decision, signed)", signed)), table]
    cites = d["citations"]
    if cites:
        rows = []
        for c in cites:
            where, state = _source_state(st, c)
            rows.append((c.get("record_id"), where, str(c.get("content_hash", ""))[:16], state))
        blocks.append(Table(("cited record", "source", "content hash", "record now"), rows, caption="Input sources"))
    if d["corrections"]:
        blocks.append(Table(("when", "who", "label before", "label after", "changes", "reason"),
                            [(c["created_at"], c["actor"], c.get("label_before"), c.get("label_after"),
                              c.get("changes"), c.get("reason") if c.get("reason") is not None else "[erased]")
                             for c in d["corrections"]], caption="Human corrections"))
    if d["approvals"]:
        blocks.append(Table(("when", "who", "approved", "label", "reason"),
                            [(a["created_at"], a["actor"], a.get("approved"), a.get("label"), a.get("reason"))
                             for a in d["approvals"]], caption="Approvals"))
    return Section(f"{d['type']} → {d['label']} · {d['created_at'][:19]}", list(blocks), level=3)


def build_audit_report(st: TenantStores, *, since: datetime | None = None, until: datetime | None = None) -> Document:
    """Return the decision audit report of ``[since, until)`` (render with report_doc.write_document)."""
    summary = build_report(st.ledger, since, until)
    records = _period(st, since, until)
    erased = erased_subjects(st.ledger)
    decisions = decision_rows(records, audit_rows(records, erased))
    v = summary.verify
    period = f"{since.isoformat() if since else '…'} → {until.isoformat() if until else '…'}"
    integrity: list[Para | Facts | Table | Chart] = [
        Para(f"Chain integrity: {'verified' if v.ok else 'FAILED'} — {v.checked} records"
             + ("" if v.ok else f"; {v.reason} at seq {v.first_bad_seq} ({v.first_bad_id}): {v.detail}"),
             "ok" if v.ok else "bad"),
        Facts([("period", period), ("head", f"seq {summary.head[0]}, {summary.head[1][:16]}…"),
               ("period anchor", f"{summary.anchor.count} records, Merkle root {summary.anchor.root}"),
               ("decisions", str(len(decisions))), ("decisions corrected", str(summary.decisions_corrected)),
               ("erasures", str(summary.subjects_erased))]),
        Table(("kind", "records"), sorted(summary.kinds.items())),
    ]
    overview: list[Para | Facts | Table | Chart] = []
    by_type = Counter(str(d["type"]) for d in decisions)
    if by_type:
        overview.append(Chart(bar_chart("Decisions by type", [(k, float(n)) for k, n in by_type.most_common()]),
                              Table(("type", "decisions"), by_type.most_common())))
        by_model = Counter(f"{m.get('alias')} → {m.get('model')}" for d in decisions for m in d["models"])
        overview.append(Chart(bar_chart("Model calls by model", [(k, float(n)) for k, n in by_model.most_common()]),
                              Table(("model", "calls"), by_model.most_common())))
    else:
        overview.append(Para("No AI decision in this period.", "note"))
    sections = [Section("Integrity", integrity), Section("Overview", overview)]
    listed = decisions[:MAX_DECISIONS]
    sections.append(Section(f"Decisions ({len(listed)} of {len(decisions)})", []))
    sections += [_decision_section(st, d) for d in listed]
    return Document(f"AI decision audit — {st.tenant}", f"Period {period}", sections)
