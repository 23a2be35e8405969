"""agent_crm.evaluation."""
