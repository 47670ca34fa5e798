"""A live chat end to end in headless Chromium against the real server, with a browser context per person:
the customer (on a phone-sized screen) gets an article from the bot and votes on it, asks for a person in
Chinese and sees the queue; an agent of the team a chat routing rule points at accepts the offer in the
chat console, they exchange a message and a file each way, the agent transfers the chat to the expert
team with a note, the expert accepts and ends the chat, and the customer rates it. Screenshots of every
step are kept in test-output/browser/chat_flow/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def _people() -> dict[str, Any]:
    from watchkeeper.accounts.actions import set_presence
    from watchkeeper.accounts.models import AgentProfile, Team
    from watchkeeper.accounts.roles import Role
    from watchkeeper.accounts.tests.factories import enrol_totp, make_user
    from watchkeeper.tickets.models import Channel, RoutingRule

    team = Team.objects.create(name="Live support", slug="live-support")
    RoutingRule.objects.create(name="Chats", order=1, channel=Channel.CHAT, team=team, auto_assign=False)
    agent = enrol_totp(make_user(Role.AGENT, email="alex@exchange.test", display_name="Alex"))
    profile = AgentProfile.objects.get_or_create(user=agent)[0]
    profile.teams.add(team)
    set_presence(agent, "online")
    experts = Team.objects.create(name="Futures experts", slug="futures")
    expert = enrol_totp(make_user(Role.AGENT, email="fay@exchange.test", display_name="Fay"))
    AgentProfile.objects.get_or_create(user=expert)[0].teams.add(experts)
    set_presence(expert, "online")
    customer = make_user(Role.CUSTOMER, email="mei@example.test", display_name="Mei")
    return {"agent": agent, "expert": expert, "customer": customer}


class Line:
    """The customer's chat socket, passed through to the server, that the test can cut: while `down`, open
    sockets are closed and new ones refused, as when a phone loses its network."""

    def __init__(self) -> None:
        self.down = False
        self.routes: list[Any] = []

    def route(self, ws: Any) -> None:
        if self.down:
            ws.close()
            return
        ws.connect_to_server()
        self.routes.append(ws)


def test_customer_asks_for_a_person_and_rates_the_chat(
    live_url: str,
    browser_page: Any,
    test_output: Path,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    shot: Callable[[Any, Path, str], None],
    in_thread: Callable[[Callable[[], Any]], Any],
    staff_session: Callable[[Any], str],
    deposit_matcher: Callable[[], Any],
) -> None:
    from playwright.sync_api import expect

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    folder = test_output / "browser" / "chat_flow"
    folder.mkdir(parents=True, exist_ok=True)
    people = in_thread(_people)
    monkeypatch.setattr("watchkeeper.chat.actions.match_question", deposit_matcher())
    # Every session before any chat starts: a login writes to the user table, which the shared in-memory
    # test database locks while the chat writer's transaction runs.
    sessions = {name: staff_session(people[name]) for name in ("customer", "agent", "expert")}

    # 1. The customer, on a phone, finds the chat from the contact page and asks for a person in Chinese.
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.add_cookies([{"name": "sessionid", "value": sessions["customer"], "url": live_url}])
    line = Line()
    page.route_web_socket("**/ws/chat/", line.route)
    page.goto(f"{live_url}/en/help/contact/")
    page.get_by_role("link", name="Chat with us").click()
    expect(page.locator("#customer-chat")).to_be_visible()
    expect(page.get_by_role("button", name="Talk to a person")).to_be_visible()
    shot(page, folder, "01-customer-chat-empty")

    # 2. The bot answers a question with an article; the customer says it helped.
    page.get_by_label("Message").fill("How do I deposit?")
    page.get_by_role("button", name="Send", exact=True).click()
    answer = page.locator(".chat-bot", has_text="How to deposit crypto")
    expect(answer.get_by_role("link", name="How to deposit crypto")).to_have_attribute(
        "href", "/en/help/a/how-to-deposit/"
    )
    expect(answer).to_contain_text("Was this helpful?")
    shot(page, folder, "02-bot-answer")
    answer.get_by_role("button", name="Yes").click()
    expect(answer).to_contain_text("Thank you for your feedback.")
    expect(page.locator(".chat-bot", has_text="Glad that helped")).to_be_visible()

    # 3. Then asks for a person in Chinese and sees the queue.
    page.get_by_label("Message").fill("转人工")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".chat-customer").last).to_contain_text("转人工")
    expect(page.locator("#chat-queue")).to_contain_text("You are number 1 in the queue.")
    shot(page, folder, "03-customer-queued")
    page.reload()  # the open chat resumes: its messages and the queue come back
    expect(page.locator(".chat-customer").last).to_contain_text("转人工")
    expect(page.locator("#chat-queue")).to_contain_text("You are number 1 in the queue.")

    # 4. The agent sees the offer in the chat console and accepts it.
    agent_context = page.context.browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    agent_context.add_cookies([{"name": "sessionid", "value": sessions["agent"], "url": live_url}])
    agent = agent_context.new_page()
    agent.goto(f"{live_url}/en/console/chats/")
    expect(agent.get_by_role("link", name="Chats")).to_have_attribute("aria-current", "page")
    offer = agent.locator(".chat-offer")
    expect(offer).to_contain_text("Mei")
    shot(agent, folder, "04-agent-offer")
    offer.get_by_role("button", name="Accept").click()
    expect(agent.locator("#chat-title")).to_have_text("Mei")
    expect(agent.locator("#chat-log-holder .chat-customer").last).to_contain_text("转人工")

    # 5. They exchange a message each way; the customer sees the agent's name and staff badge.
    expect(page.locator("#chat-queue")).to_contain_text("You are chatting with Alex.")
    agent.get_by_label("Message").fill("Hello Mei, I am Alex. How can I help?")
    expect(page.locator("#chat-typing")).to_have_text("Alex is typing…")
    agent.get_by_role("button", name="Send", exact=True).click()
    reply = page.locator(".chat-agent", has_text="Hello Mei, I am Alex.")
    expect(reply).to_be_visible()
    expect(reply.locator(".badge-staff")).to_have_text("Official staff")
    expect(reply.locator(".chat-who")).to_contain_text("Alex")
    page.get_by_label("Message").fill("My withdrawal is stuck <b>pending</b>")
    page.get_by_role("button", name="Send", exact=True).click()
    from_customer = agent.locator("#chat-log-holder .chat-customer", has_text="My withdrawal is stuck")
    expect(from_customer).to_be_visible()

    # A message written while the connection is down is kept and sent once it is back, exactly once.
    line.down = True
    for route in line.routes:
        route.close()
    expect(page.locator("#chat-connection")).to_be_visible()
    page.get_by_label("Message").fill("Sent while offline")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".chat-pending")).to_contain_text("Sent while offline")
    line.down = False
    expect(page.locator("#chat-connection")).to_be_hidden(timeout=30000)
    expect(agent.locator("#chat-log-holder .chat-customer", has_text="Sent while offline")).to_have_count(1)
    expect(page.locator(".chat-customer", has_text="Sent while offline")).to_have_count(1)
    expect(page.locator(".chat-pending")).to_have_count(0)
    expect(from_customer).to_contain_text("<b>pending</b>")  # shown as typed, never as markup
    expect(page.locator(".chat-pending")).to_have_count(0)
    # A screenshot of the error, from the customer's phone; the agent sees it inline, and sends a file back.
    screenshot = folder / "withdrawal-error.png"
    page.screenshot(path=str(screenshot))
    page.locator("#chat-file").set_input_files(str(screenshot))
    picture = agent.locator("#chat-log-holder .chat-customer img.chat-image[alt='withdrawal-error.png']")
    expect(picture).to_be_visible()
    assert picture.evaluate("image => image.naturalWidth") > 0  # the bytes came through, not a broken image
    agent.locator("#chat-file").set_input_files(
        files=[{"name": "steps.txt", "mimeType": "text/plain", "buffer": b"1. Open Wallet\n2. History\n"}]
    )
    expect(page.locator(".chat-agent .chat-files a", has_text="steps.txt")).to_be_visible()
    agent.locator("#chat-file").set_input_files(
        files=[{"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" + b"\x00" * 64}]
    )
    expect(agent.locator("#chat-error")).to_contain_text("PDF or plain-text")
    agent.get_by_label("Internal note (the customer does not see it)").check()
    agent.get_by_label("Message").fill("Looks like a futures margin question")
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(agent.locator("#chat-log-holder .chat-note")).to_contain_text("futures margin")
    shot(page, folder, "05-customer-talking")
    shot(agent, folder, "06-agent-talking")

    # 6. The agent transfers the chat to the expert team with a note; the expert accepts it.
    agent.get_by_label("Transfer to team").select_option("futures")
    agent.get_by_label("Note for the next agent").fill("Wants to know about the liquidation")
    agent.get_by_role("button", name="Transfer").click()
    expect(agent.locator("#chat-notice")).to_have_text("The chat was transferred.")
    expect(agent.locator("#chat-active-empty")).to_be_visible()
    expert_context = page.context.browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    expert_context.add_cookies([{"name": "sessionid", "value": sessions["expert"], "url": live_url}])
    expert = expert_context.new_page()
    expert.goto(f"{live_url}/en/console/chats/")
    expert.locator(".chat-offer", has_text="Mei").get_by_role("button", name="Accept").click()
    expect(expert.locator("#chat-log-holder")).to_contain_text("Wants to know about the liquidation")
    expect(expert.locator("#chat-log-holder .chat-note").first).to_contain_text("futures margin")
    expect(page.locator("#chat-queue")).to_contain_text("You are chatting with Fay.")
    expect(page.locator("#chat-log")).not_to_contain_text("futures margin")
    expect(page.locator("#chat-log")).not_to_contain_text("Wants to know about the liquidation")
    shot(expert, folder, "07-expert-accepted")

    # 7. The expert ends the chat; the customer rates it.
    expert.get_by_role("button", name="End chat").click()
    expect(expert.locator("#chat-active-empty")).to_be_visible()
    expect(page.locator("#chat-rating")).to_be_visible()
    expect(page.locator("#chat-compose")).to_be_hidden()
    shot(page, folder, "08-customer-rating")
    page.locator("#chat-rating input[name=score][value='5']").check()
    page.get_by_label("Comment (optional)").fill("Quick and kind")
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#chat-ended-text")).to_have_text("Thank you for your rating.")
    expect(page.locator("#chat-rating")).to_be_hidden()
    shot(page, folder, "09-customer-rated")
    shot(expert, folder, "10-expert-ended")
    agent_context.close()
    expert_context.close()

    from watchkeeper.chat.models import ChatSession

    session = in_thread(lambda: ChatSession.objects.get(customer=people["customer"]))
    assert session.state == "ended" and session.rating == 5

    # The transcript stays on the ticket: every line, the files and the notes, each once.
    def transcript() -> list[tuple[str, str, list[str]]]:
        return [
            (message.kind, message.body, [file.filename for file in message.attachments.all()])
            for message in session.ticket.messages.order_by("pk")
        ]

    stored = in_thread(transcript)
    bodies = [body for _kind, body, _files in stored]
    lines = ("How do I deposit?", "转人工", "Hello Mei, I am Alex. How can I help?", "Sent while offline")
    for line_text in lines:
        assert bodies.count(line_text) == 1, line_text
    assert [files for _kind, _body, files in stored if files] == [["withdrawal-error.png"], ["steps.txt"]]
    assert ("note", "Looks like a futures margin question", []) in stored
