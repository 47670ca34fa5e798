"""Chat pages: the customer's full-page chat in the help center, the agents' chat console, and the JSON
list of a chat's messages that both read.

The socket (`/ws/chat/`) carries commands and numbered `ticket.message` events that name a message but
not its text; the pages fetch the text here, after the last message they show, through the same access
rules as the ticket pages (`tickets.queries`): a customer sees only their own chats and never a note.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from allauth.core import ratelimit
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from watchkeeper.accounts import actions as account_actions
from watchkeeper.accounts import identity_tokens
from watchkeeper.accounts import queries as account_queries
from watchkeeper.chat import actions, queries
from watchkeeper.chat.forms import GuestForm
from watchkeeper.chat.models import ChatSession, State
from watchkeeper.core.views import render_console
from watchkeeper.tickets import queries as ticket_queries
from watchkeeper.tickets.actions import TicketError
from watchkeeper.tickets.forms import upload_help, uploads_from
from watchkeeper.tickets.models import Message

logger = logging.getLogger(__name__)

# Browsers and proxies may keep the widget loader this long (seconds): an exchange's every page view
# asks for it.
WIDGET_SCRIPT_MAX_AGE = 300
# In the session of a customer whom the exchange's token signed in (the exchange may sign them out).
WIDGET_IDENTITY_KEY = "chat_widget_identity"
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
        "uploading": _("Sending %(name)s…"),
        "upload_failed": _("The file could not be sent. Check your connection and try again."),
        "attach_first": _("Write your question first; then you can attach files."),
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
            "upload_help": upload_help(),
        },
    )


# --------------------------------------------------------------------------- the widget (docs/chat-widget.md)


def _frame_ancestors(response: HttpResponse) -> HttpResponse:
    """Only Watchkeeper itself and the exchange's pages named in CHAT_WIDGET_ORIGINS may frame the chat:
    anyone else could dress it up and harvest what customers type."""
    response["Content-Security-Policy"] = "frame-ancestors " + " ".join(
        ["'self'", *settings.CHAT_WIDGET_ORIGINS]
    )
    return response


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    """`/chat/widget.js`, the loader an exchange's page includes: a button that opens the chat in a frame,
    in the page's language, labelled in it before the frame has loaded."""
    embed_paths: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            embed_paths[code] = reverse("chat:embed")
            labels[code] = {"open": _("Chat with us"), "close": _("Close the chat")}
    config = json.dumps({"paths": embed_paths, "labels": labels, "default": settings.LANGUAGE_CODE})
    response = render(request, "chat/widget.js", {"config": config}, content_type="text/javascript")
    response["Cache-Control"] = f"public, max-age={WIDGET_SCRIPT_MAX_AGE}"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@xframe_options_exempt
@ensure_csrf_cookie
@require_GET
def embed(request: HttpRequest) -> HttpResponse:
    """The chat inside the widget's frame: the same panel as the full page once the customer is known —
    signed in here, vouched for by the exchange's token (posted in by the loader), or a guest."""
    return _embed_page(request)


def _embed_page(request: HttpRequest, guest_form: GuestForm | None = None) -> HttpResponse:
    user = request.user
    known = user.is_authenticated
    response = render(
        request,
        "chat/embed.html",
        {
            "known": known,
            "session": queries.open_chat_of(user) if known else None,
            "strings": _page_strings(),
            "context_url": "",
            "upload_help": upload_help(),
            "parent_origins": settings.CHAT_WIDGET_ORIGINS,
            "identities": bool(settings.CHAT_IDENTITY_SECRETS),
            "guests": settings.CHAT_ALLOW_GUESTS,
            "guest_form": guest_form or GuestForm(),
        },
        status=400 if guest_form is not None else 200,
    )
    return _frame_ancestors(response)


