"""agent_crm.packs."""
