"""What the chat console adds around the conversation: the supervisors' board of every team's queue, live
chats and agents; macros filled in for the chat; help-center articles suggested from what the customer
last wrote."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.actions import set_presence
from watchkeeper.accounts.models import Team, User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import enrol_totp, make_user
from watchkeeper.answers.queries import Answer
from watchkeeper.chat import actions, queries
from watchkeeper.chat.models import ChatSession, State
from watchkeeper.chat.templatetags.chat import clock
from watchkeeper.chat.tests.conftest import MONDAY_10, article, make_agent, make_customer
from watchkeeper.helpcenter import actions as help_actions
from watchkeeper.helpcenter.models import Category, Section
from watchkeeper.tickets.models import Macro

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _human(customer: User, *, minutes: float = 0) -> ChatSession:
    at = MONDAY_10 + timedelta(minutes=minutes)
    return actions.start_chat(customer, "talk to a human", now=at).session


def _active(agent: User, customer: User) -> ChatSession:
    session = _human(customer)
    assert session.offered_to == agent
    return actions.accept_offer(session, agent, now=MONDAY_10)


@pytest.fixture
def bob(support: Team) -> User:
    return enrol_totp(make_agent(support, "Bob", max_chats=1))


@pytest.fixture
def lead() -> User:
    return enrol_totp(make_user(Role.TEAM_LEAD, display_name="Dana"))


# ---------------------------------------------------------------- the supervisor's board


def test_supervisor_page_is_for_team_leads_and_admins(client: Client, support: Team, bob: User) -> None:
    url = reverse("chatconsole:supervisor")
    assert url == "/en/console/chats/supervisor/"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("account_login"))
    assert _client(make_customer()).get(url).status_code == 403
    assert _client(bob).get(url).status_code == 403  # an agent, even with a second factor
    assert _client(bob).get(reverse("chatconsole:supervisor_board")).status_code == 403
    unenrolled = make_user(Role.TEAM_LEAD, display_name="Lee")
    response = _client(unenrolled).get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_activate_totp"))
    admin = enrol_totp(make_user(Role.ADMIN, display_name="Ada"))
    assert _client(admin).get(url).status_code == 200


def test_supervisor_sees_waiting_and_live_chats_and_agents(support: Team, bob: User, lead: User) -> None:
    carol = make_agent(support, "Carol")
    set_presence(carol, "away")
    _active(bob, make_customer("Alice"))
    waiting = _human(make_customer("Wen", vip_tier=2, language="zh-hans"), minutes=1)
    assert waiting.state == State.QUEUED  # Bob holds his one chat, Carol is away
    page = _client(lead).get(reverse("chatconsole:supervisor"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{reverse("chatconsole:chats")}" aria-current="page"' in html
    assert 'hx-get="/en/console/chats/supervisor/board/"' in html and 'data-teams="support"' in html
    assert '<h2 id="team-support">Support</h2>' in html
    assert "Wen" in html and "zh-hans" in html and "VIP 2" in html
    assert waiting.ticket.reference in html
    assert "Alice" in html and "Bob" in html
    assert "No chats waiting" not in html and "No live chats" not in html
    assert "Online" in html and "Away" in html and "1 of 1" in html
    # The board alone, as the page polls it.
    board = _client(lead).get(reverse("chatconsole:supervisor_board"))
    assert board.status_code == 200 and "Wen" in board.content.decode()
    assert "<html" not in board.content.decode()
    assert "no-cache" in board["Cache-Control"] or "max-age=0" in board["Cache-Control"]


def test_supervisor_empty_state(support: Team, lead: User) -> None:
    html = _client(lead).get(reverse("chatconsole:supervisor")).content.decode()
    assert "No chats waiting" in html and "No live chats" in html and "No agents in this team" in html
    assert "No agent online" in html


def test_chat_console_links_supervisors_to_the_board(bob: User, lead: User) -> None:
    url = reverse("chatconsole:supervisor")
    assert url.encode() in _client(lead).get(reverse("chatconsole:chats")).content
    assert url.encode() not in _client(bob).get(reverse("chatconsole:chats")).content


def test_board_orders_the_queue_and_estimates_waits_in_four_queries(
    support: Team, experts: Team, django_assert_max_num_queries: Any
) -> None:
    bob = make_agent(support, "Bob", max_chats=1)
    make_agent(experts, "Xavier")
    _active(bob, make_customer("Alice"))
    _human(make_customer("First"), minutes=1)
    _human(make_customer("Vip", vip_tier=3), minutes=2)
    teams = list(Team.objects.order_by("name"))
    with django_assert_max_num_queries(4):
        boards = {
            board.team.slug: board
            for board in queries.supervisor_board(teams, MONDAY_10 + timedelta(minutes=5))
        }
    board = boards["support"]
    # VIP first, then first come first served; one slot (Bob's, taken), H = the 300 s default.
    assert [(c.customer_name, c.position) for c in board.waiting] == [("Vip", 1), ("First", 2)]
    assert [c.seconds for c in board.waiting] == [180, 240]
    assert [c.estimated_wait_seconds for c in board.waiting] == [300, 600]
    assert board.next_wait_seconds == 900
    assert [(c.agent_name, c.customer_name, c.seconds) for c in board.live] == [("Bob", "Alice", 300)]
    assert [(a.name, a.load, a.max_chats) for a in board.overview.agents] == [("Bob", 1, 1)]
    experts_board = boards["futures"]
    assert experts_board.waiting == [] and experts_board.live == []
    assert experts_board.next_wait_seconds == 0  # Xavier is free


def test_an_offer_holds_a_slot_on_the_board(support: Team) -> None:
    bob = make_agent(support, "Bob", max_chats=2)
    offered = _human(make_customer("Alice"))
    assert offered.state == State.OFFERED
    [board] = queries.supervisor_board([support], MONDAY_10)
    [row] = board.waiting
    assert (row.state, row.agent_name, row.position) == ("offered", "Bob", 1)
    [agent] = board.overview.agents
    assert (agent.active_chats, agent.offered_chats, agent.load) == (0, 1, 1)
    assert board.capacity.free_slots == 1 and bob.pk == agent.user_id


def test_nobody_online_means_no_estimate(support: Team) -> None:
    set_presence(make_agent(support, "Bob"), "offline")
    [board] = queries.supervisor_board([support], MONDAY_10)
    assert board.next_wait_seconds is None


def test_clock_reads_like_a_stopwatch() -> None:
    assert [clock(value) for value in (0, 45, 725, 3723, None)] == ["0:00", "0:45", "12:05", "1:02:03", ""]


# ---------------------------------------------------------------- macros


def test_macros_are_filled_in_for_the_chat(support: Team, bob: User) -> None:
    session = _active(bob, make_customer("Alice"))
    Macro.objects.create(
        name="Greeting", body="Hello {{ customer_name }}, {{agent_name}} here about {{ ticket_reference }}."
    )
    Macro.objects.create(name="Support only", body="For the support team.", team=support)
    Macro.objects.create(name="Other team", body="Not for Bob.", team=Team.objects.create(name="O", slug="o"))
    Macro.objects.create(name="Retired", body="Old.", is_active=False)
    response = _client(bob).get(reverse("chatconsole:macros", args=[session.ticket_id]))
    assert response.status_code == 200
    macros = {macro["name"]: macro["body"] for macro in response.json()["macros"]}
    assert macros == {
        "Greeting": f"Hello Alice, Bob here about {session.ticket.reference}.",
        "Support only": "For the support team.",
    }


def test_macros_of_a_chat_the_agent_cannot_see_are_404(support: Team, bob: User) -> None:
    session = _active(bob, make_customer("Alice"))
    outsider = enrol_totp(make_agent(Team.objects.create(name="Other", slug="other"), "Olga"))
    url = reverse("chatconsole:macros", args=[session.ticket_id])
    assert _client(outsider).get(url).status_code == 404
    assert _client(make_customer("Mallory")).get(url).status_code == 403
    assert _client(bob).get(reverse("chatconsole:macros", args=[999999])).status_code == 404


# ---------------------------------------------------------------- suggested articles


def _publish(slug: str, title: str, body: str) -> int:
    section = Section.objects.first() or Section.objects.create(
        category=Category.objects.create(slug="funding", names={"en": "Funding"}),
        slug="crypto",
        names={"en": "Crypto"},
    )
    writer = enrol_totp(make_user(Role.AGENT))
    reviewer = enrol_totp(make_user(Role.CONTENT_REVIEWER))
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
    return item.article_id


def _articles(user: User, session: ChatSession) -> Any:
    return _client(user).get(reverse("chatconsole:articles", args=[session.ticket_id]))


def test_articles_follow_the_customers_latest_messages(support: Team, bob: User, settings: Any) -> None:
    settings.SITE_URL = "https://support.example"
    deposit = _publish(
        "deposit-not-credited",
        "Deposit not credited",
        "A deposit is credited after the network confirms it. Check the memo and the network.",
    )
    withdrawal = _publish(
        "withdrawal-fees", "Withdrawal fees", "Each withdrawal pays a network fee that depends on the coin."
    )
    session = _active(bob, make_customer("Alice"))
    # Only "talk to a human" so far: nothing to go on.
    assert [a["id"] for a in _articles(bob, session).json()["articles"]] == []

    actions.customer_says(session, "My deposit is not credited yet", client_id="c-2")
    found = _articles(bob, session).json()["articles"]
    assert found[0] == {
        "id": deposit,
        "title": "Deposit not credited",
        "url": "https://support.example/en/help/a/deposit-not-credited/",
        "shown_by_bot": False,
    }
    assert withdrawal not in [a["id"] for a in found]

    # A new message from the customer changes what is suggested; the agent's own words do not count.
    actions.agent_says(session, bob, "Is it about a deposit?", client_id="a-1")
    actions.customer_says(session, "Also, what are the withdrawal fees?", client_id="c-3")
    ids = [a["id"] for a in _articles(bob, session).json()["articles"]]
    assert withdrawal in ids and len(ids) <= 3


def test_articles_say_which_the_bot_already_sent(
    support: Team, bob: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = _active(bob, make_customer("Alice"))
    actions.customer_says(session, "deposit missing", client_id="c-2")
    actions.customer_says(session, "sent it an hour ago", client_id="c-3")
    ChatSession.objects.filter(pk=session.pk).update(shown_article_ids=[7])
    asked: list[tuple[str, str]] = []

    def matcher(question: str, *, language: str = "en", limit: int = 3) -> Answer:
        asked.append((question, language))
        return Answer(decision="suggest", articles=[article(7, "Deposit"), article(8, "Memo")])

    monkeypatch.setattr("watchkeeper.chat.queries.match_question", matcher)
    found = _articles(bob, session).json()["articles"]
    assert [(a["id"], a["shown_by_bot"]) for a in found] == [(7, True), (8, False)]
    # The matcher reads the customer's latest messages together, oldest first.
    assert asked == [("talk to a human\ndeposit missing\nsent it an hour ago", "en")]


def test_articles_of_a_chat_the_agent_cannot_see_are_404(support: Team, bob: User) -> None:
    session = _active(bob, make_customer("Alice"))
    outsider = enrol_totp(make_agent(Team.objects.create(name="Other", slug="other"), "Olga"))
    assert _articles(outsider, session).status_code == 404
    assert _articles(make_customer("Mallory"), session).status_code == 403
