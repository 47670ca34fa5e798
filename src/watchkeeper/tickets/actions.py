"""Every write to tickets, messages, attachments and ratings goes through here, whatever the channel.

Channel adapters (the web form, email, chat, Telegram) call open_ticket() and add_message(); nothing
after that knows where a message came from except by its `channel`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from watchkeeper.core import files
from watchkeeper.core.compiled import CompiledInsert
from watchkeeper.realtime.broker import publish
from watchkeeper.realtime.events import Event
from watchkeeper.realtime.events import Notification as NotificationEvent
from watchkeeper.search import analysis
from watchkeeper.tickets import emails, queries, schemas
from watchkeeper.tickets.categories import CATEGORIES, clean_details
from watchkeeper.tickets.events import TicketMessageAdded, TicketUpdated
from watchkeeper.tickets.models import (
    FINISHED_STATUSES,
    PAUSED_STATUSES,
    Attachment,
    Channel,
    Message,
    Notification,
    Priority,
    Rating,
    Status,
    Tag,
    Ticket,
    TicketLink,
)
from watchkeeper.tickets.rendering import render_message
from watchkeeper.webhooks import actions as webhooks

# Per file, by kind, and for all the files of one message together. A screen recording is the
# largest thing a customer usefully sends.
FILE_LIMITS = {
    files.IMAGE: 10 * 1024 * 1024,
    files.VIDEO: 100 * 1024 * 1024,
    files.FILE: 20 * 1024 * 1024,
}
MESSAGE_LIMIT = 150 * 1024 * 1024
MAX_FILES_PER_MESSAGE = 10
MAX_BODY_CHARACTERS = 50_000


class TicketError(ValueError):
    """A request we refuse, with a message that says why (shown to the person who made it)."""

    def __init__(self, message: str, *, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class Upload:
    """A file to attach: a name to show and a readable binary stream."""

    name: str
    stream: IO[bytes]
    size: int
    # Files arriving by email are kept whatever they are (served only as downloads); the web form
    # refuses what we cannot check.
    accept_any_type: bool = False


@dataclass
class _CheckedUpload:
    upload: Upload
    file_type: files.FileType


@dataclass(frozen=True)
class NewTicket:
    subject: str
    body: str
    category: str = "other"
    details: Mapping[str, str] = field(default_factory=dict)
    channel: str = Channel.WEB
    language: str = ""
    priority: int | None = None
    context_url: str = ""
    uploads: Sequence[Upload] = ()
    email_message_id: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # A live chat's bot answers first: routing, SLA clocks and the acknowledgement wait until the chat
    # is handed to a person (release_held_ticket), or the bot's answer settles it.
    hold: bool = False
    client_id: str | None = None


def _next_event_id(ticket: Ticket) -> int:
    return _update_and_number(ticket, (), events=1)


# Per (database vendor, columns): the UPDATE that _update_and_number() runs.
_NUMBERING_SQL: dict[tuple[str, tuple[str, ...]], str] = {}


def _update_and_number(ticket: Ticket, fields: Sequence[str], *, events: int) -> int:
    """Write the ticket's `fields` and take `events` event ids, in one statement; returns the first id.

    The counter is incremented in the database, so concurrent writers never share an id, and read back
    with RETURNING (SQLite 3.35+, PostgreSQL), which Django's save() and update() cannot do: numbering
    cost an UPDATE and a SELECT per event, each compiled by the ORM, and with the ticket's save that was
    a fifth of a chat message's server CPU (benchmarks/chat_load.py). Only `fields` are written, so a
    stale copy of the ticket elsewhere in the transaction cannot undo other columns or the counter.
    """
    connection = connections[router.db_for_write(Ticket, instance=ticket)]
    written = [field for field in Ticket._meta.concrete_fields if field.name in fields]
    values = [field.get_db_prep_save(field.pre_save(ticket, False), connection) for field in written]
    key = (connection.vendor, tuple(field.name for field in written))
    sql = _NUMBERING_SQL.get(key)
    if sql is None:
        sql = _NUMBERING_SQL[key] = _numbering_sql(connection, written)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, events, ticket.pk])
        row = cursor.fetchone()
    if row is None:
        raise DatabaseError(f"Ticket {ticket.pk} no longer exists.")
    ticket.last_event_id = row[0]
    return ticket.last_event_id - events + 1


def _numbering_sql(connection: BaseDatabaseWrapper, written: Sequence[Field[Any, Any]]) -> str:
    def column(field: Any) -> str:
        return connection.ops.quote_name(field.column)

    counter = column(Ticket._meta.get_field("last_event_id"))
    assignments = [f"{column(field)} = %s" for field in written] + [f"{counter} = {counter} + %s"]
    # Names from the model, quoted; every value is a parameter.
    return (
        f"UPDATE {connection.ops.quote_name(Ticket._meta.db_table)} SET {', '.join(assignments)}"  # noqa: S608
        f" WHERE {column(Ticket._meta.pk)} = %s RETURNING {counter}"
    )


def _publish(ticket: Ticket, event: Event) -> None:
    """Tell the ticket's open pages, and the exchange's systems that subscribed to webhooks."""
    publish(f"ticket.{ticket.pk}", event)
    if isinstance(event, TicketUpdated):
        webhooks.emit(
            "ticket.updated",
            lambda: {"ticket": _ticket_payload(ticket), "changed": list(event.changed)},
        )
    elif isinstance(event, TicketMessageAdded):
        webhooks.emit(
            "message.created",
            lambda: {
                "ticket": _ticket_payload(ticket),
                "message": schemas.message_out(
                    Message.objects.select_related("author")
                    .prefetch_related("attachments")
                    .get(pk=event.message_id),
                    ticket.reference,
                ).dict(),
            },
        )


def _ticket_payload(ticket: Ticket) -> dict[str, Any]:
    fresh = queries.ticket_with_relations(ticket.pk)
    return schemas.ticket_out(fresh, for_staff=True).dict()


def check_uploads(uploads: Sequence[Upload]) -> list[_CheckedUpload]:
    """The uploads with their real types; refused, naming the limit, when one is too big or unknown."""
    if len(uploads) > MAX_FILES_PER_MESSAGE:
        raise TicketError(
            _("At most %(count)d files can be attached to one message.") % {"count": MAX_FILES_PER_MESSAGE}
        )
    total = sum(upload.size for upload in uploads)
    if total > MESSAGE_LIMIT:
        raise TicketError(
            _("These files come to %(size)s; one message may carry at most %(limit)s.")
            % {"size": filesizeformat(total), "limit": filesizeformat(MESSAGE_LIMIT)}
        )
    checked = []
    for upload in uploads:
        file_type = files.sniff(upload.stream, allow_text=True)
        if file_type is None:
            if not upload.accept_any_type:
                raise TicketError(
                    _(
                        "%(name)s cannot be attached: send images (PNG, JPEG, GIF, WebP), videos (MP4,"
                        " WebM, MOV), PDF or plain-text files."
                    )
                    % {"name": upload.name}
                )
            file_type = files.FileType(files.FILE, "application/octet-stream", "bin")
        limit = FILE_LIMITS[file_type.kind]
        if upload.size > limit and not upload.accept_any_type:
            raise TicketError(
                _("%(name)s is %(size)s; files of this kind may be at most %(limit)s.")
                % {"name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        checked.append(_CheckedUpload(upload, file_type))
    return checked


def _store_attachments(message: Message, checked: Iterable[_CheckedUpload]) -> list[Attachment]:
    stored = []
    for item in checked:
        attachment = Attachment(
            message=message,
            kind=item.file_type.kind,
            filename=Path(item.upload.name).name[:200] or "file",
            content_type=item.file_type.content_type,
            size=item.upload.size,
        )
        item.upload.stream.seek(0)
        attachment.file.save(
            f"{uuid.uuid4().hex}.{item.file_type.extension}", File(item.upload.stream), save=False
        )
        attachment.save()
        stored.append(attachment)
    return stored


def _clean_body(body: str) -> str:
    body = body.strip()
    if len(body) > MAX_BODY_CHARACTERS:
        raise TicketError(
            _("A message may be at most %(count)d characters; attach longer text as a file.")
            % {"count": MAX_BODY_CHARACTERS}
        )
    return body


def open_ticket(requester: Any, new: NewTicket, *, now: datetime | None = None) -> Ticket:
    """Open a ticket with its first message from the customer."""
    subject = " ".join(new.subject.split())[:300]
    body = _clean_body(new.body)
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = _("Give the ticket a subject.")
    if not body and not new.uploads:
        errors["body"] = _("Describe the problem.")
    if new.category not in CATEGORIES:
        errors["category"] = _("Choose a category from the list.")
        details: dict[str, str] = {}
    else:
        details, detail_errors = clean_details(new.category, new.details)
        errors.update(detail_errors)
    if errors:
        raise TicketError(_("Some details are missing or not valid."), errors=errors)
    checked = check_uploads(new.uploads)
    language = new.language if new.language in analysis.LANGUAGES else ""
    if not language:
        language = analysis.detect_language(f"{subject}\n{body}", default=requester.preferred_language)
    moment = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            subject=subject,
            channel=new.channel,
            category=new.category,
            fields=details,
            language=language,
            priority=new.priority or Priority.NORMAL,
            requester=requester,
            context_url=new.context_url[:300],
            last_customer_message_at=moment,
        )
        message = Message.objects.create(
            ticket=ticket,
            author=requester,
            channel=new.channel,
            body=body,
            body_html=render_message(body),
            email_message_id=new.email_message_id[:300],
            metadata=dict(new.metadata),
            client_id=new.client_id or None,
        )
        _store_attachments(message, checked)
        if not new.hold:
            route_ticket(ticket, now=moment)
            start_sla(ticket, moment)
        ticket.save()
        if not new.hold:
            _send_acknowledgement(ticket)
        webhooks.emit("ticket.created", lambda: {"ticket": _ticket_payload(ticket)})
        _publish_message_added(ticket, message)
    return ticket


def _publish_message_added(ticket: Ticket, message: Message, event_id: int | None = None) -> None:
    _publish(
        ticket,
        TicketMessageAdded(
            id=_next_event_id(ticket) if event_id is None else event_id,
            ticket_id=ticket.pk,
            message_id=message.pk,
            kind=message.kind,  # type: ignore[arg-type]  # one of Message.Kind's values
            from_staff=message.from_staff,
        ),
    )


def route_ticket(ticket: Ticket, *, now: datetime | None = None) -> None:
    """Choose the team (first matching rule) and, where the rule says so, the agent.

    A VIP customer's dedicated account manager gets their tickets first, whatever the rules say; the
    team still comes from the rules so colleagues can step in.
    """
    moment = now or timezone.now()
    profile = getattr(ticket.requester, "customer_profile", None)
    vip_tier = profile.vip_tier if profile else 0
    rule = queries.matching_rule(ticket, vip_tier)
    if rule is not None:
        ticket.team = rule.team
    assignee = queries.account_manager_of(ticket.requester) if vip_tier else None
    if assignee is None and rule is not None and rule.auto_assign:
        assignee = queries.next_agent(rule.team_id, ticket.language)
    if assignee is not None:
        ticket.assignee = assignee
        ticket.assigned_at = moment
        ticket.status = Status.OPEN
    ticket.save()


# What add_message() may change on the ticket (and `updated_at`): the status, the conversation's
# clocks, the SLA's. Those that changed are written.
_MESSAGE_FIELDS = (
    "status",
    "solved_at",
    "closed_at",
    "first_response_at",
    "last_customer_message_at",
    "last_agent_message_at",
    "reminded_at",
    "first_response_due",
    "next_response_due",
    "resolution_due",
    "sla_due",
    "sla_paused_at",
    "sla_warned",
    "sla_breached",
)
# The chat writer stores a message per chat message: compiling its INSERT each time was a tenth of that.
_INSERT_MESSAGE = CompiledInsert(Message)


def add_message(
    ticket: Ticket,
    author: Any,
    body: str,
    *,
    kind: str = Message.Kind.PUBLIC,
    channel: str = Channel.WEB,
    uploads: Sequence[Upload] = (),
    email_message_id: str = "",
    metadata: Mapping[str, Any] | None = None,
    new_status: str | None = None,
    now: datetime | None = None,
    client_id: str | None = None,
    notify_by_email: bool = True,
) -> Message:
    """Add a reply or an internal note. The caller has checked that `author` may write here.

    A customer's message puts a ticket that waited on them, or was solved, back in the agents' hands;
    an agent's first public reply stamps the first response.

    `client_id` makes the call idempotent: a message already stored on this ticket with that id is
    returned as it is (a chat client resends what it saw no acknowledgement for). `notify_by_email`
    False skips the reply email and the notification-centre entries: in a live chat both sides read
    each message as it arrives.
    """
    message, _resent = add_message_once(
        ticket,
        author,
        body,
        kind=kind,
        channel=channel,
        uploads=uploads,
        email_message_id=email_message_id,
        metadata=metadata,
        new_status=new_status,
        now=now,
        client_id=client_id,
        notify_by_email=notify_by_email,
    )
    return message


def add_message_once(
    ticket: Ticket,
    author: Any,
    body: str,
    *,
    kind: str = Message.Kind.PUBLIC,
    channel: str = Channel.WEB,
    uploads: Sequence[Upload] = (),
    email_message_id: str = "",
    metadata: Mapping[str, Any] | None = None,
    new_status: str | None = None,
    now: datetime | None = None,
    client_id: str | None = None,
    notify_by_email: bool = True,
) -> tuple[Message, bool]:
    """add_message(), telling a resend apart: (message, True) when a message with `client_id` was
    stored on the ticket before, and then nothing is written and no event published. A chat needs to
    know (the bot answers a message once), and a second lookup to find out cost a query per message."""
    if client_id:
        existing = queries.client_message(ticket.pk, client_id)
        if existing is not None:
            return existing, True
    body = _clean_body(body)
    if not body and not uploads:
        raise TicketError(_("Write a message or attach a file."))
    from_staff = queries.is_ticket_staff(author)
    if kind == Message.Kind.NOTE and not from_staff:
        raise TicketError(_("Only agents can write internal notes."))
    if ticket.status == Status.CLOSED:
        raise TicketError(
            _("This ticket is closed. Open a new ticket and mention %(reference)s.")
            % {"reference": ticket.reference}
        )
    checked = check_uploads(uploads)
    moment = now or timezone.now()
    if kind == Message.Kind.PUBLIC and from_staff and not email_message_id:
        # Stored with the Message-ID its email will carry, so the customer's answer threads to it.
        email_message_id = emails.new_message_id(ticket)
    with transaction.atomic():
        message = Message(
            ticket=ticket,
            kind=kind,
            author=author,
            from_staff=from_staff,
            channel=channel,
            body=body,
            body_html=render_message(body),
            email_message_id=email_message_id[:300],
            metadata=dict(metadata or {}),
            client_id=client_id or None,
        )
        _INSERT_MESSAGE.save(message)
        _store_attachments(message, checked)
        before = [getattr(ticket, name) for name in _MESSAGE_FIELDS]
        changed: list[str] = []
        if kind == Message.Kind.PUBLIC:
            if from_staff:
                ticket.last_agent_message_at = moment
                if ticket.first_response_at is None:
                    ticket.first_response_at = moment
                status = new_status or (Status.PENDING if ticket.status != Status.ON_HOLD else Status.ON_HOLD)
            else:
                ticket.last_customer_message_at = moment
                ticket.reminded_at = None
                status = Status.OPEN if ticket.status != Status.NEW else Status.NEW
            if status != ticket.status:
                _set_status(ticket, status, moment)
                changed.append("status")
        elif new_status and new_status != ticket.status:
            _set_status(ticket, new_status, moment)
            changed.append("status")
        if kind == Message.Kind.PUBLIC:
            _sla_message_added(ticket, from_staff, moment)
        written = [
            name for name, old in zip(_MESSAGE_FIELDS, before, strict=True) if getattr(ticket, name) != old
        ]
        # The message's event and, if the status changed, the ticket's: numbered with the ticket's save.
        event_id = _update_and_number(ticket, [*written, "updated_at"], events=2 if changed else 1)
        if kind == Message.Kind.PUBLIC and from_staff:
            if notify_by_email:
                _send_reply(ticket, message)
        elif kind == Message.Kind.NOTE:
            _notify_mentions(ticket, message)
        elif notify_by_email and ticket.assignee_id and ticket.assignee_id != getattr(author, "pk", None):
            notify(
                ticket.assignee,
                _("%(reference)s: the customer replied") % {"reference": ticket.reference},
                body=ticket.subject,
                url=_ticket_console_url(ticket),
                ticket=ticket,
                kind="customer_reply",
            )
        _publish_message_added(ticket, message, event_id)
        if changed:
            _publish(ticket, TicketUpdated(id=event_id + 1, ticket_id=ticket.pk, changed=changed))
    return message, False


def add_bot_message(
    ticket: Ticket,
    body: str,
    *,
    kind: str = Message.Kind.PUBLIC,
    channel: str = Channel.CHAT,
    metadata: Mapping[str, Any] | None = None,
) -> Message:
    """A message the chat bot or another automation writes for the customer: no author, shown as the
    exchange's (from_staff) with the bot's mark. It sends no email and is no person's first response,
    so SLA clocks keep running until an agent answers."""
    body = _clean_body(body)
    with transaction.atomic():
        message = Message.objects.create(
            ticket=ticket,
            kind=kind,
            from_staff=True,
            from_bot=True,
            channel=channel,
            body=body,
            body_html=render_message(body) if kind != Message.Kind.EVENT else "",
            metadata=dict(metadata or {}),
        )
        _publish_message_added(ticket, message)
    return message


@transaction.atomic
def release_held_ticket(
    ticket: Ticket,
    *,
    team: Any | None = None,
    route: bool = False,
    category: str | None = None,
    language: str | None = None,
    acknowledge: bool = False,
    now: datetime | None = None,
) -> None:
    """Start what open_ticket(hold=True) left for later, once a chat needs a person.

    `route` lets the routing rules choose the team and maybe an agent, as for any new ticket (a chat
    that became a left message); otherwise `team` is the queue the chat waits in, and the chat app
    offers it to an agent itself. SLA clocks start at `now`: the moment the customer asked for a person.
    """
    moment = now or timezone.now()
    if category is not None and category in CATEGORIES:
        ticket.category = category
    if language is not None and language in analysis.LANGUAGES:
        ticket.language = language
    if route:
        route_ticket(ticket, now=moment)
    elif team is not None:
        ticket.team = team
    if ticket.sla_policy_id is None:  # started once; a later release (queue, then message) keeps it
        start_sla(ticket, moment)
    ticket.save()
    if acknowledge:
        _send_acknowledgement(ticket)
    _publish(
        ticket,
        TicketUpdated(
            id=_next_event_id(ticket), ticket_id=ticket.pk, changed=["team", "assignee", "category", "sla"]
        ),
    )


def _set_status(ticket: Ticket, status: str, moment: datetime) -> None:
    if status not in Status.values:
        raise TicketError(_("Unknown status."))
    _sla_status_changed(ticket, ticket.status, status, moment)
    ticket.status = status
    if status == Status.SOLVED:
        ticket.solved_at = moment
    elif status == Status.CLOSED:
        ticket.closed_at = moment
    elif status not in FINISHED_STATUSES:
        ticket.solved_at = None
        ticket.closed_at = None


def _record_event(ticket: Ticket, actor: Any, text: str, changed: list[str]) -> None:
    """A line in the thread saying what changed, and the real-time event for open pages."""
    Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.EVENT,
        author=actor,
        from_staff=queries.is_ticket_staff(actor),
        body=text,
    )
    _publish(ticket, TicketUpdated(id=_next_event_id(ticket), ticket_id=ticket.pk, changed=changed))


@transaction.atomic
def change_status(
    ticket: Ticket, actor: Any, status: str, *, now: datetime | None = None, notify_customer: bool = True
) -> None:
    """`notify_customer` False: the customer saw the change happen (a live chat that ended)."""
    if status == ticket.status:
        return
    _set_status(ticket, status, now or timezone.now())
    ticket.save()
    _record_event(
        ticket, actor, _("Status changed to %(status)s.") % {"status": Status(status).label}, ["status"]
    )
    # The customer hears of changes made by the exchange, not of the ones they made themselves.
    if notify_customer and getattr(actor, "pk", None) != ticket.requester_id and status != Status.NEW:
        _send_status_change(ticket)


@transaction.atomic
def set_priority(ticket: Ticket, actor: Any, priority: int) -> None:
    if priority not in Priority.values:
        raise TicketError(_("Unknown priority."))
    if priority == ticket.priority:
        return
    ticket.priority = priority
    _sla_priority_changed(ticket)
    ticket.save()
    _record_event(
        ticket,
        actor,
        _("Priority set to %(priority)s.") % {"priority": Priority(priority).label},
        ["priority"],
    )


@transaction.atomic
def assign_ticket(ticket: Ticket, actor: Any, assignee: Any | None) -> None:
    """Give the ticket to an agent (or to nobody). The assignee must be able to work tickets."""
    if assignee is not None and not queries.is_ticket_staff(assignee):
        raise TicketError(_("Tickets can only be assigned to agents."))
    if (assignee.pk if assignee else None) == ticket.assignee_id:
        return
    ticket.assignee = assignee
    ticket.assigned_at = timezone.now() if assignee is not None else None
    if ticket.status == Status.NEW and assignee is not None:
        ticket.status = Status.OPEN
    ticket.save()
    text = (
        _("Assigned to %(name)s.") % {"name": assignee.get_short_name() or assignee.email}
        if assignee
        else _("Unassigned.")
    )
    _record_event(ticket, actor, text, ["assignee"])
    if assignee is not None and assignee.pk != getattr(actor, "pk", None):
        notify(
            assignee,
            _("%(reference)s was assigned to you") % {"reference": ticket.reference},
            body=ticket.subject,
            url=_ticket_console_url(ticket),
            ticket=ticket,
            kind="assigned",
        )


@transaction.atomic
def set_tags(ticket: Ticket, actor: Any, names: Iterable[str]) -> None:
    wanted = sorted({" ".join(name.split()).lower()[:50] for name in names if name.strip()})
    tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
    ticket.tags.set(tags)
    _publish(ticket, TicketUpdated(id=_next_event_id(ticket), ticket_id=ticket.pk, changed=["tags"]))


def close_ticket(ticket: Ticket, actor: Any, *, now: datetime | None = None) -> None:
    """The customer says the matter is settled."""
    if ticket.status == Status.CLOSED:
        return
    change_status(ticket, actor, Status.SOLVED, now=now)


def reopen_window() -> timedelta:
    return timedelta(days=settings.TICKET_REOPEN_DAYS)


def reopen_ticket(ticket: Ticket, actor: Any, *, now: datetime | None = None) -> None:
    """Back to open, if it was solved recently enough; after that the customer opens a new ticket."""
    moment = now or timezone.now()
    if ticket.status != Status.SOLVED or ticket.solved_at is None:
        raise TicketError(_("Only a solved ticket can be reopened."))
    if moment - ticket.solved_at > reopen_window():
        raise TicketError(
            _("This ticket was solved more than %(days)d days ago; please open a new one.")
            % {"days": settings.TICKET_REOPEN_DAYS}
        )
    change_status(ticket, actor, Status.OPEN, now=moment)


@transaction.atomic
def rate_ticket(ticket: Ticket, customer: Any, score: int, comment: str = "") -> Rating:
    if ticket.status not in FINISHED_STATUSES:
        raise TicketError(_("You can rate a ticket once it is solved."))
    if not 1 <= score <= 5:
        raise TicketError(_("Choose a rating from 1 to 5."))
    rating, _created = Rating.objects.update_or_create(
        ticket=ticket, defaults={"score": score, "comment": comment.strip()[:2000]}
    )
    _publish(ticket, TicketUpdated(id=_next_event_id(ticket), ticket_id=ticket.pk, changed=["rating"]))
    return rating


@transaction.atomic
def merge_tickets(source: Ticket, target: Ticket, actor: Any) -> None:
    """Fold a duplicate into another ticket of the same customer: its messages move, it closes.

    Only tickets of one requester merge, or a customer would read another customer's messages.
    """
    if source.pk == target.pk:
        raise TicketError(_("A ticket cannot be merged into itself."))
    if source.requester_id != target.requester_id:
        raise TicketError(_("Only tickets of the same customer can be merged."))
    if target.merged_into_id is not None:
        raise TicketError(
            _("%(reference)s was itself merged; merge into the ticket it went to.")
            % {"reference": target.reference}
        )
    Message.objects.filter(ticket=source).update(ticket=target)
    Ticket.objects.filter(merged_into=source).update(merged_into=target)
    source.merged_into = target
    _set_status(source, Status.CLOSED, timezone.now())
    source.save()
    _record_event(
        source, actor, _("Merged into %(reference)s.") % {"reference": target.reference}, ["merged"]
    )
    if target.is_finished:
        _set_status(target, Status.OPEN, timezone.now())
    target.save()
    _record_event(
        target,
        actor,
        _("%(reference)s was merged into this ticket.") % {"reference": source.reference},
        ["merged"],
    )


@transaction.atomic
def link_tickets(source: Ticket, target: Ticket, kind: str, actor: Any) -> TicketLink:
    """Link two tickets (any customers'): shown to agents on both, never to customers."""
    if source.pk == target.pk:
        raise TicketError(_("A ticket cannot be linked to itself."))
    if kind not in TicketLink.Kind.values:
        raise TicketError(_("Choose how the tickets are linked."))
    already = TicketLink.objects.filter(source=source, target=target) | TicketLink.objects.filter(
        source=target, target=source
    )
    if already.exists():
        raise TicketError(
            _("%(first)s and %(second)s are already linked.")
            % {"first": source.reference, "second": target.reference}
        )
    link = TicketLink.objects.create(source=source, target=target, kind=kind, created_by=actor)
    for ticket in (source, target):
        _publish(ticket, TicketUpdated(id=_next_event_id(ticket), ticket_id=ticket.pk, changed=["links"]))
    return link


@transaction.atomic
def unlink_tickets(link: TicketLink) -> None:
    source, target = link.source, link.target
    link.delete()
    for ticket in (source, target):
        _publish(ticket, TicketUpdated(id=_next_event_id(ticket), ticket_id=ticket.pk, changed=["links"]))


def bulk_update(
    tickets: Iterable[Ticket],
    actor: Any,
    *,
    status: str = "",
    priority: int | None = None,
    assignee: Any | None = None,
    add_tag: str = "",
) -> int:
    """Apply the same changes to several tickets, each recorded in its own thread. Returns the count."""
    count = 0
    for ticket in tickets:
        with transaction.atomic():
            if assignee is not None:
                assign_ticket(ticket, actor, assignee)
            if status:
                change_status(ticket, actor, status)
            if priority:
                set_priority(ticket, actor, priority)
            if add_tag.strip():
                set_tags(ticket, actor, [*ticket.tags.values_list("name", flat=True), add_tag])
        count += 1
    return count


@transaction.atomic
def move_to_team(ticket: Ticket, actor: Any, team: Any | None) -> None:
    if (team.pk if team else None) == ticket.team_id:
        return
    ticket.team = team
    ticket.save(update_fields=["team", "updated_at"])
    text = _("Moved to team %(team)s.") % {"team": team.name} if team else _("Removed from its team.")
    _record_event(ticket, actor, text, ["team"])


@transaction.atomic
def escalate_ticket(ticket: Ticket, actor: Any, team: Any, reason: str) -> None:
    """Hand the case to an expert team. It stays the same ticket, so the experts read its whole history;
    the reason goes in as an internal note and the team's next available agent takes it."""
    if not reason.strip():
        raise TicketError(_("Say why the ticket is escalated, for the experts."))
    if team.pk == ticket.team_id:
        raise TicketError(_("The ticket is already with %(team)s.") % {"team": team.name})
    note = _clean_body(reason)
    Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.NOTE,
        author=actor,
        from_staff=True,
        body=note,
        body_html=render_message(note),
    )
    ticket.team = team
    ticket.assignee = queries.next_agent(team.pk, ticket.language)
    ticket.assigned_at = timezone.now() if ticket.assignee else None
    if ticket.is_finished:
        _set_status(ticket, Status.OPEN, timezone.now())
    ticket.save()
    _record_event(ticket, actor, _("Escalated to %(team)s.") % {"team": team.name}, ["team", "assignee"])


