"""``python -m agent_crm`` runs the CLI."""

from agent_crm.cli.main import main

main()
