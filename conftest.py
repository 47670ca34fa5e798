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


@pytest.fixture
def test_output() -> Path:
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT
