"""Fetching support mail from existing mailboxes over IMAP (imap-tools), for exchanges whose support
address lives at a mail provider. Each message goes through mail.actions.ingest_email like SMTP mail.

A message is marked done on the server (\\Seen, or moved to the `processed=` folder) only after
ingest_email returned, so a crash in between means it is fetched again next time, and ingest_email
recognises it by its Message-ID. Mail larger than INBOUND_EMAIL_MAX_BYTES is left on the server,
flagged, without being downloaded.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import ssl
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.template.defaultfilters import filesizeformat
from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools import MailMessageFlags as Flags
from imap_tools.errors import ImapToolsError, UnexpectedCommandStatusError

from watchkeeper.mail.actions import ingest_email
from watchkeeper.mail.models import InboundEmail

logger = logging.getLogger(__name__)

# Oldest first, this many per poll and mailbox: a backlog is worked off over several polls instead of one
# poll holding the worker (and memory) for as long as the whole backlog takes.
BATCH_SIZE = 50
# Set on mail too large to ingest, besides \Flagged for the people reading the mailbox, so that it is not
# looked at again every minute. An IMAP keyword: letters only.
TOO_LARGE_KEYWORD = "WatchkeeperTooLarge"
# Two polls of one mailbox at once (a slow poll overlapping the next minute's on another worker) would
# race on the same messages; a poll takes the lock for at most this long, so a killed worker's lock expires.
LOCK_SECONDS = 15 * 60

_INGESTED = {InboundEmail.Status.OPENED, InboundEmail.Status.APPENDED, InboundEmail.Status.HELD}
_SKIPPED = {InboundEmail.Status.IGNORED, InboundEmail.Status.DUPLICATE}


@dataclass(frozen=True)
class ImapMailbox:
    """One entry of settings.IMAP_MAILBOXES."""

    name: str
    host: str
    port: int
    security: str  # "ssl", "starttls" or "plain"
    username: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    processed_folder: str = ""
    timeout: float = 30.0

    @classmethod
    def from_setting(cls, entry: Mapping[str, Any]) -> ImapMailbox:
        return cls(**entry)


@dataclass
class PollResult:
    mailbox: str
    ingested: int = 0
    skipped: int = 0
    failed: int = 0
    too_large: int = 0
    waiting: int = 0  # unseen messages left for the next polls
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def summary(self) -> str:
        line = f"{self.mailbox}: {self.ingested} ingested, {self.skipped + self.too_large} skipped"
        line += f", {self.failed} failed"
        if self.too_large:
            line += f" ({self.too_large} too large, left flagged in the mailbox)"
        if self.waiting:
            line += f"; {self.waiting} more waiting"
        if self.error:
            line += f"; error: {self.error}"
        return line


class RawMailMessage(MailMessage):
    """imap-tools' message, keeping the bytes the server sent. MailMessage.obj.as_bytes() writes the
    parsed message out again, which changes most real emails (line folding, broken MIME), and the stored
    original must be what arrived."""

    def __init__(self, fetch_data: list[Any]) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


def poll_mailboxes() -> list[PollResult]:
    """Poll every configured mailbox once; one that fails does not stop the others."""
    return [poll_mailbox(ImapMailbox.from_setting(entry)) for entry in settings.IMAP_MAILBOXES]


def poll_mailbox(mailbox: ImapMailbox) -> PollResult:
    """Fetch a batch of unseen mail from one mailbox and ingest it. Never raises: the error is in the result
    and in the log, without the password."""
    result = PollResult(mailbox.name)
    lock = lock_key(mailbox)
    if not cache.add(lock, True, timeout=LOCK_SECONDS):
        result.error = "skipped: another poll of this mailbox is still running"
        logger.info("IMAP mailbox %s: %s", mailbox.name, result.error)
        return result
    try:
        client = _connect(mailbox)
        try:
            _poll(client, mailbox, result)
        finally:
            with suppress(Exception):  # the connection may already be gone; nothing is lost by not saying bye
                client.logout()
    except (OSError, imaplib.IMAP4.error, ImapToolsError) as error:  # unreachable, refused, dropped
        result.error = _describe(error, mailbox)
    except Exception as error:
        logger.exception("IMAP mailbox %s: unexpected error", mailbox.name)
        result.error = _describe(error, mailbox)
    finally:
        cache.delete(lock)
    if result.error:
        logger.error("IMAP mailbox %s", result.summary())
    elif result.ingested or result.skipped or result.failed or result.too_large:
        logger.info("IMAP mailbox %s", result.summary())
    return result


def lock_key(mailbox: ImapMailbox) -> str:
    """The cache key a poll of this mailbox holds while it runs (shared by all processes when REDIS_URL is
    set; without Redis, only polls within one process exclude each other)."""
    return "mail:imap:polling:" + hashlib.sha256(mailbox.name.encode()).hexdigest()[:32]


def _describe(error: Exception, mailbox: ImapMailbox) -> str:
    if isinstance(error, UnexpectedCommandStatusError):  # the server's own words, e.g. why it refused
        status, data = error.command_result
        words = [
            item.decode(errors="replace") if isinstance(item, bytes) else str(item) for item in data or []
        ]
        text = f"{type(error).__name__}: {status} {' '.join(words)}"
    else:
        text = f"{type(error).__name__}: {error}"
    # Servers do not echo the password, but this text goes to logs and task results: make sure.
    return text.replace(mailbox.password, "***")[:300]


def _connect(mailbox: ImapMailbox) -> BaseMailBox:
    client: BaseMailBox
    # imaplib's own default TLS context checks no certificate: pass one that does.
    if mailbox.security == "ssl":
        client = MailBox(
            mailbox.host, mailbox.port, timeout=mailbox.timeout, ssl_context=ssl.create_default_context()
        )
    elif mailbox.security == "starttls":
        client = MailBoxStartTls(
            mailbox.host, mailbox.port, timeout=mailbox.timeout, ssl_context=ssl.create_default_context()
        )
    else:
        client = MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=mailbox.timeout)
    client.email_message_class = RawMailMessage
    try:
        client.login(mailbox.username, mailbox.password, initial_folder=mailbox.folder)
    except BaseException:
        with suppress(Exception):
            client.logout()
        raise
    return client


def _poll(client: BaseMailBox, mailbox: ImapMailbox, result: PollResult) -> None:
    if mailbox.processed_folder and not client.folder.exists(mailbox.processed_folder):
        client.folder.create(mailbox.processed_folder)
    # UIDs grow with arrival, so the lowest are the oldest. No CHARSET: some servers refuse one, and the
    # criteria are plain ASCII.
    uids = sorted(client.uids(AND(seen=False, no_keyword=TOO_LARGE_KEYWORD), charset=None), key=int)
    batch = uids[:BATCH_SIZE]
    result.waiting = len(uids) - len(batch)
    if not batch:
        return
    # Sizes (and headers, to name a message in the log) first, so oversized mail is never downloaded.
    heads = {
        message.uid: message
        for message in client.fetch(uid_list=batch, headers_only=True, mark_seen=False, bulk=True)
    }
    for uid in batch:
        head = heads.get(uid)
        if head is None:  # deleted by someone else meanwhile
            continue
        if head.size_rfc822 > settings.INBOUND_EMAIL_MAX_BYTES:
            _leave_too_large(client, mailbox, uid, head.size_rfc822, head)
            result.too_large += 1
            continue
        message = next(client.fetch(uid_list=[uid], mark_seen=False), None)
        if not isinstance(message, RawMailMessage):
            continue
        if len(message.raw) > settings.INBOUND_EMAIL_MAX_BYTES:  # the server did not say its size
            _leave_too_large(client, mailbox, uid, len(message.raw), head)
            result.too_large += 1
            continue
        try:
            outcome = ingest_email(message.raw, source="imap")
        except Exception:
            # Not stored (database or storage down): left unseen on the server for the next poll.
            logger.exception("IMAP mailbox %s: message UID %s could not be stored", mailbox.name, uid)
            result.failed += 1
            continue
        if outcome.status in _INGESTED:
            result.ingested += 1
        elif outcome.status in _SKIPPED:
            result.skipped += 1
        else:  # stored, but processing failed: retry_received_emails tries again, from the stored copy
            result.failed += 1
        _mark_done(client, mailbox, uid)


def _mark_done(client: BaseMailBox, mailbox: ImapMailbox, uid: str) -> None:
    client.flag(uid, Flags.SEEN, True)
    if mailbox.processed_folder:
        client.move(uid, mailbox.processed_folder)


def _leave_too_large(
    client: BaseMailBox, mailbox: ImapMailbox, uid: str, size: int, head: MailMessage
) -> None:
    logger.warning(
        "IMAP mailbox %s: message UID %s (%s, Message-ID %s) is larger than the limit of %s "
        "(INBOUND_EMAIL_MAX_BYTES); it was not ingested and stays flagged in the mailbox",
        mailbox.name,
        uid,
        filesizeformat(size),
        head.headers.get("message-id", ("none",))[0],
        filesizeformat(settings.INBOUND_EMAIL_MAX_BYTES),
    )
    try:
        client.flag(uid, [Flags.FLAGGED, TOO_LARGE_KEYWORD], True)
    except (ImapToolsError, imaplib.IMAP4.error):
        # A server without custom keywords: \Flagged alone still shows it to people; it is looked at
        # (headers only) again on each poll.
        client.flag(uid, Flags.FLAGGED, True)
