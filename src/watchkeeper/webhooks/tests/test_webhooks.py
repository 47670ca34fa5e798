"""Outgoing webhooks against a real HTTP receiver on loopback that checks every signature."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from watchkeeper.accounts.models import User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import enrol_totp, make_user
from watchkeeper.tickets import actions as ticket_actions
from watchkeeper.tickets.actions import NewTicket
from watchkeeper.webhooks import actions, signing
from watchkeeper.webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


class Receiver:
    """A webhook receiver: records each request, checks its signature, answers with the next status."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.secret = ""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.requests.append(
                    {
                        "headers": headers,
                        "body": json.loads(body),
                        "signed": signing.verify(receiver.secret, headers, body),
                    }
                )
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # the receiver is on loopback
    server = Receiver()
    yield server
    server.server.shutdown()


@pytest.fixture
def admin() -> User:
    return enrol_totp(make_user(Role.ADMIN))


def _endpoint(receiver: Receiver, admin: User, events: list[str]) -> Endpoint:
    endpoint = actions.create_endpoint(admin, url=receiver.url, events=events)
    receiver.secret = endpoint.secret
    return endpoint


def test_ticket_events_arrive_signed_with_the_ticket_and_message(
    receiver: Receiver, admin: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    _endpoint(receiver, admin, ["ticket.created", "ticket.updated", "message.created"])
    customer = make_user(Role.CUSTOMER)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_actions.open_ticket(
            customer, NewTicket(subject="Withdrawal stuck", body="Since 9:00")
        )
    with django_capture_on_commit_callbacks(execute=True):
        ticket_actions.set_priority(ticket, admin, 4)

    types = [request["body"]["type"] for request in receiver.requests]
    assert types == ["ticket.created", "message.created", "ticket.updated"]
    assert all(request["signed"] for request in receiver.requests)
    created, message, updated = (request["body"] for request in receiver.requests)
    assert created["data"]["ticket"]["number"] == ticket.reference
    assert created["data"]["ticket"]["requester"]["id"] == customer.pk
    assert message["data"]["message"]["body"] == "Since 9:00"
    assert updated["data"] == {**updated["data"], "changed": ["priority"]}
    assert updated["data"]["ticket"]["priority"] == "urgent"
    ids = {request["headers"]["webhook-id"] for request in receiver.requests}
    assert len(ids) == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_only_subscribed_events_are_sent_and_nothing_is_built_without_subscribers(
    receiver: Receiver, admin: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    built: list[str] = []

    def build() -> dict[str, Any]:
        built.append("x")
        return {}

    assert actions.emit("ticket.created", build) == 0
    assert built == []
    _endpoint(receiver, admin, ["ticket.updated"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket_actions.open_ticket(make_user(Role.CUSTOMER), NewTicket(subject="s", body="b"))
    assert receiver.requests == []


def test_failures_are_retried_on_schedule_then_given_up(
    receiver: Receiver, admin: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    endpoint = _endpoint(receiver, admin, ["ticket.created"])
    receiver.statuses = [500] * actions.MAX_ATTEMPTS
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        actions.emit("ticket.created", lambda: {"ticket": {"number": "WK-000001"}}, now=start)
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.attempts == 1 and delivery.status == "pending" and delivery.response_status == 500
    assert "500" in delivery.last_error

    moment = delivery.last_attempt_at
    assert moment is not None
    # Not yet due: nothing is sent early.
    assert actions.retry_due_deliveries(moment + actions.RETRY_DELAYS[0] - timedelta(seconds=1)) == 0
    for delay in actions.RETRY_DELAYS:
        moment += delay
        assert actions.retry_due_deliveries(moment) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == actions.MAX_ATTEMPTS
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert len(receiver.requests) == actions.MAX_ATTEMPTS
    # Every attempt carries the same id, so the receiver can drop duplicates.
    assert len({request["headers"]["webhook-id"] for request in receiver.requests}) == 1
    assert actions.retry_due_deliveries(moment + timedelta(days=7)) == 0


def test_a_retry_that_succeeds_stops_the_series(
    receiver: Receiver, admin: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    _endpoint(receiver, admin, ["ticket.created"])
    receiver.statuses = [503]
    with django_capture_on_commit_callbacks(execute=True):
        actions.emit("ticket.created", lambda: {"n": 1})
    delivery = Delivery.objects.get()
    assert delivery.next_attempt_at is not None
    assert actions.retry_due_deliveries(delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert actions.retry_due_deliveries(delivery.created_at + timedelta(days=2)) == 0


def test_an_attempt_cut_short_is_retried_by_the_periodic_job(receiver: Receiver, admin: User) -> None:
    """The task queued after commit never ran (the process died): the stored delivery still goes out."""
    _endpoint(receiver, admin, ["ticket.created"])
    start = timezone.now()
    actions.emit("ticket.created", lambda: {"n": 1}, now=start)  # no on_commit: the task never runs
    assert receiver.requests == []
    assert actions.retry_due_deliveries(start + actions.ATTEMPT_LEASE) == 1
    assert Delivery.objects.get().status == "delivered"
    assert receiver.requests[0]["signed"]


def test_private_addresses_and_plain_http_are_refused_by_default(admin: User) -> None:
    for url in ("http://example.com/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook", "ftp://x/y"):
        with pytest.raises(actions.WebhookError):
            actions.create_endpoint(admin, url=url, events=["ticket.created"])
    with pytest.raises(actions.WebhookError):
        actions.create_endpoint(admin, url="https://203.0.113.9/hook", events=[])


def test_signature_matches_the_standard_webhooks_reference_vector() -> None:
    # The example from the Standard Webhooks specification's reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert (
        signing.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_console_pages_are_for_administrators(
    receiver: Receiver, admin: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    agent = enrol_totp(make_user(Role.AGENT))
    client = Client()
    client.force_login(agent)
    assert client.get(reverse("webhooks:list")).status_code == 403
    client.force_login(admin)
    assert "No webhook endpoints yet." in client.get(reverse("webhooks:list")).content.decode()
    response = client.post(
        reverse("webhooks:new"), {"url": receiver.url, "events": ["ticket.created"], "is_active": "on"}
    )
    endpoint = Endpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "webhooks:detail", args=[endpoint.pk]
    )
    receiver.secret = endpoint.secret
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhooks:test", args=[endpoint.pk]))
    assert receiver.requests[0]["body"]["type"] == "webhook.ping" and receiver.requests[0]["signed"]
    page = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert "webhook.ping" in page and endpoint.secret in page
    old_secret = endpoint.secret
    client.post(reverse("webhooks:rotate", args=[endpoint.pk]))
    assert Endpoint.objects.get().secret != old_secret
    client.post(reverse("webhooks:delete", args=[endpoint.pk]))
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()
