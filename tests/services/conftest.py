from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def require_services() -> None:
    """These tests need PostgreSQL and Redis (`make test-services` provides both)."""
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        message = f"{', '.join(missing)} not set: run `make test-services`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