# ---------------------------------------------------------------- SLA clocks

SLA_TARGETS = ("first_response", "next_response", "resolution")
_CLOCK_STOPPED = PAUSED_STATUSES | FINISHED_STATUSES


def _minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


def start_sla(ticket: Ticket, moment: datetime) -> None:
    """Match the ticket's SLA policy and set its first-response and resolution deadlines."""
    profile = getattr(ticket.requester, "customer_profile", None)
    policy = queries.matching_policy(ticket, profile.vip_tier if profile else 0)
    ticket.sla_policy = policy
    if policy is not None:
        calendar = queries.sla_calendar(ticket, policy)
        if ticket.first_response_at is None:
            ticket.first_response_due = calendar.add_business_time(
                moment, _minutes(policy.first_response_minutes)
            )
        ticket.resolution_due = calendar.add_business_time(moment, _minutes(policy.resolution_minutes))
    else:
        ticket.first_response_due = ticket.next_response_due = ticket.resolution_due = None
    _refresh_sla_due(ticket)


def _refresh_sla_due(ticket: Ticket) -> None:
    """The next moment the SLA job must look at the ticket: a warning or a breach not yet fired."""
    policy = ticket.sla_policy
    if policy is None or ticket.sla_paused_at is not None:
        ticket.sla_due = None
        return
    moments = []
    for target in SLA_TARGETS:
        due = getattr(ticket, f"{target}_due")
        if due is None or target in ticket.sla_breached:
            continue
        moments.append(due if target in ticket.sla_warned else due - _minutes(policy.warn_minutes))
    ticket.sla_due = min(moments, default=None)


