"""A ticket is a customer's case on any channel, with its messages and their files (DESIGN.md, "One
conversation model")."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from watchkeeper.core.files import private_storage
from watchkeeper.tickets.categories import CATEGORIES

TICKET_PREFIX = "WK-"


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Live chat")
    TELEGRAM = "telegram", _("Telegram")
    PHONE = "phone", _("Phone")
    FORUM = "forum", _("Forum")
    API = "api", _("API")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Waiting on customer")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


# Customers read the same states from their side of the conversation: "pending" waits on them.
CUSTOMER_STATUS_LABELS = {Status.PENDING: _("Waiting on you")}

# The customer is not waiting on us in these: SLA clocks stop.
PAUSED_STATUSES = frozenset({Status.PENDING, Status.ON_HOLD})
FINISHED_STATUSES = frozenset({Status.SOLVED, Status.CLOSED})
# Most inbox views show these; a list (fixed order) so queries repeat the partial index's condition.
UNFINISHED_STATUSES = [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD]


class Priority(models.IntegerChoices):
    # Numbers, so "most urgent first" is an ORDER BY.
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    subject = models.CharField(_("subject"), max_length=300)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    # One of tickets.categories.CATEGORIES; `fields` holds that category's structured answers.
    category = models.CharField(_("category"), max_length=32, default="other")
    fields = models.JSONField(_("details"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        verbose_name=_("requester"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
        db_index=False,  # see Meta.indexes
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
        db_index=False,  # see Meta.indexes
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="followed_tickets", verbose_name=_("followers")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_tickets",
        verbose_name=_("merged into"),
    )
    # The help-center article the customer was reading when they asked ("still need help?").
    context_url = models.CharField(_("opened from"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(_("last customer message"), null=True, blank=True)
    last_agent_message_at = models.DateTimeField(_("last agent message"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    # When we last reminded the customer that we wait on them (once per wait).
    reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Orders the ticket's real-time events; a reconnecting client asks for what came after its last id.
    last_event_id = models.PositiveIntegerField(default=0)
    # SLA: deadlines are stored, so a restart loses nothing and the periodic job finds what is due with
    # an index. `sla_due` is the earliest pending deadline (null when none runs or the clock is paused).
    sla_policy = models.ForeignKey(
        "SlaPolicy", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("SLA")
    )
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    next_response_due = models.DateTimeField(_("next response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_due = models.DateTimeField(null=True, blank=True, db_index=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    # Targets already warned about or breached ("first_response", ...), so each fires once.
    sla_warned = models.JSONField(default=list, blank=True)
    sla_breached = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-updated_at"]
        permissions = [
            ("view_all_tickets", _("See tickets of every team")),
            ("work_tickets", _("Reply to, assign and update tickets")),
        ]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated"),
            models.Index(fields=["requester", "-updated_at"], name="ticket_requester_updated"),
            # The inbox's default views: unfinished tickets, most recently updated first, read in index
            # order (no sort) and counted from the index alone. The id is in each, in the direction of
            # the inbox's ORDER BY (updated_at DESC, id DESC), or the database sorts after all.
            models.Index(
                fields=["-updated_at", "-id"],
                condition=models.Q(status__in=["new", "open", "pending", "on_hold"]),
                name="ticket_unfinished_updated",
            ),
            # These two replace the plain foreign-key indexes (db_index=False above): the same lookups,
            # but in the inbox's order, so "mine", "unassigned" and "my teams" read the newest tickets
            # first and stop after a page instead of sorting every match.
            models.Index(fields=["assignee", "-updated_at", "-id"], name="ticket_assignee_updated"),
            models.Index(fields=["team", "-updated_at", "-id"], name="ticket_team_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        """The number customers quote and subjects carry, e.g. WK-000123."""
        return f"{TICKET_PREFIX}{self.pk:06d}"

    @property
    def customer_status_display(self) -> str:
        """The status as the customer's pages and emails name it."""
        return str(CUSTOMER_STATUS_LABELS.get(Status(self.status), self.get_status_display()))

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def category_label(self) -> str:
        category = CATEGORIES.get(self.category)
        return str(category.name) if category else self.category


