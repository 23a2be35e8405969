"""Versioned system prompt templates (``prompts/<name>/v<N>.md``), hashed for audit records.

A released version is never edited: a change is a new file ``v<N+1>.md``. The sha256 of a template's
exact bytes goes into the audit record of every decision that used it, so a replay can prove which
prompt was sent.

The templates live in the repository's top-level ``prompts/`` folder (found next to the package in a source
checkout or an editable install), or wherever ``AGENT_CRM_PROMPTS_DIR`` points.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from agent_crm.errors import ConfigError, NotFoundError

PROMPTS_ENV = "AGENT_CRM_PROMPTS_DIR"
"""Environment variable naming the prompts folder (overrides the default location)."""

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_VERSION_RE = re.compile(r"^v([1-9][0-9]*)\.md$")
_PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class PromptTemplate:
    """One released version of a prompt template."""

    id: str
    """Template name (the folder under ``prompts/``), e.g. ``compose``."""
    version: int
    """Version number N of ``v<N>.md``."""
    sha256: str
    """Hex sha256 of the file's exact bytes."""
    text: str
    """The template text (UTF-8)."""

    @property
    def ref(self) -> str:
        """Return the reference stored in audit records: ``name@vN#<first 12 hex of sha256>``."""
        return f"{self.id}@v{self.version}#{self.sha256[:12]}"


def default_root() -> Path:
    """Return the prompts folder: ``$AGENT_CRM_PROMPTS_DIR``, else the repository's ``prompts/``.

    Falls back to ``<sys.prefix>/share/agent_crm/prompts`` (data files of a wheel install) when the
    repository folder does not exist.
    """
    env = os.environ.get(PROMPTS_ENV)
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parents[2] / "prompts"
    if repo.is_dir():
        return repo
    shared = Path(sys.prefix) / "share" / "agent_crm" / "prompts"
    return shared if shared.is_dir() else repo


def available_versions(name: str, *, root: Path | str | None = None) -> list[int]:
    """Return the released versions of a template, ascending.

    Raises:
        ConfigError: The name is not a valid template name.
    """
    if not _NAME_RE.match(name):
        raise ConfigError(f"invalid prompt name {name!r} (lower-case letters, digits, '-' and '_')")
    folder = Path(root) if root is not None else default_root()
    folder = folder / name
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := _VERSION_RE.match(p.name)))


@functools.lru_cache(maxsize=128)
def _load(folder: str, name: str, version: int, mtime_ns: int) -> PromptTemplate:
    data = (Path(folder) / name / f"v{version}.md").read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"prompt {name} v{version} is not UTF-8: {exc}") from exc
    return PromptTemplate(id=name, version=version, sha256=hashlib.sha256(data).hexdigest(), text=text)


def load_prompt(name: str, version: int | None = None, *, root: Path | str | None = None) -> PromptTemplate:
    """Load a template version (the latest when ``version`` is None), cached per file.

    Args:
        name: Template name, e.g. ``understand`` or ``compose``.
        version: Version number N of ``v<N>.md``; None for the highest released version.
        root: Prompts folder; defaults to ``default_root()``.

    Returns:
        The template with its sha256 over the exact file bytes.

    Raises:
        ConfigError: Invalid name or version, or a file that is not UTF-8.
        NotFoundError: No such template or version.
    """
    folder = Path(root) if root is not None else default_root()
    versions = available_versions(name, root=folder)
    if not versions:
        raise NotFoundError(f"prompt template {name!r} not found under {folder}")
    if version is None:
        version = versions[-1]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError(f"prompt version must be a positive integer, got {version!r}")
    if version not in versions:
        raise NotFoundError(f"prompt template {name!r} has no version v{version} (released: {versions})")
    path = folder / name / f"v{version}.md"
    return _load(str(folder.resolve()), name, version, path.stat().st_mtime_ns)


def render(template: PromptTemplate | str, **variables: str | int | float | bool) -> str:
    """Fill ``{name}`` placeholders with simple values (``{{`` and ``}}`` give literal braces).

    Only plain identifiers are placeholders: no attribute or index access, no format specs; any other brace is
    kept as written.

    Raises:
        ConfigError: A placeholder has no value, or a value is not a str, int, float or bool.
    """
    text = template.text if isinstance(template, PromptTemplate) else template
    for key, value in variables.items():
        if not isinstance(value, str | int | float | bool):
            raise ConfigError(f"prompt variable {key!r} must be a simple value, got {type(value).__name__}")

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        key = match.group(1)
        if key not in variables:
            raise ConfigError(f"prompt placeholder {{{key}}} has no value")
        return str(variables[key])

    return _PLACEHOLDER_RE.sub(substitute, text)
