"""Who may manage the API's tokens and webhooks: administrators, as for people and roles."""

import rules

from microintern.accounts.rules import is_administrator

rules.add_perm("microintern.manage_integrations", is_administrator)
