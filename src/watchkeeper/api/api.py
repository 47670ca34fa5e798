"""The NinjaAPI root at /api/v1. Each app contributes a router from its own api.py."""

from __future__ import annotations

from http import HTTPStatus

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from watchkeeper.accounts.api import router as accounts_router
from watchkeeper.answers.api import router as answers_router
from watchkeeper.helpcenter.api import editor_router as helpcenter_editor_router
from watchkeeper.helpcenter.api import router as helpcenter_router
from watchkeeper.search.api import router as search_router
from watchkeeper.tickets.api import router as tickets_router

api = NinjaAPI(
    title="Watchkeeper API",
    version="1",
    description="Customer-support API for cryptocurrency exchanges. Session or token authenticated.",
    urls_namespace="api",
)
api.add_router("/accounts/", accounts_router)
api.add_router("/help/", helpcenter_router)
api.add_router("/help/editor/", helpcenter_editor_router)
api.add_router("/search/", search_router)
api.add_router("/answers/", answers_router)
api.add_router("/tickets/", tickets_router)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"error": "not_authenticated", "detail": "Log in or send valid credentials."}, status=401
    )


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"error": "forbidden", "detail": "Your account may not do this."}, status=403
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(
        request, {"error": "not_found", "detail": str(exc) or "Not found."}, status=404
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Errors raised with a status and a message (conflicts, throttling) in the same shape as the rest."""
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
    return api.create_response(request, {"error": code, "detail": exc.message}, status=exc.status_code)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {"error": "invalid_input", "detail": "The request does not match the schema.", "errors": exc.errors},
        status=422,
    )


@api.get("/health", auth=None, tags=["system"])
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}
