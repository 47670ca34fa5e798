"""Per-team queues: VIP first, then first come first served; positions and waits; and when nobody can
take the chat, a left message that is an ordinary ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest

from watchkeeper.accounts.actions import set_presence
from watchkeeper.accounts.models import Team, User
from watchkeeper.chat import actions, queries
from watchkeeper.chat.events import ChatQueuePosition, ChatStateChanged
from watchkeeper.chat.models import ChatSession, State
from watchkeeper.chat.tests.conftest import MONDAY_10, Published, make_agent, make_customer
from watchkeeper.tickets.models import Holiday, Message, SlaPolicy, Status

pytestmark = pytest.mark.django_db


def _queued(name: str, *, vip_tier: int = 0, seconds: int = 0) -> ChatSession:
    customer = make_customer(name, vip_tier=vip_tier)
    return actions.start_chat(customer, "agent", now=MONDAY_10 + timedelta(seconds=seconds)).session


def test_vip_customers_are_served_first_then_first_come(support: Team) -> None:
    make_agent(support, "Bob", max_chats=1)
    first = _queued("first", seconds=0)  # offered to Bob at once: he has one slot
    regular = _queued("regular", seconds=1)
    vip_late = _queued("vip", vip_tier=2, seconds=2)
    vip_later = _queued("vip2", vip_tier=2, seconds=3)
    top_vip = _queued("top", vip_tier=5, seconds=4)
    order = list(queries.waiting_sessions(support.pk).values_list("pk", flat=True))
    assert order == [top_vip.pk, vip_late.pk, vip_later.pk, first.pk, regular.pk]
    assert [queries.queue_position(s) for s in (top_vip, vip_late, vip_later, first, regular)] == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_position_changes_are_published_to_each_waiting_customer(support: Team, published: Published) -> None:
    bob = make_agent(support, "Bob", max_chats=1)
    first = _queued("first")
    second = _queued("second", seconds=1)
    published.clear()
    actions.accept_offer(first, bob, now=MONDAY_10 + timedelta(seconds=2))
    [position] = published.of(ChatQueuePosition, f"ticket.{second.ticket_id}")
    assert position.position == 1 and position.session_id == second.pk
    # Bob is at his limit: the estimate is one handling time (default 300 s) over one slot.
    assert position.estimated_wait_seconds == 300
    assert not published.of(ChatQueuePosition, f"ticket.{first.ticket_id}")


def test_estimated_wait_from_handling_times_and_slots(support: Team, settings: object) -> None:
    capacity = queries.TeamCapacity(slots=4, free_slots=1, handling_seconds=600)
    assert capacity.estimated_wait_seconds(1) == 0
    assert capacity.estimated_wait_seconds(2) == 150  # one place beyond the free slot: H / S
    assert capacity.estimated_wait_seconds(9) == 1200
    assert queries.TeamCapacity(slots=0, free_slots=0, handling_seconds=600).estimated_wait_seconds(1) is None
    # H is measured once three chats ended in the last day.
    bob = make_agent(support, "Bob", max_chats=5)
    for minutes in (4, 6, 8):
        session = _queued(f"c{minutes}")
        actions.accept_offer(session, bob, now=MONDAY_10)
        actions.end_chat(session, bob, now=MONDAY_10 + timedelta(minutes=minutes))
    assert queries.handling_seconds(support.pk, MONDAY_10 + timedelta(minutes=10)) == 360
    assert queries.handling_seconds(support.pk, MONDAY_10 + timedelta(days=2)) == 300  # too old: default


def test_queue_position_costs_one_query(support: Team, django_assert_max_num_queries: object) -> None:
    make_agent(support, "Bob", max_chats=1)
    _queued("first")
    second = _queued("second", seconds=1)
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        assert queries.queue_position(second) == 2


def test_off_hours_turn_the_chat_into_a_left_message_ticket(customer: User, support: Team) -> None:
    support.working_hours = {"mon": [["09:00", "17:00"]]}
    support.save()
    make_agent(support, "Bob")
    SlaPolicy.objects.create(
        name="All", first_response_minutes=60, next_response_minutes=60, resolution_minutes=600
    )
    evening = MONDAY_10 + timedelta(hours=9)
    turn = actions.start_chat(customer, "talk to a human", now=evening)
    session, ticket = turn.session, turn.session.ticket
    ticket.refresh_from_db()
    assert session.state == State.LEFT_MESSAGE
    # An ordinary ticket: routed to the team, its SLA running, the customer told its number.
    assert ticket.team == support and ticket.sla_policy is not None and ticket.first_response_due is not None
    assert ticket.status == Status.NEW
    assert ticket.reference in turn.bot_messages[-1].body
    assert "not working at this hour" in turn.bot_messages[-1].body
    assert ticket.messages.filter(kind=Message.Kind.EVENT, body__startswith="Acknowledgement").exists()
    # The customer can still write; the chat never becomes a dead end.
    more = actions.customer_says(session, "My UID is 1234", now=evening)
    assert more.message is not None and not more.bot_messages


def test_a_holiday_is_off_hours(customer: User, support: Team) -> None:
    support.working_hours = {"mon": [["00:00", "24:00"]]}
    support.save()
    make_agent(support, "Bob")
    Holiday.objects.create(date=MONDAY_10.date(), name="Founders' day")
    session = actions.start_chat(customer, "agent", now=MONDAY_10).session
    assert session.state == State.LEFT_MESSAGE


def test_nobody_online_turns_the_chat_into_a_left_message(customer: User, support: Team) -> None:
    bob = make_agent(support, "Bob")
    set_presence(bob, "away")
    turn = actions.start_chat(customer, "agent", now=MONDAY_10)
    assert turn.session.state == State.LEFT_MESSAGE
    assert "No agent is available" in turn.bot_messages[-1].body


def test_no_matching_routing_rule_leaves_a_message(customer: User) -> None:
    turn = actions.start_chat(customer, "agent", now=MONDAY_10)
    assert turn.session.state == State.LEFT_MESSAGE


def test_a_waiting_customer_may_leave_a_message(support: Team, published: Published) -> None:
    make_agent(support, "Bob", max_chats=1)
    first = _queued("first")
    second = _queued("second", seconds=1)
    third = _queued("third", seconds=2)
    published.clear()
    actions.leave_message(second, now=MONDAY_10 + timedelta(seconds=3))
    assert second.state == State.LEFT_MESSAGE
    assert published.of(ChatStateChanged, "queue.support")[-1].state == "left_message"
    assert published.of(ChatQueuePosition, f"ticket.{third.ticket_id}")[-1].position == 2
    actions.leave_message(first, now=MONDAY_10 + timedelta(seconds=3))  # withdraws Bob's offer
    first.refresh_from_db()
    assert first.state == State.LEFT_MESSAGE and first.offered_to is None


def test_a_queue_whose_agents_all_left_becomes_left_messages(support: Team) -> None:
    bob = make_agent(support, "Bob", max_chats=1)
    first = _queued("first")
    waiting = _queued("second", seconds=1)
    actions.accept_offer(first, bob, now=MONDAY_10 + timedelta(seconds=2))
    assert actions.expire_offers(now=MONDAY_10 + timedelta(seconds=10)) == 0
    waiting.refresh_from_db()
    assert waiting.state == State.QUEUED  # Bob is online, just busy: keep waiting
    set_presence(bob, "offline")
    actions.expire_offers(now=MONDAY_10 + timedelta(seconds=20))
    waiting.refresh_from_db()
    assert waiting.state == State.LEFT_MESSAGE
    assert waiting.ticket.messages.filter(from_bot=True, body__contains=waiting.ticket.reference).exists()
