"""The customer portal: open a ticket, follow it, reply, close, reopen and rate; and file downloads
for everyone allowed to see the ticket."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from watchkeeper.accounts import queries as account_queries
from watchkeeper.answers.queries import match_question
from watchkeeper.core.views import render_console
from watchkeeper.exchange import queries as exchange_queries
from watchkeeper.tickets import actions, queries
from watchkeeper.tickets.actions import NewTicket, TicketError
from watchkeeper.tickets.categories import CATEGORIES, labelled_details
from watchkeeper.tickets.forms import (
    AgentReplyForm,
    BulkUpdateForm,
    NewTicketForm,
    RatingForm,
    ReplyForm,
    TicketPropertiesForm,
    uploads_from,
)
from watchkeeper.tickets.models import (
    TICKET_PREFIX,
    Attachment,
    Channel,
    Message,
    Notification,
    Priority,
    Status,
    Ticket,
    TicketLink,
)
from watchkeeper.tickets.queries import InboxFilters

PAGE_SIZE = 20
# Tickets about a deposit or a withdrawal show the customer their recent ones, with the state each is in:
# "where is my deposit" is often answered before anyone replies. The slugs are the transfers' directions.
TRANSFER_CATEGORIES = ("deposit", "withdrawal")
_SLUG = re.compile(r"[-\w]{1,200}")
# Types a browser may show inline from our origin: every one of them is recognised by its bytes.
_INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "video/mp4", "video/webm", "application/pdf"}
)


def _ticket_or_404(request: HttpRequest, ticket_id: int) -> Ticket:
    ticket = queries.ticket_for(request.user, ticket_id)
    if ticket is None:
        raise Http404(_("No such ticket."))
    return ticket


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    tickets = (
        Ticket.objects.filter(requester_id=request.user.pk)
        .only("pk", "subject", "status", "category", "updated_at", "created_at")
        .order_by("-updated_at", "-pk")
    )
    status = request.GET.get("status", "")
    if status == "open":
        tickets = tickets.exclude(status__in=[Status.SOLVED, Status.CLOSED])
    elif status == "solved":
        tickets = tickets.filter(status__in=[Status.SOLVED, Status.CLOSED])
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tickets/list.html",
        {"page": page, "status": status},
    )


def _detail_values(request: HttpRequest, category: str) -> dict[str, str]:
    definition = CATEGORIES.get(category)
    if definition is None:
        return {}
    # Each category's inputs carry its name: two categories may both ask for a "txid".
    return {
        field.name: request.POST.get(f"detail-{category}-{field.name}", "") for field in definition.fields
    }


@login_required
def new_ticket(request: HttpRequest) -> HttpResponse:
    article = request.GET.get("article", "") or request.POST.get("article", "")
    if not _SLUG.fullmatch(article):  # it becomes part of a link on the agent's page
        article = ""
    detail_errors: dict[str, str] = {}
    details: dict[str, str] = {}
    if request.method == "POST":
        form = NewTicketForm(request.POST, request.FILES)
        details = _detail_values(request, request.POST.get("category", ""))
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = actions.open_ticket(
                    request.user,
                    NewTicket(
                        subject=data["subject"],
                        body=data["body"],
                        category=data["category"],
                        details=details,
                        channel=Channel.WEB,
                        language=translation.get_language() or "",
                        context_url=f"/help/a/{article}/" if article else "",
                        uploads=uploads_from(data["attachments"]),
                    ),
                )
            except TicketError as error:
                detail_errors = {key: value for key, value in error.errors.items() if key not in form.fields}
                for key, value in error.errors.items():
                    if key in form.fields:
                        form.add_error(key, value)
                if not error.errors:
                    form.add_error("attachments", str(error))
                elif detail_errors:
                    form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Ticket %(reference)s is open. We have sent you a confirmation.")
                    % {"reference": ticket.reference},
                )
                return redirect("tickets:detail", ticket_id=ticket.pk)
    else:
        form = NewTicketForm(initial={"category": request.GET.get("category", "other")})
    chosen = request.POST.get("category", "")
    detail_sections: list[dict[str, Any]] = [
        {
            "category": category,
            "fields": [
                {
                    "field": field,
                    "id": f"detail-{category.slug}-{field.name}",
                    "value": details.get(field.name, "") if category.slug == chosen else "",
                    "error": detail_errors.get(field.name, "") if category.slug == chosen else "",
                }
                for field in category.fields
            ],
        }
        for category in CATEGORIES.values()
        if category.fields
    ]
    uid = account_queries.exchange_account_id_of(request.user)
    if uid:
        exchange = exchange_queries.account_snapshot(uid)
        titles = {"deposit": _("Your recent deposits"), "withdrawal": _("Your recent withdrawals")}
        for section in detail_sections:
            slug = section["category"].slug
            if slug in TRANSFER_CATEGORIES:
                section["exchange"] = exchange
                section["transfers_title"] = titles[slug]
                section["transfers"] = [t for t in exchange.transfers if t.direction == slug]
    return render(
        request,
        "tickets/new.html",
        {"form": form, "detail_sections": detail_sections, "article": article},
    )


@login_required
@require_GET
def suggest_articles(request: HttpRequest) -> HttpResponse:
    """Articles that may answer what the customer is typing (htmx, as they write the ticket)."""
    text = f"{request.GET.get('subject', '')}\n{request.GET.get('body', '')}".strip()[:1000]
    answer = match_question(text, language=translation.get_language() or "en") if len(text) >= 8 else None
    articles = answer.articles if answer and answer.decision != "decline" else []
    return render(request, "tickets/partials/suggestions.html", {"articles": articles})


@login_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket_or_404(request, ticket_id)
    if queries.is_ticket_staff(request.user) and ticket.requester_id != request.user.pk:
        return redirect("inbox:ticket", ticket_id=ticket.pk)
    form = ReplyForm()
    if request.method == "POST":
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                actions.add_message(
                    ticket,
                    request.user,
                    form.cleaned_data["body"],
                    channel=Channel.WEB,
                    uploads=uploads_from(form.cleaned_data["attachments"]),
                )
            except TicketError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Your reply was added."))
                return redirect("tickets:detail", ticket_id=ticket.pk)
    context: dict[str, Any] = {
        "ticket": ticket,
        "thread": _thread_with_labels(request, ticket),
        "form": form,
        "details": labelled_details(ticket.category, ticket.fields),
        "rating": getattr(ticket, "rating", None),
        "rating_form": RatingForm(),
        "can_reopen": ticket.status == Status.SOLVED,
        "reopen_days": actions.reopen_window().days,
    }
    profile = getattr(ticket.requester, "customer_profile", None)
    # Only ever the account of the person looking: the page is theirs, and so is the ticket.
    if (
        profile is not None
        and profile.exchange_account_id
        and ticket.requester_id == request.user.pk
        and ticket.category in TRANSFER_CATEGORIES
    ):
        context["exchange"] = exchange_queries.account_snapshot(
            profile.exchange_account_id, coins=[str(ticket.fields.get("coin", ""))]
        )
        context["highlight_txid"] = str(ticket.fields.get("txid", "")).lower()
    return render(request, "tickets/detail.html", context)


@login_required
@require_POST
def close_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket_or_404(request, ticket_id)
    actions.close_ticket(ticket, request.user)
    messages.success(request, _("Marked as solved. You can reopen it if the problem comes back."))
    return redirect("tickets:detail", ticket_id=ticket.pk)


@login_required
@require_POST
def reopen_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket_or_404(request, ticket_id)
    try:
        actions.reopen_ticket(ticket, request.user)
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The ticket is open again."))
    return redirect("tickets:detail", ticket_id=ticket.pk)


@login_required
@require_POST
def rate_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket_or_404(request, ticket_id)
    if ticket.requester_id != request.user.pk:
        raise Http404(_("No such ticket."))
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a rating from 1 to 5."))
        return redirect("tickets:detail", ticket_id=ticket.pk)
    try:
        actions.rate_ticket(ticket, request.user, form.cleaned_data["score"], form.cleaned_data["comment"])
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("tickets:detail", ticket_id=ticket.pk)


@login_required
@require_GET
def download_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = queries.attachment_for(request.user, attachment_id)
    if attachment is None:
        raise Http404(_("No such file."))
    return attachment_response(attachment, inline=request.GET.get("download") != "1")


def attachment_response(attachment: Attachment, *, inline: bool) -> FileResponse:
    """The file, shown in the page only if it is a type browsers display safely, else downloaded."""
    inline = inline and attachment.content_type in _INLINE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even a file that slipped through would run no script: no origin, no plugins.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------- the agents' inbox

INBOX_PAGE_SIZE = 50


def _thread_with_labels(request: HttpRequest, ticket: Ticket) -> list[Message]:
    channels = {value: str(label) for value, label in Channel.choices}
    thread = list(queries.messages_for(request.user, ticket))
    for message in thread:
        message.channel_label = channels.get(message.channel, message.channel)  # type: ignore[attr-defined]
    return thread


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Console pages for people who work tickets: others log in first, then get 403 (the console is
    not secret), as accounts' console pages do."""
    return login_required(permission_required(queries.WORK_PERMISSION, raise_exception=True)(view))


