"""Live-chat state. A live chat is a ticket on the `chat` channel (its messages are the ticket's
messages) with a ChatSession that holds where it stands in the queue (DESIGN.md, "One conversation
model")."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    BOT = "bot", _("With the bot")
    QUEUED = "queued", _("Waiting for an agent")
    OFFERED = "offered", _("Offered to an agent")
    ACTIVE = "active", _("With an agent")
    ENDED = "ended", _("Ended")
    # Nobody could take it (off hours, nobody online) or the customer stopped waiting: the chat went on
    # as an ordinary ticket that routing and SLA treat like any other.
    LEFT_MESSAGE = "left_message", _("Left a message")


# Waiting in a team's queue (an offered chat keeps its place until the agent accepts).
WAITING_STATES = [State.QUEUED, State.OFFERED]
OPEN_STATES = [State.BOT, State.QUEUED, State.OFFERED, State.ACTIVE]


class HandoverReason(models.TextChoices):
    ASKED = "asked", _("Asked for a person")
    DECLINED = "declined", _("The bot could not answer")
    UNHELPFUL = "unhelpful", _("The bot's answer did not help")


class ChatSession(models.Model):
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="chat", verbose_name=_("ticket")
    )
    # The ticket's requester, kept here so queue and routing reads need no join through the ticket.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_sessions", db_index=False
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.BOT)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_sessions",
        verbose_name=_("team"),
        db_index=False,  # see Meta.indexes
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    # True once the customer chose or the profile gave the language: detection no longer overrides it.
    language_fixed = models.BooleanField(default=False)
    category = models.CharField(_("category"), max_length=32, default="other")
    category_fixed = models.BooleanField(default=False)
    # Copied when the chat is queued: queue order must not change under a waiting customer.
    vip_tier = models.PositiveSmallIntegerField(_("VIP tier"), default=0)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    bot_declines = models.PositiveSmallIntegerField(_("bot declines"), default=0)
    # Help-center articles the bot showed, in order, so the agent does not send them again.
    shown_article_ids = models.JSONField(_("articles shown"), default=list, blank=True)
    handover_reason = models.CharField(
        _("handed over because"), max_length=16, choices=HandoverReason.choices, blank=True
    )
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_offers_pending",
        verbose_name=_("offered to"),
    )
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_sessions_handled",
        verbose_name=_("agent"),
        db_index=False,  # see Meta.indexes
    )
    started_at = models.DateTimeField(_("started"))
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(_("rating comment"), blank=True)
    # When the transcript was emailed within the last hour (the rate limit's window).
    transcript_sent_at = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("chat session")
        verbose_name_plural = _("chat sessions")
        ordering = ["-started_at", "-pk"]
        indexes = [
            # A team's queue in serving order; also counts "who is ahead of me".
            models.Index(fields=["team", "state", "-vip_tier", "queued_at", "id"], name="chat_queue_order"),
            # An agent's load (active chats) and the offers waiting on them.
            models.Index(fields=["agent", "state"], name="chat_agent_state"),
            models.Index(fields=["state", "offer_expires_at"], name="chat_offer_expiry"),
            models.Index(fields=["customer", "state"], name="chat_customer_state"),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ChatOffer(models.Model):
    """One offer of a chat to one agent and how it ended. The history says whom not to offer the chat to
    again, and which agents let offers lapse."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Timed out")
        # The chat left the queue (the customer left a message or ended it) while the offer stood.
        WITHDRAWN = "withdrawn", _("Withdrawn")

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="offers")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_offers")
    offered_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("chat offer")
        verbose_name_plural = _("chat offers")
        ordering = ["-offered_at", "-pk"]
        indexes = [models.Index(fields=["agent", "-offered_at"], name="chat_offer_agent_recent")]

    def __str__(self) -> str:
        return f"{self.session_id} → {self.agent_id}: {self.outcome}"


class ChatTransfer(models.Model):
    """A chat handed from one agent (or team) to another agent or an expert team."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="transfers")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The internal note that went on the ticket (agents only; the customer is told where, not why).
    note = models.TextField(_("note"))
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("chat transfer")
        verbose_name_plural = _("chat transfers")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        source = self.from_agent_id or self.from_team_id
        return f"{self.session_id}: {source} → {self.to_agent_id or self.to_team_id}"
