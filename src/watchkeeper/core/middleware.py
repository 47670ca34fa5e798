from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class UserLanguageMiddleware:
    """Let a signed-in user's saved language choose the language of URLs that carry none (`/`), on any
    device, by presenting it to LocaleMiddleware as the language cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.preferred_language:
            request.COOKIES.setdefault(settings.LANGUAGE_COOKIE_NAME, user.preferred_language)
        return self.get_response(request)