def _inbox_filters(request: HttpRequest) -> InboxFilters:
    priority = request.GET.get("priority", "")
    return InboxFilters(
        view=request.GET.get("view", "open"),
        status=request.GET.get("status", "") if request.GET.get("status") in Status.values else "",
        priority=int(priority) if priority.isdigit() else None,
        channel=request.GET.get("channel", "") if request.GET.get("channel") in Channel.values else "",
        category=request.GET.get("category", "") if request.GET.get("category") in CATEGORIES else "",
        language=request.GET.get("language", "")[:10],
        tag=request.GET.get("tag", "")[:50],
        search=request.GET.get("q", "").strip()[:200],
        sort=request.GET.get("sort", "updated") if request.GET.get("sort") in queries.SORTS else "updated",
    )


@agent_required
def inbox(request: HttpRequest) -> HttpResponse:
    filters = _inbox_filters(request)
    if request.method == "POST":
        return _bulk_update(request)
    tickets = queries.inbox_tickets(request.user, filters)
    page = InboxPage.read(tickets, request.GET.get("page"), INBOX_PAGE_SIZE)
    rows = _inbox_rows(page.rows)
    kept = request.GET.copy()
    kept.pop("page", None)
    return render_console(
        request,
        "tickets/inbox.html",
        "inbox:list",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "query_string": kept.urlencode(),
            "views": [
                ("open", _("All open")),
                ("mine", _("Mine")),
                ("unassigned", _("Unassigned")),
                ("teams", _("My teams")),
                ("vip", _("VIP")),
                ("breaching", _("About to breach")),
                ("all", _("Everything")),
            ],
            "statuses": Status.choices,
            "priorities": Priority.choices,
            "channels": Channel.choices,
            "categories": [(slug, category.name) for slug, category in CATEGORIES.items()],
            "sorts": [
                ("updated", _("Recently updated")),
                ("oldest", _("Waiting longest")),
                ("created", _("Newest")),
                ("priority", _("Priority")),
                ("due", _("Next deadline")),
            ],
            "agents": _agent_choices(),
        },
    )


