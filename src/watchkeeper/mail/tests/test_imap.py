"""IMAP polling: the IMAP_MAILBOXES setting, and polls of a real Dovecot server (the `dovecot` fixture in
conftest.py) filled by IMAP APPEND with real emails from ../shared/data/emails, read by path."""

from __future__ import annotations

import imaplib
import logging
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from watchkeeper.core.registry import registry
from watchkeeper.mail import imap
from watchkeeper.mail.checks import plain_imap_only_on_loopback
from watchkeeper.mail.models import InboundEmail
from watchkeeper.mail.tests.conftest import USERS, Dovecot
from watchkeeper.mail.tests.test_parsing import emails_dir
from watchkeeper.settings import imap_mailboxes
from watchkeeper.tickets.models import Ticket

SUPPORT, KYC = "support@exchange.test", "kyc@exchange.test"


@pytest.fixture(autouse=True)
def private_files(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def corpus(name: str) -> bytes:
    return (emails_dir() / "chatwoot" / "eml" / name).read_bytes()


def on_server(raw: bytes) -> bytes:
    """What an IMAP server stores and hands back: imaplib's APPEND sends lines ending in CRLF."""
    return imaplib.MapCRLF.sub(imaplib.CRLF, raw)


def deliver(server: Dovecot, user: str, *names: str) -> None:
    with server.connect(user) as mailbox:
        for name in names:
            mailbox.append(corpus(name))


def flags(server: Dovecot, user: str, folder: str = "INBOX") -> list[set[str]]:
    """Each message's flags, oldest first; \\Recent left out (it only says whether a session saw it)."""
    with server.connect(user, folder) as mailbox:
        return [
            set(message.flags) - {"\\Recent"} for message in mailbox.fetch(mark_seen=False, headers_only=True)
        ]


def configure(settings: Any, *urls: str) -> None:
    settings.IMAP_MAILBOXES = imap_mailboxes(",".join(urls))


# ---------------------------------------------------------------- the setting, no server needed


def test_imap_mailboxes_setting_is_parsed_and_percent_decoded() -> None:
    first, second, third = imap_mailboxes(
        "imaps://support%40exchange.com:p%40ss%2Cw%3Ard@imap.example.com/INBOX?processed=Support%2FDone, "
        "imap://kyc:pw@mail.example.com:1143/Kyc%20Requests?starttls=1&timeout=5,"
        "imap://test:pw@127.0.0.1:14300"
    )
    assert first == {
        "name": "support@exchange.com on imap.example.com:993/INBOX",
        "host": "imap.example.com",
        "port": 993,
        "security": "ssl",
        "username": "support@exchange.com",
        "password": "p@ss,w:rd",
        "folder": "INBOX",
        "processed_folder": "Support/Done",
        "timeout": 30.0,
    }
    assert (second["security"], second["port"], second["folder"], second["timeout"]) == (
        "starttls",
        1143,
        "Kyc Requests",
        5.0,
    )
    assert (third["security"], third["folder"], third["processed_folder"]) == ("plain", "INBOX", "")
    assert imap_mailboxes("") == imap_mailboxes(" , ") == []
    assert "p@ss" not in repr(imap.ImapMailbox.from_setting(first))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("pop3://u:topsecret@host", "scheme"),
        ("imaps://u:topsecret@host?starttls=1", "starttls=1 goes with imap://"),
        ("imaps://u:topsecret@host?procesed=Done", "unknown option"),
        ("imaps://host/INBOX", "a host, a user and a password are required"),
        ("imaps://u:top/secret@host/INBOX", "not a valid URL"),
        ("imaps://u:topsecret@host?timeout=soon", "timeout"),
    ],
)
def test_a_bad_entry_is_refused_without_repeating_its_password(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        imap_mailboxes(f"imaps://ok:pw@imap.example.com,{value}")
    assert "entry 2" in str(error.value)
    assert "secret" not in str(error.value)


def test_plain_imap_to_another_host_is_warned_about(settings: Any) -> None:
    configure(settings, "imap://a:pw@127.0.0.1:143", "imap://b:pw@localhost", "imaps://c:pw@mail.example.com")
    assert plain_imap_only_on_loopback() == []
    configure(settings, "imap://d:pw@mail.example.com")
    (warning,) = plain_imap_only_on_loopback()
    assert warning.id == "mail.W001" and "d on mail.example.com:143/INBOX" in warning.msg


def test_polling_is_a_periodic_job_that_does_nothing_without_mailboxes(settings: Any) -> None:
    from watchkeeper.mail.tasks import poll_imap_mailboxes

    job = registry.periodic_jobs["watchkeeper.mail.tasks.poll_imap_mailboxes"]
    assert job.interval.total_seconds() == 60
    settings.IMAP_MAILBOXES = []
    assert poll_imap_mailboxes.call() == []


def test_poll_mail_without_mailboxes_says_so(settings: Any) -> None:
    settings.IMAP_MAILBOXES = []
    with pytest.raises(CommandError, match="IMAP_MAILBOXES is not set"):
        call_command("poll-mail", "--once")


def test_an_unreachable_server_is_an_error_for_its_mailbox_only(settings: Any) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configure(settings, f"imap://support:hunter2@127.0.0.1:{port}/INBOX")
    (result,) = imap.poll_mailboxes()
    assert not result.ok and "ConnectionRefusedError" in result.error
    assert result.summary().startswith(f"support on 127.0.0.1:{port}/INBOX: 0 ingested, 0 skipped, 0 failed")


@pytest.mark.parametrize(("scheme", "client"), [("imaps://", "MailBox"), ("imap://", "MailBoxStartTls")])
def test_tls_connections_check_the_server_certificate(
    settings: Any, monkeypatch: pytest.MonkeyPatch, scheme: str, client: str
) -> None:
    import ssl

    contexts: list[ssl.SSLContext] = []

    def refuse(*args: Any, ssl_context: ssl.SSLContext, **kwargs: Any) -> None:
        contexts.append(ssl_context)
        raise ConnectionRefusedError

    monkeypatch.setattr(imap, client, refuse)
    configure(settings, f"{scheme}support:hunter2@imap.example.com/INBOX?starttls={int(scheme == 'imap://')}")
    (result,) = imap.poll_mailboxes()
    assert "ConnectionRefusedError" in result.error
    (context,) = contexts  # imaplib's default context would accept any certificate
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_a_mailbox_already_being_polled_is_left_to_that_poll(settings: Any) -> None:
    from django.core.cache import cache

    configure(settings, "imaps://support:hunter2@imap.example.com/INBOX")
    (entry,) = settings.IMAP_MAILBOXES
    cache.set(imap.lock_key(imap.ImapMailbox.from_setting(entry)), True)
    (result,) = imap.poll_mailboxes()  # no connection is tried: imap.example.com does not exist
    assert "another poll of this mailbox is still running" in result.error


# ---------------------------------------------------------------- against a real Dovecot


@pytest.mark.services
@pytest.mark.django_db
def test_a_new_email_becomes_a_ticket_and_is_marked_seen_only_after(
    settings: Any, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(dovecot, SUPPORT, "support.eml")
    configure(settings, dovecot.url(SUPPORT))
    seen_during_ingest: list[list[set[str]]] = []
    ingest = imap.ingest_email

    def watched_ingest(raw: bytes, *, source: str) -> Any:
        seen_during_ingest.append(flags(dovecot, SUPPORT))
        return ingest(raw, source=source)

    monkeypatch.setattr(imap, "ingest_email", watched_ingest)

    (result,) = imap.poll_mailboxes()

    assert result.ok, result.error
    assert (result.ingested, result.skipped, result.failed) == (1, 0, 0)
    assert seen_during_ingest == [[set()]]  # still unseen on the server while it was being stored
    assert flags(dovecot, SUPPORT) == [{"\\Seen"}]
    inbound = InboundEmail.objects.get()
    assert inbound.source == "imap" and inbound.status == InboundEmail.Status.OPENED
    with inbound.raw.open("rb") as stored:
        assert stored.read() == on_server(corpus("support.eml"))  # byte for byte as the server has it
    ticket = Ticket.objects.get()
    assert ticket.channel == "email" and ticket.subject == "Discussion: Let's debate these attachments"
    assert ticket.requester.email == "sony@chatwoot.com"

    (again,) = imap.poll_mailboxes()
    assert (again.ingested, again.skipped, again.failed, again.error) == (0, 0, 0, "")
    assert InboundEmail.objects.count() == 1 and Ticket.objects.count() == 1


@pytest.mark.services
@pytest.mark.django_db
def test_with_a_processed_folder_ingested_mail_is_moved_there(settings: Any, dovecot: Dovecot) -> None:
    deliver(dovecot, SUPPORT, "support_1.eml", "only_text.eml")
    configure(settings, dovecot.url(SUPPORT, query="processed=Support%20Done"))

    (result,) = imap.poll_mailboxes()

    assert (result.ingested, result.error) == (2, "")
    assert flags(dovecot, SUPPORT) == []
    assert flags(dovecot, SUPPORT, "Support Done") == [{"\\Seen"}, {"\\Seen"}]
    assert Ticket.objects.count() == 2


@pytest.mark.services
@pytest.mark.django_db
def test_a_crash_between_ingest_and_flagging_ingests_nothing_twice(
    settings: Any, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(dovecot, SUPPORT, "support.eml")
    configure(settings, dovecot.url(SUPPORT))

    def connection_lost(*args: Any) -> None:
        raise imaplib.IMAP4.abort("socket error: EOF")

    with monkeypatch.context() as patch:
        patch.setattr(imap, "_mark_done", connection_lost)
        (crashed,) = imap.poll_mailboxes()
    assert crashed.ingested == 1 and "abort" in crashed.error
    assert flags(dovecot, SUPPORT) == [set()]  # stored here, but not marked done there

    (retried,) = imap.poll_mailboxes()

    assert (retried.ingested, retried.skipped, retried.error) == (0, 1, "")
    assert flags(dovecot, SUPPORT) == [{"\\Seen"}]
    assert Ticket.objects.count() == 1
    assert sorted(InboundEmail.objects.values_list("status", flat=True)) == ["duplicate", "opened"]


@pytest.mark.services
@pytest.mark.django_db
def test_an_auto_reply_opens_no_ticket_but_is_marked_done(settings: Any, dovecot: Dovecot) -> None:
    deliver(dovecot, SUPPORT, "auto_reply.eml")
    configure(settings, dovecot.url(SUPPORT))

    (result,) = imap.poll_mailboxes()

    assert (result.ingested, result.skipped, result.failed) == (0, 1, 0)
    assert InboundEmail.objects.get().status == InboundEmail.Status.IGNORED
    assert not Ticket.objects.exists()
    assert flags(dovecot, SUPPORT) == [{"\\Seen"}]


@pytest.mark.services
@pytest.mark.django_db
def test_a_refused_login_is_reported_and_the_other_mailbox_still_polled(
    settings: Any, dovecot: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    deliver(dovecot, KYC, "only_text.eml")
    wrong = "Wr0ng-Passw0rd-xyz"
    configure(settings, dovecot.url(SUPPORT, password=wrong), dovecot.url(KYC))

    with caplog.at_level(logging.DEBUG):
        refused, polled = imap.poll_mailboxes()

    assert not refused.ok and "Authentication failed" in refused.error
    assert refused.summary().startswith(f"{SUPPORT} on 127.0.0.1:{dovecot.port}/INBOX: 0 ingested")
    assert polled.ok and polled.ingested == 1
    assert f"IMAP mailbox {refused.summary()}" in caplog.text
    for password in (wrong, *USERS.values()):
        assert password not in caplog.text
        assert password not in refused.summary() + polled.summary()


@pytest.mark.services
@pytest.mark.django_db
def test_oversized_mail_is_not_downloaded_but_flagged_and_named_in_the_log(
    settings: Any, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    deliver(dovecot, SUPPORT, "support.eml", "only_text.eml")  # 46 KB and 324 bytes
    configure(settings, dovecot.url(SUPPORT))
    settings.INBOUND_EMAIL_MAX_BYTES = 10_000
    downloaded: list[bytes] = []
    ingest = imap.ingest_email

    def recorded_ingest(raw: bytes, *, source: str) -> Any:
        downloaded.append(raw)
        return ingest(raw, source=source)

    monkeypatch.setattr(imap, "ingest_email", recorded_ingest)

    with caplog.at_level(logging.WARNING):
        (result,) = imap.poll_mailboxes()

    assert (result.ingested, result.too_large, result.skipped) == (1, 1, 0)
    assert "1 skipped" in result.summary() and "1 too large" in result.summary()
    assert downloaded == [on_server(corpus("only_text.eml"))]
    big, small = flags(dovecot, SUPPORT)
    assert big == {"\\Flagged", imap.TOO_LARGE_KEYWORD} and small == {"\\Seen"}
    assert "larger than the limit of 9.8\xa0KB (INBOUND_EMAIL_MAX_BYTES)" in caplog.text
    assert "0CB459E0-0336-41DA-BC88-E6E28C697DDB@chatwoot.com" in caplog.text

    caplog.clear()
    (again,) = imap.poll_mailboxes()
    assert (again.ingested, again.too_large) == (0, 0) and "larger than" not in caplog.text
    assert flags(dovecot, SUPPORT)[0] == {"\\Flagged", imap.TOO_LARGE_KEYWORD}  # still there, for a person


@pytest.mark.services
@pytest.mark.django_db
def test_a_backlog_is_fetched_oldest_first_in_bounded_batches(
    settings: Any, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(dovecot, SUPPORT, "support_1.eml", "only_text.eml", "support.eml")
    configure(settings, dovecot.url(SUPPORT))
    monkeypatch.setattr(imap, "BATCH_SIZE", 2)

    (first,) = imap.poll_mailboxes()
    assert (first.ingested, first.waiting) == (2, 1)
    assert "1 more waiting" in first.summary()
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Get Paid to post an article",
        "test text only mail",
    ]
    (second,) = imap.poll_mailboxes()
    assert (second.ingested, second.waiting) == (1, 0)
    assert flags(dovecot, SUPPORT) == [{"\\Seen"}] * 3


@pytest.mark.services
@pytest.mark.django_db
def test_poll_mail_command_prints_a_line_per_mailbox(settings: Any, dovecot: Dovecot) -> None:
    deliver(dovecot, SUPPORT, "support_1.eml", "auto_reply.eml")
    configure(settings, dovecot.url(SUPPORT), dovecot.url(KYC))
    output = StringIO()
    call_command("poll-mail", "--once", stdout=output)
    assert output.getvalue().splitlines() == [
        f"{SUPPORT} on 127.0.0.1:{dovecot.port}/INBOX: 1 ingested, 1 skipped, 0 failed",
        f"{KYC} on 127.0.0.1:{dovecot.port}/INBOX: 0 ingested, 0 skipped, 0 failed",
    ]

    configure(settings, dovecot.url(SUPPORT, password="wrong"), dovecot.url(KYC))
    output = StringIO()
    with pytest.raises(CommandError, match="1 of 2 mailbox"):
        call_command("poll-mail", "--once", stdout=output)
    refused, polled = output.getvalue().splitlines()
    assert "0 ingested, 0 skipped, 0 failed; error: " in refused and "wrong" not in refused
    assert polled.endswith("0 ingested, 0 skipped, 0 failed")
