from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.static import serve

from watchkeeper.core import actions, audit, queries
from watchkeeper.core.forms import AuditFilterForm
from watchkeeper.core.models import AuditEntry
from watchkeeper.core.registry import registry, visible_console_nav


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


# ---------------------------------------------------------------- audit log

AUDIT_PAGE_SIZE = 50
# Spreadsheets run a cell that starts with one of these as a formula; a failed log-in's typed address
# is the visitor's own text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _audit_filters(request: HttpRequest, data: Any) -> tuple[AuditFilterForm, dict[str, Any]]:
    form = AuditFilterForm(data or None)
    if not form.is_bound:
        return form, {}
    form.is_valid()  # invalid fields are left out of cleaned_data: the valid ones still filter
    return form, form.query()


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _details_text(details: dict[str, Any]) -> str:
    return ", ".join(
        f"{key}: {value if isinstance(value, str | int | bool) or value is None else json.dumps(value)}"
        for key, value in sorted(details.items())
    )


def _verification_context() -> dict[str, Any]:
    verification = queries.latest_audit_verification()
    problem = verification.report.get("problem") if verification else None
    return {"verification": verification, "problem": queries.describe_problem(problem) if problem else ""}


@login_required
@permission_required(audit.VIEW_PERMISSION, raise_exception=True)
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, 50 a page. Pages are counted, not totalled: counting millions of
    entries on every page would cost more than the page."""
    form, filters = _audit_filters(request, request.GET)
    number = _page_number(request)
    offset = (number - 1) * AUDIT_PAGE_SIZE
    found = list(queries.audit_entries(**filters)[offset : offset + AUDIT_PAGE_SIZE + 1])
    rows = [
        {
            "entry": entry,
            "label": registry.audit_action_label(entry.action),
            "details": _details_text(entry.details),
        }
        for entry in found[:AUDIT_PAGE_SIZE]
    ]
    query_string = request.GET.copy()
    query_string.pop("page", None)
    context = {
        "form": form,
        "rows": rows,
        "page": {"number": number, "has_previous": number > 1, "has_next": len(found) > AUDIT_PAGE_SIZE},
        "query_string": query_string.urlencode(),
        "filtered": any(filters.values()),
        **_verification_context(),
    }
    return render_console(request, "core/audit_log.html", "audit:log", context)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class _Line:
    """csv.writer writes into this and the generator yields each line as it is made."""

    def write(self, value: str) -> str:
        return value


async def _csv_lines(entries: QuerySet[AuditEntry], labels: dict[str, str]) -> AsyncIterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(
        [
            "number",
            "time",
            "actor",
            "action",
            "action_label",
            "target_type",
            "target_id",
            "ip_address",
            "details",
            "hash",
        ]
    )
    async for entry in entries.aiterator(chunk_size=2000):
        yield writer.writerow(
            [
                entry.sequence,
                audit.timestamp(entry.created_at),
                _cell(entry.actor_label),
                entry.action,
                _cell(labels.get(entry.action, entry.action)),
                _cell(entry.target_type),
                _cell(entry.target_id),
                entry.ip_address or "",
                _cell(json.dumps(entry.details, ensure_ascii=False, sort_keys=True)),
                entry.hash,
            ]
        )


@login_required
@permission_required(audit.VIEW_PERMISSION, raise_exception=True)
@require_POST
def export_audit_log(request: HttpRequest) -> HttpResponseBase:
    """The filtered log as CSV, streamed (a large export never sits in memory). The export is itself
    an entry of the log, and holds exactly the entries that came before it."""
    form, filters = _audit_filters(request, request.POST)
    entries = queries.audit_entries(**filters)
    recorded = {key: value for key, value in form.data.items() if key in form.fields and value}
    export = actions.record_audit(
        audit.EXPORTED,
        actor=request.user,
        details={"filters": recorded, "rows": entries.count()},
        request=request,
    )
    labels = {code: str(action.label) for code, action in registry.audit_actions.items()}
    response = StreamingHttpResponse(
        _csv_lines(entries.filter(sequence__lt=export.sequence), labels),
        content_type="text/csv; charset=utf-8",
    )
    name = f"audit-log-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@permission_required(audit.VIEW_PERMISSION, raise_exception=True)
@require_POST
def verify_audit_log(request: HttpRequest) -> HttpResponse:
    actions.start_audit_verification(request.user, request=request)
    messages.info(request, gettext("The chain is being checked; the result appears below."))
    return redirect("audit:log")


@login_required
@permission_required(audit.VIEW_PERMISSION, raise_exception=True)
@require_GET
def audit_verification_status(request: HttpRequest) -> HttpResponse:
    """The latest check's state, polled by the page while a check runs."""
    return render(request, "core/partials/audit_verification.html", _verification_context())