class TicketLink(models.Model):
    """Two tickets that belong together without being merged: they may be different customers' (an
    outage reported by many), so each keeps its own thread. Agents see links; customers never do."""

    class Kind(models.TextChoices):
        RELATED = "related", _("Related to")
        # `source` has the same cause as `target`, which is where the work happens (e.g. an outage).
        CHILD = "child", _("Caused by")
        DUPLICATE = "duplicate", _("Duplicate of")

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("link"), max_length=12, choices=Kind.choices, default=Kind.RELATED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="ticket_link_once"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="ticket_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class Message(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("Reply")
        NOTE = "note", _("Internal note")
        # Status changes and the like, shown in the thread so everyone sees what happened and when.
        EVENT = "event", _("Event")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PUBLIC)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket_messages",
        verbose_name=_("author"),
    )
    # True when the author spoke for the exchange (agent, bot, automation), False for the customer.
    from_staff = models.BooleanField(default=False)
    # Written by the chat bot or another automation (no author): shown with the bot's badge, and never
    # counted as a person's first response.
    from_bot = models.BooleanField(default=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    body = models.TextField(_("message"), blank=True)  # Markdown, with pasted secrets already redacted
    # The body rendered and sanitised once, when written: a thread shows many messages, and Markdown
    # rendering cost a millisecond each. Empty for event lines, which are plain text.
    body_html = models.TextField(blank=True)
    # What the channel adds: the email's Message-ID (threading), sender address, quoted history ...
    email_message_id = models.CharField(max_length=300, blank=True, db_index=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The id a live-chat client gave the message: a client resends what was not acknowledged with the
    # same id, and the server keeps one copy (DESIGN.md, "Real time"). Null for other channels.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001  (NULLs never collide)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_created")]
        constraints = [
            # NULLs never collide, so only messages that carry a client id are checked.
            models.UniqueConstraint(fields=["ticket", "client_id"], name="message_client_id_once")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.body[:40]}"

    @property
    def is_public(self) -> bool:
        return self.kind == self.Kind.PUBLIC


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        FILE = "file", _("File")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # Under a random name: never the uploader's name, which could clash or mislead.
    file = models.FileField(_("file"), upload_to="tickets/%Y/%m/", storage=private_storage)
    filename = models.CharField(_("file name"), max_length=200)  # as the customer named it, for display
    content_type = models.CharField(_("content type"), max_length=100)  # from the bytes, not the name
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class Rating(models.Model):
    """The customer's verdict on a solved ticket (CSAT)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}"


class RoutingRule(models.Model):
    """Sends new tickets that match to a team; the first matching rule (lowest order) wins.

    An empty condition matches everything. Inside the team, tickets may be handed out automatically to
    the available agent with the fewest open tickets (round robin among equals).
    """

    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    category = models.CharField(_("category"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    min_vip_tier = models.PositiveSmallIntegerField(
        _("lowest VIP tier"), default=0, help_text=_("0 matches every customer.")
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, related_name="routing_rules", verbose_name=_("team")
    )
    auto_assign = models.BooleanField(_("assign automatically"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Promised response and resolution times for the tickets it matches (the first matching policy,
    lowest order, applies). Targets count working time on the ticket team's calendar when
    `business_hours` is set, otherwise around the clock."""

    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, null=True, blank=True
    )
    min_vip_tier = models.PositiveSmallIntegerField(_("lowest VIP tier"), default=0)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    category = models.CharField(_("category"), max_length=32, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    next_response_minutes = models.PositiveIntegerField(_("next response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))
    business_hours = models.BooleanField(_("count business hours only"), default=False)
    warn_minutes = models.PositiveIntegerField(_("warn this many minutes before"), default=30)
    raise_priority_on_breach = models.BooleanField(_("raise priority on breach"), default=True)
    notify_lead_on_breach = models.BooleanField(_("notify team leads on breach"), default=True)
    reassign_on_breach = models.BooleanField(_("reassign on breach"), default=False)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A whole day off for SLA clocks on business hours: for one team, or for every team."""

    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="holidays",
        verbose_name=_("team"),
        help_text=_("Empty: a holiday for every team."),
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Notification(models.Model):
    """Something a person should see: a reply to their ticket, an assignment, a mention, an SLA alert.

    Kept so the notification centre can list them and count the unread; also pushed at once to the
    person's open pages (group `user.<id>`).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class Macro(models.Model):
    """A canned reply an agent starts from, with placeholders, that may also set fields.

    Placeholders: {{ customer_name }}, {{ agent_name }}, {{ ticket_reference }}, {{ ticket_subject }}.
    """

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(
        _("reply"), help_text=_("Markdown, with placeholders such as {{ customer_name }}.")
    )
    set_status = models.CharField(_("then set status to"), max_length=16, choices=Status.choices, blank=True)
    set_priority = models.PositiveSmallIntegerField(
        _("then set priority to"), choices=Priority.choices, null=True, blank=True
    )
    add_tags = models.CharField(
        _("add tags"), max_length=200, blank=True, help_text=_("Separated by commas.")
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("team"),
        help_text=_("Empty: every agent may use it."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
