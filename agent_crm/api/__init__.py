"""agent_crm.api."""
