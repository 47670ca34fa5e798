"""A real Watchkeeper ASGI server (uvicorn, HTTP + WebSocket) in a thread of the test process, sharing its
test database and mail outbox, and headless Chromium (Debian's package) driven by Playwright.

The helpers the browser tests share are fixtures that return a function (`shot`, `in_thread`,
`staff_session`): a conftest is not importable by name, and a copy in every test file drifts."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

T = TypeVar("T")


def _shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _in_thread(function: Callable[[], T]) -> T:
    """Playwright's sync API runs an event loop in the test's thread, so the ORM is asked from another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function).result()


def _staff_session(user: Any) -> str:
    """A signed-in session for an agent who has enrolled TOTP (what the console requires of staff)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.session.session_key or ""


@pytest.fixture
def live_url(transactional_db: None) -> Iterator[str]:
    from watchkeeper.realtime.routing import build_application

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(build_application(), host="127.0.0.1", port=port, lifespan="off", log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser_page(test_output: Path) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        yield page
        context.close()
        browser.close()


class _DepositMatcher:
    """The matcher, answering the first question with a deposit article and declining the rest (the live
    server runs in this process, so the bot asks this)."""

    def __init__(self) -> None:
        self.asked = 0

    def __call__(self, question: str, *, language: str = "en", limit: int = 3) -> Any:
        from watchkeeper.answers.queries import Answer, SuggestedArticle

        self.asked += 1
        if self.asked > 1:
            return Answer(decision="decline", articles=[])
        article = SuggestedArticle(
            article_id=41,
            slug="how-to-deposit",
            language="en",
            title="How to deposit crypto",
            summary="Copy your deposit address and network from the Deposit page.",
            url="/en/help/a/how-to-deposit/",
            confidence=0.93,
            is_fallback=False,
        )
        return Answer(decision="answer", articles=[article])


@pytest.fixture
def deposit_matcher() -> Callable[[], Any]:
    """deposit_matcher(): a fresh matcher to patch over the bot's (the live server runs in this process)."""
    return _DepositMatcher


@pytest.fixture
def shot() -> Callable[[Any, Path, str], None]:
    """shot(page, folder, name): a full-page screenshot, kept as folder/name.png."""
    return _shot


@pytest.fixture
def in_thread() -> Callable[[Callable[[], Any]], Any]:
    """in_thread(function): its result, computed in a worker thread (for ORM calls during a browser test)."""
    return _in_thread


@pytest.fixture
def staff_session() -> Callable[[Any], str]:
    """staff_session(user): the key of a new signed-in session for that staff user, to set as the browser's
    session cookie (the console's login with TOTP is covered by the accounts tests)."""
    return lambda user: _in_thread(lambda: _staff_session(user))
