"""agent_crm.llm."""
