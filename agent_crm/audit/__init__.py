"""agent_crm.audit: tenant audit ledgers, hash-chained over commitments, erasable by crypto-shredding."""

from agent_crm.audit.canonical import canonical_json, sha256_hex
from agent_crm.audit.ledger import GENESIS_HASH, Anchor, Ledger, VerifyResult, tenant_ledger
from agent_crm.audit.merkle import inclusion_proof, merkle_root, verify_inclusion
from agent_crm.audit.report import AuditReport, build_report
from agent_crm.audit.sqlite import SqliteLedger

__all__ = [
    "GENESIS_HASH",
    "Anchor",
    "AuditReport",
    "Ledger",
    "SqliteLedger",
    "VerifyResult",
    "build_report",
    "canonical_json",
    "inclusion_proof",
    "merkle_root",
    "sha256_hex",
    "tenant_ledger",
    "verify_inclusion",
]
