"""Routing: account manager first, then language and skill; capacity; offers that time out go to the
next agent (never back to the same one), and an agent who misses two in a row is set away."""

from __future__ import annotations

from datetime import timedelta

import pytest

from watchkeeper.accounts.models import AgentProfile, Presence, Team, User
from watchkeeper.chat import actions
from watchkeeper.chat.actions import ChatError
from watchkeeper.chat.events import ChatAssigned, ChatOffered, ChatOfferWithdrawn
from watchkeeper.chat.models import ChatOffer, ChatSession, State
from watchkeeper.chat.tests.conftest import MONDAY_10, Published, make_agent, make_customer
from watchkeeper.tickets.models import Status

pytestmark = pytest.mark.django_db

OFFER = timedelta(seconds=30)


def _ask(customer: User, text: str = "talk to a human", **kwargs: object) -> ChatSession:
    kwargs.setdefault("now", MONDAY_10)
    return actions.start_chat(customer, text, **kwargs).session


def test_the_offer_goes_to_an_agent_who_speaks_the_language(support: Team, published: Published) -> None:
    make_agent(support, "Bob", languages=("en",))
    chen = make_agent(support, "Chen", languages=("zh-hans", "en"))
    session = _ask(make_customer("Li", language="zh-hans"), "我要人工客服")
    assert session.language == "zh-hans"
    assert session.state == State.OFFERED and session.offered_to == chen
    assert session.offer_expires_at == MONDAY_10 + OFFER
    [offer] = published.of(ChatOffered, f"agent.{chen.pk}")
    assert offer.language == "zh-hans" and offer.customer_name == "Li"


def test_skills_matter_after_language(support: Team) -> None:
    make_agent(support, "Bob")
    kyc = make_agent(support, "Kim", skills=("account",))
    session = _ask(make_customer(), "agent please", category="account")
    assert session.offered_to == kyc


def test_the_account_manager_comes_first_even_from_another_team(support: Team, experts: Team) -> None:
    make_agent(support, "Bob", languages=("en",))
    manager = make_agent(experts, "Maria")
    vip = make_customer("Vip", vip_tier=3, manager=manager)
    session = _ask(vip)
    assert session.offered_to == manager and session.vip_tier == 3


def test_a_busy_account_manager_is_skipped(support: Team) -> None:
    bob = make_agent(support, "Bob")
    manager = make_agent(support, "Maria", max_chats=1)
    actions.accept_offer(_ask(make_customer("Other", manager=manager)), manager, now=MONDAY_10)
    session = _ask(make_customer("Vip", vip_tier=3, manager=manager))
    assert session.offered_to == bob


def test_an_agent_at_the_limit_gets_no_offer(support: Team) -> None:
    bob = make_agent(support, "Bob", max_chats=1)
    first = _ask(make_customer("first"))
    assert first.offered_to == bob
    # A standing offer already takes Bob's only slot.
    second = _ask(make_customer("second"))
    assert second.state == State.QUEUED and second.offered_to is None
    actions.accept_offer(first, bob, now=MONDAY_10)
    assert actions.dispatch(support.pk, now=MONDAY_10 + timedelta(seconds=5)) == 0
    carol = make_agent(support, "Carol")
    assert actions.dispatch_for_agent(carol, now=MONDAY_10 + timedelta(seconds=6)) == 1
    second.refresh_from_db()
    assert second.offered_to == carol


def test_a_lapsed_offer_goes_to_the_next_agent_and_never_back(support: Team, published: Published) -> None:
    bob = make_agent(support, "Bob", languages=("en",))
    carol = make_agent(support, "Carol")
    session = _ask(make_customer())
    assert session.offered_to == bob
    # Not yet: the offer stands for 30 seconds.
    assert actions.expire_offers(now=MONDAY_10 + timedelta(seconds=29)) == 0
    assert actions.expire_offers(now=MONDAY_10 + OFFER) == 1
    session.refresh_from_db()
    assert session.state == State.OFFERED and session.offered_to == carol
    assert session.offer_expires_at == MONDAY_10 + 2 * OFFER
    assert published.of(ChatOfferWithdrawn, f"agent.{bob.pk}")[-1].reason == "expired"
    # Carol lets it lapse too: Bob, who already let it go, is not offered it again; it waits.
    assert actions.expire_offers(now=MONDAY_10 + 2 * OFFER) == 0
    session.refresh_from_db()
    assert session.state == State.QUEUED and session.offered_to is None
    assert list(session.offers.values_list("outcome", flat=True)) == ["expired", "expired"]


def test_offers_also_expire_lazily_in_the_next_routing_call(support: Team) -> None:
    bob = make_agent(support, "Bob", max_chats=1)
    carol = make_agent(support, "Carol", max_chats=1)
    session = _ask(make_customer())
    assert session.offered_to == bob
    later = MONDAY_10 + timedelta(seconds=31)
    with pytest.raises(ChatError):
        actions.accept_offer(session, bob, now=later)
    session.refresh_from_db()
    assert session.offered_to == carol


