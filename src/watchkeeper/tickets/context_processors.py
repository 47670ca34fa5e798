from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from watchkeeper.tickets.queries import unread_notification_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count in the header; lazy, so pages that do not show it run no query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"UNREAD_NOTIFICATIONS": lambda: unread_notification_count(user)}
