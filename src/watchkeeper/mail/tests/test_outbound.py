"""Outbound mail against a real SMTP server on loopback that fails the way real servers do."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks import default_task_backend

from watchkeeper.mail.models import SuppressedAddress
from watchkeeper.mail.tasks import EMAIL_RETRY_DELAYS, deliver_email

pytestmark = pytest.mark.django_db


class _Flaky:
    """Answers RCPT with the next scripted reply (then 250) and keeps what is delivered."""

    def __init__(self) -> None:
        self.rcpt_replies: list[str] = []
        self.delivered: list[list[str]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self.rcpt_replies.pop(0) if self.rcpt_replies else "250 OK"
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.delivered.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[_Flaky]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    handler = _Flaky()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    # A backend that keeps what is enqueued, with run_after, instead of running it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    yield handler
    controller.stop()


def _send(**overrides: Any) -> int:
    values: dict[str, Any] = {
        "subject": "[WK-000001] Your ticket",
        "body": "Hello",
        "from_email": "support@exchange.test",
        "to": ["ana@example.org"],
        "cc": [],
        "reply_to": [],
        "headers": {},
        "alternatives": [],
        "content_subtype": "plain",
    }
    values.update(overrides)
    return int(deliver_email.call(**values))


def test_a_temporary_refusal_is_retried_later_through_the_task_queue(smtp_server: _Flaky) -> None:
    smtp_server.rcpt_replies = ["451 4.7.1 Greylisted, try again later"]
    before = timezone.now()
    assert _send() == 0
    assert smtp_server.delivered == []
    [retry] = default_task_backend.results
    assert retry.kwargs["attempt"] == 2
    assert retry.task.run_after >= before + EMAIL_RETRY_DELAYS[0]
    # The worker runs it when due: the server accepts now.
    assert retry.task.call(*retry.args, **retry.kwargs) == 1
    assert smtp_server.delivered == [["ana@example.org"]]


def test_a_permanent_refusal_suppresses_the_address_and_is_not_retried(smtp_server: _Flaky) -> None:
    smtp_server.rcpt_replies = ["550 5.1.1 No such user"]
    assert _send() == 0
    assert default_task_backend.results == []
    assert SuppressedAddress.objects.get().email == "ana@example.org"


def test_the_last_attempt_fails_the_task_for_the_operator(smtp_server: _Flaky) -> None:
    smtp_server.rcpt_replies = ["451 4.3.0 Mailbox busy"]
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        _send(attempt=len(EMAIL_RETRY_DELAYS) + 1)
    assert default_task_backend.results == []


def test_an_unreachable_server_is_retried(smtp_server: _Flaky, settings: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = int(probe.getsockname()[1])  # nothing listens there once closed
    assert _send() == 0
    [retry] = default_task_backend.results
    assert retry.kwargs["attempt"] == 2
