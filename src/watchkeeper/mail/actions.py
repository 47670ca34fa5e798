"""Email in and out. Outbound: every message leaves through the task queue. Inbound: every email is
stored raw first, then becomes a ticket, a reply on one, or is held or ignored, with the reason kept."""

from __future__ import annotations

import io
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from watchkeeper.accounts.actions import customer_for_email
from watchkeeper.mail.models import InboundEmail, SuppressedAddress
from watchkeeper.mail.parsing import parse_message
from watchkeeper.mail.quoting import split_quoted
from watchkeeper.mail.tasks import deliver_email
from watchkeeper.tickets import actions as ticket_actions
from watchkeeper.tickets import queries as ticket_queries
from watchkeeper.tickets.actions import Upload

logger = logging.getLogger(__name__)


def queue_email(message: EmailMessage) -> None:
    """Enqueue `message` for delivery by the worker; it is sent even if the web process stops.

    Addresses that bounced are left out; a message left with nobody to send to is dropped (logged).
    """
    suppressed = set(
        SuppressedAddress.objects.filter(email__in=[address.lower() for address in message.to]).values_list(
            "email", flat=True
        )
    )
    if suppressed:
        message.to = [address for address in message.to if address.lower() not in suppressed]
        logger.info("Not sending to %d bounced address(es)", len(suppressed))
        if not message.to:
            return
    alternatives = [
        [content, mimetype]
        for content, mimetype in getattr(message, "alternatives", [])
        if isinstance(content, str)
    ]
    deliver_email.enqueue(
        subject=str(message.subject),
        body=str(message.body),
        from_email=message.from_email,
        to=list(message.to),
        cc=list(message.cc),
        reply_to=list(message.reply_to),
        headers=dict(message.extra_headers),
        alternatives=alternatives,
        content_subtype=message.content_subtype,
    )


def suppress_address(address: str, reason: str) -> None:
    """Stop sending to an address that bounced or that the receiving server refused for good."""
    SuppressedAddress.objects.get_or_create(email=address.lower()[:254], defaults={"reason": reason[:300]})


# ---------------------------------------------------------------- inbound


@dataclass(frozen=True)
class IngestResult:
    inbound_id: int
    status: str
    ticket_id: int | None
    reason: str = ""


# A bounce names the addresses it could not deliver to (RFC 3464).
_FINAL_RECIPIENT = re.compile(
    rb"^Final-Recipient:\s*rfc822;\s*<?([^\s>]+@[^\s>]+)>?", re.IGNORECASE | re.MULTILINE
)
_FAILED_ACTION = re.compile(rb"^Action:\s*failed", re.IGNORECASE | re.MULTILINE)


def ingest_email(raw: bytes, *, source: str = "smtp") -> IngestResult:
    """Store a raw email, then turn it into a ticket or a reply on one. Never loses the message.

    The raw bytes are committed first, on their own: if anything after fails, the email stays
    `received` with the error as its reason, and retry_received_emails() tries again later.
    """
    inbound = InboundEmail(source=source, size=len(raw))
    inbound.raw.save(f"{uuid.uuid4().hex}.eml", ContentFile(raw), save=False)
    inbound.save()
    try:
        with transaction.atomic():
            return _process(inbound, raw)
    except Exception as error:  # the raw message is safe: report and keep going
        logger.exception("Inbound email %s could not be processed", inbound.pk)
        InboundEmail.objects.filter(pk=inbound.pk).update(
            reason=f"processing failed: {type(error).__name__}"[:300]
        )
        return IngestResult(inbound.pk, InboundEmail.Status.RECEIVED, None, "processing failed")


def _finish(inbound: InboundEmail, status: str, reason: str = "", ticket: Any = None) -> IngestResult:
    inbound.status = status
    inbound.reason = reason[:300]
    inbound.ticket = ticket
    inbound.save()
    return IngestResult(inbound.pk, status, ticket.pk if ticket else None, reason)


def _our_addresses() -> set[str]:
    return {
        settings.DEFAULT_FROM_EMAIL.lower(),
        *(address.lower() for address in settings.INBOUND_EMAIL_ADDRESSES),
    }