def _sla_status_changed(ticket: Ticket, old: str, new: str, moment: datetime) -> None:
    """Pending, on hold and solved stop the clocks; going back to work moves every deadline still ahead
    by the working time the clock stood still."""
    if ticket.sla_policy is None:
        return
    stopped_before, stopped_after = old in _CLOCK_STOPPED, new in _CLOCK_STOPPED
    if not stopped_before and stopped_after:
        ticket.sla_paused_at = moment
    elif stopped_before and not stopped_after and ticket.sla_paused_at is not None:
        calendar = queries.sla_calendar(ticket, ticket.sla_policy)
        paused = calendar.business_time_between(ticket.sla_paused_at, moment)
        for target in SLA_TARGETS:
            due = getattr(ticket, f"{target}_due")
            if due is not None and due > ticket.sla_paused_at:
                setattr(ticket, f"{target}_due", calendar.add_business_time(due, paused))
        ticket.sla_paused_at = None
    _refresh_sla_due(ticket)


def _sla_message_added(ticket: Ticket, from_staff: bool, moment: datetime) -> None:
    policy = ticket.sla_policy
    if policy is None:
        return
    if from_staff:
        for target in ("first_response", "next_response"):
            due = getattr(ticket, f"{target}_due")
            if due is not None and moment > due and target not in ticket.sla_breached:
                ticket.sla_breached = [*ticket.sla_breached, target]
            setattr(ticket, f"{target}_due", None)
        # A new reply cycle: the next customer message may be warned about and breached again.
        ticket.sla_warned = [t for t in ticket.sla_warned if t != "next_response"]
        ticket.sla_breached = [t for t in ticket.sla_breached if t != "next_response"]
    elif (
        ticket.first_response_at is not None
        and ticket.next_response_due is None
        and ticket.sla_paused_at is None
    ):
        calendar = queries.sla_calendar(ticket, policy)
        ticket.next_response_due = calendar.add_business_time(moment, _minutes(policy.next_response_minutes))
    _refresh_sla_due(ticket)


