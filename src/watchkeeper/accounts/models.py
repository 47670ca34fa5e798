from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractUser):
    """Everyone who signs in: customers and staff. Logs in by email; the role comes from groups."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[assignment,misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("use_console", _("Can use the agent console")),
            ("handle_expert_cases", _("Can take cases escalated to experts")),
            ("manage_team", _("Can manage teams and agents")),
            ("view_analytics", _("Can view support analytics")),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.email.split("@")[0]

    def get_short_name(self) -> str:
        """What others see in a thread or an email: the display name people chose, never the email."""
        return self.display_name or self.first_name


class Language(models.Model):
    """A language a team or agent serves; seeded with the 13 interface languages, more may be added."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=64)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """Something an agent is qualified for (deposits, KYC, API trading...), used to route chats."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), unique=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="teams", verbose_name=_("skills"))
    languages = models.ManyToManyField(
        Language, blank=True, related_name="teams", verbose_name=_("languages")
    )
    # {"mon": [["09:00", "18:00"]], ...} in `time_zone`; empty means around the clock.
    working_hours = models.JSONField(_("working hours"), default=dict, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_24_7(self) -> bool:
        return not self.working_hours


class Presence(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class AgentProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    languages = models.ManyToManyField(
        Language, blank=True, related_name="agents", verbose_name=_("languages")
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="agents", verbose_name=_("skills"))
    teams = models.ManyToManyField(Team, blank=True, related_name="agents", verbose_name=_("teams"))
    max_concurrent_chats = models.PositiveSmallIntegerField(
        _("maximum concurrent chats"), default=3, validators=[MaxValueValidator(20)]
    )
    # Automatic assignment stops giving an agent tickets once this many unsolved ones are theirs.
    max_open_tickets = models.PositiveSmallIntegerField(
        _("maximum open tickets"), default=30, validators=[MaxValueValidator(500)]
    )
    presence = models.CharField(
        _("presence"), max_length=10, choices=Presence.choices, default=Presence.OFFLINE
    )
    presence_changed_at = models.DateTimeField(_("presence changed at"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return str(self.user)


class CustomerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_profile"
    )
    exchange_account_id = models.CharField(_("exchange account id"), max_length=64, blank=True, db_index=True)
    vip_tier = models.PositiveSmallIntegerField(
        _("VIP tier"),
        default=0,
        validators=[MaxValueValidator(9)],
        help_text=_("0 = regular, 1-9 = VIP levels"),
    )
    kyc_level = models.PositiveSmallIntegerField(_("KYC level"), default=0, validators=[MaxValueValidator(9)])
    # A guest of the chat widget has a placeholder login address (GUEST_EMAIL_DOMAIN); this is the
    # address they typed for replies and the transcript, never verified and never a way in.
    contact_email = models.EmailField(_("contact email (unverified)"), blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_customers",
        verbose_name=_("dedicated account manager"),
    )

    class Meta:
        verbose_name = _("customer profile")
        verbose_name_plural = _("customer profiles")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_vip(self) -> bool:
        return self.vip_tier > 0


# Guests' login addresses live in this reserved domain (RFC 2606): nothing is ever delivered there.
GUEST_EMAIL_DOMAIN = "guest.invalid"

API_TOKEN_PREFIX = "wk_"


class ApiToken(models.Model):
    """A personal key for /api/v1, sent as `Authorization: Bearer wk_…`.

    Only a SHA-256 of the key is stored: the key itself is shown once, when it is made, so a copy of
    the database gives nobody API access. The prefix lets the owner tell their keys apart.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
