"""Console page for emails held back from their ticket (the sender is not one of its participants)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from watchkeeper.core.views import render_console
from watchkeeper.mail import actions
from watchkeeper.mail.models import InboundEmail
from watchkeeper.tickets import queries as ticket_queries
from watchkeeper.tickets.actions import TicketError


def _held_for(request: HttpRequest) -> list[InboundEmail]:
    visible = ticket_queries.tickets_for(request.user).values("pk")
    return list(
        InboundEmail.objects.filter(status=InboundEmail.Status.HELD, ticket__in=visible)
        .select_related("ticket")
        .order_by("received_at")
    )


@login_required
@permission_required(ticket_queries.WORK_PERMISSION, raise_exception=True)
def held_emails(request: HttpRequest) -> HttpResponse:
    page = Paginator(_held_for(request), 50).get_page(request.GET.get("page"))
    return render_console(request, "mail/held.html", "mail:held", {"page": page})


@login_required
@permission_required(ticket_queries.WORK_PERMISSION, raise_exception=True)
@require_POST
def decide_held_email(request: HttpRequest, inbound_id: int) -> HttpResponse:
    inbound = next((item for item in _held_for(request) if item.pk == inbound_id), None)
    if inbound is None or inbound.ticket is None:
        raise Http404(_("No such held email."))
    try:
        if request.POST.get("decision") == "release":
            actions.release_held_email(inbound, request.user)
            messages.success(
                request, _("The email was added to %(reference)s.") % {"reference": inbound.ticket.reference}
            )
        else:
            actions.discard_held_email(inbound, request.user)
            messages.success(request, _("The email was discarded."))
    except TicketError as error:
        messages.error(request, str(error))
    return redirect("mail:held")