def _process(inbound: InboundEmail, raw: bytes) -> IngestResult:
    parsed = parse_message(raw)
    inbound.message_id = parsed.message_id[:300]
    inbound.from_email = parsed.from_email[:254]
    inbound.subject = parsed.subject[:300]
    inbound.defects = parsed.defects[:50]
    if parsed.message_id and (
        InboundEmail.objects.filter(message_id=parsed.message_id)
        .exclude(pk=inbound.pk)
        .exclude(status=InboundEmail.Status.RECEIVED)
        .exists()
    ):
        return _finish(inbound, InboundEmail.Status.DUPLICATE, "already received")
    if parsed.is_auto_reply:
        if parsed.auto_reply_reason == "delivery-status" and _FAILED_ACTION.search(raw):
            for address in {
                match.decode("ascii", "replace").lower() for match in _FINAL_RECIPIENT.findall(raw)
            }:
                suppress_address(address, "bounced")
        return _finish(inbound, InboundEmail.Status.IGNORED, parsed.auto_reply_reason or "automatic")
    if parsed.from_email.lower() in _our_addresses():
        return _finish(inbound, InboundEmail.Status.IGNORED, "loop: sent from our own address")
    if not parsed.ok or not parsed.from_email:
        ticket = _open_flagged_ticket(inbound, parsed, raw)
        return _finish(inbound, InboundEmail.Status.OPENED, "unreadable: kept raw and flagged", ticket)

    ticket = ticket_queries.ticket_for_email([parsed.in_reply_to, *parsed.references], parsed.ticket_token)
    sender = customer_for_email(parsed.from_email, parsed.from_name)
    body, metadata = _message_fields(parsed, inbound)
    uploads = [
        Upload(
            name=item.filename or "attachment",
            stream=io.BytesIO(item.data),
            size=len(item.data),
            accept_any_type=True,
        )
        for item in parsed.attachments
    ]
    if ticket is not None and not ticket_queries.is_email_participant(ticket, parsed.from_email):
        return _finish(
            inbound, InboundEmail.Status.HELD, "the sender is not a participant of this ticket", ticket
        )
    if ticket is not None and ticket.status != "closed":
        message = _with_attachments(
            lambda files: ticket_actions.add_message(
                ticket,
                sender,
                body,
                channel="email",
                uploads=files,
                email_message_id=parsed.message_id,
                metadata=metadata,
            ),
            uploads,
            metadata,
        )
        return _finish(inbound, InboundEmail.Status.APPENDED, "", message.ticket)
    subject = parsed.subject or gettext("(no subject)")
    if ticket is not None:  # a reply to a closed ticket opens a follow-up
        metadata["follow_up_of"] = ticket.reference
        body = gettext("Follow-up to %(reference)s.") % {"reference": ticket.reference} + "\n\n" + body
    new_ticket = _with_attachments(
        lambda files: ticket_actions.open_ticket(
            sender,
            ticket_actions.NewTicket(
                subject=subject,
                body=body or gettext("(The email had no text.)"),
                channel="email",
                uploads=files,
                email_message_id=parsed.message_id,
                metadata=metadata,
            ),
        ),
        uploads,
        metadata,
    )
    return _finish(inbound, InboundEmail.Status.OPENED, "", new_ticket)


def _message_fields(parsed: Any, inbound: InboundEmail) -> tuple[str, dict[str, Any]]:
    """The new text of an email (quoted history and signature folded away) and what the thread keeps
    about it: the sender as written, the folded part, and the stored original."""
    body, quoted = split_quoted(parsed.text)
    return body, {
        "from_email": parsed.from_email,
        "from_name": parsed.from_name,
        "cc": parsed.cc[:20],
        "quoted": quoted[:20000],
        "inbound_email_id": inbound.pk,
    }


def _with_attachments(create: Any, uploads: list[Upload], metadata: dict[str, Any]) -> Any:
    """Create with the email's files; if they break a limit, without them, saying so (the raw email
    still holds them)."""
    try:
        with transaction.atomic():
            return create(uploads)
    except ticket_actions.TicketError as error:
        if not uploads:
            raise
        metadata["attachments_not_kept"] = str(error)
        return create([])


def _open_flagged_ticket(inbound: InboundEmail, parsed: Any, raw: bytes) -> Any:
    address = parsed.from_email or f"unknown-sender@{settings.DEFAULT_FROM_EMAIL.rpartition('@')[2]}"
    requester = customer_for_email(address, parsed.from_name)
    ticket = ticket_actions.open_ticket(
        requester,
        ticket_actions.NewTicket(
            subject=parsed.subject or gettext("Unreadable email"),
            body=gettext("This email could not be read completely (%(problems)s). The original is attached.")
            % {"problems": "; ".join(parsed.defects[:5]) or gettext("unknown format")},
            channel="email",
            uploads=[
                Upload(name="original.eml", stream=io.BytesIO(raw), size=len(raw), accept_any_type=True)
            ],
            email_message_id=parsed.message_id,
            metadata={"inbound_email_id": inbound.pk, "flagged": True},
        ),
    )
    ticket_actions.set_tags(ticket, None, ["unparsed-email"])
    return ticket


def retry_received_emails(older_than: timedelta = timedelta(minutes=5)) -> int:
    """Process again the emails whose processing failed (they are still `received`)."""
    cutoff = timezone.now() - older_than
    count = 0
    for inbound in InboundEmail.objects.filter(status=InboundEmail.Status.RECEIVED, received_at__lte=cutoff)[
        :100
    ]:
        with inbound.raw.open("rb") as stream:
            raw = stream.read()
        try:
            with transaction.atomic():
                _process(inbound, raw)
            count += 1
        except Exception:  # it stays received, with the earlier reason
            logger.exception("Inbound email %s failed again", inbound.pk)
    return count


def release_held_email(inbound: InboundEmail, agent: Any) -> Any:
    """An agent confirms a held email belongs on its ticket: it is added, from its real sender."""
    if inbound.status != InboundEmail.Status.HELD or inbound.ticket is None:
        raise ticket_actions.TicketError(gettext("Only held emails can be released."))
    with inbound.raw.open("rb") as stream:
        parsed = parse_message(stream.read())
    body, metadata = _message_fields(parsed, inbound)
    with transaction.atomic():
        message = ticket_actions.add_message(
            inbound.ticket,
            customer_for_email(parsed.from_email, parsed.from_name),
            body or gettext("(The email had no text.)"),
            channel="email",
            email_message_id=parsed.message_id,
            metadata={**metadata, "released_by": agent.pk},
        )
        inbound.status = InboundEmail.Status.RELEASED
        inbound.handled_by = agent
        inbound.save()
    return message


def discard_held_email(inbound: InboundEmail, agent: Any) -> None:
    if inbound.status != InboundEmail.Status.HELD:
        raise ticket_actions.TicketError(gettext("Only held emails can be discarded."))
    inbound.status = InboundEmail.Status.DISCARDED
    inbound.handled_by = agent
    inbound.save()
