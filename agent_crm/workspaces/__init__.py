"""agent_crm.workspaces."""
