"""Reads about users, roles and agents that other code needs."""

from __future__ import annotations

from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.db.models import Q, QuerySet
from django.utils import timezone

from watchkeeper.accounts.models import API_TOKEN_PREFIX, AgentProfile, ApiToken, Team, User
from watchkeeper.accounts.roles import ROLE_ORDER, STAFF_ROLES, Role


def roles_of(user: Any) -> set[Role]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_watchkeeper_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = {role for role in Role if role.value in names}
        if user.is_superuser:
            cached.add(Role.ADMIN)
        user._watchkeeper_roles = cached
    return cached


def role_of(user: Any) -> Role | None:
    """The highest role a user holds, or None for anonymous users and users without a role."""
    held = roles_of(user)
    return next((role for role in ROLE_ORDER if role in held), None)


def is_staff_member(user: Any) -> bool:
    """Agents, experts, team leads and admins: the people who must enrol a second factor."""
    return bool(roles_of(user) & STAFF_ROLES) or bool(getattr(user, "is_staff", False))


def has_second_factor(user: Any) -> bool:
    return bool(user.is_authenticated and is_mfa_enabled(user))


def may_follow_user(user: Any, key: str) -> bool:
    return str(user.pk) == key


def may_follow_agent(user: Any, key: str) -> bool:
    return str(user.pk) == key or user.has_perm("accounts.manage_team")


def may_follow_queue(user: Any, key: str) -> bool:
    if not user.has_perm("accounts.use_console"):
        return False
    if user.has_perm("accounts.manage_team"):
        return True
    return AgentProfile.objects.filter(user=user, teams__slug=key).exists()


def agent_profile_for(user: User) -> AgentProfile | None:
    return AgentProfile.objects.filter(user=user).first()


def team_ids_of(user: Any) -> list[int]:
    """The teams an agent belongs to (none for people without an agent profile)."""
    return list(
        AgentProfile.objects.filter(user_id=user.pk, teams__isnull=False).values_list("teams__id", flat=True)
    )


def team_ids_query(user: Any) -> QuerySet[Any]:
    """team_ids_of as a subquery, for filters that need not fetch the list first."""
    return AgentProfile.teams.through.objects.filter(agentprofile__user_id=user.pk).values("team_id")


def teams() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def api_token_for_key(key: str) -> ApiToken | None:
    """The live token this key belongs to (not revoked, not expired, its user active), with its user."""
    if not key.startswith(API_TOKEN_PREFIX) or len(key) > 100:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .first()
    )


def api_tokens_of(user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=user.pk)
