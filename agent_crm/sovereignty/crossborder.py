"""The cross-border log: where each model call of a tenant sent data, against the customer's region.

Derived from the audit ledger: every decision (and clarification) record carries its ``model_calls`` with the
alias, the resolved model and the backend's region from the models file. The customer's region comes from the
directory, else from their records. Regions are compared by key: the retention policy's region groups when a
policy exists (``DE`` and ``eu-west-1`` are both ``EU`` if EU lists DE), else the top-level code
(``CN-ZJ`` -> ``CN``, ``cn-hangzhou`` -> ``CN``). ``local`` (the in-process backend) is no transfer at all.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from agent_crm.audit.ledger import format_created_at
from agent_crm.sovereignty.export_rows import erased_subjects, iter_audit
from agent_crm.sovereignty.retention_policy import RetentionPolicy
from agent_crm.sovereignty.stores import TenantStores

Status = Literal["in_process", "domestic", "cross_border", "unknown"]
IN_PROCESS = "local"


@dataclass(frozen=True)
class Transfer:
    """One model call: which customer's data went to which region, and whether that crossed a border."""

    audit_id: str
    created_at: str
    customer_id: str | None
    customer_region: str | None
    purpose: str
    alias: str
    model: str
    destination: str
    status: Status
    allowed: bool | None
    """Whether the tenant's residency rules allow the destination for this customer (None: no rule applies)."""


@dataclass
class CrossBorderLog:
    """A tenant's model calls by destination region."""

    tenant: str
    transfers: list[Transfer] = field(default_factory=list)
    allowed_regions: tuple[str, ...] | None = None
    """The tenant-wide allowed regions of its residency rules (None = any)."""

    def counts(self) -> dict[str, int]:
        """Return calls per status."""
        return dict(sorted(Counter(t.status for t in self.transfers).items()))

    def summary(self) -> list[dict[str, Any]]:
        """Return calls grouped by customer region, destination, model and status."""
        groups: dict[tuple[str, str, str, str, str], list[Transfer]] = {}
        for t in self.transfers:
            key = (t.customer_region or "?", t.destination, t.alias, t.model, t.status)
            groups.setdefault(key, []).append(t)
        return [{"customer_region": k[0], "destination": k[1], "alias": k[2], "model": k[3], "status": k[4],
                 "calls": len(v), "customers": len({t.customer_id for t in v if t.customer_id}),
                 "first": min(t.created_at for t in v), "last": max(t.created_at for t in v),
                 "not_allowed": sum(1 for t in v if t.allowed is False)}
                for k, v in sorted(groups.items())]

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data (summary, counts and every transfer)."""
        return {"tenant": self.tenant, "allowed_regions": self.allowed_regions, "counts": self.counts(),
                "summary": self.summary(), "transfers": [asdict(t) for t in self.transfers]}

    def to_markdown(self) -> str:
        """Render the summary as a Markdown table."""
        rows = [f"| {s['customer_region']} | {s['destination']} | {s['alias']} → {s['model']} | {s['status']} | "
                f"{s['calls']} | {s['customers']} | {s['not_allowed']} |" for s in self.summary()]
        return "\n".join([
            f"# Cross-border log — tenant `{self.tenant}`", "",
            f"Allowed regions: {', '.join(self.allowed_regions) if self.allowed_regions else 'any'}", "",
            "| customer region | destination | model | status | calls | customers | not allowed |",
            "|---|---|---|---|---|---|---|", *rows,
        ]) + "\n"


def region_key(region: str | None, policy: RetentionPolicy | None = None) -> str | None:
    """Return the comparable key of a region (policy group, else top-level code, upper case)."""
    if not region or region.lower() == "unknown":
        return None
    if policy is not None:
        return policy.region_key(region)
    return re.split(r"[-_ ]", region.strip().upper(), maxsplit=1)[0]


def classify(customer_region: str | None, destination: str, policy: RetentionPolicy | None = None) -> Status:
    """Return whether a call from a customer's region to ``destination`` stayed in process, in the region, or left."""
    if destination == IN_PROCESS:
        return "in_process"
    dest, home = region_key(destination, policy), region_key(customer_region, policy)
    if dest is None or home is None:
        return "unknown"
    return "domestic" if dest == home else "cross_border"


def _customer_regions(st: TenantStores) -> dict[str, str | None]:
    regions: dict[str, str | None] = {e.customer_id: e.region for e in st.records.directory()}
    for rec in st.records.iter_all():
        if rec.region and not regions.get(rec.customer_id):
            regions[rec.customer_id] = rec.region
    return regions


def crossborder_log(
    st: TenantStores, *, since: datetime | None = None, until: datetime | None = None,
    policy: RetentionPolicy | None = None,
) -> CrossBorderLog:
    """Return every model call of the tenant (in ``[since, until)``) with its destination and status."""
    regions = _customer_regions(st)
    erased = erased_subjects(st.ledger)
    rules = st.residency
    tenant_wide = rules.allowed_regions if rules is not None else None
    log = CrossBorderLog(st.tenant, allowed_regions=tuple(sorted(tenant_wide)) if tenant_wide is not None else None)
    lo, hi = (format_created_at(t) if t is not None else None for t in (since, until))
    for rec in iter_audit(st.ledger):
        if (lo and rec.created_at < lo) or (hi and rec.created_at >= hi):
            continue
        data = rec.payload.get("data") or {}
        calls = data.get("model_calls") or []
        if not calls:
            continue
        cid = data.get("customer_id")
        if cid in erased or rec.payload.get("subject") in erased:
            cid = None
        home = regions.get(cid) if cid else None
        allowed = rules.regions_for([home]) if rules is not None else None
        for call in calls:
            dest = str(call.get("region") or "unknown")
            ok = None if allowed is None else (dest == IN_PROCESS or dest in allowed)
            log.transfers.append(Transfer(
                rec.id, rec.created_at, cid, home, str(call.get("purpose", "")), str(call.get("alias", "")),
                str(call.get("model", "")), dest, classify(home, dest, policy), ok))
    return log
