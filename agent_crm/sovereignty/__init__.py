"""agent_crm.sovereignty: record fingerprints, retention, portability, erasure and sovereignty reports."""

from agent_crm.sovereignty.crossborder import CrossBorderLog, Transfer
from agent_crm.sovereignty.erasure import ErasureReport
from agent_crm.sovereignty.erasure_check import ErasureCheck
from agent_crm.sovereignty.facade import Sovereignty
from agent_crm.sovereignty.fingerprint_verify import FingerprintIssue, FingerprintReport
from agent_crm.sovereignty.fingerprints import FingerprintChain, record_fingerprint
from agent_crm.sovereignty.importer import ImportReport
from agent_crm.sovereignty.report_doc import Document
from agent_crm.sovereignty.retention import RecordRetention, RetentionResult, RuleStatus
from agent_crm.sovereignty.retention_policy import RetentionPolicy, RetentionRule, load_policy
from agent_crm.sovereignty.stores import TenantStores

__all__ = [
    "CrossBorderLog",
    "Document",
    "ErasureCheck",
    "ErasureReport",
    "FingerprintChain",
    "FingerprintIssue",
    "FingerprintReport",
    "ImportReport",
    "RecordRetention",
    "RetentionPolicy",
    "RetentionResult",
    "RetentionRule",
    "RuleStatus",
    "Sovereignty",
    "TenantStores",
    "Transfer",
    "load_policy",
    "record_fingerprint",
]
