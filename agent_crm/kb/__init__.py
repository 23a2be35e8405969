"""agent_crm.kb."""
