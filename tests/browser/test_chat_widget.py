"""The chat widget on an exchange's page, in headless Chromium on a phone-sized screen: the page includes
`/chat/widget.js` with a token its back end signed, the button opens the chat in a frame, the frame signs
the customer in from the token and the bot answers; a page with a forged token gets a refusal and no
chat. The exchange's page is another origin of the same site (as www. and support. of one domain).
Screenshots in test-output/browser/chat_widget/."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

SECRET = "exchange-shared-secret-for-the-browser-test-0123456789"


@contextmanager
def _exchange_site(pages: dict[str, str]) -> Iterator[str]:
    """The exchange's own web server (another origin of the same site as Watchkeeper's), serving `pages`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "not found").encode())

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _exchange_page(live_url: str, token: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta name='viewport' content='width=device-width'>"
        "<title>Example Exchange</title></head><body><h1>Example Exchange</h1><p>Markets, wallet, orders.</p>"
        f"<script src='{live_url}/chat/widget.js' data-token='{token}' async></script></body></html>"
    )


def _setup() -> None:
    from watchkeeper.accounts.models import Team
    from watchkeeper.tickets.models import Channel, RoutingRule

    team = Team.objects.create(name="Live support", slug="live-support")
    RoutingRule.objects.create(name="Chats", order=1, channel=Channel.CHAT, team=team, auto_assign=False)


def test_the_widget_signs_in_the_exchanges_customer_and_refuses_a_forged_token(
    live_url: str,
    browser_page: Any,
    test_output: Path,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    shot: Callable[[Any, Path, str], None],
    in_thread: Callable[[Callable[[], Any]], Any],
    deposit_matcher: Callable[[], Any],
) -> None:
    import jwt

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.CHAT_IDENTITY_SECRETS = [SECRET]
    monkeypatch.setattr("watchkeeper.chat.actions.match_question", deposit_matcher())
    in_thread(_setup)
    folder = test_output / "browser" / "chat_widget"
    folder.mkdir(parents=True, exist_ok=True)

    claims = {"sub": "EX-77", "email": "kenji@example.test", "name": "Kenji", "exp": int(time.time()) + 600}
    pages = {
        "/": _exchange_page(live_url, jwt.encode(claims, SECRET, algorithm="HS256")),
        "/forged": _exchange_page(live_url, jwt.encode(claims, "an-impostors-secret-0123456789abcdefgh")),
    }
    with _exchange_site(pages) as exchange:
        settings.CHAT_WIDGET_ORIGINS = [exchange]
        _walk_through(browser_page, exchange, folder, shot, in_thread)


def _walk_through(
    page: Any,
    exchange: str,
    folder: Path,
    shot: Callable[[Any, Path, str], None],
    in_thread: Callable[[Callable[[], Any]], Any],
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})

    # 1. The exchange's page shows the button; the chat opens in a frame and knows the customer.
    page.goto(f"{exchange}/")
    button = page.get_by_role("button", name="Chat with us")
    expect(button).to_be_visible()
    shot(page, folder, "01-exchange-page-with-button")
    button.click()
    chat = page.frame_locator("iframe[title='Chat with us']")
    expect(chat.locator("#customer-chat")).to_be_visible(timeout=15000)
    frame_box = page.locator("iframe[title='Chat with us']").bounding_box()
    assert frame_box is not None and frame_box["width"] == 390  # full screen on a phone

    # 2. The bot answers from the help center.
    chat.get_by_label("Message").fill("How do I deposit?")
    chat.get_by_role("button", name="Send", exact=True).click()
    expect(chat.locator(".chat-bot", has_text="How to deposit crypto")).to_be_visible()
    shot(page, folder, "02-widget-bot-answer")

    def stored() -> tuple[str, str, list[str]]:
        from watchkeeper.accounts.models import CustomerProfile
        from watchkeeper.chat.models import ChatSession

        profile = CustomerProfile.objects.select_related("user").get(exchange_account_id="EX-77")
        session = ChatSession.objects.get(customer=profile.user)
        return profile.user.email, profile.user.display_name, [m.body for m in session.ticket.messages.all()]

    email, name, bodies = in_thread(stored)
    assert (email, name) == ("kenji@example.test", "Kenji")
    assert "How do I deposit?" in bodies

    # 3. The frame's close button hands back the page.
    chat.get_by_role("button", name="Close the chat").click()
    expect(page.locator("iframe[title='Chat with us']")).to_be_hidden()

    # 4. A page whose token was not signed with the shared secret gets no chat, and is told why.
    forged = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    other = forged.new_page()
    other.goto(f"{exchange}/forged")
    other.get_by_role("button", name="Chat with us").click()
    refused = other.frame_locator("iframe[title='Chat with us']")
    expect(refused.locator("#chat-identify-error")).to_contain_text("signature is not valid")
    expect(refused.locator("#customer-chat")).to_have_count(0)
    shot(other, folder, "03-forged-token-refused")
    forged.close()
