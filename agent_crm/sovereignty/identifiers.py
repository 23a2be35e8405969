"""What identifies one customer in a tenant's stores: ids, names, aliases and contact names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent_crm.audit.canonical import sha256_hex

if TYPE_CHECKING:
    from agent_crm.kb.directory import CustomerEntry
    from agent_crm.kb.records import RecordStore


@dataclass(frozen=True)
class CustomerIdentifiers:
    """A customer's identifiers, gathered before their data is removed."""

    customer_id: str
    record_ids: tuple[str, ...]
    names: tuple[str, ...]
    """Customer names and aliases (directory and records)."""
    contacts: tuple[str, ...]
    """Contact names (directory and records)."""
    exclusive: tuple[str, ...]
    """Names and contact names no other customer of the tenant uses (searched for as residue)."""
    region: str | None = None
    pseudonyms: tuple[str, ...] = ()
    """Vault pseudonyms (``<PHONE_1>``) used in the customer's records and in no other customer's."""

    @property
    def ids(self) -> tuple[str, ...]:
        """Return the customer id and the record ids."""
        return (self.customer_id, *self.record_ids)

    def id_pattern(self) -> re.Pattern[str]:
        """Return a regex matching any of the ids as a whole token (not inside a longer id)."""
        alts = "|".join(re.escape(i) for i in sorted(self.ids, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])")

    def found_in(self, text: str) -> list[str]:
        """Return the kinds of identifier present in ``text`` (``id``, ``name``), without the values."""
        kinds = []
        if self.id_pattern().search(text):
            kinds.append("id")
        if any(n in text for n in self.exclusive):
            kinds.append("name")
        return kinds


def customer_ref(tenant: str, customer_id: str) -> str:
    """Return a non-reversible reference to a customer for reports and logs (no identifier in clear)."""
    return "cust_" + sha256_hex(f"{tenant}\x00{customer_id}".encode())[:16]


def name_owners(directory: Sequence[CustomerEntry]) -> dict[str, set[str]]:
    """Return name -> ids of the customers using it (names, aliases and contact names of the directory)."""
    owners: dict[str, set[str]] = {}
    for e in directory:
        for n in (e.name, *e.aliases, *(c.name for c in e.contacts)):
            owners.setdefault(n, set()).add(e.customer_id)
    return owners


def customer_identifiers(
    records: RecordStore, customer_id: str, *, directory: Sequence[CustomerEntry] | None = None,
    owners: dict[str, set[str]] | None = None,
) -> CustomerIdentifiers:
    """Gather a customer's identifiers from the directory and their records.

    ``directory`` and ``owners`` (from :func:`name_owners`) may be passed in when many customers are looked
    up against one snapshot.
    """
    directory = records.directory() if directory is None else directory
    owners = name_owners(directory) if owners is None else owners
    entry = next((e for e in directory if e.customer_id == customer_id), None)
    own = records.by_customer(customer_id)
    names = {r.customer_name for r in own if r.customer_name}
    contacts = {r.contact_name for r in own if r.contact_name}
    if entry is not None:
        names |= {entry.name, *entry.aliases}
        contacts |= {c.name for c in entry.contacts}
    exclusive = sorted(n for n in names | contacts
                       if n and len(n) >= 2 and n != customer_id and owners.get(n, set()) <= {customer_id})
    region = (entry.region if entry is not None else None) or next((r.region for r in own if r.region), None)
    return CustomerIdentifiers(
        customer_id=customer_id, record_ids=tuple(sorted(r.id for r in own)), names=tuple(sorted(names)),
        contacts=tuple(sorted(contacts)), exclusive=tuple(exclusive), region=region,
    )
