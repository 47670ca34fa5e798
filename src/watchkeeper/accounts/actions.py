"""Every write about users, roles, teams and agents, and the events those writes publish."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from watchkeeper.accounts.identity_tokens import ExchangeIdentity, IdentityTokenError
from watchkeeper.accounts.models import (
    API_TOKEN_PREFIX,
    GUEST_EMAIL_DOMAIN,
    AgentProfile,
    ApiToken,
    CustomerProfile,
    Language,
    Presence,
    Skill,
    Team,
    User,
)
from watchkeeper.accounts.queries import is_staff_member
from watchkeeper.accounts.roles import ROLE_PERMISSIONS, STAFF_ROLES, Role
from watchkeeper.core.actions import record_audit
from watchkeeper.realtime.broker import publish
from watchkeeper.realtime.events import PresenceChanged

# An agent whose console has sent no sign of life for this long is shown offline.
PRESENCE_TIMEOUT = timedelta(minutes=5)
DEMO_PASSWORD = "watchkeeper-demo"


def sync_role_groups() -> None:
    """Create the five role groups and give each exactly the permissions ROLE_PERMISSIONS lists."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        if perms == ["*"]:
            wanted = list(Permission.objects.all())
        else:
            wanted = []
            for dotted in perms:
                app_label, codename = dotted.split(".")
                wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def sync_languages() -> None:
    for code, name in settings.LANGUAGES:
        Language.objects.get_or_create(code=code, defaults={"name": name})


def sync_role_groups_after_migrate(app_config: AppConfig, **kwargs: Any) -> None:
    """Runs once per migrate, after the last app: only then do every app's permissions exist."""
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if app_config is not with_models[-1]:
        return
    sync_languages()
    sync_role_groups()


# Audit-log actions of this app; their labels are registered in AccountsConfig.ready().
AUDIT_LOGGED_IN = "accounts.logged_in"
AUDIT_LOGGED_OUT = "accounts.logged_out"
AUDIT_LOGIN_FAILED = "accounts.login_failed"
AUDIT_ROLE_CHANGED = "accounts.role_changed"
AUDIT_API_TOKEN_CREATED = "accounts.api_token_created"
AUDIT_API_TOKEN_REVOKED = "accounts.api_token_revoked"
AUDIT_SECOND_FACTOR_ADDED = "accounts.second_factor_added"
AUDIT_SECOND_FACTOR_REMOVED = "accounts.second_factor_removed"
AUDIT_SECOND_FACTOR_RESET = "accounts.second_factor_reset"


def role_names(user: User) -> list[str]:
    """The roles `user` holds as the audit log records them, "superuser" included."""
    names = sorted(user.groups.filter(name__in=[r.value for r in Role]).values_list("name", flat=True))
    return [*names, "superuser"] if user.is_superuser else names


def record_role_change(
    user: User, before: list[str], *, actor: Any = None, request: HttpRequest | None = None
) -> None:
    """Audit-log the change of `user`'s roles since `before` (role_names), if there was one. A new
    account becoming a customer grants nothing and is left out: sign-ups and chat guests would bury
    the changes that matter."""
    after = role_names(user)
    if after == before or (not before and after == [Role.CUSTOMER.value]):
        return
    record_audit(
        AUDIT_ROLE_CHANGED,
        actor=actor,
        target=user,
        details={"email": user.email, "before": before, "after": after},
        request=request,
    )


def assign_role(user: User, role: Role, *, actor: Any = None) -> None:
    """Give `user` exactly one role; staff roles get an agent profile, admins the Django admin.
    `actor` is who made the change, for the audit log (None: the system or an operator's command)."""
    before = role_names(user)
    role_groups = Group.objects.filter(name__in=[r.value for r in Role])
    user.groups.remove(*role_groups)
    user.groups.add(Group.objects.get(name=role.value))
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["is_staff"])
    if role in STAFF_ROLES:
        AgentProfile.objects.get_or_create(user=user)
    else:
        CustomerProfile.objects.get_or_create(user=user)
    user.__dict__.pop("_watchkeeper_roles", None)
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    record_role_change(user, before, actor=actor)


def register_customer(user: User, language: str) -> None:
    """A new sign-up: the customer role, a customer profile, and the language they signed up in."""
    if language in dict(settings.LANGUAGES):
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    assign_role(user, Role.CUSTOMER)


