"""agent_crm.cli."""
