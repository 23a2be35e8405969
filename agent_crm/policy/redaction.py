"""PII redaction: a text redactor, a record redactor, and the policy pipeline records pass through at ingest.

``Redactor`` replaces each detected PII span with a typed placeholder (``<PHONE>``); ``redact_text`` is
the module default, used by the log processor (``agent_crm.logs.RedactEvent``). ``RecordRedactor`` applies a
``Redactor`` to the free-text parts of an :class:`~agent_crm.types.Interaction`. ``PolicyPipeline`` chains
such record policies; field-level policies (mask, hash, drop, encrypt) are added as further steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from agent_crm.errors import ConfigError
from agent_crm.policy.pii import PIIMatch, scan_with, select_detectors
from agent_crm.types import Interaction

__all__ = [
    "DEFAULT_PLACEHOLDER",
    "PolicyPipeline",
    "RecordPolicy",
    "RecordRedactor",
    "Redactor",
    "default_pipeline",
    "redact_text",
]

DEFAULT_PLACEHOLDER = "<{kind}>"
"""Placeholder format; ``{kind}`` is replaced by the PII kind (``<PHONE>``, ``<CN_ID>``, ...)."""

RecordPolicy = Callable[[Interaction], Interaction]
"""One step of a policy pipeline: takes a record, returns a (possibly new) record."""


class Redactor:
    """Replace PII in text with typed placeholders.

    Args:
        kinds: PII kinds to redact (see ``agent_crm.policy.pii.KINDS``); all registered kinds when None.
        placeholder: format string for the replacement; ``{kind}`` is the kind name.

    Raises:
        ConfigError: an unknown kind, or a placeholder that does not format with ``kind`` alone.
    """

    def __init__(self, kinds: Iterable[str] | None = None, placeholder: str = DEFAULT_PLACEHOLDER) -> None:
        self._detectors = select_detectors(kinds)
        self.kinds: tuple[str, ...] = tuple(d.kind for d in self._detectors)
        """The kinds this redactor replaces."""
        try:
            self._placeholders = {k: placeholder.format(kind=k) for k in self.kinds}
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"invalid PII placeholder {placeholder!r}: {exc}") from exc
        self.placeholder = placeholder
        """The placeholder format."""

    def matches(self, text: str) -> list[PIIMatch]:
        """Return the PII spans this redactor would replace (sorted, non-overlapping)."""
        return scan_with(self._detectors, text)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every PII span replaced by its placeholder."""
        found = scan_with(self._detectors, text)
        return self._replace(text, found) if found else text

    def redact_with_report(self, text: str) -> tuple[str, dict[str, int]]:
        """Return the redacted text and how many spans of each kind were replaced."""
        found = scan_with(self._detectors, text)
        counts: dict[str, int] = {}
        for m in found:
            counts[m.kind] = counts.get(m.kind, 0) + 1
        return (self._replace(text, found) if found else text), counts

    def _replace(self, text: str, found: list[PIIMatch]) -> str:
        parts: list[str] = []
        pos = 0
        for m in found:
            parts.append(text[pos : m.start])
            parts.append(self._placeholders[m.kind])
            pos = m.end
        parts.append(text[pos:])
        return "".join(parts)


_DEFAULT_REDACTOR = Redactor()


def redact_text(text: str) -> str:
    """Redact every registered PII kind from ``text`` with the default placeholders (used for logs)."""
    return _DEFAULT_REDACTOR(text)


class RecordRedactor:
    """Redact the free text of an interaction: subject, text, author and every string inside ``fields``.

    Ids, customer, channel, timestamps, amounts and tags are left alone. Integers of 11+ digits inside
    ``fields`` whose digits are wholly one PII value (a mobile stored as a number) are replaced by the
    placeholder string. A record with nothing to redact is returned as is (records are frozen, so that is
    safe).

    Args:
        redactor: the text redactor to apply (default: all kinds, ``<KIND>`` placeholders).
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        self.redactor = redactor if redactor is not None else _DEFAULT_REDACTOR

    def __call__(self, record: Interaction) -> Interaction:
        """Return ``record`` with PII replaced by placeholders."""
        return self.redact_with_report(record)[0]

    def redact_with_report(self, record: Interaction) -> tuple[Interaction, dict[str, int]]:
        """Return the redacted record and how many spans of each kind were replaced."""
        counts: dict[str, int] = {}
        update: dict[str, Any] = {}
        for name in ("subject", "text", "author"):
            value = getattr(record, name)
            if value:
                clean = self._text(value, counts)
                if clean != value:
                    update[name] = clean
        if record.fields:
            fields = self._value(record.fields, counts)
            if fields != record.fields:
                update["fields"] = fields
        return (record.model_copy(update=update) if update else record), counts

    def _text(self, value: str, counts: dict[str, int]) -> str:
        clean, found = self.redactor.redact_with_report(value)
        for kind, n in found.items():
            counts[kind] = counts.get(kind, 0) + n
        return clean

    def _value(self, value: Any, counts: dict[str, int]) -> Any:
        if isinstance(value, str):
            return self._text(value, counts) if value else value
        if isinstance(value, dict):
            return {k: self._value(v, counts) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(v, counts) for v in value]
        if isinstance(value, tuple):
            return tuple(self._value(v, counts) for v in value)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**10:
            digits = str(value)
            found = self.redactor.matches(digits)
            if len(found) == 1 and found[0].start == 0 and found[0].end == len(digits):
                counts[found[0].kind] = counts.get(found[0].kind, 0) + 1
                return self.redactor(digits)
        return value


class PolicyPipeline:
    """Apply record policies in order (redaction first; field-level policies are later steps).

    Args:
        steps: callables taking and returning an :class:`~agent_crm.types.Interaction`.
    """

    def __init__(self, steps: Sequence[RecordPolicy]) -> None:
        self.steps: tuple[RecordPolicy, ...] = tuple(steps)
        """The steps, in the order they run."""

    def __call__(self, record: Interaction) -> Interaction:
        """Run ``record`` through every step and return the result."""
        for step in self.steps:
            record = step(record)
        return record

    def then(self, *steps: RecordPolicy) -> PolicyPipeline:
        """Return a new pipeline with ``steps`` appended (this one is unchanged)."""
        return PolicyPipeline((*self.steps, *steps))

    def __len__(self) -> int:
        """Return the number of steps."""
        return len(self.steps)


def default_pipeline() -> PolicyPipeline:
    """Return the default ingest policy: redact PII from every record."""
    return PolicyPipeline([RecordRedactor()])