def create_user_with_role(email: str, password: str | None, role: Role, **fields: Any) -> User:
    with transaction.atomic():
        user = User.objects.create_user(email, password, **fields)
        assign_role(user, role)
    return user


def customer_for_email(address: str, name: str = "") -> User:
    """The account with this address, or a new customer account for it (a customer who wrote by email or
    whom an agent files a ticket for). No password: they claim it through "forgot password"."""
    user = User.objects.filter(email__iexact=address).first()
    if user is not None:
        return user
    return create_user_with_role(address.lower(), None, Role.CUSTOMER, display_name=name[:150])


def customer_for_exchange_identity(identity: ExchangeIdentity) -> User:
    """The customer the exchange vouches for (accounts.identity_tokens): found by their exchange account
    id, else by the address the exchange verified (then linked), else created. The exchange is the
    truth for the VIP tier. Staff accounts never sign in this way: a token must not open the console."""
    with transaction.atomic():
        profile = (
            CustomerProfile.objects.select_for_update()
            .select_related("user")
            .filter(exchange_account_id=identity.account_id)
            .first()
        )
        if profile is not None:
            user = profile.user
        else:
            if not identity.email:
                raise IdentityTokenError(_("The first token for an account must carry its “email”."))
            found = User.objects.filter(email__iexact=identity.email).first()
            user = found or create_user_with_role(
                identity.email, None, Role.CUSTOMER, display_name=identity.name
            )
            if found is None:
                mark_email_verified(user)  # the exchange verified it
            profile, _created = CustomerProfile.objects.get_or_create(user=user)
            if profile.exchange_account_id and profile.exchange_account_id != identity.account_id:
                taken = _(
                    "This email address belongs to another exchange account here; ask support to merge them."
                )
                raise IdentityTokenError(taken)
            profile.exchange_account_id = identity.account_id
            profile.save(update_fields=["exchange_account_id"])
        if is_staff_member(user) or user.is_staff:
            raise IdentityTokenError(_("Staff accounts cannot sign in with an identity token."))
        if not user.is_active:
            raise IdentityTokenError(_("This account is disabled."))
        if identity.vip_tier is not None and profile.vip_tier != identity.vip_tier:
            profile.vip_tier = identity.vip_tier
            profile.save(update_fields=["vip_tier"])
        changed = []
        if identity.language and user.preferred_language != identity.language:
            user.preferred_language = identity.language
            changed.append("preferred_language")
        if identity.name and not user.display_name:
            user.display_name = identity.name
            changed.append("display_name")
        if changed:
            user.save(update_fields=changed)
    return user


def create_guest_customer(*, name: str, contact_email: str, language: str) -> User:
    """A chat-widget visitor who is not signed in (CHAT_ALLOW_GUESTS): an account of their own with a
    placeholder login address, so the address they typed opens nobody's history — anyone can type any
    address. Replies and the transcript go to that address (`queries.reply_address`)."""
    with transaction.atomic():
        user = create_user_with_role(
            f"guest-{secrets.token_hex(12)}@{GUEST_EMAIL_DOMAIN}",
            None,
            Role.CUSTOMER,
            display_name=name.strip()[:150],
            preferred_language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        )
        CustomerProfile.objects.filter(user=user).update(contact_email=contact_email.strip().lower())
    return user


