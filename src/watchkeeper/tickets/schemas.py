"""How a ticket, its messages and attachments look outside the pages: in /api/v1 and in webhook events.

One shape for both, built by the functions below. `for_staff` decides what a reader sees: customers get
their own ticket without internal notes, SLA deadlines, routing or links to other customers' tickets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.urls import reverse
from ninja import Field, Schema

from watchkeeper.tickets.models import TICKET_PREFIX, Attachment, Message, Priority, Ticket
from watchkeeper.tickets.queries import linked_tickets

PriorityName = Literal["low", "normal", "high", "urgent"]
PRIORITY_NAMES: dict[int, PriorityName] = {
    Priority.LOW: "low",
    Priority.NORMAL: "normal",
    Priority.HIGH: "high",
    Priority.URGENT: "urgent",
}
PRIORITY_VALUES: dict[str, int] = {name: value for value, name in PRIORITY_NAMES.items()}


class PersonOut(Schema):
    id: int
    name: str


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str = Field(description="Found from the file's bytes, not its name.")
    kind: Literal["image", "video", "file"]
    size: int
    download_url: str


class MessageOut(Schema):
    id: int
    ticket: str = Field(description="The ticket number, e.g. WK-000123.")
    kind: Literal["public", "note", "event"]
    from_staff: bool
    author: PersonOut | None
    channel: str
    body: str = Field(description="Markdown as written, with pasted secrets already redacted.")
    body_html: str = Field(description="The body rendered and sanitised.")
    attachments: list[AttachmentOut]
    created_at: datetime


class RatingOut(Schema):
    score: int
    comment: str


class SlaOut(Schema):
    policy: str | None
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    paused: bool
    breached: list[str]


class LinkOut(Schema):
    id: int
    kind: str
    ticket: str


class TicketOut(Schema):
    id: int
    number: str = Field(description="What customers quote, e.g. WK-000123.")
    subject: str
    status: Literal["new", "open", "pending", "on_hold", "solved", "closed"]
    priority: PriorityName
    channel: str
    category: str
    details: dict[str, str] = Field(description="The category's structured fields (coin, TxID, order id …).")
    language: str
    requester: PersonOut
    assignee: PersonOut | None
    team: str | None = Field(description="The team's slug.")
    tags: list[str]
    merged_into: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    rating: RatingOut | None
    sla: SlaOut | None = Field(description="Staff only.")
    links: list[LinkOut] | None = Field(description="Staff only.")
    url: str = Field(description="The ticket's page for whoever reads this.")


def _person(user: Any) -> PersonOut | None:
    if user is None:
        return None
    return PersonOut(id=user.pk, name=user.get_short_name() or user.name)


def attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.pk,
        filename=attachment.filename,
        content_type=attachment.content_type,
        kind=attachment.kind,  # type: ignore[arg-type]
        size=attachment.size,
        download_url=reverse("api:download_attachment", args=[attachment.pk]),
    )


def message_out(message: Message, reference: str) -> MessageOut:
    return MessageOut(
        id=message.pk,
        ticket=reference,
        kind=message.kind,  # type: ignore[arg-type]
        from_staff=message.from_staff,
        author=_person(message.author),
        channel=message.channel,
        body=message.body,
        body_html=message.body_html,
        attachments=[attachment_out(item) for item in message.attachments.all()],
        created_at=message.created_at,
    )


def ticket_out(ticket: Ticket, *, for_staff: bool, with_links: bool = True) -> TicketOut:
    """Tags come from `ticket.tags.all()`: prefetch them when shaping many tickets. Links cost a query,
    so lists leave them out (null) and the single ticket has them."""
    rating = getattr(ticket, "rating", None) if ticket.is_finished else None
    merged_into = ticket.merged_into_id
    sla = None
    links = None
    if for_staff:
        sla = SlaOut(
            policy=ticket.sla_policy.name if ticket.sla_policy else None,
            first_response_due=ticket.first_response_due,
            next_response_due=ticket.next_response_due,
            resolution_due=ticket.resolution_due,
            paused=ticket.sla_paused_at is not None,
            breached=list(ticket.sla_breached),
        )
    if for_staff and with_links:
        links = [
            LinkOut(id=link.pk, kind=kind, ticket=other.reference)
            for link, kind, other in linked_tickets(ticket)
        ]
    return TicketOut(
        id=ticket.pk,
        number=ticket.reference,
        subject=ticket.subject,
        status=ticket.status,  # type: ignore[arg-type]
        priority=PRIORITY_NAMES[ticket.priority],
        channel=ticket.channel,
        category=ticket.category,
        details={key: str(value) for key, value in ticket.fields.items()},
        language=ticket.language,
        requester=_person(ticket.requester),  # type: ignore[arg-type]
        assignee=_person(ticket.assignee),
        team=ticket.team.slug if ticket.team else None,
        tags=[tag.name for tag in ticket.tags.all()],
        merged_into=f"{TICKET_PREFIX}{merged_into:06d}" if merged_into else None,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_at=ticket.first_response_at,
        solved_at=ticket.solved_at,
        closed_at=ticket.closed_at,
        rating=RatingOut(score=rating.score, comment=rating.comment) if rating else None,
        sla=sla,
        links=links,
        url=reverse("inbox:ticket", args=[ticket.pk])
        if for_staff
        else reverse("tickets:detail", args=[ticket.pk]),
    )
