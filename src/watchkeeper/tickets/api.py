"""Tickets over HTTP, for customers (their own tickets) and agents (the tickets their role lets them see).

Access follows the pages exactly: every lookup goes through `queries.tickets_for()` and friends, and a
ticket, message or attachment the caller may not see is a 404 whatever the reason, so numbers cannot be
probed. Errors say what was wrong in the body, as everywhere in /api/v1.
"""

from collections.abc import Callable
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from ninja.throttling import AuthRateThrottle

from watchkeeper.accounts import actions as account_actions
from watchkeeper.accounts import queries as account_queries
from watchkeeper.accounts.api import api_auth
from watchkeeper.tickets import actions, queries
from watchkeeper.tickets.actions import NewTicket, TicketError
from watchkeeper.tickets.forms import uploads_from
from watchkeeper.tickets.models import Channel, Message, Ticket
from watchkeeper.tickets.models import Status as TicketStatus
from watchkeeper.tickets.schemas import (
    PRIORITY_VALUES,
    LinkOut,
    MessageOut,
    PriorityName,
    RatingOut,
    TicketOut,
    message_out,
    ticket_out,
)
from watchkeeper.tickets.views import attachment_response

router = Router(tags=["tickets"], auth=api_auth)

StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]


def _is_staff(request: HttpRequest) -> bool:
    """An agent, with the second factor the console also demands (a session may predate enrolment)."""
    user = request.user
    if not queries.is_ticket_staff(user):
        return False
    if not account_queries.has_second_factor(user):
        raise HttpError(403, "Set up two-factor authentication in your account before using the ticket API.")
    return True


def _require_staff(request: HttpRequest) -> None:
    if not _is_staff(request):
        raise PermissionDenied


def _ticket(request: HttpRequest, number: str) -> Ticket:
    ticket_id = queries.ticket_id_from_reference(number) or (int(number) if number.isdigit() else None)
    ticket = queries.ticket_for(request.user, ticket_id) if ticket_id else None
    if ticket is None:
        raise Http404("No ticket with this number is visible to you.")
    return ticket


def _refused(error: TicketError) -> HttpError:
    detail = str(error)
    if error.errors:
        detail += " " + " ".join(f"{field}: {message}" for field, message in error.errors.items())
    return HttpError(400, detail)


def _out(request: HttpRequest, ticket: Ticket) -> TicketOut:
    return ticket_out(queries.ticket_with_relations(ticket.pk), for_staff=_is_staff(request))


# ---------------------------------------------------------------- tickets


class TicketFilters(Schema):
    status: StatusName | None = None
    view: Literal["open", "mine", "unassigned", "teams", "vip", "breaching", "all"] = Field(
        "all", description="Agents: an inbox view. Customers always get their own tickets."
    )
    category: str | None = None
    q: str | None = Field(
        None, max_length=200, description="Agents: a ticket number, subject words or an email."
    )


@router.get("/", response=list[TicketOut], summary="List tickets")
@paginate(PageNumberPagination, page_size=50)
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> Any:
    """Most recently updated first. Customers see their own; agents what their teams and role allow."""
    staff = _is_staff(request)
    if staff:
        tickets = queries.inbox_tickets(
            request.user,
            queries.InboxFilters(
                view=filters.view,
                status=filters.status or "",
                category=filters.category or "",
                search=(filters.q or "").strip(),
            ),
        )
    else:
        tickets = queries.tickets_for(request.user).order_by("-updated_at", "-pk")
        if filters.status:
            tickets = tickets.filter(status=filters.status)
        if filters.category:
            tickets = tickets.filter(category=filters.category)
    tickets = tickets.select_related(
        "requester", "team", "assignee", "rating", "sla_policy"
    ).prefetch_related("tags")
    return _ShapedPage(tickets, lambda ticket: ticket_out(ticket, for_staff=staff, with_links=False))


class _ShapedPage:
    """Rows turned into their API shape only after paginate() has sliced them, so a page costs the same
    few queries however many rows match."""

    def __init__(self, rows: Any, shape: Callable[[Any], Any]) -> None:
        self.rows = rows
        self.shape = shape

    def count(self) -> int:
        return int(self.rows.count())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[Any]:
        return [self.shape(row) for row in self.rows[page]]