def _sla_priority_changed(ticket: Ticket) -> None:
    """A new priority may fall under another policy: its targets then count from the ticket's start."""
    profile = getattr(ticket.requester, "customer_profile", None)
    policy = queries.matching_policy(ticket, profile.vip_tier if profile else 0)
    if policy == ticket.sla_policy:
        return
    paused_at = ticket.sla_paused_at
    start_sla(ticket, ticket.created_at)
    ticket.sla_paused_at = paused_at
    _refresh_sla_due(ticket)


def notify(
    user: Any, title: str, *, body: str = "", url: str = "", ticket: Ticket | None = None, kind: str
) -> None:
    """Keep a notification for the notification centre and push it to the person's open pages."""
    Notification.objects.create(
        user=user, ticket=ticket, kind=kind, title=title[:200], body=body[:500], url=url
    )
    publish(f"user.{user.pk}", NotificationEvent(title=title[:200], body=body[:500], url=url))


def _target_label(target: str) -> str:
    return {
        "first_response": _("first response"),
        "next_response": _("next response"),
        "resolution": _("resolution"),
    }[target]


def _ticket_console_url(ticket: Ticket) -> str:
    return reverse("inbox:ticket", args=[ticket.pk])


def check_sla(now: datetime | None = None) -> int:
    """Fire the warnings and breaches that have come due (run every minute); returns how many fired."""
    moment = now or timezone.now()
    fired = 0
    for ticket_id in list(queries.due_sla_tickets(moment).values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("sla_policy", "team", "assignee", "requester")
                .get(pk=ticket_id)
            )
            fired += _fire_sla_events(ticket, moment)
    return fired


