"""Data residency: the regions a model request may go to, from the tenant's policy and its customers' regions.

Every model alias carries a region (the models file's ``model_info.region``). A tenant's policy limits the
regions its data may go to (``residency.allowed_regions``) and may add a rule per customer region
(``residency.by_customer_region: {EU: [eu]}``). Before each model call, :class:`ResidencyRouter` finds the
customers the request carries (the ``customer_id`` values of its ``<crm_context>`` block, and directory names
in its text), intersects their rules, and either lets the gateway route to an allowed alias of the chain
(``allowed_regions`` per call; the gateway skips the others) or refuses with a PolicyViolation that says why.
The in-process region ``local`` is always allowed: that data never leaves the process.

:class:`ResidentGateway` wraps a gateway with a router, so the agent graphs need no change to obey residency.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from agent_crm.errors import PolicyViolation
from agent_crm.logs import get_logger

__all__ = ["IN_PROCESS_REGION", "ResidencyRouter", "ResidencyRules", "ResidentGateway"]

_log = get_logger("policy.residency")

IN_PROCESS_REGION = "local"
"""Region of backends running inside this process (always allowed, as in the gateway)."""
_OPEN, _CLOSE = "<crm_context>", "</crm_context>"
_REGION_SPLIT = re.compile(r"[-_/ ]")
MIN_NAME_CHARS = 2
"""Directory names shorter than this are not looked for in request text."""


@dataclass(frozen=True)
class ResidencyRules:
    """Where a tenant's data may go (the ``residency`` section of its policy file)."""

    allowed_regions: frozenset[str] | None = None
    """Regions any request of the tenant may go to (None = any)."""
    by_customer_region: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    """Customer region (case-folded; ``EU`` also covers ``EU-DE``) -> regions its data may go to."""
    on_violation: str = "fallback"
    """``fallback``: use the first allowed alias of the chain; ``refuse``: refuse unless the first alias is allowed."""

    @property
    def restricted(self) -> bool:
        """Whether any rule limits the regions."""
        return self.allowed_regions is not None or bool(self.by_customer_region)

    def rule_for(self, customer_region: str | None) -> frozenset[str] | None:
        """Return the regions allowed for a customer region (None: no rule for it)."""
        if not customer_region or not self.by_customer_region:
            return None
        key = customer_region.strip().casefold()
        found = self.by_customer_region.get(key)
        if found is None:
            found = self.by_customer_region.get(_REGION_SPLIT.split(key, maxsplit=1)[0])
        return found

    def regions_for(self, customer_regions: Iterable[str | None] = ()) -> frozenset[str] | None:
        """Return the regions a request carrying customers of these regions may go to (None = any)."""
        allowed = self.allowed_regions
        for region in customer_regions:
            rule = self.rule_for(region)
            if rule is not None:
                allowed = rule if allowed is None else allowed & rule
        return allowed


