"""Outgoing webhooks: endpoints the exchange's own systems expose, and every delivery made to them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("A ticket was opened")
    TICKET_UPDATED = "ticket.updated", _("A ticket changed (status, priority, assignee, team, tags, rating)")
    MESSAGE_CREATED = "message.created", _("A reply or internal note was added to a ticket")
    # Sent only by the "send test" button, to check the receiver and its signature check.
    PING = "webhook.ping", _("Test event")


class Endpoint(models.Model):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    # The Standard Webhooks secret ("whsec_" + base64). Kept readable: every delivery is signed with it.
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["url", "pk"]
        permissions = [("manage_webhooks", _("Create, change and test outgoing webhooks"))]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The `webhook-id` header: the same for every attempt, so a receiver can drop duplicates.
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event_type = models.CharField(_("event"), max_length=40)
    payload = models.JSONField()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the next attempt is due. Set when an attempt starts, so an attempt cut short by a crash is
    # retried by the periodic job instead of lost.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status="pending"), name="webhook_delivery_due"
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id}"
