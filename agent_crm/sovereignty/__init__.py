"""agent_crm.sovereignty."""
