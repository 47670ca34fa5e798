"""Shared pytest fixtures for the whole suite (unit tests live in each app's tests/ folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

TEST_OUTPUT = Path(__file__).resolve().parent / "test-output"


@pytest.fixture(autouse=True)
def immediate_tasks_and_clean_cache(settings: Any) -> Iterator[None]:
    """Tasks run at enqueue time unless a test asks for the database worker; rate-limit counters in the
    cache start empty for every test. On Redis each xdist worker gets its own database number, because
    clearing a Redis cache flushes the whole database under the other workers' feet."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    if settings.REDIS_URL:
        index = 1 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
        base = (
            settings.REDIS_URL.rsplit("/", 1)[0] if settings.REDIS_URL.count("/") > 2 else settings.REDIS_URL
        )
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"{base}/{index}",
            }
        }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Every test starts in English. LocaleMiddleware activates a request's language in the thread and
    leaves it there, so a test that asked for /de/… made the next test on that worker run in German."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def test_output() -> Path:
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT


@pytest.fixture(autouse=True)
def audit_log_emptied_before_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """A transactional test ends with Django's flush, which on SQLite deletes every table's rows, and the
    audit log's append-only trigger refuses that. Its entries are removed first, the one way the trigger
    allows: with the chain head's `purging` flag set, as the retention purge does."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    ) or any(name in request.fixturenames for name in ("transactional_db", "live_server"))
    if not transactional:
        yield
        return
    # Requested here so that this fixture's teardown runs before the database fixture's flush.
    request.getfixturevalue("transactional_db")
    yield
    from django.db import transaction

    from watchkeeper.core.models import AuditChainHead, AuditEntry

    with transaction.atomic():
        AuditChainHead.objects.update_or_create(pk=AuditChainHead.SINGLETON, defaults={"purging": True})
        AuditEntry.objects.all().delete()
        AuditChainHead.objects.all().delete()
