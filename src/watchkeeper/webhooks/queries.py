"""Reads about webhook endpoints and deliveries."""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db.models import QuerySet

from watchkeeper.webhooks.models import Delivery, Endpoint

MANAGE_PERMISSION = "webhooks.manage_webhooks"
# Every ticket change asks who listens, so the answer is cached; actions drop it when endpoints change.
# With a per-process cache (no REDIS_URL) other processes see a change within this many seconds.
SUBSCRIPTIONS_CACHE_KEY = "webhooks:subscriptions"
SUBSCRIPTIONS_CACHE_SECONDS = 60


def _subscriptions() -> list[tuple[int, list[str]]]:
    return [
        (pk, list(events))
        for pk, events in Endpoint.objects.filter(is_active=True).values_list("pk", "events")
    ]


def endpoint_ids_for(event_type: str) -> list[int]:
    """The active endpoints subscribed to `event_type`. Endpoints are few (a handful per exchange):
    filtering their event lists in Python keeps this the same on SQLite and PostgreSQL, whose JSON
    containment lookups differ."""
    subscriptions = cache.get_or_set(SUBSCRIPTIONS_CACHE_KEY, _subscriptions, SUBSCRIPTIONS_CACHE_SECONDS)
    return [pk for pk, events in subscriptions or [] if event_type in events]


def due_deliveries(now: datetime, limit: int = 100) -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at"
    )[:limit]


def endpoints() -> QuerySet[Endpoint]:
    return Endpoint.objects.all()


def deliveries_of(endpoint: Endpoint) -> QuerySet[Delivery]:
    return endpoint.deliveries.all()