class TicketIn(Schema):
    subject: str = Field(max_length=300)
    body: str = Field(max_length=50_000, description="Markdown. Never include passwords, 2FA codes or keys.")
    category: str = Field(
        "other", description="deposit, withdrawal, account, security, trading, futures, p2p, api, fees, other"
    )
    details: dict[str, str] = Field(
        default_factory=dict, description="The category's fields, e.g. coin, network, txid."
    )
    language: str = ""
    context_url: str = Field("", max_length=300)
    requester_email: str | None = Field(None, description="Agents: the customer the ticket is for.")
    channel: Literal["api", "phone", "email", "web", "chat", "telegram", "forum"] = Field(
        "api", description="Agents: where the request came from (a phone call, say). Customers: always api."
    )
    priority: PriorityName | None = Field(None, description="Agents only.")


@router.post(
    "/",
    response={201: TicketOut},
    summary="Open a ticket",
    throttle=[AuthRateThrottle("20/m")],
)
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status[TicketOut]:
    staff = _is_staff(request)
    requester: Any = request.user
    channel: str = Channel.API
    priority = None
    if staff:
        if not payload.requester_email:
            raise HttpError(400, "Agents open tickets for a customer: give requester_email.")
        requester = account_actions.customer_for_email(payload.requester_email.strip())
        channel = payload.channel
        priority = PRIORITY_VALUES[payload.priority] if payload.priority else None
    elif payload.requester_email or payload.priority:
        raise HttpError(400, "requester_email and priority can only be set by agents.")
    try:
        ticket = actions.open_ticket(
            requester,
            NewTicket(
                subject=payload.subject,
                body=payload.body,
                category=payload.category,
                details=payload.details,
                channel=channel,
                language=payload.language,
                priority=priority,
                context_url=payload.context_url,
            ),
        )
    except TicketError as error:
        raise _refused(error) from error
    return Status(201, _out(request, ticket))


@router.get("/{number}", response=TicketOut, summary="Get a ticket")
def get_ticket(request: HttpRequest, number: str) -> TicketOut:
    """`number` is the ticket number (WK-000123) or its id."""
    return _out(request, _ticket(request, number))


class TicketPatch(Schema):
    status: StatusName | None = Field(
        None, description="Customers: `solved` closes their ticket, `open` reopens a solved one."
    )
    priority: PriorityName | None = None
    assignee_id: int | None = Field(None, description="Agents; null unassigns.")
    team: str | None = Field(None, description="Agents: a team slug; null removes the team.")
    tags: list[str] | None = Field(None, description="Agents: the full list of tags.")


@router.patch("/{number}", response=TicketOut, summary="Change a ticket")
def update_ticket(request: HttpRequest, number: str, payload: TicketPatch) -> TicketOut:
    ticket = _ticket(request, number)
    sent = payload.model_fields_set
    user = request.user
    try:
        if not _is_staff(request):
            if sent - {"status"}:
                raise PermissionDenied
            if payload.status == TicketStatus.SOLVED:
                actions.close_ticket(ticket, user)
            elif payload.status == TicketStatus.OPEN:
                actions.reopen_ticket(ticket, user)
            elif payload.status is not None:
                raise HttpError(400, "Customers can set status to solved (close) or open (reopen) only.")
            return _out(request, ticket)
        with transaction.atomic():
            if "assignee_id" in sent:
                assignee = None
                if payload.assignee_id is not None:
                    assignee = queries.ticket_agents().filter(pk=payload.assignee_id).first()
                    if assignee is None:
                        raise HttpError(400, "assignee_id is not an agent.")
                actions.assign_ticket(ticket, user, assignee)
            if "team" in sent:
                team = None
                if payload.team is not None:
                    team = account_queries.teams().filter(slug=payload.team).first()
                    if team is None:
                        raise HttpError(400, "No team has this slug.")
                actions.move_to_team(ticket, user, team)
            if payload.status is not None:
                actions.change_status(ticket, user, payload.status)
            if payload.priority is not None:
                actions.set_priority(ticket, user, PRIORITY_VALUES[payload.priority])
            if payload.tags is not None:
                actions.set_tags(ticket, user, payload.tags)
    except TicketError as error:
        raise _refused(error) from error
    return _out(request, ticket)


class MergeIn(Schema):
    into: str = Field(description="The ticket that keeps the messages, e.g. WK-000120.")


