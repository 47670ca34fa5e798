"""Inbound email into tickets: threading, participants, automatic mail, bounces, bad mail, and a real
SMTP round trip (smtplib -> `watchkeeper smtpd`'s server -> ticket -> reply out to an SMTP sink)."""

from __future__ import annotations

import smtplib
import socket
import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import enrol_totp, make_user
from watchkeeper.mail import actions
from watchkeeper.mail.models import InboundEmail, SuppressedAddress
from watchkeeper.mail.smtp import accepted_recipient, build_server
from watchkeeper.mail.tests.test_parsing import emails_dir
from watchkeeper.tickets import actions as ticket_actions
from watchkeeper.tickets.models import Attachment, Message, Status, Ticket

SUPPORT = "support@watchkeeper.localhost"


@pytest.fixture(autouse=True)
def private_files(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def email(
    subject: str = "My deposit has not arrived",
    body: str = "I sent 0.5 BTC three hours ago and it is not in my account.",
    *,
    sender: str = "Ana Silva <ana@example.org>",
    message_id: str = "<first@example.org>",
    in_reply_to: str = "",
    attachment: bytes | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Sun, 22 Nov 2026 10:00:00 +0000"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(attachment, maintype="image", subtype="png", filename="proof.png")
    return message.as_bytes()


def _ticket(result: actions.IngestResult) -> Ticket:
    assert result.ticket_id is not None, result
    return Ticket.objects.get(pk=result.ticket_id)


def _ack_id(ticket: Ticket) -> str:
    return ticket.messages.get(kind=Message.Kind.EVENT, body__startswith="Acknowledgement").email_message_id


@pytest.mark.django_db
def test_a_new_email_opens_a_ticket_for_a_new_customer() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    raw = email(attachment=png)
    result = actions.ingest_email(raw)
    assert result.status == InboundEmail.Status.OPENED
    ticket = _ticket(result)
    assert ticket.channel == "email" and ticket.subject == "My deposit has not arrived"
    assert ticket.requester.email == "ana@example.org" and ticket.requester.get_short_name() == "Ana Silva"
    first = ticket.messages.get(kind=Message.Kind.PUBLIC)
    assert first.email_message_id == "first@example.org" and "0.5 BTC" in first.body
    assert Attachment.objects.get(message=first).content_type == "image/png"
    stored = InboundEmail.objects.get(pk=result.inbound_id)
    with stored.raw.open("rb") as kept:
        assert kept.read() == raw  # the original, byte for byte


@pytest.mark.django_db
def test_replies_thread_by_message_id_or_by_the_number_in_the_subject() -> None:
    ticket = _ticket(actions.ingest_email(email()))
    by_header = actions.ingest_email(
        email(
            "Re: whatever",
            "Here is the TxID.",
            message_id="<second@example.org>",
            in_reply_to=f"<{_ack_id(ticket)}>",
        )
    )
    by_subject = actions.ingest_email(
        email(f"Re: [{ticket.reference}] My deposit", "Any news?", message_id="<third@example.org>")
    )
    assert by_header.ticket_id == by_subject.ticket_id == ticket.pk
    assert by_header.status == by_subject.status == InboundEmail.Status.APPENDED
    assert ticket.messages.filter(kind=Message.Kind.PUBLIC).count() == 3


@pytest.mark.django_db
def test_quoted_history_is_folded_away_and_kept() -> None:
    ticket = _ticket(actions.ingest_email(email()))
    reply = "Thanks, it arrived.\n\nOn Sun, 22 Nov 2026 at 10:00, Support wrote:\n> We have credited it.\n"
    actions.ingest_email(
        email("Re: ok", reply, message_id="<r@example.org>", in_reply_to=f"<{_ack_id(ticket)}>")
    )
    last = ticket.messages.filter(kind=Message.Kind.PUBLIC).last()
    assert last is not None
    assert last.body == "Thanks, it arrived."
    assert "We have credited it." in last.metadata["quoted"]


@pytest.mark.django_db
def test_a_stranger_replying_into_a_ticket_is_held_until_an_agent_releases_it() -> None:
    ticket = _ticket(actions.ingest_email(email()))
    held = actions.ingest_email(
        email(
            f"Re: [{ticket.reference}]",
            "Send your seed phrase to verify.",
            sender="scammer@evil.example",
            message_id="<x@evil.example>",
        )
    )
    assert held.status == InboundEmail.Status.HELD and held.ticket_id == ticket.pk
    assert ticket.messages.filter(kind=Message.Kind.PUBLIC).count() == 1
    agent = make_user(Role.AGENT)
    inbound = InboundEmail.objects.get(pk=held.inbound_id)
    actions.discard_held_email(inbound, agent)
    assert InboundEmail.objects.get(pk=held.inbound_id).status == InboundEmail.Status.DISCARDED
    with pytest.raises(ticket_actions.TicketError):
        actions.release_held_email(inbound, agent)


@pytest.mark.django_db
def test_agents_cannot_be_impersonated_by_email() -> None:
    agent = make_user(Role.AGENT, email="bob@watchkeeper-staff.example")
    ticket = _ticket(actions.ingest_email(email()))
    ticket.followers.add(agent)
    result = actions.ingest_email(
        email(f"[{ticket.reference}]", "Please send your 2FA code.", sender=agent.email, message_id="<f@x>")
    )
    assert result.status == InboundEmail.Status.HELD


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["auto_reply.eml", "auto_reply_with_auto_submitted.eml", "bounced_gmail.eml"]
)
def test_automatic_mail_opens_nothing(name: str) -> None:
    result = actions.ingest_email((emails_dir() / "chatwoot" / "eml" / name).read_bytes())
    assert result.status == InboundEmail.Status.IGNORED and result.ticket_id is None
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_bounces_stop_mail_to_the_address(django_capture_on_commit_callbacks: Any) -> None:
    result = actions.ingest_email((emails_dir() / "flanker" / "bounce" / "mailbox-full.eml").read_bytes())
    assert result.status == InboundEmail.Status.IGNORED
    assert SuppressedAddress.objects.filter(email="user@aol.com").exists()
    customer = make_user(Role.CUSTOMER, email="user@aol.com")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_actions.open_ticket(customer, ticket_actions.NewTicket(subject="Hello", body="Help please"))
    assert mail.outbox == []


@pytest.mark.django_db
def test_mail_from_our_own_address_is_a_loop() -> None:
    result = actions.ingest_email(email(sender=f"Support <{SUPPORT}>"))
    assert result.status == InboundEmail.Status.IGNORED and "loop" in result.reason


@pytest.mark.django_db
def test_the_same_message_twice_is_ingested_once() -> None:
    assert actions.ingest_email(email()).status == InboundEmail.Status.OPENED
    assert actions.ingest_email(email()).status == InboundEmail.Status.DUPLICATE
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_unreadable_mail_becomes_a_flagged_ticket_with_the_original() -> None:
    garbage = b"\x00\x01\x02 this is not an email at all \xff\xfe"
    result = actions.ingest_email(garbage)
    ticket = _ticket(result)
    assert list(ticket.tags.values_list("name", flat=True)) == ["unparsed-email"]
    original = Attachment.objects.get(message__ticket=ticket)
    assert original.filename == "original.eml"
    with original.file.open("rb") as stream:
        assert stream.read() == garbage


@pytest.mark.django_db
def test_a_failure_keeps_the_raw_email_for_a_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(ticket_actions, "open_ticket", broken)
    result = actions.ingest_email(email())
    assert result.status == InboundEmail.Status.RECEIVED
    assert "RuntimeError" in InboundEmail.objects.get().reason
    monkeypatch.undo()
    from datetime import timedelta

    assert actions.retry_received_emails(older_than=timedelta(0)) == 1
    assert InboundEmail.objects.get().status == InboundEmail.Status.OPENED


@pytest.mark.django_db
def test_a_reply_to_a_closed_ticket_opens_a_follow_up() -> None:
    ticket = _ticket(actions.ingest_email(email()))
    ticket_actions.change_status(ticket, None, Status.CLOSED)
    result = actions.ingest_email(
        email(
            "Re: again",
            "It happened again.",
            message_id="<n@example.org>",
            in_reply_to=f"<{_ack_id(ticket)}>",
        )
    )
    assert result.status == InboundEmail.Status.OPENED and result.ticket_id != ticket.pk
    follow_up = _ticket(result)
    assert ticket.reference in follow_up.messages.get(kind=Message.Kind.PUBLIC).body


def test_only_support_addresses_are_accepted(settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = SUPPORT
    settings.INBOUND_EMAIL_ADDRESSES = ["help@exchange.example"]
    assert accepted_recipient("Support@watchkeeper.localhost")
    assert accepted_recipient("vip@watchkeeper.localhost")
    assert accepted_recipient("help@exchange.example")
    assert not accepted_recipient("someone@gmail.com")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Sink:
    """A local SMTP server that keeps what it receives: where our outbound mail lands."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.original_content or envelope.content)
        self.arrived.set()
        return "250 OK"


@pytest.mark.django_db(transaction=True)
def test_smtp_round_trip(settings: Any, client: Client) -> None:
    from email import message_from_bytes

    sink = _Sink()
    sink_server = Controller(sink, hostname="127.0.0.1", port=_free_port())
    sink_server.start()
    inbound_port = _free_port()
    inbound = build_server("127.0.0.1", inbound_port)
    inbound.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        with smtplib.SMTP("127.0.0.1", inbound_port) as smtp:
            smtp.sendmail("ana@example.org", [SUPPORT], email())
            refused = None
            try:
                smtp.sendmail("ana@example.org", ["friend@elsewhere.example"], email(message_id="<relay@x>"))
            except smtplib.SMTPRecipientsRefused as error:
                refused = error
        assert refused is not None  # no open relay
        ticket = Ticket.objects.get()
        assert ticket.channel == "email"

        # The acknowledgement went out over SMTP to the sink.
        assert sink.arrived.wait(10)
        ack = message_from_bytes(sink.messages[0])
        assert ack["To"] == "ana@example.org" and ticket.reference in ack["Subject"]

        # An agent answers in the console; the reply leaves by SMTP, threaded.
        agent = enrol_totp(make_user(Role.AGENT))
        client.force_login(agent)
        sink.arrived.clear()
        client.post(
            reverse("inbox:ticket", args=[ticket.pk]),
            {"reply": "1", "body": "We found it: credited at 14:02 UTC.", "kind": "public", "status": ""},
        )
        assert sink.arrived.wait(10)
        answer = message_from_bytes(sink.messages[-1])
        assert "credited at 14:02 UTC" in answer.get_payload(0).get_payload(decode=True).decode()

        # The customer's mail client answers it: In-Reply-To our reply's Message-ID.
        with smtplib.SMTP("127.0.0.1", inbound_port) as smtp:
            smtp.sendmail(
                "ana@example.org",
                [SUPPORT],
                email(
                    "Re: thanks",
                    "Thank you!",
                    message_id="<thanks@example.org>",
                    in_reply_to="".join(answer["Message-ID"].split()),
                ),
            )
            # An out-of-office reply opens nothing.
            smtp.sendmail(
                "ana@example.org",
                [SUPPORT],
                (emails_dir() / "chatwoot" / "eml" / "auto_reply.eml").read_bytes(),
            )
        assert Ticket.objects.count() == 1
        bodies = list(ticket.messages.filter(kind=Message.Kind.PUBLIC).values_list("body", flat=True))
        assert bodies[-1] == "Thank you!"
        assert InboundEmail.objects.filter(status=InboundEmail.Status.IGNORED).count() == 1
    finally:
        inbound.stop()
        sink_server.stop()


@pytest.mark.django_db
def test_oversized_mail_is_refused_with_the_limit(settings: Any) -> None:
    import asyncio

    from watchkeeper.mail.smtp import SupportInbox

    settings.INBOUND_EMAIL_MAX_BYTES = 100

    class Envelope:
        original_content = b"x" * 200
        content = original_content
        mail_from = "a@b.c"

    reply = asyncio.run(SupportInbox().handle_DATA(None, None, Envelope()))
    assert reply.startswith("552") and "100" in reply
    assert not InboundEmail.objects.exists()


@pytest.mark.django_db
def test_agents_release_held_email_from_the_console(client: Client) -> None:
    ticket = _ticket(actions.ingest_email(email()))
    held = actions.ingest_email(
        email(
            f"Re: [{ticket.reference}]",
            "I am her husband, any news?",
            sender="bo@example.org",
            message_id="<h@e>",
        )
    )
    agent = enrol_totp(make_user(Role.AGENT))
    client.force_login(agent)
    page = client.get(reverse("mail:held")).content.decode()
    assert "bo@example.org" in page and ticket.reference in page
    client.post(reverse("mail:decide", args=[held.inbound_id]), {"decision": "release"})
    assert InboundEmail.objects.get(pk=held.inbound_id).status == InboundEmail.Status.RELEASED
    last = ticket.messages.filter(kind=Message.Kind.PUBLIC).last()
    assert last is not None and last.metadata["from_email"] == "bo@example.org"
    customer = make_user(Role.CUSTOMER)
    client.force_login(customer)
    assert client.get(reverse("mail:held")).status_code in {302, 403}
