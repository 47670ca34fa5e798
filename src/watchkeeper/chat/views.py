"""Chat pages: the customer's full-page chat in the help center, the agents' chat console, and the JSON
list of a chat's messages that both read.

The socket (`/ws/chat/`) carries commands and numbered `ticket.message` events that name a message but
not its text; the pages fetch the text here, after the last message they show, through the same access
rules as the ticket pages (`tickets.queries`): a customer sees only their own chats and never a note.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from watchkeeper.accounts import queries as account_queries
from watchkeeper.chat import queries
from watchkeeper.chat.models import ChatSession, State
from watchkeeper.core.views import render_console
from watchkeeper.tickets import queries as ticket_queries
from watchkeeper.tickets.models import Message

# One fetch returns at most this many messages; the page asks again from the last one it got.
MESSAGES_PER_FETCH = 200
SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def chat_agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """As the rest of the console: log in and hold the ticket-work permission (else 403). The second
    factor is asked for by accounts' middleware, which protects the chatconsole namespace."""
    return login_required(permission_required(ticket_queries.WORK_PERMISSION, raise_exception=True)(view))


def _page_strings() -> dict[str, str]:
    """What the chat script says, translated here; placeholders are filled in by the script."""
    return {
        "you": _("You"),
        "assistant": _("Assistant"),
        "staff_badge": _("Official staff"),
        "sending": _("Sending…"),
        "helpful": _("Was this helpful?"),
        "yes": _("Yes"),
        "no": _("No"),
        "vote_thanks": _("Thank you for your feedback."),
        "queue": _("You are number %(position)s in the queue."),
        "wait": _("Estimated wait: about %(minutes)s min."),
        "wait_now": _("An agent will be with you in a moment."),
        "wait_unknown": _("We cannot estimate the wait right now."),
        "with_agent": _("You are chatting with %(name)s."),
        "typing": _("%(name)s is typing…"),
        "rated": _("Thank you for your rating."),
        "ended": _("The chat has ended."),
        "customer": _("Customer"),
        "note": _("Internal note"),
        "accept": _("Accept"),
        "decline": _("Decline"),
        "no_offers": _("No chat is waiting for you."),
        "no_chats": _("You have no active chats."),
        "chat_label": _("Chat %(ticket)s"),
        "transferred": _("The chat was transferred."),
        "choose_chat": _("Choose a chat on the left."),
    }


@login_required
@require_GET
def chat_page(request: HttpRequest) -> HttpResponse:
    """The customer's full-page chat; it resumes the chat still open, else starts one with the first
    message. `?article=<slug>` (from the contact page) becomes the chat's context."""
    session = queries.open_chat_of(request.user)
    slug = request.GET.get("article", "")[:200]
    context_url = reverse("helpcenter:article", kwargs={"slug": slug}) if SLUG.fullmatch(slug) else ""
    return render(
        request,
        "chat/chat.html",
        {
            "session": session,
            "context_url": context_url,
            "strings": _page_strings(),
        },
    )


def _side(message: Message, customer_id: int) -> str:
    if message.kind == Message.Kind.EVENT:
        return "event"
    if message.from_bot:
        return "bot"
    if message.from_staff or message.author_id != customer_id:
        return "agent"
    return "customer"


def _articles(message: Message) -> list[dict[str, Any]]:
    """The bot's articles, only with addresses inside this site: the page makes links of them."""
    found = message.metadata.get("articles") if isinstance(message.metadata, dict) else None
    if not isinstance(found, list):
        return []
    return [
        {"id": item.get("id"), "title": str(item.get("title", "")), "url": str(item.get("url", ""))}
        for item in found
        if isinstance(item, dict)
        and isinstance(item.get("id"), int)
        and str(item.get("url", "")).startswith("/")
        and not str(item.get("url", "")).startswith(("//", "/\\"))
    ]


@login_required
@never_cache
@require_GET
def chat_messages(request: HttpRequest, ticket_id: int) -> JsonResponse:
    """The messages of a chat that the user may see, after `?after=<message id>`, oldest first. 404 for a
    chat that is not theirs to see, so its existence is not given away."""
    ticket = ticket_queries.ticket_for(request.user, ticket_id)
    session = queries.session_for_ticket(ticket_id) if ticket is not None else None
    if ticket is None or session is None:
        raise Http404
    user = request.user
    if (
        ticket.requester_id != user.pk
        and account_queries.is_staff_member(user)
        and not account_queries.has_second_factor(user)
    ):
        # As on the console: a staff password alone opens no customer's conversation.
        raise Http404
    after = request.GET.get("after", "")
    thread = ticket_queries.messages_for(request.user, ticket)
    if after.isdigit():
        thread = thread.filter(pk__gt=int(after))
    rows = []
    for message in thread.order_by("pk")[:MESSAGES_PER_FETCH]:
        author = message.author
        side = _side(message, session.customer_id)
        rows.append(
            {
                "id": message.pk,
                "kind": message.kind,
                "side": side,
                "author": (author.get_short_name() if author else "") or "",
                "body": message.body,
                "articles": _articles(message) if side == "bot" else [],
                "offer_human": bool(message.metadata.get("offer_human")) if side == "bot" else False,
                "created_at": message.created_at.isoformat(),
                # Lets the sender's page put the stored message in place of the one it showed as sent.
                "client_id": message.client_id if message.author_id == request.user.pk else None,
            }
        )
    return JsonResponse({"ticket_id": ticket.pk, "session_id": session.pk, "messages": rows})


@chat_agent_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    """The agent's chats: offers to accept or decline, the chats they hold, one conversation open."""
    active = queries.active_chats_of(request.user)
    offers = list(
        ChatSession.objects.select_related("ticket", "customer", "team")
        .filter(offered_to_id=request.user.pk, state=State.OFFERED)
        .order_by("pk")
    )
    return render_console(
        request,
        "chat/console.html",
        "chatconsole:chats",
        {
            "active": active,
            "offers": offers,
            "teams": list(account_queries.teams()),
            "strings": _page_strings(),
        },
    )
