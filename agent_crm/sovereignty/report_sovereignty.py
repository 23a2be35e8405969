"""The sovereignty report of a tenant: where its data lives, what retention will do, where model calls went,
consent flags, and whether the fingerprint and audit chains verify."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent_crm.policy.vault import KEY_FILE
from agent_crm.sovereignty.crossborder import crossborder_log
from agent_crm.sovereignty.fingerprint_verify import verify_fingerprints
from agent_crm.sovereignty.report_doc import Chart, Document, Facts, Para, Section, Table
from agent_crm.sovereignty.report_svg import bar_chart
from agent_crm.sovereignty.retention import RecordRetention, RetentionEngine
from agent_crm.sovereignty.retention_policy import RetentionPolicy
from agent_crm.sovereignty.stores import TenantStores
from agent_crm.tenancy import collection_name


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} B"


def data_locations(st: TenantStores) -> Table:
    """Return where each store of the tenant keeps its data (engine, location, size on disk)."""
    s, d = st.settings, st.directory
    vector_where = (f"{s.home / 'chroma'} (collection {collection_name(st.tenant)})" if s.chroma_mode == "embedded"
                    else f"{s.chroma_host}:{s.chroma_port} (collection {collection_name(st.tenant)})")
    rows: list[tuple[str, str, Path | str, Path | None]] = [
        ("interaction records, customer directory", "SQLite (WAL, synchronous=FULL)", d / "records.sqlite",
         d / "records.sqlite"),
        ("vector index", f"Chroma ({s.chroma_mode})", vector_where, None),
        ("lexical index", "bm25s + SQLite", d / "lexical", d / "lexical"),
        ("audit ledger", f"{s.audit_backend} (hash chain, per-subject keys)", d / "audit.sqlite", d / "audit.sqlite"),
        ("fingerprint chain", "SQLite (hash chain)", d / "fingerprints.sqlite", d / "fingerprints.sqlite"),
        ("conversation checkpoints", "SQLite (langgraph)", d / "checkpoints.sqlite", d / "checkpoints.sqlite"),
        ("quarantined input", "JSONL files, mode 0600", d / "quarantine", d / "quarantine"),
        ("import archives", "export files", d / "imports", d / "imports"),
        ("retention policy", "YAML", d / "retention.yaml", d / "retention.yaml"),
        ("pseudonym vault, encrypted fields", "SQLite (values Fernet-encrypted, per-tenant keys)",
         d / "vault.sqlite", d / "vault.sqlite"),
        ("master key of the vault", "settings.encryption_key" if s.encryption_key else "key file, mode 0600",
         "(environment)" if s.encryption_key else s.home / KEY_FILE, None if s.encryption_key else s.home / KEY_FILE),
    ]
    out = []
    for store, engine, where, sized in rows:
        exists = sized is None or sized.exists()
        out.append((store, engine, str(where), _human(_size(sized)) if sized is not None and exists else
                    ("—" if sized is None else "absent")))
    return Table(("store", "engine", "location", "size"), out)


def _integrity(st: TenantStores) -> Section:
    fp = verify_fingerprints(st.chain, st.records)
    audit = st.ledger.verify()
    blocks: list[Para | Table] = [
        Para(f"Fingerprint chain: {'verified' if fp.ok else 'FAILED'} — {fp.rows} rows, {fp.records} live records "
             f"recomputed" + (f", {fp.recovered} interrupted writes settled" if fp.recovered else ""),
             "ok" if fp.ok else "bad"),
        Para(f"Audit ledger: {'verified' if audit.ok else 'FAILED'} — {audit.checked} records"
             + ("" if audit.ok else f"; {audit.reason} at seq {audit.first_bad_seq} ({audit.first_bad_id})"),
             "ok" if audit.ok else "bad"),
    ]
    if fp.issues:
        blocks.append(Table(("issue", "seq", "record", "detail"),
                            [(i.kind, i.seq, i.record_id, i.detail) for i in fp.issues[:50]]))
    return Section("Integrity", list(blocks))


def _retention(st: TenantStores, policy: RetentionPolicy | None, now: datetime) -> Section:
    if policy is None:
        return Section("Retention", [Para(f"No retention policy ({st.directory / 'retention.yaml'} is absent); "
                                          "nothing expires.", "note")])
    statuses: list[RecordRetention] = RetentionEngine(st, policy).status(now)
    per_rule: dict[str, Counter[str]] = {}
    months: Counter[str] = Counter()
    pending = []
    for s in statuses:
        for r in s.rules:
            c = per_rule.setdefault(f"{r.rule} ({r.action})", Counter())
            c["records"] += 1
            if r.done:
                c["done"] += 1
                continue
            due = datetime.fromisoformat(r.due_at)
            c["due now"] += due <= now
            c["next 30 days"] += now < due <= now + timedelta(days=30)
            c["next 90 days"] += now < due <= now + timedelta(days=90)
            if due <= now + timedelta(days=365):
                months["overdue" if due <= now else due.strftime("%Y-%m")] += 1
            pending.append((r.due_at, s.record_id, s.region or "", r.rule, r.action, r.remaining_seconds))
    cols = ("records", "done", "due now", "next 30 days", "next 90 days")
    blocks: list[Para | Table | Chart] = [
        Para(f"Policy {policy.source} (sha256 {policy.sha256[:16]}…), evaluated at {now.isoformat()}."),
        Table(("rule", *cols), [(k, *(v[c] for c in cols)) for k, v in sorted(per_rule.items())]),
    ]
    items = sorted(months.items(), key=lambda kv: (kv[0] != "overdue", kv[0]))
    if items:
        blocks.append(Chart(bar_chart("Pending retention actions by due month (next 12 months)",
                                      [(k, float(v)) for k, v in items]),
                            Table(("due month", "actions"), items)))
    soon = sorted(pending)[:15]
    if soon:
        blocks.append(Table(("due", "record", "region", "rule", "action", "remaining"),
                            [(d, rid, reg, rule, act, _remaining(sec)) for d, rid, reg, rule, act, sec in soon],
                            caption="Upcoming expiries"))
    return Section("Retention", list(blocks))


def _remaining(seconds: float) -> str:
    if seconds <= 0:
        return "overdue"
    days, rest = divmod(int(seconds), 86400)
    return f"{days} d {rest // 3600} h" if days else f"{rest // 3600} h {rest % 3600 // 60} min"


def _consent_and_regions(st: TenantStores) -> Section:
    consent: Counter[str] = Counter()
    for rec in st.records.iter_all():
        if "consent" in rec.fields:
            consent[str(rec.fields["consent"]).lower()] += 1
        elif rec.channel != "doc":
            consent["(not recorded)"] += 1
    regions = Counter((e.region or "(none)") for e in st.records.directory())
    blocks: list[Para | Chart] = []
    if set(consent) - {"(not recorded)"}:
        items = [(k, float(v)) for k, v in consent.most_common()]
        blocks.append(Chart(bar_chart("Records by consent flag (fields.consent)", items),
                            Table(("consent", "records"), consent.most_common())))
    else:
        blocks.append(Para("No record carries a consent flag (fields.consent).", "note"))
    if regions:
        blocks.append(Chart(bar_chart("Customers by region", [(k, float(v)) for k, v in regions.most_common()]),
                            Table(("region", "customers"), regions.most_common())))
    return Section("Consent and regions", list(blocks))


def _crossborder(st: TenantStores, policy: RetentionPolicy | None) -> Section:
    log = crossborder_log(st, policy=policy)
    if not log.transfers:
        return Section("Cross-border transfers", [Para("No model call is recorded in the audit ledger.", "note")])
    counts = log.counts()
    by_dest = Counter(t.destination for t in log.transfers)
    blocks: list[Para | Table | Chart] = [
        Para(", ".join(f"{k}: {v} calls" for k, v in counts.items()) + ".",
             "bad" if counts.get("cross_border") else "ok"),
        Chart(bar_chart("Model calls by destination region", [(k, float(v)) for k, v in by_dest.most_common()]),
              Table(("destination", "calls"), by_dest.most_common())),
        Table(("customer region", "destination", "model", "status", "calls", "customers", "not allowed"),
              [(s["customer_region"], s["destination"], f"{s['alias']} → {s['model']}", s["status"], s["calls"],
                s["customers"], s["not_allowed"]) for s in log.summary()]),
    ]
    return Section("Cross-border transfers", list(blocks))


def build_sovereignty_report(
    st: TenantStores, *, policy: RetentionPolicy | None = None, now: datetime | None = None
) -> Document:
    """Return the tenant's sovereignty report (render with report_doc.write_document)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    lexical = getattr(st.index, "lexical", None)
    facts = Facts([
        ("tenant", st.tenant), ("generated", now.isoformat()), ("records", str(st.records.count())),
        ("customers with records", str(len(st.records.customer_ids()))),
        ("directory entries", str(len(st.records.directory()))),
        ("indexed chunks", str(lexical.count()) if lexical is not None else "—"),
        ("audit records", str(st.ledger.head()[0])), ("fingerprint rows", str(st.chain.count())),
    ])
    return Document(
        f"Data sovereignty report — {st.tenant}", f"Generated {now.isoformat()}",
        [Section("Summary", [facts]), Section("Data locations", [data_locations(st)]), _integrity(st),
         _retention(st, policy, now), _crossborder(st, policy), _consent_and_regions(st)],
    )
