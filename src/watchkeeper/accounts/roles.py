"""The five roles and the permissions each one holds. Roles are Django groups so permissions stay
explicit and an admin can see and adjust them; this module is the source they are synced from."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    EXPERT_AGENT = "expert_agent", _("Expert agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    ADMIN = "admin", _("Administrator")


# Highest first: a user holding several roles acts with the highest.
ROLE_ORDER = [Role.ADMIN, Role.TEAM_LEAD, Role.EXPERT_AGENT, Role.AGENT, Role.CUSTOMER]
STAFF_ROLES = {Role.AGENT, Role.EXPERT_AGENT, Role.TEAM_LEAD, Role.ADMIN}

_AGENT = [
    "accounts.use_console",
    "accounts.view_customerprofile",
    "accounts.view_team",
    "accounts.view_agentprofile",
]
_EXPERT = [*_AGENT, "accounts.handle_expert_cases"]
_LEAD = [
    *_EXPERT,
    "accounts.manage_team",
    "accounts.change_agentprofile",
    "accounts.change_team",
    "accounts.view_analytics",
]

# "app_label.codename" per role. "*" means every permission that exists (admins).
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.CUSTOMER: [],
    Role.AGENT: _AGENT,
    Role.EXPERT_AGENT: _EXPERT,
    Role.TEAM_LEAD: _LEAD,
    Role.ADMIN: ["*"],
}