@dataclass(frozen=True)
class InboxPage:
    """One page of an inbox view, found by reading one row past it instead of counting the matches.

    An exact count of a filtered view scanned every matching ticket (20 ms and more at 100,000
    tickets, the largest cost of the page) to print a number agents do not act on; "Next" needs only
    to know that one more row exists.
    """

    number: int
    rows: list[dict[str, Any]]
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @classmethod
    def read(cls, tickets: Any, requested: str | None, size: int) -> InboxPage:
        number = int(requested) if requested and requested.isdigit() and 0 < int(requested) < 10_000 else 1
        start = (number - 1) * size
        rows = list(tickets.values(*queries.INBOX_ROW_FIELDS)[start : start + size + 1])
        return cls(number=number, rows=rows[:size], has_next=len(rows) > size)


def _agent_choices() -> list[tuple[int, str]]:
    # Plain pairs for hand-written <select>s: Django's widget templates rendered each <option>
    # through a template include, which cost more than the rest of the page. Cached for a minute:
    # every inbox and ticket page lists the agents, and the list changes when someone is hired.
    def load() -> list[tuple[int, str]]:
        return [(agent.pk, agent.get_short_name() or agent.email) for agent in queries.ticket_agents()]

    return list(cache.get_or_set("tickets:agent-choices", load, 60) or [])


@dataclass(frozen=True)
class _Labels:
    """Choice labels translated once per page: Model.get_FOO_display() rebuilds and re-translates the
    whole choice list on every call, 50 rows x 3 fields of it."""

    status: dict[str, str]
    priority: dict[int, str]
    channel: dict[str, str]
    category: dict[str, str]

    @classmethod
    def current(cls) -> _Labels:
        return cls(
            status={value: str(label) for value, label in Status.choices},
            priority={value: str(label) for value, label in Priority.choices},
            channel={value: str(label) for value, label in Channel.choices},
            category={slug: str(category.name) for slug, category in CATEGORIES.items()},
        )


