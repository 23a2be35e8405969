"""agent_crm.access: API keys (hashed at rest) and the roles that scope what a key may do."""

from agent_crm.access.keys import DEFAULT_RATE_LIMIT, KeyInfo, KeyStore
from agent_crm.access.roles import ROLE_PERMISSIONS, Permission, Role, allows, parse_role

__all__ = ["DEFAULT_RATE_LIMIT", "ROLE_PERMISSIONS", "KeyInfo", "KeyStore", "Permission", "Role", "allows",
           "parse_role"]