def _fire_sla_events(ticket: Ticket, moment: datetime) -> int:
    policy = ticket.sla_policy
    if policy is None or ticket.sla_paused_at is not None:
        _refresh_sla_due(ticket)
        ticket.save(update_fields=["sla_due"])
        return 0
    fired = 0
    for target in SLA_TARGETS:
        due = getattr(ticket, f"{target}_due")
        if due is None or target in ticket.sla_breached:
            continue
        if due <= moment:
            _breach(ticket, policy, target, due)
            fired += 1
        elif due - _minutes(policy.warn_minutes) <= moment and target not in ticket.sla_warned:
            ticket.sla_warned = [*ticket.sla_warned, target]
            for person in [ticket.assignee] if ticket.assignee else queries.team_leads(ticket.team_id):
                notify(
                    person,
                    _("%(reference)s: %(target)s due soon")
                    % {"reference": ticket.reference, "target": _target_label(target)},
                    body=ticket.subject,
                    url=_ticket_console_url(ticket),
                    ticket=ticket,
                    kind="sla_warning",
                )
            fired += 1
    _refresh_sla_due(ticket)
    ticket.save()
    return fired


def _breach(ticket: Ticket, policy: Any, target: str, due: datetime) -> None:
    """Record a missed target and escalate as the policy says: priority up, leads told, reassigned."""
    ticket.sla_breached = [*ticket.sla_breached, target]
    changed = ["sla"]
    if policy.raise_priority_on_breach and ticket.priority < Priority.URGENT:
        ticket.priority += 1
        changed.append("priority")
    if policy.reassign_on_breach and ticket.team_id is not None:
        replacement = queries.next_agent(ticket.team_id, ticket.language, exclude=ticket.assignee_id)
        if replacement is not None:
            ticket.assignee = replacement
            ticket.assigned_at = timezone.now()
            changed.append("assignee")
    ticket.save()
    title = _("%(reference)s: %(target)s target missed") % {
        "reference": ticket.reference,
        "target": _target_label(target),
    }
    Message.objects.create(ticket=ticket, kind=Message.Kind.EVENT, from_staff=True, body=title)
    people = (
        {person.pk: person for person in queries.team_leads(ticket.team_id)}
        if policy.notify_lead_on_breach
        else {}
    )
    if ticket.assignee is not None:
        people[ticket.assignee.pk] = ticket.assignee
    for person in people.values():
        notify(
            person,
            title,
            body=ticket.subject,
            url=_ticket_console_url(ticket),
            ticket=ticket,
            kind="sla_breach",
        )
    _publish(ticket, TicketUpdated(id=_next_event_id(ticket), ticket_id=ticket.pk, changed=changed))


