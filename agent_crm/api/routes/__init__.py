"""agent_crm.api.routes."""
