"""Every write about webhooks: queueing an event for each subscribed endpoint, and delivering it.

A delivery is a row before it is a request: the event is stored in the same transaction as the change it
reports, sent by a task once that transaction commits, and retried on a schedule by a periodic job
(`retry_due_deliveries`) until the receiver answers 2xx or the attempts run out. A receiver sees
each event at least once, with the same `webhook-id` on every attempt.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from watchkeeper.webhooks import queries, signing
from watchkeeper.webhooks.models import Delivery, Endpoint, EventType

logger = logging.getLogger(__name__)

# The wait before each retry (Standard Webhooks' suggested schedule, after the first attempt):
# 8 attempts over about 27 hours, so a receiver down for a day still gets everything.
RETRY_DELAYS = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# An attempt that has not finished within this time (a crash, a hung worker) is retried.
ATTEMPT_LEASE = timedelta(minutes=2)


class WebhookError(ValueError):
    pass


# ---------------------------------------------------------------- endpoints


def check_url(url: str) -> None:
    """Refuse URLs that would make the server call itself or the private network (SSRF): only http(s),
    and (unless WEBHOOK_ALLOW_PRIVATE_NETWORKS) only public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookError(_("Use an http:// or https:// address."))
    if parts.scheme == "http" and not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        raise WebhookError(_("Use an https:// address: events carry customers' data."))
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError as error:
        raise WebhookError(_("%(host)s could not be resolved.") % {"host": parts.hostname}) from error
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global:
            raise WebhookError(
                _(
                    "%(host)s points to a private or reserved address (%(address)s); webhooks go to"
                    " public hosts."
                )
                % {"host": parts.hostname, "address": address}
            )


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = sorted({event for event in events if event in EventType.values and event != EventType.PING})
    if not chosen:
        raise WebhookError(_("Choose at least one event."))
    return chosen


def _subscriptions_changed() -> None:
    # Now, for this transaction's own emits, and after commit, over whatever another request cached
    # from the data before the commit.
    cache.delete(queries.SUBSCRIPTIONS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(queries.SUBSCRIPTIONS_CACHE_KEY), robust=True)


def create_endpoint(actor: Any, *, url: str, events: Iterable[str], description: str = "") -> Endpoint:
    check_url(url)
    endpoint = Endpoint.objects.create(
        url=url,
        events=_clean_events(events),
        description=description.strip()[:200],
        secret=signing.new_secret(),
        created_by=actor,
    )
    _subscriptions_changed()
    return endpoint


def update_endpoint(
    endpoint: Endpoint, *, url: str, events: Iterable[str], description: str, is_active: bool
) -> Endpoint:
    check_url(url)
    endpoint.url = url
    endpoint.events = _clean_events(events)
    endpoint.description = description.strip()[:200]
    endpoint.is_active = is_active
    endpoint.save()
    _subscriptions_changed()
    return endpoint


def rotate_secret(endpoint: Endpoint) -> str:
    endpoint.secret = signing.new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint.secret


def delete_endpoint(endpoint: Endpoint) -> None:
    endpoint.delete()
    _subscriptions_changed()


# ---------------------------------------------------------------- events


def emit(event_type: str, build: Callable[[], Mapping[str, Any]], *, now: datetime | None = None) -> int:
    """Queue `event_type` for every active endpoint that subscribed to it; `build` makes the event's
    data and is called only when someone listens. Call inside the transaction that made the change:
    the event is sent only if it commits. Returns the number of deliveries queued."""
    targets = queries.endpoint_ids_for(event_type)
    if not targets:
        return 0
    moment = now or timezone.now()
    # Through the JSON encoder once, so dates and decimals are stored as they will be sent.
    data = json.loads(json.dumps(dict(build()), cls=DjangoJSONEncoder))
    payload = {"type": event_type, "timestamp": moment.isoformat(), "data": data}
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(
                endpoint_id=endpoint_id,
                event_type=event_type,
                payload=payload,
                # Picked up by the periodic job if the task queued below never runs.
                next_attempt_at=moment + ATTEMPT_LEASE,
            )
            for endpoint_id in targets
        ]
    )
    _send_after_commit([delivery.pk for delivery in deliveries])
    return len(deliveries)


