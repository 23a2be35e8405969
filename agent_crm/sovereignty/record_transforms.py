"""Retention transforms of one stored record: anonymise, encrypt contact fields at rest, and decrypt.

Both transforms are idempotent and leave a marker in ``fields["_retention"]`` (``{"anonymised": rule}`` /
``{"encrypted": rule, "sealed": [paths]}``), so a second retention run finds nothing to do. Encrypted values
are sealed the way the trust policy's ``encrypt`` action seals them: a Fernet token of the tenant's vault per
field in ``fields["_sealed"]`` (``agent_crm.policy.fields.SEALED_KEY``); the field itself is emptied, so the
chunks indexed from the record carry neither plaintext nor ciphertext. Anonymising also turns the vault's
reversible pseudonyms (``<PHONE_1>``) into bare placeholders (``<PHONE>``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from agent_crm.policy.fields import SEALED_KEY
from agent_crm.policy.vault import PSEUDONYM_RE
from agent_crm.types import Interaction

RETENTION_KEY = "_retention"
CONTACT_FIELDS: tuple[str, ...] = (
    "contact_name", "author", "fields.phone", "fields.mobile", "fields.email", "fields.wechat", "fields.contact",
    "fields.contact_phone", "fields.address",
)
"""What ``encrypt`` protects when a rule names no fields."""
PERSONAL_FIELDS: tuple[str, ...] = (
    *CONTACT_FIELDS, "customer_name", "fields.name", "fields.contact_name", "fields.id_number", "fields.birthday",
)
"""What ``anonymise`` always drops (a rule's ``fields`` add to it)."""
CUSTOMER_PLACEHOLDER = "<CUSTOMER>"
CONTACT_PLACEHOLDER = "<CONTACT>"


def marker(rec: Interaction) -> dict[str, Any]:
    """Return the record's retention marker (empty when no transform was applied)."""
    found = rec.fields.get(RETENTION_KEY)
    return dict(found) if isinstance(found, Mapping) else {}


def is_anonymised(rec: Interaction) -> bool:
    """Return whether the record was anonymised by a retention rule."""
    return "anonymised" in marker(rec)


def is_encrypted(rec: Interaction) -> bool:
    """Return whether a retention rule encrypted the record's contact fields at rest."""
    return "encrypted" in marker(rec)


def values_at(rec: Interaction, paths: Iterable[str]) -> dict[str, Any]:
    """Return path -> value for the given paths that hold a non-empty value."""
    out: dict[str, Any] = {}
    for p in paths:
        value = rec.fields.get(p[7:]) if p.startswith("fields.") else getattr(rec, p, None)
        if value not in (None, "", [], {}):
            out[p] = value
    return out


def _without(rec: Interaction, paths: Iterable[str], fields: dict[str, Any]) -> dict[str, Any]:
    """Return the model update clearing ``paths`` (``fields`` is edited in place and included)."""
    update: dict[str, Any] = {}
    for p in paths:
        if p.startswith("fields."):
            fields.pop(p[7:], None)
        else:
            update[p] = None
    update["fields"] = fields
    return update


def _mark(fields: dict[str, Any], key: str, rule: str) -> None:
    fields[RETENTION_KEY] = {**marker_dict(fields), key: rule}


def pseudonyms_in(records: Iterable[Interaction]) -> set[str]:
    """Return the vault pseudonyms (``<PHONE_1>``) found anywhere in the records' text values."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.update(m.group(0) for m in PSEUDONYM_RE.finditer(value))
        elif isinstance(value, Mapping):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    for rec in records:
        walk([rec.text, rec.subject, rec.author, rec.contact_name, rec.customer_name, rec.fields])
    return found


def marker_dict(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return the retention marker inside a fields mapping."""
    found = fields.get(RETENTION_KEY)
    return dict(found) if isinstance(found, Mapping) else {}


def encrypt_record(
    rec: Interaction, seal: Callable[[Any], str], paths: Iterable[str], rule: str
) -> Interaction | None:
    """Return the record with the values at ``paths`` sealed (``seal``: the vault's), or None if nothing to do."""
    if is_encrypted(rec) or is_anonymised(rec):
        return None
    values = values_at(rec, paths)
    if not values:
        return None
    fields = dict(rec.fields)
    update = _without(rec, values, fields)
    sealed = fields.get(SEALED_KEY)
    fields[SEALED_KEY] = {**(sealed if isinstance(sealed, Mapping) else {}),
                          **{path: seal(value) for path, value in values.items()}}
    fields[RETENTION_KEY] = {**marker_dict(fields), "encrypted": rule, "sealed": sorted(values)}
    return rec.model_copy(update=update)


def decrypt_record(rec: Interaction, unseal: Callable[[str], Any]) -> Interaction:
    """Return the record with the values a retention rule sealed restored, and its encryption marker removed.

    Values sealed by the trust policy at ingest stay sealed (they were never stored in clear).
    """
    mark = marker(rec)
    paths = [p for p in mark.get("sealed", []) if isinstance(p, str)]
    if "encrypted" not in mark:
        return rec
    fields = dict(rec.fields)
    sealed = dict(fields.get(SEALED_KEY) or {})
    update: dict[str, Any] = {}
    for path in paths:
        token = sealed.pop(path, None)
        if token is None:
            continue
        if path.startswith("fields."):
            fields[path[7:]] = unseal(token)
        else:
            update[path] = unseal(token)
    if sealed:
        fields[SEALED_KEY] = sealed
    else:
        fields.pop(SEALED_KEY, None)
    rest = {k: v for k, v in mark.items() if k not in ("encrypted", "sealed")}
    if rest:
        fields[RETENTION_KEY] = rest
    else:
        fields.pop(RETENTION_KEY, None)
    update["fields"] = fields
    return rec.model_copy(update=update)


def mask_pseudonyms(text: str) -> str:
    """Turn the vault's reversible pseudonyms (``<PHONE_1>``) into bare placeholders (``<PHONE>``)."""
    return PSEUDONYM_RE.sub(lambda m: f"<{m.group(1)}>", text)


def scrub_text(text: str, names: Mapping[str, str]) -> str:
    """Replace every name in ``text`` (longest first) with its placeholder, and mask vault pseudonyms."""
    for name in sorted(names, key=len, reverse=True):
        if name and name in text:
            text = text.replace(name, names[name])
    return mask_pseudonyms(text)


def _scrub_value(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, names)
    if isinstance(value, Mapping):
        return {k: _scrub_value(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value(v, names) for v in value]
    return value


def anonymise_record(
    rec: Interaction, *, pseudonym: str, names: Mapping[str, str], drop: Iterable[str], rule: str
) -> Interaction | None:
    """Return the record anonymised, or None when it already is.

    The customer id becomes ``pseudonym``; customer, contact and author names and the personal fields
    (:data:`PERSONAL_FIELDS` plus ``drop``) go; sealed (encrypted) values go too; the customer's names and
    contact names in the subject, the text and string fields become ``<CUSTOMER>`` / ``<CONTACT>`` and vault
    pseudonyms bare placeholders.
    """
    if is_anonymised(rec):
        return None
    fields = {k: v for k, v in rec.fields.items() if k != SEALED_KEY}
    fields = dict(_scrub_value(fields, names))
    mark = {k: v for k, v in marker_dict(fields).items() if k not in ("encrypted", "sealed")}
    fields[RETENTION_KEY] = mark
    update = _without(rec, (*PERSONAL_FIELDS, *drop), fields)
    _mark(fields, "anonymised", rule)
    update["customer_id"] = pseudonym
    update["text"] = scrub_text(rec.text, names)
    if rec.subject:
        update["subject"] = scrub_text(rec.subject, names)
    return rec.model_copy(update=update)


def names_of(
    customer_id: str, names: Iterable[str], contacts: Iterable[str]
) -> dict[str, str]:
    """Return the name -> placeholder map used to scrub one customer's text."""
    out = {c: CONTACT_PLACEHOLDER for c in contacts if c and len(c) > 1}
    out.update({n: CUSTOMER_PLACEHOLDER for n in names if n and len(n) > 1})
    if len(customer_id) > 2:
        out[customer_id] = CUSTOMER_PLACEHOLDER
    return out