def mark_email_verified(user: User) -> None:
    """For accounts created by an operator: their address needs no confirmation link."""
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def set_preferred_language(user: User, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unsupported language {language!r}")
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


def update_preferences(user: User, *, display_name: str, preferred_language: str, time_zone: str) -> None:
    if preferred_language not in dict(settings.LANGUAGES):
        raise ValueError(f"unsupported language {preferred_language!r}")
    user.display_name = display_name
    user.preferred_language = preferred_language
    user.time_zone = time_zone
    user.save(update_fields=["display_name", "preferred_language", "time_zone"])


def set_presence(user: User, presence: str, now: datetime | None = None) -> AgentProfile:
    """Set an agent's presence and tell their team queues and their own consoles."""
    if presence not in Presence.values:
        raise ValueError(f"unknown presence {presence!r}")
    now = now or timezone.now()
    profile, _ = AgentProfile.objects.get_or_create(user=user)
    changed = profile.presence != presence
    profile.presence = presence
    profile.last_seen_at = now
    if changed:
        profile.presence_changed_at = now
    profile.save(update_fields=["presence", "presence_changed_at", "last_seen_at"])
    if changed:
        event = PresenceChanged(agent_id=user.pk, presence=presence)  # type: ignore[arg-type]
        publish(f"agent.{user.pk}", event)
        for slug in profile.teams.values_list("slug", flat=True):
            publish(f"queue.{slug}", event)
    return profile


MAX_API_TOKENS_PER_USER = 20
# last_used_at is for the owner ("is this key still in use?"), not an access log: refreshing it at most
# once a minute keeps a busy integration from writing on every request.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


class ApiTokenError(ValueError):
    pass


def create_api_token(
    user: User, name: str, *, expires_in_days: int | None = None, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """A new key for `user`; returns the stored record and the key, which is never stored or shown again."""
    name = " ".join(name.split())[:100]
    if not name:
        raise ApiTokenError("name")
    if user.api_tokens.filter(revoked_at__isnull=True).count() >= MAX_API_TOKENS_PER_USER:
        raise ApiTokenError("limit")
    key = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=key[: len(API_TOKEN_PREFIX) + 6],
            key_hash=ApiToken.hash_key(key),
            expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        # The prefix is what the owner sees in their list of keys; the key itself is never logged.
        details = {"name": name, "prefix": token.prefix, "expires_in_days": expires_in_days}
        record_audit(AUDIT_API_TOKEN_CREATED, actor=user, target=token, details=details, request=request)
    return token, key


def revoke_api_token(token: ApiToken, *, actor: Any = None, request: HttpRequest | None = None) -> None:
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            details = {"name": token.name, "prefix": token.prefix, "owner": token.user.email}
            record_audit(AUDIT_API_TOKEN_REVOKED, actor=actor, target=token, details=details, request=request)


def record_api_token_use(token: ApiToken, now: datetime | None = None) -> None:
    moment = now or timezone.now()
    if token.last_used_at is None or moment - token.last_used_at >= TOKEN_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=moment)
        token.last_used_at = moment


def audit_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Receiver of Django's user_logged_in (every way of signing in ends there)."""
    record_audit(AUDIT_LOGGED_IN, actor=user, target=user, request=request)


def audit_logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record_audit(AUDIT_LOGGED_OUT, actor=user, target=user, request=request)


def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Receiver of Django's user_login_failed. Only the address typed is kept, and only if it is an
    address: people type their password into the wrong field, and the password must not reach the log."""
    typed = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    try:
        validate_email(typed)
    except ValidationError:
        typed = ""
    account = User.objects.filter(email__iexact=typed).first() if typed else None
    record_audit(
        AUDIT_LOGIN_FAILED,
        actor=None,
        target=account,
        details={"email": typed, "reason": "password"},
        request=request,
    )


def audit_second_factor_failed(
    sender: Any, request: HttpRequest | None, user: User, authenticator: Any, **kwargs: Any
) -> None:
    """Receiver of allauth's mfa authentication_failed: the password was right, the code was not."""
    record_audit(
        AUDIT_LOGIN_FAILED,
        actor=None,
        target=user,
        details={"email": user.email, "reason": "second_factor", "type": authenticator.type},
        request=request,
    )


def audit_second_factor_added(
    sender: Any, request: HttpRequest | None, user: User, authenticator: Any, **kwargs: Any
) -> None:
    """Receivers of allauth's mfa authenticator_added, _removed and _reset (new recovery codes)."""
    details = {"type": authenticator.type}
    record_audit(AUDIT_SECOND_FACTOR_ADDED, actor=user, target=user, details=details, request=request)


def audit_second_factor_removed(
    sender: Any, request: HttpRequest | None, user: User, authenticator: Any, **kwargs: Any
) -> None:
    details = {"type": authenticator.type}
    record_audit(AUDIT_SECOND_FACTOR_REMOVED, actor=user, target=user, details=details, request=request)


def audit_second_factor_reset(
    sender: Any, request: HttpRequest | None, user: User, authenticator: Any, **kwargs: Any
) -> None:
    details = {"type": authenticator.type}
    record_audit(AUDIT_SECOND_FACTOR_RESET, actor=user, target=user, details=details, request=request)


def record_agent_seen(user: Any) -> None:
    """Called when an agent's console socket shows it is alive; keeps them from being timed out."""
    AgentProfile.objects.filter(user_id=user.pk).update(last_seen_at=timezone.now())


def expire_stale_presence(now: datetime | None = None) -> int:
    """Mark offline the agents shown online or away whose console has been silent too long."""
    now = now or timezone.now()
    stale = AgentProfile.objects.filter(
        presence__in=[Presence.ONLINE, Presence.AWAY], last_seen_at__lt=now - PRESENCE_TIMEOUT
    ).select_related("user")
    count = 0
    for profile in stale:
        set_presence(profile.user, Presence.OFFLINE, now=now)
        count += 1
    return count


DEMO_USERS: list[dict[str, Any]] = [
    {"email": "customer@demo.watchkeeper.test", "role": Role.CUSTOMER, "display_name": "Dana Customer"},
    {
        "email": "vip@demo.watchkeeper.test",
        "role": Role.CUSTOMER,
        "display_name": "Victor VIP",
        "vip": 3,
        "label": "VIP customer",
    },
    {"email": "agent@demo.watchkeeper.test", "role": Role.AGENT, "display_name": "Alex Agent"},
    {"email": "expert@demo.watchkeeper.test", "role": Role.EXPERT_AGENT, "display_name": "Erin Expert"},
    {"email": "lead@demo.watchkeeper.test", "role": Role.TEAM_LEAD, "display_name": "Lee Lead"},
    {"email": "admin@demo.watchkeeper.test", "role": Role.ADMIN, "display_name": "Ada Admin"},
    {
        "email": "reviewer@demo.watchkeeper.test",
        "role": Role.CONTENT_REVIEWER,
        "display_name": "Robin Reviewer",
    },
]
DEMO_SKILLS = {
    "deposits": "Deposits & withdrawals",
    "account-security": "Account security",
    "kyc": "Identity verification (KYC)",
    "trading": "Spot & derivatives trading",
    "api": "API & bots",
}
DEMO_TEAMS: dict[str, dict[str, Any]] = {
    "frontline": {"name": "Frontline", "skills": ["deposits", "kyc"], "languages": ["en", "es", "pt", "ru"]},
    "asia": {
        "name": "Asia desk",
        "skills": ["deposits", "trading"],
        "languages": ["zh-hans", "zh-hant", "ja", "ko"],
    },
    "security": {"name": "Security response", "skills": ["account-security", "api"], "languages": ["en"]},
}


@transaction.atomic
def load_demo_accounts() -> list[str]:
    """Demo teams, skills and one user per role. Idempotent: existing rows are left as they are."""
    skills = {
        slug: Skill.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for slug, name in DEMO_SKILLS.items()
    }
    teams = {}
    for slug, spec in DEMO_TEAMS.items():
        team, created = Team.objects.get_or_create(slug=slug, defaults={"name": spec["name"]})
        if created:
            team.skills.set([skills[s] for s in spec["skills"]])
            team.languages.set(Language.objects.filter(code__in=spec["languages"]))
        teams[slug] = team
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for spec in DEMO_USERS:
        user = User.objects.filter(email=spec["email"]).first()
        if user is None:
            user = create_user_with_role(
                spec["email"], DEMO_PASSWORD, spec["role"], display_name=spec["display_name"]
            )
            # Demo addresses are verified so the logins work at once.
            mark_email_verified(user)
            if spec["role"] == Role.CUSTOMER:
                CustomerProfile.objects.filter(user=user).update(
                    vip_tier=spec.get("vip", 0), exchange_account_id=f"EX-{user.pk:06d}", kyc_level=2
                )
            else:
                profile = AgentProfile.objects.get(user=user)
                profile.teams.set(
                    list(teams.values()) if spec["role"] != Role.AGENT else [teams["frontline"]]
                )
                profile.languages.set(Language.objects.filter(code__in=["en", "es", "zh-hans"]))
                profile.skills.set(list(skills.values())[:3])
        lines.append(f"  {spec.get('label', spec['role'].label):<14} {spec['email']}")
    vip = User.objects.get(email="vip@demo.watchkeeper.test")
    CustomerProfile.objects.filter(user=vip, account_manager__isnull=True).update(
        account_manager=User.objects.get(email="lead@demo.watchkeeper.test")
    )
    lines.append(
        "  Staff accounts are asked to set up two-factor authentication on first use of the console."
    )
    return lines
