"""What a server says and checks when it starts."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from watchkeeper.realtime.broker import get_broker


class InsecureStartError(ImproperlyConfigured):
    pass


def refuse_insecure_start() -> None:
    """A production server (DEBUG off) must have a SECRET_KEY from the environment: without one, sessions
    and signed links would be signed with a key that changes on every restart, or a known one."""
    if not settings.DEBUG and not settings.SECRET_KEY_FROM_ENV:
        raise InsecureStartError(
            "Refusing to start: SECRET_KEY is not set and DEBUG is off. Set SECRET_KEY to a long random "
            "value (for example `python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DEBUG=1 for a local development server."
        )


def describe_database() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"SQLite at {db['NAME']} (WAL)"
    return f"{connection.display_name} {db.get('NAME')} on {db.get('HOST') or 'local socket'}"


def describe_tasks() -> str:
    backend = settings.TASKS["default"]["BACKEND"].rsplit(".", 1)[-1]
    where = (
        "worker thread in this process" if settings.RUN_WORKER_IN_PROCESS else "separate `watchkeeper worker`"
    )
    return f"{backend} ({where})"


def banner(url: str) -> str:
    lines = [
        f"Watchkeeper is serving on {url}",
        f"  database:  {describe_database()}",
        f"  real time: {get_broker().description}"
        + (" (set REDIS_URL to scale out)" if not settings.REDIS_URL else ""),
        f"  tasks:     {describe_tasks()}",
        f"  email:     {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]}",
        f"  debug:     {'on' if settings.DEBUG else 'off'}",
        f"  customer site: {url}/   agent console: {url}/en/console/   admin: {url}/en/admin/",
    ]
    if connection.vendor == "sqlite" and not settings.REDIS_URL:
        lines.append(
            "  Embedded mode: SQLite and in-process real time, for one process. See docs/operations.md."
        )
    return "\n".join(lines)
