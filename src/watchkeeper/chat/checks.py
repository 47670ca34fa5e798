"""System checks for the chat widget's settings, shown when a command starts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

# RFC 7518 §3.2: an HS256 key at least as long as the hash; shorter ones can be guessed offline from
# any token a customer holds.
MIN_SECRET_LENGTH = 32


def identity_secrets_are_long(**kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"CHAT_IDENTITY_SECRETS entry {number} has {len(secret)} characters; at least "
            f"{MIN_SECRET_LENGTH} are needed.",
            hint="Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'",
            id="chat.E001",
        )
        for number, secret in enumerate(settings.CHAT_IDENTITY_SECRETS, start=1)
        if len(secret) < MIN_SECRET_LENGTH
    ]


def widget_origins_are_origins(**kwargs: Any) -> list[checks.CheckMessage]:
    """frame-ancestors takes origins; a path or a typo would silently stop the widget from showing."""
    problems: list[checks.CheckMessage] = []
    for origin in settings.CHAT_WIDGET_ORIGINS:
        parts = urlsplit(origin)
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.path:
            problems.append(
                checks.Error(
                    f"CHAT_WIDGET_ORIGINS entry {origin!r} is not an origin.",
                    hint="Write scheme and host only, e.g. https://www.example-exchange.com",
                    id="chat.E002",
                )
            )
    return problems
