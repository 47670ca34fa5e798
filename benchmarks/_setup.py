"""Shared parts of the benchmarks: Django on a throwaway SQLite file or on a PostgreSQL database given by
--database-url (created if missing, search tables emptied first) for the search benchmarks, and the small
measuring helpers every script uses."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def start_django(database_url: str | None) -> str:
    """Configure settings, migrate, and return the database vendor ("sqlite" or "postgresql")."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    # BENCHMARK_DATA_DIR keeps the SQLite file between runs (for profiling); default a fresh one.
    data_dir = os.environ.get("BENCHMARK_DATA_DIR") or tempfile.mkdtemp(prefix="wk-bench-")
    os.environ.update(
        {
            "WATCHKEEPER_DATA_DIR": data_dir,
            "SECRET_KEY": "benchmark-" + "x" * 40,
            "DJANGO_SETTINGS_MODULE": "watchkeeper.settings",
            "RUN_WORKER_IN_PROCESS": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
        _create_postgres_database(database_url)
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql" and not os.environ.get("BENCHMARK_KEEP_INDEX"):
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE search_suggestion, search_querylog, search_termstatistic, search_vocabularyword,"
                " search_searchdocument CASCADE"
            )
    return connection.vendor


def _create_postgres_database(database_url: str) -> None:
    import dj_database_url

    name = dj_database_url.parse(database_url)["NAME"]
    with postgres_admin(database_url) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def postgres_admin(database_url: str) -> Iterator[Any]:
    """An autocommit connection to the `postgres` database of the server in `database_url`, for
    creating and dropping the benchmarks' own databases."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(database_url)
    with psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        yield admin


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