@router.post("/{number}/merge", response=TicketOut, summary="Merge into another ticket (agents)")
def merge_ticket(request: HttpRequest, number: str, payload: MergeIn) -> TicketOut:
    _require_staff(request)
    source = _ticket(request, number)
    target = _ticket(request, payload.into)
    try:
        actions.merge_tickets(source, target, request.user)
    except TicketError as error:
        raise _refused(error) from error
    return _out(request, target)


# ---------------------------------------------------------------- messages and attachments


@router.get("/{number}/messages", response=list[MessageOut], summary="A ticket's thread")
@paginate(PageNumberPagination, page_size=100)
def list_messages(request: HttpRequest, number: str) -> Any:
    """Oldest first. Customers do not see internal notes."""
    ticket = _ticket(request, number)
    return _ShapedPage(
        queries.messages_for(request.user, ticket), lambda message: message_out(message, ticket.reference)
    )


@router.post(
    "/{number}/messages",
    response={201: MessageOut},
    summary="Reply, or add an internal note (agents)",
    throttle=[AuthRateThrottle("60/m")],
)
def create_message(
    request: HttpRequest,
    number: str,
    body: Form[str] = "",
    kind: Form[Literal["public", "note"]] = "public",
    status: Form[Literal["", "open", "pending", "on_hold", "solved"]] = "",
    files: File[list[UploadedFile] | None] = None,
) -> Status[MessageOut]:
    """A multipart form: `body` (Markdown), `files` (screenshots, recordings, PDFs; checked by content and
    size), and for agents `kind` and the `status` to set."""
    ticket = _ticket(request, number)
    staff = _is_staff(request)
    if not staff and (kind != Message.Kind.PUBLIC or status):
        raise PermissionDenied
    try:
        message = actions.add_message(
            ticket,
            request.user,
            body,
            kind=kind,
            channel=Channel.API if not staff else Channel.WEB,
            uploads=uploads_from(list(files or [])),
            new_status=status or None,
        )
    except TicketError as error:
        raise _refused(error) from error
    message = queries.messages_for(request.user, ticket).get(pk=message.pk)
    return Status(201, message_out(message, ticket.reference))


@router.get(
    "/attachments/{attachment_id}",
    response={200: None},
    summary="Download an attachment",
    url_name="download_attachment",
)
def download_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = queries.attachment_for(request.user, attachment_id)
    if attachment is None:
        raise Http404("No attachment with this id is visible to you.")
    return attachment_response(attachment, inline=False)


# ---------------------------------------------------------------- rating and links


class RatingIn(Schema):
    score: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


@router.put("/{number}/rating", response=RatingOut, summary="Rate a solved ticket (its customer)")
def rate_ticket(request: HttpRequest, number: str, payload: RatingIn) -> RatingOut:
    ticket = _ticket(request, number)
    if ticket.requester_id != request.user.pk:
        raise PermissionDenied
    try:
        rating = actions.rate_ticket(ticket, request.user, payload.score, payload.comment)
    except TicketError as error:
        raise _refused(error) from error
    return RatingOut(score=rating.score, comment=rating.comment)


class LinkIn(Schema):
    ticket: str = Field(description="The other ticket, e.g. WK-000120.")
    kind: Literal["related", "child", "duplicate"] = Field(
        "related",
        description="child: this ticket is caused by the other (an outage); duplicate: of the other.",
    )


@router.post("/{number}/links", response={201: LinkOut}, summary="Link to another ticket (agents)")
def link_ticket(request: HttpRequest, number: str, payload: LinkIn) -> Status[LinkOut]:
    _require_staff(request)
    source = _ticket(request, number)
    target = _ticket(request, payload.ticket)
    try:
        link = actions.link_tickets(source, target, payload.kind, request.user)
    except TicketError as error:
        raise _refused(error) from error
    name = queries.LINK_NAMES[link.kind][0]  # type: ignore[index]
    return Status(201, LinkOut(id=link.pk, kind=name, ticket=target.reference))


@router.delete("/{number}/links/{link_id}", response={204: None}, summary="Remove a link (agents)")
def unlink_ticket(request: HttpRequest, number: str, link_id: int) -> Status[None]:
    _require_staff(request)
    ticket = _ticket(request, number)
    link = next((link for link, _name, _other in queries.linked_tickets(ticket) if link.pk == link_id), None)
    if link is None:
        raise Http404("This ticket has no link with this id.")
    actions.unlink_tickets(link)
    return Status(204, None)
