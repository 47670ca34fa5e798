"""The NinjaAPI root at /api/v1. Each app contributes a router from its own api.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from watchkeeper.accounts.api import router as accounts_router

api = NinjaAPI(
    title="Watchkeeper API",
    version="1",
    description="Customer-support API for cryptocurrency exchanges. Session or token authenticated.",
    urls_namespace="api",
)
api.add_router("/accounts/", accounts_router)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"error": "not_authenticated", "detail": "Log in or send valid credentials."}, status=401
    )


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