# ---------------------------------------------------------------- email to the customer


def _queue(outgoing: emails.OutgoingEmail) -> None:
    # Imported here: the mail app's inbound side calls into these actions, so a top-level import
    # would be circular.
    from watchkeeper.mail.actions import queue_email

    transaction.on_commit(lambda: queue_email(outgoing.message), robust=True)


def _send_acknowledgement(ticket: Ticket) -> None:
    """The automatic answer with the ticket number and the promised response time; recorded in the
    thread (so agents see what was promised) with its Message-ID (so replies to it thread)."""
    outgoing = emails.acknowledgement(ticket)
    Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.EVENT,
        from_staff=True,
        body=_("Acknowledgement sent to %(email)s.") % {"email": outgoing.message.to[0]},
        email_message_id=outgoing.message_id,
    )
    _queue(outgoing)


def _send_reply(ticket: Ticket, message: Message) -> None:
    _queue(emails.reply(ticket, message))
    notify(
        ticket.requester,
        _("New reply on %(reference)s") % {"reference": ticket.reference},
        body=ticket.subject,
        url=_customer_url(ticket),
        ticket=ticket,
        kind="reply",
    )


def _send_status_change(ticket: Ticket) -> None:
    _queue(emails.status_changed(ticket))
    notify(
        ticket.requester,
        _("%(reference)s is now: %(status)s")
        % {"reference": ticket.reference, "status": ticket.customer_status_display},
        body=ticket.subject,
        url=_customer_url(ticket),
        ticket=ticket,
        kind="status",
    )


