"""A deposit ticket end to end in headless Chromium against the real server: the customer files it with a
screenshot and gets the acknowledgement, an agent answers with a macro, the customer replies, marks it
solved and rates it. Screenshots of every step are kept in test-output/browser/ticket_flow/."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

pytestmark = pytest.mark.browser

TXID = "9f3c" * 16
ADDRESS = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"


def png(width: int = 48, height: int = 32) -> bytes:
    """A real (tiny, solid blue) PNG: the upload is checked by its bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x20\x60\xc0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _people() -> dict[str, Any]:
    from watchkeeper.accounts.models import AgentProfile, Team
    from watchkeeper.accounts.roles import Role
    from watchkeeper.accounts.tests.factories import PASSWORD, enrol_totp, make_user
    from watchkeeper.tickets.models import Macro, RoutingRule, SlaPolicy

    team = Team.objects.create(name="Deposits", slug="deposits")
    agent = enrol_totp(make_user(Role.AGENT, email="alex@exchange.test", display_name="Alex"))
    AgentProfile.objects.get_or_create(user=agent)[0].teams.add(team)
    RoutingRule.objects.create(name="Deposits", category="deposit", team=team, auto_assign=False)
    SlaPolicy.objects.create(
        name="Standard", first_response_minutes=60, next_response_minutes=120, resolution_minutes=1440
    )
    Macro.objects.create(
        name="Deposit confirming",
        body="Hello {{ customer_name }}, your deposit on {{ ticket_reference }} is confirming on chain;"
        " it will be credited within 10 minutes.",
        set_status="pending",
    )
    customer = make_user(Role.CUSTOMER, email="mei@example.test", display_name="Mei")
    return {"agent": agent, "customer": customer, "password": PASSWORD}


def test_deposit_ticket_from_form_to_rating(
    live_url: str,
    browser_page: Any,
    test_output: Path,
    tmp_path: Path,
    settings: Any,
    shot: Callable[[Any, Path, str], None],
    in_thread: Callable[[Callable[[], Any]], Any],
    staff_session: Callable[[Any], str],
) -> None:
    from playwright.sync_api import expect

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    page = browser_page
    folder = test_output / "browser" / "ticket_flow"
    folder.mkdir(parents=True, exist_ok=True)
    people = in_thread(_people)
    screenshot = tmp_path / "transfer.png"
    screenshot.write_bytes(png())

    # 1. The customer signs in and files a deposit ticket with a screenshot.
    page.goto(f"{live_url}/en/accounts/login/?next=/en/tickets/new/")
    page.get_by_label("Email").fill("mei@example.test")
    page.locator("input[name=password]").fill(people["password"])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/en/tickets/new/$"))
    page.get_by_label("What is it about?").select_option("deposit")
    expect(page.locator("fieldset[data-category=deposit]")).to_be_visible()
    expect(page.locator("fieldset[data-category=withdrawal]")).to_be_hidden()
    details = page.locator("fieldset[data-category=deposit]")
    details.get_by_label("Coin").fill("USDT")
    details.get_by_label("Network").fill("TRC20")
    details.get_by_label("Transaction id (TxID)").fill(TXID)
    details.get_by_label("Destination address").fill(ADDRESS)
    details.get_by_label("Amount").fill("250")
    page.get_by_label("Subject").fill("USDT deposit not credited")
    page.get_by_label("Describe the problem").fill(
        "I sent 250 USDT two hours ago; my wallet shows it confirmed."
    )
    page.get_by_label("Attachments").set_input_files(str(screenshot))
    shot(page, folder, "01-new-ticket")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/en/tickets/\d+/$"))
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"WK-\d{6}", reference)
    expect(page.locator(".ticket-facts")).to_contain_text(TXID)
    expect(page.locator(".attachments img.preview")).to_be_visible()
    shot(page, folder, "02-ticket-open")

    # 2. The acknowledgement names the ticket and the promised response time.
    acknowledgement = next(message for message in mail.outbox if message.to == ["mei@example.test"])
    assert reference in acknowledgement.subject and "1 hour" in acknowledgement.body

    # 3. An agent answers with a macro, in a second browser context (their own session).
    agent_context = page.context.browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    agent_context.add_cookies(
        [{"name": "sessionid", "value": staff_session(people["agent"]), "url": live_url}]
    )
    agent_page = agent_context.new_page()
    ticket_number = int(reference.removeprefix("WK-"))
    agent_page.goto(f"{live_url}/en/console/tickets/{ticket_number}/")
    expect(agent_page.locator("h1")).to_contain_text("USDT deposit not credited")
    agent_page.get_by_label("Start from a macro").select_option(label="Deposit confirming")
    expect(agent_page.locator("#reply-body")).to_have_value(
        re.compile(rf"Hello Mei, your deposit on {reference}")
    )
    expect(agent_page.locator("#reply-status")).to_have_value("pending")
    shot(agent_page, folder, "03-agent-macro")
    agent_page.get_by_role("button", name="Send", exact=True).click()
    expect(agent_page.locator(".thread-message.from-staff").last).to_contain_text("is confirming on chain")
    shot(agent_page, folder, "04-agent-replied")
    agent_context.close()
    assert any(
        "is confirming on chain" in message.body
        for message in mail.outbox
        if message.to == ["mei@example.test"]
    )

    # 4. The customer sees the answer, replies, marks the ticket solved and rates it.
    page.reload()
    expect(page.locator("#ticket-status")).to_have_text("Waiting on you")
    expect(page.locator(".thread-message.from-staff")).to_contain_text("is confirming on chain")
    page.get_by_label("Your reply").fill("Received now, thank you!")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".thread-message.from-customer").last).to_contain_text("Received now, thank you!")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="My problem is solved").click()
    expect(page.locator("#ticket-status")).to_have_text("Solved")
    shot(page, folder, "05-solved")
    page.get_by_label("5 — excellent").check()
    page.get_by_label("Anything to add?").fill("Fast and clear.")
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#rating-given")).to_contain_text("You rated this 5 out of 5.")
    shot(page, folder, "06-rated")

    from watchkeeper.tickets.models import Ticket

    rating = in_thread(lambda: Ticket.objects.get(pk=ticket_number).rating)
    assert rating.score == 5 and rating.comment == "Fast and clear."