def _refusal(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_POST
def identify(request: HttpRequest) -> JsonResponse:
    """The frame posts the exchange's token here; a valid one signs its customer in (`changed` says
    whether the frame must reload as them). A forged, expired or over-long one is refused with why."""
    if request.user.is_authenticated and account_queries.is_staff_member(request.user):
        return _refusal(_("You are signed in as staff. Sign out to chat as a customer."), 409)
    if not ratelimit.consume(request, action="chat_identify"):
        return _refusal(_("Too many attempts. Please wait a minute and try again."), 429)
    try:
        identity = identity_tokens.verify(request.POST.get("token", ""))
        customer = account_actions.customer_for_exchange_identity(identity)
    except identity_tokens.IdentityTokenError as error:
        # Why, for the exchange's developers; never the token itself.
        logger.warning("Chat widget identity refused: %s", error)
        return _refusal(str(error), 403)
    changed = request.user.pk != customer.pk
    if changed:
        login(request, customer, backend=settings.AUTHENTICATION_BACKENDS[0])
        request.session[WIDGET_IDENTITY_KEY] = True
    return JsonResponse({"changed": changed})


@require_POST
def forget(request: HttpRequest) -> JsonResponse:
    """The exchange's page says nobody is signed in there (any more): a sign-in that came from its token
    ends too, so the next person at a shared computer does not find the last one's chat. A customer who
    signed in to Watchkeeper itself stays signed in."""
    changed = bool(request.user.is_authenticated and request.session.get(WIDGET_IDENTITY_KEY))
    if changed:
        logout(request)
    return JsonResponse({"changed": changed})


@xframe_options_exempt
@require_POST
def start_as_guest(request: HttpRequest) -> HttpResponse:
    """A visitor nobody vouches for (CHAT_ALLOW_GUESTS): a fresh guest account and the chat. A plain form
    post, so it works without script; back to the frame on success, the form with errors otherwise."""
    if not settings.CHAT_ALLOW_GUESTS:
        return _frame_ancestors(
            HttpResponse(_("Chatting without an account is turned off on this site."), status=403)
        )
    if request.user.is_authenticated:
        return redirect("chat:embed")
    form = GuestForm(request.POST)
    if not form.is_valid():
        return _embed_page(request, guest_form=form)
    if not ratelimit.consume(request, action="chat_guest"):
        form.add_error(None, _("Too many chats were started from your network. Please try again later."))
        return _embed_page(request, guest_form=form)
    guest = account_actions.create_guest_customer(
        name=form.cleaned_data["name"], contact_email=form.cleaned_data["email"], language=get_language()
    )
    login(request, guest, backend=settings.AUTHENTICATION_BACKENDS[0])
    return redirect("chat:embed")


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


def _chat_of(request: HttpRequest, ticket_id: int) -> tuple[Any, ChatSession]:
    """The chat's ticket and session if the user may see it, else 404 (its existence is not given away)."""
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
    return ticket, session


def _attachment_rows(message: Message) -> list[dict[str, Any]]:
    return [
        {
            "name": attachment.filename,
            "url": reverse("tickets:attachment", args=[attachment.pk]),
            "kind": attachment.kind,
            "content_type": attachment.content_type,
            "size": filesizeformat(attachment.size),
        }
        for attachment in message.attachments.all()
    ]


@login_required
@never_cache
@require_GET
def chat_messages(request: HttpRequest, ticket_id: int) -> JsonResponse:
    """The messages of a chat that the user may see, after `?after=<message id>`, oldest first. 404 for a
    chat that is not theirs to see, so its existence is not given away."""
    ticket, session = _chat_of(request, ticket_id)
    after = request.GET.get("after", "")
    thread = ticket_queries.messages_for(request.user, ticket).prefetch_related("attachments")
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
                "attachments": _attachment_rows(message),
                # Lets the sender's page put the stored message in place of the one it showed as sent.
                "client_id": message.client_id if message.author_id == request.user.pk else None,
            }
        )
    return JsonResponse({"ticket_id": ticket.pk, "session_id": session.pk, "messages": rows})


