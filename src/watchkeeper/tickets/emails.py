"""The emails a customer gets about their ticket, in their language, threaded so mail clients keep one
conversation: every message carries our own Message-ID, In-Reply-To and References, and the ticket
number in the subject."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from watchkeeper.accounts import queries as account_queries
from watchkeeper.tickets.models import Message, Ticket
from watchkeeper.tickets.rendering import render_message


@dataclass(frozen=True)
class OutgoingEmail:
    message: EmailMultiAlternatives
    message_id: str  # without angle brackets, as Message.email_message_id stores it


def customer_language(ticket: Ticket) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    if ticket.language in codes:
        return ticket.language
    preferred = getattr(ticket.requester, "preferred_language", "")
    return preferred if preferred in codes else settings.LANGUAGE_CODE


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "watchkeeper.localhost"


def new_message_id(ticket: Ticket) -> str:
    # The ticket number in the id helps a person reading headers; threading looks the id up instead.
    return make_msgid(idstring=f"wk{ticket.pk}", domain=_domain()).strip("<>")


def _thread_headers(ticket: Ticket, message_id: str) -> dict[str, str]:
    """In-Reply-To the customer's latest email, References the whole chain we know of."""
    known = list(
        ticket.messages.exclude(email_message_id__in=["", message_id])
        .order_by("created_at", "pk")
        .values_list("email_message_id", flat=True)
    )[-20:]
    headers = {"Message-ID": f"<{message_id}>"}
    if known:
        headers["In-Reply-To"] = f"<{known[-1]}>"
        headers["References"] = " ".join(f"<{item}>" for item in known)
    return headers


def _subject(ticket: Ticket) -> str:
    return f"[{ticket.reference}] {ticket.subject}"


def _ticket_url(ticket: Ticket, language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse("tickets:detail", args=[ticket.pk])


def _promise(minutes: int, business_hours: bool) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        if business_hours:
            return ngettext("%(count)d business hour", "%(count)d business hours", hours) % {"count": hours}
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _build(
    ticket: Ticket, template: str, context: dict[str, Any], *, automatic: bool, message_id: str = ""
) -> OutgoingEmail:
    language = customer_language(ticket)
    message_id = message_id or new_message_id(ticket)
    with translation.override(language):
        full_context = {
            "ticket": ticket,
            "ticket_url": _ticket_url(ticket, language),
            "site_name": settings.SITE_NAME,
            "language": language,
            **context,
        }
        text = render_to_string(f"tickets/email/{template}.txt", full_context)
        html = render_to_string(f"tickets/email/{template}.html", full_context)
    headers = _thread_headers(ticket, message_id)
    if automatic:
        # RFC 3834: other robots must not answer this one (no auto-reply loops).
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    email = EmailMultiAlternatives(
        subject=_subject(ticket),
        body=text,
        from_email=f"{settings.SITE_NAME} <{settings.DEFAULT_FROM_EMAIL}>",
        to=[account_queries.reply_address(ticket.requester)],
        reply_to=[settings.DEFAULT_FROM_EMAIL],
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    return OutgoingEmail(email, message_id)


def acknowledgement(ticket: Ticket) -> OutgoingEmail:
    policy = ticket.sla_policy
    with translation.override(customer_language(ticket)):
        promise = _promise(policy.first_response_minutes, policy.business_hours) if policy else ""
    return _build(ticket, "acknowledgement", {"promise": promise}, automatic=True)


def reply(ticket: Ticket, message: Message) -> OutgoingEmail:
    """An agent's reply, sent under the Message-ID the message was stored with."""
    author = message.author
    name = (author.get_short_name() if author else "") or _("Support")
    return _build(
        ticket,
        "reply",
        {"message": message, "author_name": name, "body_html": render_message(message.body)},
        automatic=False,
        message_id=message.email_message_id,
    )


def status_changed(ticket: Ticket) -> OutgoingEmail:
    return _build(ticket, "status", {}, automatic=True)


def reminder(ticket: Ticket) -> OutgoingEmail:
    return _build(ticket, "reminder", {"solve_days": settings.TICKET_PENDING_SOLVE_DAYS}, automatic=True)
