from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from watchkeeper.accounts.queries import has_second_factor, is_staff_member

# URL namespaces that handle customers' money and data: staff reach them only with a second factor.
PROTECTED_NAMESPACES = {"admin", "audit", "chatconsole", "console", "editor", "inbox", "mail", "webhooks"}


class StaffSecondFactorMiddleware:
    """Sends agents, team leads and admins who have not enrolled TOTP to enrolment before the agent
    console or the admin: a stolen staff password alone must not open customer accounts."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or not PROTECTED_NAMESPACES.intersection(match.namespaces):
            return None
        user = request.user
        if not user.is_authenticated or not is_staff_member(user) or has_second_factor(user):
            return None
        messages.warning(
            request, _("Set up two-factor authentication before you use the agent console or the admin.")
        )
        return redirect(reverse("mfa_activate_totp") + "?" + urlencode({"next": request.get_full_path()}))