def _inbox_rows(rows: Iterable[dict[str, Any]]) -> SafeString:
    """The page's inbox lines as HTML. Built here because the template language spent more on 50 rows
    of lookups than the database spent on the whole page; every value goes through html.escape (what
    Django's escape does, without its per-call lazy-string checks, which cost as much again)."""
    labels = _Labels.current()
    select_label = escape(_("Select"))
    # One reverse() for the page: the address differs only in the ticket number.
    url_pattern = reverse("inbox:ticket", args=[987654321]).replace("987654321", "{}")
    lines = []
    for row in rows:
        url = url_pattern.format(int(row["pk"]))
        reference = f"{TICKET_PREFIX}{row['pk']:06d}"
        customer = escape(row["requester__display_name"] or row["requester__email"])
        vip = int(row["requester__customer_profile__vip_tier"] or 0)
        badge = f' <span class="badge badge-vip">VIP {vip}</span>' if vip else ""
        details = " · ".join(
            [
                labels.category.get(row["category"], row["category"]),
                labels.channel.get(row["channel"], ""),
                row["language"],
            ]
        )
        assignee = (
            (row["assignee__display_name"] or row["assignee__email"]) if row["assignee__email"] else "—"
        )
        updated = timezone.localtime(row["updated_at"])
        shown = escape(date_format(updated, "SHORT_DATETIME_FORMAT"))
        pk = int(row["pk"])
        lines.append(
            f'<tr class="priority-{int(row["priority"])}">'
            f'<td><input type="checkbox" name="tickets" value="{pk}" aria-label="{select_label} {reference}">'
            f'</td><td><a href="{url}">{reference}</a></td>'
            f'<td><a href="{url}">{escape(row["subject"])}</a><br><small>{escape(details)}</small></td>'
            f"<td>{customer}{badge}</td>"
            f'<td><span class="status status-{escape(row["status"])}">'
            f"{escape(labels.status.get(row['status'], row['status']))}</span></td>"
            f"<td>{escape(labels.priority.get(row['priority'], ''))}</td>"
            f"<td>{escape(row['team__name'] or '—')}</td><td>{escape(assignee)}</td>"
            f'<td><time datetime="{updated.isoformat()}">{shown}</time></td></tr>'
        )
    return mark_safe("".join(lines))  # noqa: S308 — every value above is escaped or a number


def _bulk_update(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("tickets") if value.isdigit()]
    visible = list(queries.tickets_for(request.user).filter(pk__in=ids))
    form = BulkUpdateForm(request.POST, ticket_ids=[t.pk for t in visible], agents=queries.ticket_agents())
    back = f"{request.path}?{request.POST.get('back', '')}"
    if not visible:
        messages.error(request, _("Select at least one ticket."))
        return redirect(back)
    if not form.is_valid():
        messages.error(
            request,
            _("Those changes could not be applied: %(errors)s")
            % {"errors": "; ".join(str(error) for errors in form.errors.values() for error in errors)},
        )
        return redirect(back)
    data = form.cleaned_data
    merge_target = request.POST.get("merge_into", "").strip()
    try:
        if merge_target:
            target_id = queries.ticket_id_from_reference(merge_target) or (
                int(merge_target) if merge_target.isdigit() else None
            )
            target = queries.ticket_for(request.user, target_id) if target_id else None
            if target is None:
                raise TicketError(
                    _("No ticket %(reference)s that you can see.") % {"reference": merge_target}
                )
            for ticket in visible:
                if ticket.pk != target.pk:
                    actions.merge_tickets(ticket, target, request.user)
            count = len(visible)
        else:
            count = actions.bulk_update(
                visible,
                request.user,
                status=data["status"],
                priority=data["priority"],
                assignee=data["assignee"],
                add_tag=data["add_tag"],
            )
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", count) % {"count": count},
        )
    return redirect(back)


