"""Parse the date/time options of CLI commands (``--now``, ``--since``, ``--until``)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer


def parse_when(value: str | None, option: str) -> datetime | None:
    """Return an aware datetime for an ISO 8601 date or date-time (naive = UTC), None for None.

    Raises:
        typer.BadParameter: not an ISO 8601 date or date-time.
    """
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date or date-time", param_hint=option) from exc
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
