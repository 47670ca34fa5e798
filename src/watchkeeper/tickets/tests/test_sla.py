"""SLA clocks with a controlled clock: every moment is passed in, nothing waits for real time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from watchkeeper.accounts.models import AgentProfile, Team, User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.tickets import actions
from watchkeeper.tickets.actions import NewTicket
from watchkeeper.tickets.models import (
    Holiday,
    Message,
    Notification,
    Priority,
    RoutingRule,
    SlaPolicy,
    Status,
    Ticket,
)

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def _open(customer: User, at: datetime, **fields: object) -> Ticket:
    values: dict[str, object] = {
        "subject": "Withdrawal stuck",
        "body": "Pending for hours.",
        "category": "withdrawal",
    }
    values.setdefault("details", {"withdrawal_id": "W-778899"})
    values.update(fields)
    return actions.open_ticket(customer, NewTicket(**values), now=at)


@pytest.fixture
def policy() -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="Standard",
        first_response_minutes=60,
        next_response_minutes=120,
        resolution_minutes=8 * 60,
        warn_minutes=15,
        raise_priority_on_breach=True,
        notify_lead_on_breach=True,
    )


@pytest.fixture
def team_lead(deposits_team: Team) -> User:
    lead = make_user(Role.TEAM_LEAD)
    AgentProfile.objects.get_or_create(user=lead)[0].teams.add(deposits_team)
    return lead


def test_deadlines_are_stored_when_the_ticket_opens(customer: User, policy: SlaPolicy) -> None:
    ticket = _open(customer, MONDAY_9)
    assert ticket.sla_policy == policy
    assert ticket.first_response_due == MONDAY_9 + timedelta(hours=1)
    assert ticket.resolution_due == MONDAY_9 + timedelta(hours=8)
    assert ticket.sla_due == MONDAY_9 + timedelta(minutes=45)  # the warning comes first
    reloaded = Ticket.objects.get(pk=ticket.pk)  # a restart reads the same deadlines
    assert reloaded.first_response_due == ticket.first_response_due


def test_the_first_matching_policy_applies(customer: User, policy: SlaPolicy) -> None:
    urgent = SlaPolicy.objects.create(
        name="Urgent",
        order=1,
        priority=Priority.URGENT,
        first_response_minutes=10,
        next_response_minutes=30,
        resolution_minutes=120,
    )
    ticket = _open(customer, MONDAY_9, priority=Priority.URGENT)
    assert ticket.sla_policy == urgent
    assert ticket.first_response_due == MONDAY_9 + timedelta(minutes=10)


def test_warning_then_breach_escalates(
    customer: User, agent: User, team_lead: User, policy: SlaPolicy, deposits_team: Team
) -> None:
    RoutingRule.objects.create(name="All", team=deposits_team, auto_assign=False)
    ticket = _open(customer, MONDAY_9)
    actions.assign_ticket(ticket, team_lead, agent)
    assert actions.check_sla(MONDAY_9 + timedelta(minutes=44)) == 0
    assert actions.check_sla(MONDAY_9 + timedelta(minutes=46)) == 1
    warning = Notification.objects.get(kind="sla_warning")
    assert warning.user == agent and ticket.reference in warning.title
    assert actions.check_sla(MONDAY_9 + timedelta(minutes=50)) == 0  # each warning fires once

    assert actions.check_sla(MONDAY_9 + timedelta(minutes=61)) == 1
    ticket.refresh_from_db()
    assert ticket.sla_breached == ["first_response"]
    assert ticket.priority == Priority.HIGH  # raised one step
    assert set(Notification.objects.filter(kind="sla_breach").values_list("user", flat=True)) == {
        agent.pk,
        team_lead.pk,
    }
    assert ticket.messages.filter(kind=Message.Kind.EVENT, body__contains="target missed").exists()
    # Next comes the resolution warning, not the same breach again.
    assert ticket.sla_due == ticket.resolution_due - timedelta(minutes=15)  # type: ignore[operator]


def test_breach_can_reassign_to_the_next_available_agent(
    customer: User, agent: User, policy: SlaPolicy, deposits_team: Team, lead: User
) -> None:
    from watchkeeper.accounts.actions import set_presence

    policy.reassign_on_breach = True
    policy.save()
    backup = make_user(Role.AGENT)
    AgentProfile.objects.get_or_create(user=backup)[0].teams.add(deposits_team)
    set_presence(backup, "online")
    set_presence(agent, "online")
    RoutingRule.objects.create(name="All", team=deposits_team, auto_assign=False)
    ticket = _open(customer, MONDAY_9)
    actions.assign_ticket(ticket, lead, agent)
    actions.check_sla(MONDAY_9 + timedelta(hours=2))
    ticket.refresh_from_db()
    assert ticket.assignee == backup


def test_pending_pauses_every_clock_and_resuming_moves_the_deadlines(
    customer: User, agent: User, policy: SlaPolicy
) -> None:
    ticket = _open(customer, MONDAY_9)
    actions.add_message(ticket, agent, "Please send the TxID.", now=MONDAY_9 + timedelta(minutes=30))
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING and ticket.first_response_due is None
    assert ticket.sla_paused_at == MONDAY_9 + timedelta(minutes=30) and ticket.sla_due is None
    assert actions.check_sla(MONDAY_9 + timedelta(hours=20)) == 0  # nothing fires while paused
    # The customer answers three hours later: the resolution deadline moves by three hours, and the
    # next response is due within two hours of their message.
    answered = MONDAY_9 + timedelta(hours=3, minutes=30)
    actions.add_message(ticket, customer, "Here: 0x" + "ab" * 32, now=answered)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.sla_paused_at is None
    assert ticket.resolution_due == MONDAY_9 + timedelta(hours=8 + 3)
    assert ticket.next_response_due == answered + timedelta(hours=2)


def test_business_hours_and_holidays(
    customer: User, deposits_team: Team, policy: SlaPolicy, lead: User
) -> None:
    policy.business_hours = True
    policy.save()
    deposits_team.working_hours = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    deposits_team.time_zone = "Europe/Berlin"  # UTC+1 in November
    deposits_team.save()
    Holiday.objects.create(date=date(2026, 11, 23), name="Company day", team=deposits_team)
    Holiday.objects.create(date=date(2026, 11, 24), name="National day")  # every team
    RoutingRule.objects.create(name="All", team=deposits_team, auto_assign=False)
    friday_late = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 16:30 in Berlin: 30 working minutes left
    ticket = _open(customer, friday_late)
    # 30 minutes on Friday, then the weekend and two holidays: Wednesday 09:30 Berlin = 08:30 UTC.
    assert ticket.first_response_due == datetime(2026, 11, 25, 8, 30, tzinfo=UTC)


def test_solved_stops_the_clock_and_reopening_resumes_it(
    customer: User, agent: User, policy: SlaPolicy
) -> None:
    ticket = _open(customer, MONDAY_9)
    actions.add_message(ticket, agent, "Done.", new_status=Status.SOLVED, now=MONDAY_9 + timedelta(hours=1))
    ticket.refresh_from_db()
    assert ticket.sla_due is None
    assert actions.check_sla(MONDAY_9 + timedelta(days=3)) == 0
    actions.reopen_ticket(ticket, customer, now=MONDAY_9 + timedelta(days=1, hours=1))
    ticket.refresh_from_db()
    assert ticket.resolution_due == MONDAY_9 + timedelta(days=1, hours=8)


def test_a_late_first_reply_counts_as_a_breach_even_between_job_runs(
    customer: User, agent: User, policy: SlaPolicy
) -> None:
    ticket = _open(customer, MONDAY_9)
    actions.add_message(ticket, agent, "Sorry for the wait.", now=MONDAY_9 + timedelta(hours=2))
    ticket.refresh_from_db()
    assert "first_response" in ticket.sla_breached


def test_inbox_lists_tickets_about_to_breach(
    client: Client, customer: User, agent: User, policy: SlaPolicy
) -> None:
    from django.urls import reverse
    from django.utils import timezone

    from watchkeeper.tickets.tests.test_views import _login

    now = timezone.now()
    soon = _open(customer, now - timedelta(minutes=30), subject="Due in half an hour")
    later = _open(customer, now + timedelta(hours=3), subject="Due much later")
    _login(client, agent)
    page = client.get(reverse("inbox:list") + "?view=breaching&sort=due").content.decode()
    assert soon.subject in page and later.subject not in page


def test_waiting_tickets_are_reminded_then_solved_then_closed(
    customer: User, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    ticket = _open(customer, MONDAY_9)
    actions.add_message(ticket, agent, "Which network did you use?", now=MONDAY_9)
    Ticket.objects.filter(pk=ticket.pk).update(last_agent_message_at=MONDAY_9)
    with django_capture_on_commit_callbacks(execute=True):
        counts = actions.follow_up_waiting_tickets(MONDAY_9 + timedelta(days=3, hours=1))
    assert counts == {"reminded": 1, "solved": 0, "closed": 0}
    assert "still waiting for your answer" in mail.outbox[-1].body
    assert actions.follow_up_waiting_tickets(MONDAY_9 + timedelta(days=3, hours=2))["reminded"] == 0
    assert actions.follow_up_waiting_tickets(MONDAY_9 + timedelta(days=7, hours=1))["solved"] == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    Ticket.objects.filter(pk=ticket.pk).update(solved_at=MONDAY_9)
    assert actions.follow_up_waiting_tickets(MONDAY_9 + timedelta(days=8))["closed"] == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