@agent_required
def agent_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket_or_404(request, ticket_id)
    agents = queries.ticket_agents()
    teams = account_queries.teams()
    reply_form = AgentReplyForm()
    # Rendered by hand in the template (see _agent_choices); the form validates and reports errors.
    properties_form = TicketPropertiesForm(agents=agents, teams=teams)
    if request.method == "POST" and "reply" in request.POST:
        reply_form = AgentReplyForm(request.POST, request.FILES)
        if reply_form.is_valid():
            data = reply_form.cleaned_data
            macro_id = request.POST.get("macro", "")
            macro = (
                queries.macros_for(request.user).filter(pk=macro_id).first() if macro_id.isdigit() else None
            )
            try:
                with transaction.atomic():
                    actions.add_message(
                        ticket,
                        request.user,
                        data["body"],
                        kind=data["kind"],
                        uploads=uploads_from(data["attachments"]),
                        new_status=data["status"] or (macro.set_status if macro else "") or None,
                    )
                    if macro is not None:
                        actions.apply_macro_fields(ticket, request.user, macro)
            except TicketError as error:
                reply_form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Note added.") if data["kind"] == Message.Kind.NOTE else _("Reply sent."),
                )
                return redirect("inbox:ticket", ticket_id=ticket.pk)
    elif request.method == "POST" and ("link" in request.POST or "unlink" in request.POST):
        _change_links(request, ticket)
        return redirect("inbox:ticket", ticket_id=ticket.pk)
    elif request.method == "POST" and "update" in request.POST:
        properties_form = TicketPropertiesForm(request.POST, agents=agents, teams=teams)
        if properties_form.is_valid():
            data = properties_form.cleaned_data
            try:
                with transaction.atomic():
                    actions.change_status(ticket, request.user, data["status"])
                    actions.set_priority(ticket, request.user, data["priority"])
                    actions.assign_ticket(ticket, request.user, data["assignee"])
                    actions.move_to_team(ticket, request.user, data["team"])
                    actions.set_tags(ticket, request.user, properties_form.tag_names())
            except TicketError as error:
                properties_form.add_error(None, str(error))
            else:
                messages.success(request, _("Ticket updated."))
                return redirect("inbox:ticket", ticket_id=ticket.pk)
    profile = getattr(ticket.requester, "customer_profile", None)
    exchange = (
        exchange_queries.account_snapshot(
            profile.exchange_account_id, coins=[str(ticket.fields.get("coin", ""))]
        )
        if profile is not None and profile.exchange_account_id
        else None
    )
    return render_console(
        request,
        "tickets/agent_ticket.html",
        "inbox:list",
        {
            "thread": _thread_with_labels(request, ticket),
            "macros": [
                {
                    "pk": macro.pk,
                    "name": macro.name,
                    "body": queries.render_macro(macro.body, ticket, request.user),
                    "status": macro.set_status,
                }
                for macro in queries.macros_for(request.user)
            ],
            "statuses": Status.choices,
            "priorities": Priority.choices,
            "agents": _agent_choices(),
            "teams": cache.get_or_set(
                "tickets:team-choices", lambda: list(teams.values_list("pk", "name")), 60
            ),
            "tag_names": ", ".join(ticket.tags.values_list("name", flat=True)),
            "ticket": ticket,
            "staff_view": True,
            "details": labelled_details(ticket.category, ticket.fields),
            "reply_form": reply_form,
            "properties_form": properties_form,
            "history": queries.customer_history(request.user, ticket),
            "profile": profile,
            "exchange": exchange,
            "highlight_txid": str(ticket.fields.get("txid", "")).lower(),
            "rating": getattr(ticket, "rating", None),
            "links": [
                {"pk": link.pk, "label": queries.LINK_LABELS[name], "other": other}
                for link, name, other in queries.linked_tickets(ticket)
            ],
            "link_kinds": TicketLink.Kind.choices,
        },
    )


def _change_links(request: HttpRequest, ticket: Ticket) -> None:
    try:
        if "unlink" in request.POST:
            link_id = request.POST.get("link_id", "")
            link = next(
                (link for link, _n, _o in queries.linked_tickets(ticket) if str(link.pk) == link_id), None
            )
            if link is not None:
                actions.unlink_tickets(link)
                messages.success(request, _("Link removed."))
            return
        other_id = queries.ticket_id_from_reference(request.POST.get("reference", ""))
        other = queries.ticket_for(request.user, other_id) if other_id else None
        if other is None:
            messages.error(request, _("No ticket with this number is visible to you."))
            return
        actions.link_tickets(ticket, other, request.POST.get("kind", ""), request.user)
        messages.success(request, _("Linked to %(reference)s.") % {"reference": other.reference})
    except TicketError as error:
        messages.error(request, str(error))


@login_required
def notification_centre(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        actions.mark_notifications_read(request.user)
        return redirect("tickets:notifications")
    mine = Notification.objects.filter(user_id=int(request.user.pk or 0))  # login_required: never 0
    page = Paginator(mine, PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(request, "tickets/notifications.html", {"page": page})
    # Seen on this page means read; the list above was rendered with the unread ones marked.
    actions.mark_notifications_read(request.user, [item.pk for item in page.object_list])
    return response
