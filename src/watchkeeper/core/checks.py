"""System checks of what the core needs from its environment, shown when a command starts."""

from __future__ import annotations

import sqlite3
from typing import Any

from django.conf import settings
from django.core import checks

# UPDATE/INSERT ... RETURNING (core.compiled, tickets.actions): the chat writer's hot path.
MIN_SQLITE = (3, 35, 0)


def sqlite_returns_rows(**kwargs: Any) -> list[checks.CheckMessage]:
    uses_sqlite = any(
        database["ENGINE"] == "django.db.backends.sqlite3" for database in settings.DATABASES.values()
    )
    if not uses_sqlite or sqlite3.sqlite_version_info >= MIN_SQLITE:
        return []
    return [
        checks.Error(
            f"SQLite {sqlite3.sqlite_version} is too old: Watchkeeper needs "
            f"{'.'.join(map(str, MIN_SQLITE))} or newer (RETURNING).",
            hint="Use a Python built against a newer SQLite, or PostgreSQL (DATABASE_URL).",
            id="core.E001",
        )
    ]
