"""With an agent: messages, notes, transfers (the note stays internal, the customer is told where they
went), ending, rating, the transcript by email, and the supervisor's overview."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from watchkeeper.accounts.actions import set_presence
from watchkeeper.accounts.models import Team, User
from watchkeeper.accounts.roles import Role
from watchkeeper.chat import actions, queries
from watchkeeper.chat.actions import ChatError
from watchkeeper.chat.events import ChatAssigned, ChatStateChanged
from watchkeeper.chat.models import ChatSession, ChatTransfer, State
from watchkeeper.chat.tests.conftest import MONDAY_10, Published, make_agent, make_customer
from watchkeeper.tickets import queries as ticket_queries
from watchkeeper.tickets.models import Message, Rating, Status

pytestmark = pytest.mark.django_db


def _active(team: Team, agent: User, customer: User | None = None) -> ChatSession:
    session = actions.start_chat(customer or make_customer(), "talk to a human", now=MONDAY_10).session
    assert session.offered_to == agent
    return actions.accept_offer(session, agent, now=MONDAY_10)


@pytest.fixture
def bob(support: Team) -> User:
    return make_agent(support, "Bob")


def test_agent_and_customer_talk_without_emails_per_message(support: Team, bob: User, customer: User) -> None:
    session = _active(support, bob, customer)
    mail.outbox.clear()
    reply = actions.agent_says(session, bob, "Hello, I am looking at it.", client_id="a-1")
    again = actions.agent_says(session, bob, "Hello, I am looking at it.", client_id="a-1")
    assert again == reply and session.ticket.messages.filter(client_id="a-1").count() == 1
    assert reply.from_staff and not reply.from_bot and reply.channel == "chat"
    answer = actions.customer_says(session, "Thanks!", client_id="c-9")
    assert answer.message is not None and not answer.bot_messages
    assert mail.outbox == []
    session.ticket.refresh_from_db()
    assert session.ticket.first_response_at is not None
    with pytest.raises(ChatError):
        actions.agent_says(session, make_agent(support, "Eve"), "I answer too")


def test_hot_calls_stay_within_their_query_budget(
    support: Team, bob: User, customer: User, django_assert_max_num_queries: Any
) -> None:
    session = queries.session_by_id(_active(support, bob, customer).pk)
    assert session is not None
    actions.customer_says(session, "warm up", client_id="w")
    actions.agent_says(session, bob, "warm up", client_id="x")
    with django_assert_max_num_queries(12):
        actions.customer_says(session, "Where is my deposit?", client_id="c-1")
    with django_assert_max_num_queries(12):
        actions.agent_says(session, bob, "Checking.", client_id="a-1")
    with django_assert_max_num_queries(1):
        actions.customer_says(session, "Where is my deposit?", client_id="c-1")  # a resend


def test_transfer_to_an_agent_with_a_note_the_customer_never_sees(
    support: Team, bob: User, customer: User, published: Published
) -> None:
    session = _active(support, bob, customer)
    carol = make_agent(support, "Carol")
    with pytest.raises(ChatError):
        actions.transfer_chat(session, bob, to_agent=carol, note="  ")
    published.clear()
    transfer = actions.transfer_chat(session, bob, to_agent=carol, note="VIP, wants a refund of the fee")
    assert transfer.from_agent == bob and transfer.to_agent == carol
    session.refresh_from_db()
    session.ticket.refresh_from_db()
    assert session.agent == carol and session.state == State.ACTIVE and session.ticket.assignee == carol
    seen_by_customer = [m.body for m in ticket_queries.messages_for(customer, session.ticket)]
    assert "You have been transferred to Carol." in seen_by_customer
    assert not any("refund of the fee" in body for body in seen_by_customer)
    assert session.ticket.messages.filter(
        kind=Message.Kind.NOTE, body="VIP, wants a refund of the fee"
    ).exists()
    assert published.of(ChatAssigned, f"agent.{carol.pk}")[0].transferred_from == bob.pk
    assert published.of(ChatStateChanged, f"agent.{bob.pk}")  # Bob's console drops the chat


def test_transfer_to_an_expert_team_queues_the_chat_there(
    support: Team, experts: Team, bob: User, customer: User
) -> None:
    session = _active(support, bob, customer)
    with pytest.raises(ChatError):  # nobody of the experts is online
        actions.transfer_chat(session, bob, to_team=experts, note="Futures liquidation question")
    expert = make_agent(experts, "Xavier", role=Role.EXPERT_AGENT)
    actions.transfer_chat(session, bob, to_team=experts, note="Futures liquidation question")
    assert session.team == experts and session.state == State.OFFERED and session.offered_to == expert
    session.ticket.refresh_from_db()
    assert session.ticket.team == experts and session.ticket.assignee is None
    visible = [m.body for m in ticket_queries.messages_for(customer, session.ticket)]
    assert any("transferred to our Futures experts team" in body for body in visible)
    assert not any("liquidation" in body for body in visible)
    assert ChatTransfer.objects.get(session=session).to_team == experts
    actions.accept_offer(session, expert, now=MONDAY_10 + timedelta(seconds=5))
    session.ticket.refresh_from_db()
    assert session.ticket.assignee == expert


def test_ending_asks_for_a_rating_and_keeps_the_transcript(support: Team, bob: User, customer: User) -> None:
    session = _active(support, bob, customer)
    actions.customer_says(session, "Thanks, solved")
    with pytest.raises(ChatError):
        actions.rate_chat(session, customer, 5)
    actions.end_chat(session, bob, now=MONDAY_10 + timedelta(minutes=7))
    session.ticket.refresh_from_db()
    assert session.state == State.ENDED and session.ended_at == MONDAY_10 + timedelta(minutes=7)
    assert session.ticket.status == Status.SOLVED
    assert session.ticket.messages.filter(from_bot=True, metadata__rating_request=True).exists()
    assert session.ticket.messages.filter(body="Thanks, solved").exists()
    with pytest.raises(ChatError):
        actions.rate_chat(session, bob, 1)
    with pytest.raises(ChatError):
        actions.rate_chat(session, customer, 6)
    actions.rate_chat(session, customer, 4, "Quick and kind")
    session.refresh_from_db()
    assert (session.rating, session.rating_comment) == (4, "Quick and kind")
    assert Rating.objects.get(ticket=session.ticket).score == 4
    with pytest.raises(ChatError):
        actions.customer_says(session, "one more thing")


def test_ending_frees_the_slot_for_the_next_customer(support: Team) -> None:
    bob = make_agent(support, "Bob", max_chats=1)
    session = _active(support, bob)
    waiting = actions.start_chat(make_customer("next"), "agent", now=MONDAY_10).session
    assert waiting.state == State.QUEUED
    actions.end_chat(session, bob, now=MONDAY_10 + timedelta(seconds=20))
    waiting.refresh_from_db()
    assert waiting.offered_to == bob


def test_transcript_by_email_is_rate_limited(
    support: Team,
    bob: User,
    customer: User,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.CHAT_TRANSCRIPT_EMAILS_PER_HOUR = 2
    session = _active(support, bob, customer)
    actions.customer_says(session, "My TXID is abc")
    actions.agent_says(session, bob, "Found it, credited now.")
    actions.agent_says(session, bob, "Internal: double-check", note=True)
    captured: list[Any] = []
    monkeypatch.setattr("watchkeeper.mail.actions.queue_email", captured.append)
    for minutes in (0, 1):
        with django_capture_on_commit_callbacks(execute=True):
            actions.email_transcript(session, now=MONDAY_10 + timedelta(minutes=minutes))
    with pytest.raises(ChatError):
        actions.email_transcript(session, now=MONDAY_10 + timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        actions.email_transcript(session, now=MONDAY_10 + timedelta(minutes=61))
    assert len(captured) == 3
    email = captured[0]
    assert email.to == [customer.email] and session.ticket.reference in email.subject
    assert "Found it, credited now." in email.body and "My TXID is abc" in email.body
    assert "double-check" not in email.body


def test_supervisor_overview_in_two_queries(
    support: Team, experts: Team, django_assert_max_num_queries: Any
) -> None:
    bob = make_agent(support, "Bob", max_chats=1)
    make_agent(experts, "Xavier")
    carol = make_agent(support, "Carol", max_chats=1)
    set_presence(carol, "away")
    _active(support, bob)
    actions.start_chat(make_customer("w1"), "agent", now=MONDAY_10)
    actions.start_chat(make_customer("w2"), "agent", now=MONDAY_10 + timedelta(seconds=30))
    teams = list(Team.objects.all())
    with django_assert_max_num_queries(2):
        overview = {
            item.team.slug: item
            for item in queries.supervisor_overview(teams, MONDAY_10 + timedelta(minutes=1))
        }
    assert overview["support"].queue_length == 2 and overview["support"].active_chats == 1
    assert overview["support"].longest_wait_seconds == 60
    agents = {row.name: row for row in overview["support"].agents}
    assert (agents["Bob"].active_chats, agents["Bob"].presence) == (1, "online")
    assert agents["Carol"].presence == "away"
    assert overview["futures"].queue_length == 0 and [a.name for a in overview["futures"].agents] == [
        "Xavier"
    ]


def test_chat_snapshot_for_a_reconnecting_client(support: Team) -> None:
    bob = make_agent(support, "Bob", max_chats=1)
    _active(support, bob)
    waiting = actions.start_chat(make_customer("w"), "agent", now=MONDAY_10).session
    snapshot = queries.chat_snapshot(waiting, MONDAY_10)
    assert (snapshot.state, snapshot.position, snapshot.team) == ("queued", 1, "support")
    assert snapshot.estimated_wait_seconds == 300
