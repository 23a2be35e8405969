"""AI policy: PII detection and the redaction pipeline applied before any model, store or log sees data."""

from agent_crm.policy.pii import PIIMatch, detect
from agent_crm.policy.redaction import PolicyPipeline, RecordRedactor, Redactor, default_pipeline, redact_text

__all__ = ["PIIMatch", "PolicyPipeline", "RecordRedactor", "Redactor", "default_pipeline", "detect", "redact_text"]
