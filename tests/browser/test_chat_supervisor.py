"""The chat console's helpers in headless Chromium against the real server: a team lead watches the
supervisor's board fill as a VIP customer joins the queue, without reloading; the agent on a chat inserts
a suggested help-center article and a macro into the reply, and the suggestions follow the customer's next
message. Screenshots are kept in test-output/browser/chat_supervisor/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def _people() -> dict[str, Any]:
    from watchkeeper.accounts.actions import set_presence
    from watchkeeper.accounts.models import AgentProfile, CustomerProfile, Team, User
    from watchkeeper.accounts.roles import Role
    from watchkeeper.accounts.tests.factories import enrol_totp, make_user
    from watchkeeper.helpcenter import actions as help_actions
    from watchkeeper.helpcenter.models import Category, Section
    from watchkeeper.tickets.models import Channel, Macro, RoutingRule

    team = Team.objects.create(name="Live support", slug="live-support")
    RoutingRule.objects.create(name="Chats", order=1, channel=Channel.CHAT, team=team, auto_assign=False)
    agent = enrol_totp(make_user(Role.AGENT, email="alex@exchange.test", display_name="Alex"))
    profile = AgentProfile.objects.get_or_create(user=agent)[0]
    profile.teams.add(team)
    profile.max_concurrent_chats = 1
    profile.save()
    set_presence(agent, "online")
    lead = enrol_totp(make_user(Role.TEAM_LEAD, email="dana@exchange.test", display_name="Dana"))
    customer = make_user(Role.CUSTOMER, email="mei@example.test", display_name="Mei")
    vip = make_user(Role.CUSTOMER, email="wen@example.test", display_name="Wen")
    CustomerProfile.objects.update_or_create(user=vip, defaults={"vip_tier": 2})
    vip = User.objects.select_related("customer_profile").get(pk=vip.pk)  # not the cached tier 0
    Macro.objects.create(name="Greeting", body="Hello {{ customer_name }}, this is {{ agent_name }}.")
    section = Section.objects.create(
        category=Category.objects.create(slug="funding", names={"en": "Funding"}), slug="crypto", names={}
    )
    writer = enrol_totp(make_user(Role.AGENT, email="writer@exchange.test"))
    reviewer = enrol_totp(make_user(Role.CONTENT_REVIEWER, email="reviewer@exchange.test"))
    for slug, title, body in [
        ("deposit-not-credited", "Deposit not credited", "A deposit is credited once confirmed."),
        ("withdrawal-fees", "Withdrawal fees", "Each withdrawal pays a network fee for its coin."),
    ]:
        item = help_actions.create_article(
            writer,
            section=section,
            slug=slug,
            level="beginner",
            language="en",
            content=help_actions.RevisionInput(title=title, body=body, summary=title),
        )
        help_actions.submit_for_review(writer, item)
        help_actions.approve(reviewer, item)
    return {"agent": agent, "lead": lead, "customer": customer, "vip": vip}


def _live_chat(people: dict[str, Any]) -> int:
    from watchkeeper.chat import actions

    session = actions.start_chat(people["customer"], "talk to a human").session
    session = actions.accept_offer(session, people["agent"])
    actions.customer_says(session, "My deposit is not credited", client_id="c-2")
    return session.pk


def test_supervisor_board_and_the_agents_reply_helpers(
    live_url: str,
    browser_page: Any,
    test_output: Path,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    shot: Callable[[Any, Path, str], None],
    in_thread: Callable[[Callable[[], Any]], Any],
    staff_session: Callable[[Any], str],
) -> None:
    from playwright.sync_api import expect

    from watchkeeper.answers.queries import Answer

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.SITE_URL = live_url
    folder = test_output / "browser" / "chat_supervisor"
    folder.mkdir(parents=True, exist_ok=True)
    # No trained matcher here: the suggestions come from the help center's full-text search.
    monkeypatch.setattr(
        "watchkeeper.chat.queries.match_question", lambda *args, **kwargs: Answer("decline", [])
    )
    people = in_thread(_people)
    sessions = {name: staff_session(people[name]) for name in ("lead", "agent")}
    session_id = in_thread(lambda: _live_chat(people))

    # 1. The lead opens the board from the chat console: Mei is live with Alex, nobody waits.
    page = browser_page
    page.context.add_cookies([{"name": "sessionid", "value": sessions["lead"], "url": live_url}])
    page.goto(f"{live_url}/en/console/chats/")
    page.get_by_role("link", name="Supervisor view").click()
    expect(page.get_by_role("heading", name="Chat supervisor")).to_be_visible()
    team = page.locator(".supervisor-team", has=page.get_by_role("heading", name="Live support"))
    expect(team.locator("table", has_text="Duration")).to_contain_text("Mei")
    expect(team.locator("table", has_text="Duration")).to_contain_text("Alex")
    expect(team).to_contain_text("No chats waiting")
    expect(team.locator("table", has_text="Presence")).to_contain_text("1 of 1")
    shot(page, folder, "01-supervisor-one-live-chat")

    # 2. A VIP customer asks for a person while Alex is full: the board shows her waiting, unreloaded.
    from watchkeeper.chat import actions

    waiting = in_thread(lambda: actions.start_chat(people["vip"], "talk to a human").session)
    assert waiting.state == "queued"
    row = team.locator("tbody tr", has_text="Wen")
    expect(row).to_contain_text("VIP 2", timeout=10000)
    expect(row).to_contain_text("en")
    expect(team).not_to_contain_text("No chats waiting")
    shot(page, folder, "02-supervisor-vip-waiting")

    # 3. The agent's console: an article suggested from Mei's message and a macro, inserted in the reply.
    agent_context = page.context.browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    agent_context.add_cookies([{"name": "sessionid", "value": sessions["agent"], "url": live_url}])
    agent = agent_context.new_page()
    agent.goto(f"{live_url}/en/console/chats/")
    expect(agent.locator("#chat-title")).to_have_text("Mei")
    expect(agent.get_by_role("link", name="Supervisor view")).to_have_count(0)
    suggestions = agent.locator("#chat-suggestions")
    suggested = suggestions.locator("li", has_text="Deposit not credited")
    expect(suggested).to_be_visible()
    suggested.get_by_role("button", name="Insert in reply").click()
    reply = agent.get_by_label("Message")
    expect(reply).to_have_value(f"Deposit not credited\n{live_url}/en/help/a/deposit-not-credited/")
    agent.get_by_label("Insert a macro").select_option(label="Greeting")
    expect(reply).to_have_value(
        f"Deposit not credited\n{live_url}/en/help/a/deposit-not-credited/\nHello Mei, this is Alex."
    )
    shot(agent, folder, "03-agent-article-and-macro")
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(agent.locator("#chat-log-holder .chat-agent").last).to_contain_text("Hello Mei, this is Alex.")

    # 4. Mei asks about something else: the suggestions follow her latest message.
    from watchkeeper.chat.models import ChatSession

    in_thread(
        lambda: actions.customer_says(
            ChatSession.objects.get(pk=session_id), "And what are the withdrawal fees?", client_id="c-3"
        )
    )
    expect(suggestions.locator("li", has_text="Withdrawal fees")).to_be_visible(timeout=10000)
    shot(agent, folder, "04-agent-suggestions-follow")
    agent_context.close()
