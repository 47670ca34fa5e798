"""What add_message() writes: only the ticket's columns it changed, and event ids in one step."""

from __future__ import annotations

import pytest
from django.db import transaction

from watchkeeper.accounts.models import User
from watchkeeper.realtime.broker import recording
from watchkeeper.tickets import actions
from watchkeeper.tickets.actions import NewTicket
from watchkeeper.tickets.events import TicketMessageAdded, TicketUpdated
from watchkeeper.tickets.models import Priority, Status, Ticket

pytestmark = pytest.mark.django_db


def _ticket(customer: User) -> Ticket:
    return actions.open_ticket(customer, NewTicket(subject="Withdrawal stuck", body="Still pending."))


def test_a_message_leaves_what_others_changed_meanwhile(customer: User, agent: User) -> None:
    ticket = _ticket(customer)
    updated_before = ticket.updated_at
    # Another request changes the ticket after this copy was loaded.
    Ticket.objects.filter(pk=ticket.pk).update(priority=Priority.URGENT, subject="Withdrawal stuck (VIP)")
    actions.add_message(ticket, agent, "Checking that for you now.")
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.priority, stored.subject) == (Priority.URGENT, "Withdrawal stuck (VIP)")
    assert stored.status == Status.PENDING and stored.first_response_at is not None
    assert stored.updated_at > updated_before


def test_the_message_and_the_status_change_take_the_next_event_ids(customer: User, agent: User) -> None:
    ticket = _ticket(customer)
    actions.add_message(ticket, agent, "Which network did you use?")  # pending now
    start = Ticket.objects.get(pk=ticket.pk).last_event_id
    stale = Ticket.objects.get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(last_event_id=start + 5)  # events published elsewhere
    with transaction.atomic(), recording() as published:
        actions.add_message(stale, customer, "TRC20, an hour ago.")
    events = [event for _group, event, _text in published]
    assert [type(event) for event in events] == [TicketMessageAdded, TicketUpdated]
    assert [event.id for event in events] == [start + 6, start + 7]
    assert Ticket.objects.get(pk=ticket.pk).last_event_id == stale.last_event_id == start + 7


def test_a_resend_is_told_apart_and_writes_nothing(customer: User) -> None:
    ticket = _ticket(customer)
    first, resent = actions.add_message_once(ticket, customer, "Any news?", client_id="c-1")
    assert not resent
    events_before = Ticket.objects.get(pk=ticket.pk).last_event_id
    with transaction.atomic(), recording() as published:
        again, resent = actions.add_message_once(ticket, customer, "Any news?", client_id="c-1")
    assert resent and again.pk == first.pk and published == []
    assert ticket.messages.filter(client_id="c-1").count() == 1
    assert Ticket.objects.get(pk=ticket.pk).last_event_id == events_before