@login_required
@require_POST
def chat_upload(request: HttpRequest, ticket_id: int) -> JsonResponse:
    """Files into a chat, with an optional line of text: a plain HTTP upload rather than the socket, which
    carries small JSON commands. The ticket's rules apply (kinds checked from the bytes, sizes, count),
    and a refusal names the limit. The message reaches both sides as any other (`ticket.message`)."""
    _ticket, session = _chat_of(request, ticket_id)
    uploaded = request.FILES.getlist("files")
    if not uploaded:
        return _refusal(_("Choose a file to send."), 400)
    text = request.POST.get("text", "")[:10_000]
    client_id = request.POST.get("client_id", "")[:64] or None
    try:
        if session.customer_id == request.user.pk:
            message = actions.customer_says(
                session, text, client_id=client_id, uploads=uploads_from(uploaded)
            ).message
        else:
            message = actions.agent_says(
                session, request.user, text, client_id=client_id, uploads=uploads_from(uploaded)
            )
    except TicketError as error:  # ChatError too: not this chat's agent, chat ended, too big, wrong kind
        return _refusal(str(error), 400)
    assert message is not None
    return JsonResponse({"message_id": message.pk}, status=201)


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
            "upload_help": upload_help(),
        },
    )


def supervisor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Team leads and admins (else 403); the second factor as for the rest of the console."""
    return login_required(permission_required(queries.SUPERVISOR_PERMISSION, raise_exception=True)(view))


@supervisor_required
@require_GET
def supervisor(request: HttpRequest) -> HttpResponse:
    """Every team's queue, live chats and agents; the board below the heading refreshes itself."""
    teams = list(account_queries.teams())
    return render_console(
        request,
        "chat/supervisor.html",
        "chatconsole:chats",
        {"boards": queries.supervisor_board(teams), "team_slugs": [team.slug for team in teams]},
    )


@supervisor_required
@never_cache
@require_GET
def supervisor_board(request: HttpRequest) -> HttpResponse:
    """The supervisor's board alone, for the page to swap in: polled every few seconds and at once when
    a team's queue publishes a change (htmx)."""
    boards = queries.supervisor_board(list(account_queries.teams()))
    return render(request, "chat/partials/supervisor_board.html", {"boards": boards})


def _console_chat(request: HttpRequest, ticket_id: int) -> tuple[Any, ChatSession]:
    """The chat's ticket and session if this agent may see the ticket; 404 otherwise, as for its
    messages, so that chat numbers cannot be probed."""
    ticket = ticket_queries.ticket_for(request.user, ticket_id)
    session = queries.session_for_ticket(ticket_id) if ticket is not None else None
    if ticket is None or session is None:
        raise Http404
    return ticket, session


@chat_agent_required
@never_cache
@require_GET
def chat_macros(request: HttpRequest, ticket_id: int) -> JsonResponse:
    """The agent's macros with their text filled in for this chat, as the ticket page fills them in.
    Only the text: a chat's status follows the chat, so a macro's status and field changes stay with
    the ticket page."""
    ticket, _session = _console_chat(request, ticket_id)
    return JsonResponse(
        {
            "macros": [
                {
                    "id": macro.pk,
                    "name": macro.name,
                    "body": ticket_queries.render_macro(macro.body, ticket, request.user),
                }
                for macro in ticket_queries.macros_for(request.user)
            ]
        }
    )


@chat_agent_required
@never_cache
@require_GET
def chat_articles(request: HttpRequest, ticket_id: int) -> JsonResponse:
    """Up to three help-center articles for the agent to send, from the customer's latest messages. The
    address is the site's public one (as in emails): the customer reads it outside this console."""
    _ticket, session = _console_chat(request, ticket_id)
    return JsonResponse(
        {
            "articles": [
                {
                    "id": article.article_id,
                    "title": article.title,
                    "url": settings.SITE_URL + article.url,
                    "shown_by_bot": article.shown_by_bot,
                }
                for article in queries.articles_for_agent(session)
            ]
        }
    )
