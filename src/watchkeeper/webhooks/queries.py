"""Reads about webhook endpoints and deliveries."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from watchkeeper.webhooks.models import Delivery, Endpoint

MANAGE_PERMISSION = "webhooks.manage_webhooks"


def endpoints_for(event_type: str) -> list[Endpoint]:
    # Endpoints are few (a handful per exchange): filtering the event list in Python keeps this the
    # same on SQLite and PostgreSQL, whose JSON containment lookups differ.
    return [endpoint for endpoint in Endpoint.objects.filter(is_active=True) if event_type in endpoint.events]


def due_deliveries(now: datetime, limit: int = 100) -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at"
    )[:limit]


def endpoints() -> QuerySet[Endpoint]:
    return Endpoint.objects.all()


def deliveries_of(endpoint: Endpoint) -> QuerySet[Delivery]:
    return endpoint.deliveries.all()
