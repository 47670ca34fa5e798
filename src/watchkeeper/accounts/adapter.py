from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.forms import BaseForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from watchkeeper.accounts import actions, queries
from watchkeeper.accounts.models import User
from watchkeeper.mail.actions import queue_email


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": format_lazy(
            _(
                "Too many failed log-in attempts. To protect the account, password log-in is paused: "
                "try again in {minutes} minutes, or reset your password."
            ),
            minutes=max(1, settings.LOGIN_ATTEMPTS_TIMEOUT // 60),
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ALLOW_SIGNUP

    def save_user(self, request: HttpRequest, user: Any, form: BaseForm, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            actions.register_customer(user, translation.get_language() or settings.LANGUAGE_CODE)
        return user

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        if queries.is_staff_member(request.user):
            return reverse("console:home")
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render in the recipient's language, then hand the message to the task queue so a slow mail
        server never holds up a page."""
        user = User.objects.filter(email__iexact=email).only("preferred_language").first()
        language = user.preferred_language if user else translation.get_language() or settings.LANGUAGE_CODE
        with translation.override(language):
            ctx = {"email": email, "site_name": settings.SITE_NAME, **context}
            ctx.setdefault("request", allauth_context.request)
            message = self.render_mail(template_prefix, email, ctx)
        queue_email(message)
