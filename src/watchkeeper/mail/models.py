"""Every inbound email, kept raw whatever became of it, and addresses that bounce."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from watchkeeper.core.files import private_storage


class InboundEmail(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        APPENDED = "appended", _("Added to a ticket")
        OPENED = "opened", _("Opened a ticket")
        HELD = "held", _("Held for an agent")
        IGNORED = "ignored", _("Ignored (automatic mail)")
        DUPLICATE = "duplicate", _("Duplicate")
        RELEASED = "released", _("Released by an agent")
        DISCARDED = "discarded", _("Discarded by an agent")

    # The message exactly as it arrived: whatever the parser made of it, nothing is lost.
    raw = models.FileField(upload_to="mail/%Y/%m/", storage=private_storage)
    size = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=32, default="smtp")  # smtp, imap, file
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    from_email = models.EmailField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    # Why it was held or ignored, or what the parser could not read.
    reason = models.CharField(max_length=300, blank=True)
    defects = models.JSONField(default=list, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_emails"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject}"


class SuppressedAddress(models.Model):
    """An address our mail bounced from: we stop sending to it until it is cleared."""

    email = models.EmailField(max_length=254, unique=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email
