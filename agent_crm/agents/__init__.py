"""agent_crm.agents."""