def test_two_missed_offers_in_a_row_set_the_agent_away(support: Team) -> None:
    bob = make_agent(support, "Bob", languages=("en",))
    make_agent(support, "Carol", max_chats=0)  # in the team, never free
    first = _ask(make_customer("first"))
    assert first.offered_to == bob
    actions.expire_offers(now=MONDAY_10 + OFFER)
    assert AgentProfile.objects.get(user=bob).presence == Presence.ONLINE  # one miss is forgiven
    second = _ask(make_customer("second"), now=MONDAY_10 + OFFER)
    assert second.offered_to == bob
    actions.expire_offers(now=MONDAY_10 + 2 * OFFER)
    assert AgentProfile.objects.get(user=bob).presence == Presence.AWAY


def test_an_accepted_offer_resets_the_missed_count(support: Team) -> None:
    bob = make_agent(support, "Bob", max_chats=5)
    _ask(make_customer("first"))
    actions.expire_offers(now=MONDAY_10 + OFFER)
    accepted = _ask(make_customer("second"), now=MONDAY_10 + OFFER)
    actions.accept_offer(accepted, bob, now=MONDAY_10 + OFFER)
    _ask(make_customer("third"), now=MONDAY_10 + OFFER)
    actions.expire_offers(now=MONDAY_10 + 2 * OFFER)
    assert AgentProfile.objects.get(user=bob).presence == Presence.ONLINE


def test_a_declined_offer_goes_to_the_next_agent(support: Team, published: Published) -> None:
    bob = make_agent(support, "Bob", languages=("en",))
    carol = make_agent(support, "Carol")
    session = _ask(make_customer())
    actions.decline_offer(session, bob, now=MONDAY_10 + timedelta(seconds=3))
    assert session.offered_to == carol and session.state == State.OFFERED
    assert published.of(ChatOfferWithdrawn, f"agent.{bob.pk}")[-1].reason == "declined"
    assert ChatOffer.objects.get(session=session, agent=bob).outcome == "declined"


def test_accepting_assigns_the_ticket_and_tells_the_customer(support: Team, published: Published) -> None:
    bob = make_agent(support, "Bob")
    session = _ask(make_customer())
    with pytest.raises(ChatError):
        actions.accept_offer(session, make_agent(support, "Eve"), now=MONDAY_10)
    actions.accept_offer(session, bob, now=MONDAY_10 + timedelta(seconds=5))
    session.refresh_from_db()
    ticket = session.ticket
    ticket.refresh_from_db()
    assert session.state == State.ACTIVE and session.agent == bob
    assert session.accepted_at == MONDAY_10 + timedelta(seconds=5)
    assert ticket.assignee == bob and ticket.team == support and ticket.status == Status.OPEN
    assert ticket.messages.filter(from_bot=True, body="Bob joined the chat.").exists()
    assert published.of(ChatAssigned, f"agent.{bob.pk}")


def test_the_periodic_job_offers_to_agents_who_came_online(support: Team) -> None:
    bob = make_agent(support, "Bob", max_chats=1)
    first = _ask(make_customer("first"))
    actions.accept_offer(first, bob, now=MONDAY_10)
    waiting = _ask(make_customer("second"))
    assert waiting.state == State.QUEUED
    carol = make_agent(support, "Carol")  # set_presence alone does not route
    assert actions.expire_offers(now=MONDAY_10 + timedelta(seconds=10)) == 1
    waiting.refresh_from_db()
    assert waiting.offered_to == carol


def test_dispatch_query_budget(support: Team, django_assert_max_num_queries: object) -> None:
    for name in ("Bob", "Carol", "Dan"):
        make_agent(support, name, max_chats=1, languages=("en", "de"), skills=("deposit",))
    for index in range(3):
        actions.accept_offer(
            _ask(make_customer(f"c{index}")),
            User.objects.get(display_name=("Bob", "Carol", "Dan")[index]),
            now=MONDAY_10,
        )
    for index in range(5):
        _ask(make_customer(f"w{index}"))
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        actions.dispatch(support.pk, now=MONDAY_10 + timedelta(seconds=1))


def test_an_offer_that_lapsed_in_another_process_cannot_be_accepted(support: Team) -> None:
    bob = make_agent(support, "Bob")
    session = _ask(make_customer())
    stale = ChatSession.objects.get(pk=session.pk)
    actions.expire_offers(now=MONDAY_10 + OFFER)
    # The stale copy still says "offered to Bob, 20 s left"; the database knows better.
    with pytest.raises(ChatError):
        actions.accept_offer(stale, bob, now=MONDAY_10 + timedelta(seconds=10))
    assert ChatSession.objects.get(pk=session.pk).agent is None


def test_ending_a_chat_sends_no_status_email(support: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[object] = []
    monkeypatch.setattr("watchkeeper.tickets.actions._send_status_change", sent.append)
    bob = make_agent(support, "Bob")
    session = _ask(make_customer())
    actions.accept_offer(session, bob, now=MONDAY_10)
    actions.end_chat(session, bob, now=MONDAY_10 + timedelta(minutes=3))
    assert sent == []
