from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.static import serve

from watchkeeper.core.registry import visible_console_nav


@dataclass(frozen=True)
class SupportRoute:
    """One need on the customer home and the channel that serves it best."""

    key: str
    title: Promise
    text: Promise
    action: Promise
    url_name: str  # the channel's page, once its app is installed
    urgent: bool = False


SUPPORT_ROUTES = [
    SupportRoute(
        "question",
        _("I have a question"),
        _(
            "Deposits, withdrawals, fees, verification, security settings: "
            "most answers are in the help center."
        ),
        _("Search the help center"),
        "helpcenter:home",
    ),
    SupportRoute(
        "urgent",
        _("Something is wrong right now"),
        _(
            "Account compromised, a withdrawal you did not make, a trade or transfer stuck: "
            "talk to a person in live chat, day and night."
        ),
        _("Start a live chat"),
        "chat:start",
        urgent=True,
    ),
    SupportRoute(
        "case",
        _("A case that needs evidence"),
        _(
            "A missing deposit, a disputed trade, a verification problem: open a ticket with screenshots "
            "and follow it until it is solved."
        ),
        _("Open a ticket"),
        "tickets:new",
    ),
    SupportRoute(
        "news",
        _("News and community"),
        _("Maintenance, listings and incidents are announced here first; ask other users in the forum."),
        _("Read announcements"),
        "announcements:list",
    ),
]


def reverse_if_available(url_name: str) -> str | None:
    """The address of a page that a later or optional app provides, or None while it does not exist."""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def render_console(
    request: HttpRequest, template: str, active_nav: str, context: dict[str, Any]
) -> HttpResponse:
    """A page of the agent console: its layout shows the navigation this user may see."""
    return render(
        request, template, {"nav": visible_console_nav(request.user), "active_nav": active_nav, **context}
    )


def home(request: HttpRequest) -> HttpResponse:
    routes = [{"route": route, "url": reverse_if_available(route.url_name)} for route in SUPPORT_ROUTES]
    return render(request, "core/home.html", {"routes": routes})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and `make run` smoke checks: 200 when the database answers, 503 when not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database_ok = True
    except Exception:
        database_ok = False
    status = 200 if database_ok else 503
    return JsonResponse(
        {"status": "ok" if database_ok else "unavailable", "database": database_ok}, status=status
    )


@require_GET
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Uploaded files, when no web server or object storage serves them (the single-process default).

    Only files the app stored under names it chose; their types were checked from their bytes at upload.
    """
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["Cache-Control"] = "public, max-age=86400"
    return response


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # 500.html extends nothing and uses no URL or database lookups: the error may be in either.
    return render(request, "500.html", status=500)
