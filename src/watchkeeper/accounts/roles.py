"""The roles and the permissions each one holds. Roles are Django groups so permissions stay
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
    # Keeps the help center accurate: edits articles and reviews other people's revisions.
    CONTENT_REVIEWER = "content_reviewer", _("Content reviewer")


# Highest first: a user holding several roles acts with the highest.
ROLE_ORDER = [Role.ADMIN, Role.TEAM_LEAD, Role.EXPERT_AGENT, Role.AGENT, Role.CONTENT_REVIEWER, Role.CUSTOMER]
STAFF_ROLES = {Role.AGENT, Role.EXPERT_AGENT, Role.TEAM_LEAD, Role.ADMIN, Role.CONTENT_REVIEWER}

_AGENT = [
    "accounts.use_console",
    "accounts.view_customerprofile",
    "accounts.view_team",
    "accounts.view_agentprofile",
    # Agents know what customers ask: they may draft articles, which a reviewer then approves.
    "helpcenter.write_articles",
    "tickets.work_tickets",
]
_EXPERT = [*_AGENT, "accounts.handle_expert_cases"]
_LEAD = [
    *_EXPERT,
    "accounts.manage_team",
    "accounts.change_agentprofile",
    "accounts.change_team",
    "accounts.view_analytics",
    "helpcenter.review_articles",
    "tickets.view_all_tickets",
]

# "app_label.codename" per role. "*" means every permission that exists (admins).
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.CUSTOMER: [],
    Role.AGENT: _AGENT,
    Role.EXPERT_AGENT: _EXPERT,
    Role.TEAM_LEAD: _LEAD,
    Role.ADMIN: ["*"],
    Role.CONTENT_REVIEWER: [
        "accounts.use_console",
        "accounts.view_analytics",
        "helpcenter.write_articles",
        "helpcenter.review_articles",
    ],
}
