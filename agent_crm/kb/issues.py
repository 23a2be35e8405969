"""LoadIssue: one precise, user-facing problem found while loading input (which file, line, field, why)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LoadIssue:
    """A record (or line) that could not be loaded, with exactly where and why.

    A record with several bad fields yields one issue per field; they share ``file``, ``line`` and ``raw``.
    """

    file: str
    """Path or source name as given to the loader."""
    line: int
    """1-based physical line (CSV: the line the row starts on, the header being line 1; SDK: index + 1)."""
    field: str | None
    """The offending field, or None when the whole line is unusable (malformed JSON, wrong cell count)."""
    reason: str
    """What is wrong, in words a user can act on."""
    raw: str
    """The raw line or CSV row text (for quarantine)."""

    def __str__(self) -> str:
        """Format as ``file:line: field: reason``."""
        return f"{self.file}:{self.line}: {self.field or 'record'}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping (for quarantine files and API responses)."""
        return {
            "file": self.file, "line": self.line, "field": self.field, "reason": self.reason, "raw": self.raw,
        }


def format_issues(issues: Sequence[LoadIssue], limit: int = 10) -> str:
    """Render issues one per line, at most ``limit`` of them, saying how many more were left out."""
    lines = [str(issue) for issue in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"... and {len(issues) - limit} more")
    return "\n".join(lines)