def send_test_event(endpoint: Endpoint, actor: Any) -> Delivery:
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_type=EventType.PING,
        payload={
            "type": EventType.PING,
            "timestamp": timezone.now().isoformat(),
            "data": {"endpoint_id": endpoint.pk, "sent_by": getattr(actor, "email", "")},
        },
        next_attempt_at=timezone.now() + ATTEMPT_LEASE,
    )
    _send_after_commit([delivery.pk])
    return delivery


def retry_now(delivery: Delivery) -> None:
    """An operator's "try again" on a failed delivery: a fresh series of attempts."""
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now() + ATTEMPT_LEASE
    )
    _send_after_commit([delivery.pk])


def _send_after_commit(delivery_ids: list[int]) -> None:
    from watchkeeper.webhooks.tasks import deliver_webhooks

    transaction.on_commit(lambda: deliver_webhooks.enqueue(delivery_ids), robust=True)


# ---------------------------------------------------------------- delivery


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead anywhere, the private network included; the receiver must give its real URL.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    """Take the next attempt of a delivery, or None when another worker has it or it is finished.

    The claim is one conditional UPDATE on the attempt counter, so two workers never send the same
    attempt; it also schedules the retry, so a worker that dies mid-request loses nothing."""
    delivery = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return None
    attempt = delivery.attempts
    delay = RETRY_DELAYS[attempt] if attempt < len(RETRY_DELAYS) else ATTEMPT_LEASE
    claimed = Delivery.objects.filter(
        pk=delivery.pk, attempts=attempt, status=Delivery.Status.PENDING
    ).update(attempts=attempt + 1, last_attempt_at=now, next_attempt_at=now + max(delay, ATTEMPT_LEASE))
    if not claimed:
        return None
    delivery.attempts = attempt + 1
    delivery.last_attempt_at = now
    # The retry is due after the back-off, counted from this attempt (the lease covers the request).
    delivery.next_attempt_at = now + delay
    return delivery


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Make one attempt; returns the delivery's status afterwards ("" when there was nothing to do)."""
    moment = now or timezone.now()
    delivery = _claim(delivery_id, moment)
    if delivery is None:
        return ""
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    status_code: int | None = None
    error = ""
    if not endpoint.is_active:
        error = _("The endpoint is switched off.")
    else:
        try:
            check_url(endpoint.url)
            # check_url() above allowed only http(s).
            request = urllib.request.Request(  # noqa: S310
                endpoint.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "Watchkeeper-Webhooks/1",
                    **signing.headers(endpoint.secret, str(delivery.event_id), int(moment.timestamp()), body),
                },
            )
            with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
                status_code = response.status
        except urllib.error.HTTPError as failure:
            status_code = failure.code
            error = _("The receiver answered %(status)d.") % {"status": failure.code}
        except WebhookError as refused:
            error = str(refused)
        except (OSError, ValueError) as failure:
            error = _("Could not connect: %(reason)s") % {"reason": str(getattr(failure, "reason", failure))}
    delivered = status_code is not None and 200 <= status_code < 300
    fields: dict[str, Any] = {"response_status": status_code, "last_error": error[:500]}
    if delivered:
        fields.update(status=Delivery.Status.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None)
    elif delivery.attempts >= MAX_ATTEMPTS:
        fields.update(status=Delivery.Status.FAILED, next_attempt_at=None)
        logger.warning(
            "Webhook %s to endpoint %s failed after %d attempts", delivery.pk, endpoint.pk, delivery.attempts
        )
    else:
        fields.update(next_attempt_at=delivery.next_attempt_at)
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    return str(fields.get("status", Delivery.Status.PENDING))


def retry_due_deliveries(now: datetime | None = None) -> int:
    """Attempt every delivery whose retry (or lost first attempt) is due. Returns how many were tried."""
    moment = now or timezone.now()
    tried = 0
    for delivery_id in list(queries.due_deliveries(moment).values_list("pk", flat=True)):
        if deliver(delivery_id, now=moment):
            tried += 1
    return tried
