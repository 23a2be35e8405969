"""structlog configuration: JSON in production, pretty in a TTY, PII redacted from every event."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import structlog

TextRedactor = Callable[[str], str]

_state: dict[str, Any] = {"configured": False}


class _CurrentStderr:
    """A file-like that writes to whatever ``sys.stderr`` is at write time (test runners swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class RedactEvent:
    """structlog processor that passes every string value of an event through a text redactor."""

    def __init__(self, redactor: TextRedactor) -> None:
        self._redact = redactor

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._redact(value)
        if isinstance(value, Mapping):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set):
            return [self._clean(v) for v in value]
        return value

    def __call__(self, logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key in list(event.keys()):
            event[key] = self._clean(event[key])
        return event


def configure_logging(
    *,
    level: str = "WARNING",
    fmt: str = "auto",
    redactor: TextRedactor | None = None,
    stream: Any = None,
) -> None:
    """Configure structlog for the process (idempotent; the last call wins).

    Args:
        level: minimum level name.
        fmt: ``auto`` (pretty in a TTY, JSON otherwise), ``json`` or ``console``.
        redactor: text redactor applied to every string in every event (PII never reaches a log).
        stream: where to write (default stderr).
    """
    out = stream or _CurrentStderr()
    tty = stream.isatty() if stream is not None and hasattr(stream, "isatty") else sys.stderr.isatty()
    pretty = fmt == "console" or (fmt == "auto" and tty)
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if redactor is not None:
        processors.append(RedactEvent(redactor))
    processors.append(structlog.processors.format_exc_info)
    processors.append(
        structlog.dev.ConsoleRenderer(colors=False) if pretty
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.WARNING)),
        logger_factory=structlog.PrintLoggerFactory(file=out),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    _state["configured"] = True


def ensure_configured(*, level: str = "WARNING", fmt: str = "auto", redactor: TextRedactor | None = None) -> None:
    """Configure logging unless the application already did (so PII redaction is on by default)."""
    if not _state["configured"]:
        configure_logging(level=level, fmt=fmt, redactor=redactor)


def get_logger(name: str) -> Any:
    """Return a structlog logger bound to a component name."""
    return structlog.get_logger(component=name)
