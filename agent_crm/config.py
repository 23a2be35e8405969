"""Settings: one pydantic-settings class, env prefix ``AGENT_CRM_``, built on demand (never at import)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent_crm.errors import ConfigError


def _default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("agent_crm", appauthor=False))


class Settings(BaseSettings):
    """Process-wide settings of agent_crm (each field is ``AGENT_CRM_<NAME>`` in the environment)."""

    model_config = SettingsConfigDict(env_prefix="AGENT_CRM_", extra="ignore", validate_default=True)

    home: Path = Field(default_factory=_default_home)
    """Where all data lives: tenants' stores, ledgers, quarantine, vaults."""
    embedding_engine: str = "e5"
    """Default embedding engine for new tenants: ``e5`` (bundled multilingual-e5-small), ``minilm`` (bundled
    all-MiniLM-L6-v2, English only) or ``st:<model name or path>`` (any sentence-transformers model on disk)."""
    chroma_mode: Literal["embedded", "server"] = "embedded"
    """``embedded`` = PersistentClient under ``home``; ``server`` = HttpClient to ``chroma_host:chroma_port``."""
    chroma_host: str = "127.0.0.1"
    """Chroma server host (server mode)."""
    chroma_port: int = 8000
    """Chroma server port (server mode)."""
    audit_backend: Literal["sqlite", "postgres"] = "sqlite"
    """Audit ledger engine."""
    audit_dsn: SecretStr | None = None
    """PostgreSQL DSN when ``audit_backend`` is postgres."""
    models_file: Path | None = None
    """YAML models file (aliases -> LiteLLM model ids); None = the packaged default (``local`` only)."""
    default_model: str = "local"
    """Alias used when neither the tenant nor the request names one."""
    llm_timeout: float = Field(default=30.0, gt=0, le=600)
    """Default per-call model timeout in seconds."""
    chunk_max_tokens: int = Field(default=200, ge=32, le=2048)
    """Maximum tokens per chunk (cl100k_base)."""
    chunk_overlap_sentences: int = Field(default=1, ge=0, le=5)
    """Sentences repeated between consecutive chunks of a long record."""
    retrieval_k: int = Field(default=8, ge=1, le=200)
    """Default number of hits."""
    rrf_k: int = Field(default=60, ge=1, le=1000)
    """Reciprocal rank fusion constant."""
    log_format: Literal["auto", "json", "console"] = "auto"
    """``auto`` = pretty in a TTY, JSON otherwise."""
    log_level: str = "WARNING"
    """Minimum log level."""
    encryption_key: SecretStr | None = None
    """Key for fields encrypted at rest (Fernet, urlsafe base64 32 bytes); generated per home when unset."""
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    """Largest accepted upload for the HTTP ingest route."""

    @field_validator("home")
    @classmethod
    def _home_absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @field_validator("embedding_engine")
    @classmethod
    def _engine_known(cls, v: str) -> str:
        if v in ("e5", "minilm") or (v.startswith("st:") and len(v) > 3):
            return v
        raise ValueError("embedding_engine must be 'e5', 'minilm' or 'st:<model name or path>'")

    @field_validator("log_level")
    @classmethod
    def _level_known(cls, v: str) -> str:
        up = v.upper()
        if up not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return up

    @model_validator(mode="after")
    def _postgres_needs_dsn(self) -> Settings:
        if self.audit_backend == "postgres" and self.audit_dsn is None:
            raise ValueError("audit_backend=postgres needs AGENT_CRM_AUDIT_DSN")
        return self


def build_settings(**overrides: Any) -> Settings:
    """Build settings from the environment plus explicit overrides; raise ConfigError with the field on failure."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid settings: " + "; ".join(parts)) from exc


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process's settings from the environment (built once, on first call)."""
    return build_settings()
