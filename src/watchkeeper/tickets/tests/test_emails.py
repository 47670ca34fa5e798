"""What the customer receives by email, and what agents are told in the console."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from watchkeeper.accounts.models import User
from watchkeeper.tickets import actions
from watchkeeper.tickets.actions import NewTicket
from watchkeeper.tickets.models import Message, Notification, SlaPolicy, Status, Ticket

pytestmark = pytest.mark.django_db


def _open(customer: User, **fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "subject": "Withdrawal stuck",
        "body": "Pending since yesterday.",
        "category": "other",
    }
    values.update(fields)
    return actions.open_ticket(customer, NewTicket(**values))


def test_acknowledgement_names_the_ticket_and_the_promise(
    customer: User, django_capture_on_commit_callbacks: Any
) -> None:
    SlaPolicy.objects.create(
        name="Standard", first_response_minutes=120, next_response_minutes=240, resolution_minutes=1440
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _open(customer)
    [ack] = mail.outbox
    assert ack.to == [customer.email]
    assert ack.subject == f"[{ticket.reference}] Withdrawal stuck"
    assert "2 hours" in ack.body and ticket.reference in ack.body
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    recorded = ticket.messages.get(kind=Message.Kind.EVENT)
    assert ack.extra_headers["Message-ID"] == f"<{recorded.email_message_id}>"
    html = ack.alternatives[0][0]
    assert ticket.reference in str(html)


def test_acknowledgement_is_in_the_customers_language(
    customer: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _open(
            customer,
            subject="Auszahlung hängt",
            body="Meine Auszahlung ist seit gestern ausstehend.",
            language="de",
        )
    body = mail.outbox[0].body
    assert "we have received your request" not in body and "Hello" not in body
    assert "WK-" in body


def test_agent_reply_threads_and_notifies(
    customer: User, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _open(customer)
        reply = actions.add_message(ticket, agent, "It was credited at **14:02 UTC**.")
    ack, answer = mail.outbox
    reply.refresh_from_db()
    assert answer.extra_headers["Message-ID"] == f"<{reply.email_message_id}>"
    assert answer.extra_headers["In-Reply-To"] == ack.extra_headers["Message-ID"]
    assert ack.extra_headers["Message-ID"] in answer.extra_headers["References"]
    assert "It was credited at **14:02 UTC**." in answer.body
    assert "<strong>14:02 UTC</strong>" in str(answer.alternatives[0][0])
    assert Notification.objects.filter(user=customer, kind="reply", ticket=ticket).exists()


def test_notes_send_no_email_but_mentions_notify(
    customer: User, agent: User, lead: User, django_capture_on_commit_callbacks: Any
) -> None:
    handle = agent.email.partition("@")[0]
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _open(customer)
        actions.add_message(ticket, lead, f"@{handle} please check the chain.", kind=Message.Kind.NOTE)
    assert len(mail.outbox) == 1  # only the acknowledgement
    mention = Notification.objects.get(kind="mention")
    assert mention.user == agent and ticket.reference in mention.title


def test_status_changes_by_agents_reach_the_customer_but_their_own_do_not(
    customer: User, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _open(customer)
        actions.change_status(ticket, agent, Status.SOLVED)
    assert mail.outbox[-1].subject.startswith(f"[{ticket.reference}]")
    assert "Solved" in mail.outbox[-1].body
    count = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        actions.reopen_ticket(ticket, customer)
    assert len(mail.outbox) == count


def test_assignment_notifies_the_agent(customer: User, agent: User, lead: User) -> None:
    ticket = _open(customer)
    actions.assign_ticket(ticket, lead, agent)
    assert Notification.objects.get(kind="assigned").user == agent


def test_notification_centre_counts_lists_and_marks_read(client: Any, customer: User, agent: User) -> None:
    ticket = _open(customer)
    actions.add_message(ticket, agent, "We are on it.")
    client.force_login(customer)
    home = client.get("/en/").content.decode()
    assert 'class="unread-count" aria-label="unread">1<' in home
    page = client.get("/en/tickets/notifications/").content.decode()
    assert f"New reply on {ticket.reference}" in page
    assert not Notification.objects.filter(user=customer, read_at__isnull=True).exists()
    assert 'aria-label="unread" hidden>0<' in client.get("/en/").content.decode()