def _context_customer_ids(text: str) -> set[str]:
    end = text.rfind(_CLOSE)
    start = text.rfind(_OPEN, 0, end) if end >= 0 else -1
    if start < 0:
        return set()
    try:
        data = json.loads(text[start + len(_OPEN) : end])
    except ValueError:
        return set()
    found: set[str] = set()
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if isinstance(k, str) and k.endswith("customer_id") and isinstance(v, str):
                    found.add(v)
                elif isinstance(v, dict | list):
                    stack.append(v)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _message_texts(messages: Sequence[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return out


class ResidencyRouter:
    """Decide, per model request, which regions it may go to, and record refusals.

    Args:
        rules: the tenant's residency rules.
        tenant: the tenant id (for messages and audit).
        directory: returns the tenant's customer directory (entries with ``customer_id``, ``name``,
            ``aliases``, ``contacts``, ``region``).
        ledger: the tenant's audit ledger; refusals are appended as ``policy_violation`` records.
    """

    def __init__(
        self, rules: ResidencyRules, tenant: str, directory: Callable[[], Sequence[Any]], ledger: Any = None
    ) -> None:
        self.rules = rules
        self.tenant = tenant
        self._directory = directory
        self._ledger = ledger

    def customer_regions(self, customer_ids: Iterable[str]) -> dict[str, str | None]:
        """Return ``customer_id -> region`` for ids of the directory (others are left out)."""
        wanted = set(customer_ids)
        return {e.customer_id: e.region for e in self._directory() if e.customer_id in wanted}

    def customers_in(self, messages: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
        """Return the directory customers a request carries, with their regions."""
        texts = _message_texts(messages)
        ids: set[str] = set()
        for text in texts:
            ids |= _context_customer_ids(text)
        out = self.customer_regions(ids)
        if self.rules.by_customer_region:
            joined = "\n".join(texts).casefold()
            for e in self._directory():
                if e.customer_id in out:
                    continue
                names = [e.name, *e.aliases, *(c.name for c in e.contacts)]
                if any(n and len(n) >= MIN_NAME_CHARS and n.casefold() in joined for n in names):
                    out[e.customer_id] = e.region
        return out

    def allowed_for(self, messages: Sequence[Mapping[str, Any]]) -> tuple[frozenset[str] | None, dict[str, str | None]]:
        """Return the regions a request may go to (None = any) and the customers that decided it."""
        if not self.rules.restricted:
            return None, {}
        customers = self.customers_in(messages) if self.rules.by_customer_region else {}
        return self.rules.regions_for(customers.values()), customers

    def check(
        self, chain: Sequence[Any], regions: frozenset[str] | None, customers: Mapping[str, str | None]
    ) -> None:
        """Refuse (PolicyViolation) when no alias of ``chain`` may receive the request.

        Args:
            chain: the alias chain (objects with ``alias`` and ``region``), first alias first.
            regions: allowed regions (None = any).
            customers: the customers of the request and their regions (for the reason and the audit).
        """
        if regions is None or not chain:
            return
        ok = [s for s in chain if s.region == IN_PROCESS_REGION or s.region in regions]
        first_ok = chain[0] in ok
        if ok and (first_ok or self.rules.on_violation == "fallback"):
            return
        placed = sorted({r for r in customers.values() if r and self.rules.rule_for(r) is not None})
        whose = f"customer region(s) {', '.join(placed)}" if placed else f"tenant {self.tenant!r}"
        tried = ", ".join(f"{s.alias} ({s.region})" for s in chain)
        if ok:
            why = f"alias {chain[0].alias!r} is in region {chain[0].region!r} and the policy says refuse"
        else:
            why = f"no alias of the chain [{tried}] is in an allowed region"
        reason = (f"residency: data of {whose} may only go to region(s) {', '.join(sorted(regions))}; {why}. "
                  "Add an alias in an allowed region to the chain (fallbacks) or select one.")
        _log.warning("residency_refused", tenant=self.tenant, alias=chain[0].alias, regions=sorted(regions))
        if self._ledger is not None:
            self._ledger.append("policy_violation", {
                "rule": "residency", "alias": chain[0].alias, "chain": [[s.alias, s.region] for s in chain],
                "allowed_regions": sorted(regions), "customer_regions": dict(sorted(customers.items())),
            }, actor="policy")
        raise PolicyViolation(reason)

    def options(self, registry: Any, messages: Sequence[Mapping[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
        """Return gateway call options with the request's allowed regions (or raise PolicyViolation)."""
        regions, customers = self.allowed_for(messages)
        if regions is None:
            return options
        self.check(registry.resolve_chain(options.get("alias")), regions, customers)
        wanted = options.get("allowed_regions")
        return {**options, "allowed_regions": regions if wanted is None else regions & frozenset(wanted)}

    def describe(self, customer_id: str | None, calls: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Return the audit form of a run's residency: customer region, allowed regions, each call's region."""
        region = self.customer_regions([customer_id]).get(customer_id) if customer_id else None
        allowed = self.rules.regions_for([region]) if self.rules.restricted else None
        return {
            "customer_region": region,
            "allowed_regions": sorted(allowed) if allowed is not None else None,
            "destinations": [c.get("region") for c in calls],
        }


class ResidentGateway:
    """A tenant's view of the model gateway: every call gets the regions its data may go to.

    Delegates everything else to the wrapped gateway (``registry``, ``warm_up``, ...).

    Args:
        inner: the gateway (``agent_crm.llm.gateway.Gateway``) carrying the tenant's request filters.
        router: the tenant's residency router.
    """

    def __init__(self, inner: Any, router: ResidencyRouter) -> None:
        self.inner = inner
        self.router = router

    @property
    def registry(self) -> Any:
        """The wrapped gateway's model registry."""
        return self.inner.registry

    def complete(self, messages: Sequence[Mapping[str, Any]], **options: Any) -> Any:
        """``Gateway.complete`` within the allowed regions."""
        return self.inner.complete(messages, **self.router.options(self.registry, messages, options))

    async def acomplete(self, messages: Sequence[Mapping[str, Any]], **options: Any) -> Any:
        """``Gateway.acomplete`` within the allowed regions."""
        return await self.inner.acomplete(messages, **self.router.options(self.registry, messages, options))

    def stream(self, messages: Sequence[Mapping[str, Any]], **options: Any) -> Any:
        """``Gateway.stream`` within the allowed regions."""
        return self.inner.stream(messages, **self.router.options(self.registry, messages, options))

    def astream(self, messages: Sequence[Mapping[str, Any]], **options: Any) -> Any:
        """``Gateway.astream`` within the allowed regions."""
        return self.inner.astream(messages, **self.router.options(self.registry, messages, options))

    def __getattr__(self, name: str) -> Any:
        """Delegate anything else to the wrapped gateway."""
        if name in ("inner", "router"):
            raise AttributeError(name)
        return getattr(self.inner, name)
