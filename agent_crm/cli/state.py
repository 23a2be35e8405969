"""Per-invocation CLI state: settings and logging, built on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent_crm.config import Settings
    from agent_crm.service import CRM


@dataclass
class CLIState:
    """Global options of one ``agent-crm`` invocation."""

    home: Path | None = None
    log_level: str | None = None
    _settings: Any = field(default=None, repr=False)

    def settings(self) -> Settings:
        """Settings from the environment plus the global options; configures logging once."""
        if self._settings is None:
            from agent_crm.config import build_settings
            from agent_crm.logs import configure_logging
            from agent_crm.policy.vault import log_redactor

            overrides: dict[str, Any] = {}
            if self.home is not None:
                overrides["home"] = self.home
            if self.log_level is not None:
                overrides["log_level"] = self.log_level
            self._settings = build_settings(**overrides)
            configure_logging(level=self._settings.log_level, fmt=self._settings.log_format, redactor=log_redactor)
        return self._settings  # type: ignore[no-any-return]

    def crm(self, tenant: str, actor: str = "cli") -> CRM:
        """A CRM for one tenant."""
        from agent_crm.service import CRM

        return CRM(tenant, settings=self.settings(), actor=actor)