def _customer_url(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


_MENTION = re.compile(r"(?<![\w@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w.+-]+)")


def _notify_mentions(ticket: Ticket, message: Message) -> None:
    """@alice or @alice@exchange.example in an internal note tells that agent."""
    handles = {match.lower() for match in _MENTION.findall(message.body)}
    if not handles:
        return
    agents = {agent.pk: agent for agent in queries.ticket_agents()}
    for agent in agents.values():
        local = agent.email.lower().partition("@")[0]
        if (agent.email.lower() in handles or local in handles) and agent.pk != message.author_id:
            notify(
                agent,
                _("%(name)s mentioned you on %(reference)s")
                % {
                    "name": message.author.get_short_name() if message.author else "",
                    "reference": ticket.reference,
                },
                body=message.body[:200],
                url=_ticket_console_url(ticket),
                ticket=ticket,
                kind="mention",
            )


def mark_notifications_read(user: Any, notification_ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


def apply_macro_fields(ticket: Ticket, agent: Any, macro: Any) -> None:
    """The field changes a macro makes besides its reply (the reply itself is sent with add_message)."""
    if macro.set_priority:
        set_priority(ticket, agent, macro.set_priority)
    tags = [name for name in macro.add_tags.split(",") if name.strip()]
    if tags:
        set_tags(ticket, agent, [*ticket.tags.values_list("name", flat=True), *tags])


def follow_up_waiting_tickets(now: datetime | None = None) -> dict[str, int]:
    """Tickets waiting on the customer get one reminder, then are solved after more silence; solved
    tickets close for good once the reopening window has passed. Run hourly."""
    moment = now or timezone.now()
    remind_before = moment - timedelta(days=settings.TICKET_PENDING_REMINDER_DAYS)
    solve_before = moment - timedelta(days=settings.TICKET_PENDING_SOLVE_DAYS)
    counts = {"reminded": 0, "solved": 0, "closed": 0}
    waiting = Ticket.objects.filter(status=Status.PENDING).select_related("requester")
    for ticket in waiting.filter(last_agent_message_at__lte=solve_before)[:500]:
        with transaction.atomic():
            change_status(ticket, None, Status.SOLVED, now=moment)
        counts["solved"] += 1
    for ticket in waiting.filter(last_agent_message_at__lte=remind_before, reminded_at__isnull=True)[:500]:
        with transaction.atomic():
            ticket.reminded_at = moment
            ticket.save(update_fields=["reminded_at"])
            _queue(emails.reminder(ticket))
            Message.objects.create(
                ticket=ticket,
                kind=Message.Kind.EVENT,
                from_staff=True,
                body=_("Reminder sent: we are waiting for the customer's answer."),
            )
        counts["reminded"] += 1
    window = reopen_window()
    for ticket in Ticket.objects.filter(status=Status.SOLVED, solved_at__lte=moment - window)[:500]:
        with transaction.atomic():
            _set_status(ticket, Status.CLOSED, moment)
            ticket.save()
        counts["closed"] += 1
    return counts
