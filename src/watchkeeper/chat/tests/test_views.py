"""The chat pages: the customer's full-page chat, the agents' chat console, and the JSON list of a chat's
messages with its access rules (a customer sees only their own chats and never an internal note)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.models import Team, User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import enrol_totp, make_user
from watchkeeper.chat import actions
from watchkeeper.chat.models import ChatSession
from watchkeeper.chat.tests.conftest import MONDAY_10, make_agent, make_customer

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def bob(support: Team) -> User:
    return enrol_totp(make_agent(support, "Bob"))


def _active(agent: User, customer: User) -> ChatSession:
    session = actions.start_chat(customer, "talk to a human", client_id="c-1", now=MONDAY_10).session
    assert session.offered_to == agent
    return actions.accept_offer(session, agent, now=MONDAY_10)


def _messages(client: Client, session: ChatSession, after: int | None = None) -> Any:
    url = reverse("chat:messages", args=[session.ticket_id])
    return client.get(url, {"after": after} if after is not None else {})


# ---------------------------------------------------------------- the customer's page


def test_chat_page_sends_anonymous_visitors_to_log_in_and_back(client: Client) -> None:
    url = reverse("chat:start")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert response["Location"].endswith("next=" + url)


def test_chat_page_shows_the_chat_panel_and_resumes_an_open_chat(support: Team, bob: User) -> None:
    customer = make_customer()
    page = _client(customer).get(reverse("chat:start"))
    assert page.status_code == 200
    assert b'id="customer-chat"' in page.content
    assert b'data-session=""' in page.content
    assert b"Talk to a person" in page.content

    session = _active(bob, customer)
    page = _client(customer).get(reverse("chat:start"), {"article": "how-to-deposit"})
    assert f'data-session="{session.pk}"'.encode() in page.content
    assert f'data-ticket="{session.ticket_id}"'.encode() in page.content
    assert b'data-context-url="/en/help/a/how-to-deposit/"' in page.content
    page = _client(customer).get(reverse("chat:start"), {"article": "../<script>"})
    assert page.status_code == 200 and b'data-context-url=""' in page.content


def test_contact_page_links_to_the_chat(client: Client) -> None:
    page = client.get(reverse("helpcenter:contact"))
    assert reverse("chat:start").encode() in page.content


# ---------------------------------------------------------------- the messages endpoint


def test_customer_reads_their_chat_without_internal_notes(support: Team, bob: User) -> None:
    customer = make_customer()
    session = _active(bob, customer)
    actions.agent_says(session, bob, "Hello, I am looking at it.", client_id="a-1")
    actions.agent_says(session, bob, "Customer seems nervous", client_id="a-2", note=True)

    data = _messages(_client(customer), session).json()
    bodies = [m["body"] for m in data["messages"]]
    assert "talk to a human" in bodies
    assert "Hello, I am looking at it." in bodies
    assert "Customer seems nervous" not in bodies
    assert all(m["kind"] != "note" for m in data["messages"])
    mine = next(m for m in data["messages"] if m["body"] == "talk to a human")
    assert mine["side"] == "customer" and mine["client_id"] == "c-1"
    reply = next(m for m in data["messages"] if m["body"] == "Hello, I am looking at it.")
    assert reply["side"] == "agent" and reply["author"] == "Bob" and reply["client_id"] is None

    # Only what follows the given message id.
    later = _messages(_client(customer), session, after=reply["id"]).json()["messages"]
    assert all(m["id"] > reply["id"] for m in later)
    assert "Hello, I am looking at it." not in [m["body"] for m in later]


def test_agent_on_the_chat_sees_internal_notes(support: Team, bob: User) -> None:
    session = _active(bob, make_customer())
    actions.agent_says(session, bob, "Customer seems nervous", client_id="a-2", note=True)
    data = _messages(_client(bob), session).json()
    note = next(m for m in data["messages"] if m["body"] == "Customer seems nervous")
    assert note["kind"] == "note" and note["side"] == "agent"


def test_another_customer_gets_404_for_a_chat_that_is_not_theirs(support: Team, bob: User) -> None:
    session = _active(bob, make_customer("Alice"))
    assert _messages(_client(make_customer("Mallory")), session).status_code == 404


def test_anonymous_visitor_cannot_read_a_chat(client: Client, support: Team, bob: User) -> None:
    session = _active(bob, make_customer())
    response = _messages(client, session)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_agent_outside_the_chats_team_gets_404(support: Team, bob: User) -> None:
    session = _active(bob, make_customer())
    outsider = enrol_totp(make_agent(Team.objects.create(name="Other", slug="other"), "Olga"))
    assert _messages(_client(outsider), session).status_code == 404


def test_staff_without_a_second_factor_cannot_read_a_chat(support: Team, bob: User) -> None:
    session = _active(bob, make_customer())
    colleague = make_agent(support, "Nina")  # same team, no second factor
    assert _messages(_client(colleague), session).status_code == 404
    enrol_totp(colleague)
    assert _messages(_client(colleague), session).status_code == 200


def test_a_ticket_that_is_not_a_chat_is_404(support: Team) -> None:
    from watchkeeper.tickets.models import Ticket

    customer = make_customer()
    ticket = Ticket.objects.create(requester=customer, subject="Email case")
    response = _client(customer).get(reverse("chat:messages", args=[ticket.pk]))
    assert response.status_code == 404


def test_bot_articles_are_listed_with_local_links_only(support: Team, matcher: Any) -> None:
    from watchkeeper.answers.queries import Answer
    from watchkeeper.chat.tests.conftest import article

    matcher.answers.append(Answer(decision="answer", articles=[article(7, "How to deposit")]))
    customer = make_customer()
    session = actions.start_chat(customer, "how do I deposit?", client_id="c-1", now=MONDAY_10).session
    data = _messages(_client(customer), session).json()
    bot = next(m for m in data["messages"] if m["side"] == "bot")
    assert bot["articles"] == [{"id": 7, "title": "How to deposit", "url": "/en/help/article-7/"}]
    assert bot["offer_human"] is True


# ---------------------------------------------------------------- the agents' console


def test_console_requires_login(client: Client) -> None:
    response = client.get(reverse("chatconsole:chats"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_console_is_for_staff_only() -> None:
    response = _client(make_customer()).get(reverse("chatconsole:chats"))
    assert response.status_code == 403


def test_console_asks_staff_without_a_second_factor_to_enrol(support: Team) -> None:
    agent = make_agent(support, "Nina")
    response = _client(agent).get(reverse("chatconsole:chats"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_console_lists_the_agents_chats_and_is_in_the_navigation(support: Team, bob: User) -> None:
    session = _active(bob, make_customer("Alice"))
    page = _client(bob).get(reverse("chatconsole:chats"))
    assert page.status_code == 200
    assert f'data-chat-session="{session.pk}"'.encode() in page.content
    assert b'data-name="Alice"' in page.content
    assert f'href="{reverse("chatconsole:chats")}" aria-current="page"'.encode() in page.content
    assert b'<option value="support">Support</option>' in page.content


def test_console_shows_a_standing_offer(support: Team, bob: User) -> None:
    session = actions.start_chat(make_customer("Alice"), "talk to a human", now=MONDAY_10).session
    assert session.offered_to == bob
    page = _client(bob).get(reverse("chatconsole:chats"))
    assert f'data-offer-session="{session.pk}"'.encode() in page.content


def test_console_navigation_link_shows_on_other_console_pages(bob: User) -> None:
    page = _client(bob).get(reverse("inbox:list"))
    assert reverse("chatconsole:chats").encode() in page.content


def test_team_lead_reaches_the_console() -> None:
    lead = enrol_totp(make_user(Role.TEAM_LEAD, display_name="Dana"))
    assert _client(lead).get(reverse("chatconsole:chats")).status_code == 200


# ---------------------------------------------------------------- files in a chat

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _upload(
    client: Client, session: ChatSession, *files: tuple[str, bytes], text: str = "", client_id: str = "f-1"
) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("chat:upload", args=[session.ticket_id]),
        {
            "files": [SimpleUploadedFile(name, data) for name, data in files],
            "text": text,
            "client_id": client_id,
        },
    )


def test_both_sides_send_files_and_read_them_in_the_chat(support: Team, bob: User) -> None:
    customer = make_customer()
    session = _active(bob, customer)
    sent = _upload(_client(customer), session, ("screenshot.png", PNG), text="Here is the error")
    assert sent.status_code == 201
    assert (
        _upload(_client(bob), session, ("steps.txt", b"1. open Wallet\n"), client_id="f-2").status_code == 201
    )

    rows = _messages(_client(customer), session).json()["messages"]
    mine = next(m for m in rows if m["body"] == "Here is the error")
    assert mine["side"] == "customer" and mine["client_id"] == "f-1"
    [image] = mine["attachments"]
    assert (image["name"], image["kind"], image["content_type"]) == ("screenshot.png", "image", "image/png")
    assert _client(customer).get(image["url"]).status_code == 200
    [text_file] = next(m for m in rows if m["side"] == "agent" and m["attachments"])["attachments"]
    assert text_file["name"] == "steps.txt"
    # The same upload again (the page resent it): stored once.
    assert (
        _upload(_client(customer), session, ("screenshot.png", PNG), text="Here is the error").status_code
        == 201
    )
    assert session.ticket.messages.filter(client_id="f-1").count() == 1


def test_a_refused_file_names_the_rule(support: Team, bob: User) -> None:
    customer = make_customer()
    session = _active(bob, customer)
    refused = _upload(_client(customer), session, ("tool.exe", b"MZ\x90\x00" + b"\x00" * 60))
    assert refused.status_code == 400
    assert "PDF or plain-text" in refused.json()["error"]
    nothing = _client(customer).post(reverse("chat:upload", args=[session.ticket_id]), {"text": "hi"})
    assert nothing.status_code == 400 and nothing.json()["error"] == "Choose a file to send."


def test_only_the_chats_people_may_send_files(support: Team, bob: User) -> None:
    session = _active(bob, make_customer("Alice"))
    assert _upload(_client(make_customer("Mallory")), session, ("a.png", PNG)).status_code == 404
    other_agent = enrol_totp(make_agent(support, "Carol"))
    refused = _upload(_client(other_agent), session, ("a.png", PNG))
    assert refused.status_code == 400 and "Only the agent who holds this chat" in refused.json()["error"]
    anonymous = _upload(Client(), session, ("a.png", PNG))
    assert anonymous.status_code == 302
    assert not session.ticket.messages.filter(attachments__isnull=False).exists()
