"""Capture the log lines this process writes during a block (what an erasure proves contains nothing personal)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

_lock = threading.Lock()


@contextmanager
def captured_log_lines() -> Iterator[list[str]]:
    """Collect every rendered structlog line written while the block runs (lines still go to their sink).

    A processor is appended after the configured renderer for the duration of the block, so the lines are
    exactly what the sink receives (after PII redaction and level filtering). Output of the standard library
    ``logging`` module (third-party engines) is not structlog's and is not captured.
    """
    lines: list[str] = []

    def tee(_logger: Any, _method: str, event: Any) -> Any:
        lines.append(event.decode("utf-8", "replace") if isinstance(event, bytes)
                     else event if isinstance(event, str) else repr(dict(event)))
        return event

    with _lock:
        processors = list(structlog.get_config()["processors"])
        structlog.configure(processors=[*processors, tee])
    try:
        yield lines
    finally:
        with _lock:
            current = structlog.get_config()["processors"]
            structlog.configure(processors=[p for p in current if p is not tee])


