"""Reads about users, roles and agents that other code needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet, Value
from django.utils import timezone

from watchkeeper.accounts.models import (
    API_TOKEN_PREFIX,
    GUEST_EMAIL_DOMAIN,
    AgentProfile,
    ApiToken,
    CustomerProfile,
    Team,
    User,
)
from watchkeeper.accounts.roles import ROLE_ORDER, STAFF_ROLES, Role


@dataclass(frozen=True)
class Access:
    """What every page asks about the person making the request."""

    roles: frozenset[Role]
    permissions: frozenset[str]  # "app_label.codename", their own and their roles' (not a superuser's)
    second_factor: bool


_SECOND_FACTOR = "#second-factor"  # a row of access_of's query that is no group name (they hold no "#")


def access_of(user: Any) -> Access:
    """Roles, permissions and whether a second factor is enrolled, read in one query and kept on the
    user object for the request. Every console page needs all three: Django's model backend, the role
    lookup and allauth's MFA check read them in four queries."""
    cached = getattr(user, "_watchkeeper_access", None)
    if cached is not None:
        return cached
    # Each part unordered: Permission's default ordering is not allowed inside a UNION.
    roles = (
        Group.objects.filter(user=user.pk)
        .order_by()
        .values_list("name", "permissions__content_type__app_label", "permissions__codename")
    )
    own = (
        Permission.objects.filter(user=user.pk)
        .order_by()
        .values_list(Value(""), "content_type__app_label", "codename")
    )
    second_factor = (
        Authenticator.objects.filter(user=user.pk)
        .order_by()
        .values_list(Value(_SECOND_FACTOR), Value(""), Value(""))
    )
    names: set[str] = set()
    permissions: set[str] = set()
    for name, app_label, codename in roles.union(own, second_factor, all=True):
        if name:
            names.add(name)
        if codename:
            permissions.add(f"{app_label}.{codename}")
    held = {role for role in Role if role.value in names}
    if user.is_superuser:
        held.add(Role.ADMIN)
    access = Access(frozenset(held), frozenset(permissions), _SECOND_FACTOR in names)
    user._watchkeeper_access = access
    return access


def roles_of(user: Any) -> set[Role]:
    if not user.is_authenticated:
        return set()
    return set(access_of(user).roles)


def role_of(user: Any) -> Role | None:
    """The highest role a user holds, or None for anonymous users and users without a role."""
    held = roles_of(user)
    return next((role for role in ROLE_ORDER if role in held), None)


def is_staff_member(user: Any) -> bool:
    """Agents, experts, team leads and admins: the people who must enrol a second factor."""
    return bool(roles_of(user) & STAFF_ROLES) or bool(getattr(user, "is_staff", False))


def is_guest(user: Any) -> bool:
    """A chat-widget visitor who gave an address nobody verified (accounts.actions.create_guest_customer)."""
    return str(getattr(user, "email", "")).endswith("@" + GUEST_EMAIL_DOMAIN)


def reply_address(user: Any) -> str:
    """Where mail for this customer goes: their account's address, or a guest's typed one ("" if none)."""
    if not is_guest(user):
        return str(user.email or "")
    profile = getattr(user, "customer_profile", None)
    return profile.contact_email if profile is not None else ""


def has_second_factor(user: Any) -> bool:
    return bool(user.is_authenticated and access_of(user).second_factor)


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


def exchange_account_id_of(user: Any) -> str:
    """The customer's account id at the exchange, "" when they have none (or are not a customer)."""
    if not user.is_authenticated:
        return ""
    return (
        CustomerProfile.objects.filter(user_id=user.pk).values_list("exchange_account_id", flat=True).first()
        or ""
    )


def exchange_account_ids(emails: Iterable[str]) -> dict[str, str]:
    """Exchange account ids by the email address of their customer, for those who have one."""
    return dict(
        CustomerProfile.objects.filter(user__email__in=list(emails))
        .exclude(exchange_account_id="")
        .values_list("user__email", "exchange_account_id")
    )


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
