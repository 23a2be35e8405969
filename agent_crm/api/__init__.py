"""agent_crm.api: the HTTP API (OpenAI-compatible chat + tenant REST); build it with ``create_app(settings)``."""

from agent_crm.api.app import create_app

__all__ = ["create_app"]
