"""agent_crm.rules."""
