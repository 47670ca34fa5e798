# ruff: noqa: RUF001  (Chinese punctuation in customer messages is meant)
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from watchkeeper.accounts.models import Team, User
from watchkeeper.tickets import actions, queries
from watchkeeper.tickets.actions import NewTicket, TicketError
from watchkeeper.tickets.categories import clean_details
from watchkeeper.tickets.models import Attachment, Message, Priority, Status, Ticket
from watchkeeper.tickets.tests.conftest import PNG, upload

pytestmark = pytest.mark.django_db

TXID = "3a1f" * 16
DEPOSIT = {
    "coin": "USDT",
    "network": "TRC20",
    "txid": TXID,
    "address": "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
    "amount": "250,50",
}


def _deposit_ticket(customer: User, **overrides: object) -> Ticket:
    fields = {
        "subject": "My USDT deposit has not arrived",
        "body": "I sent 250.5 USDT two hours ago and it is still not in my account.",
        "category": "deposit",
        "details": DEPOSIT,
    }
    fields.update(overrides)
    return actions.open_ticket(customer, NewTicket(**fields))


def test_a_deposit_ticket_keeps_cleaned_details_and_detects_its_language(customer: User) -> None:
    ticket = _deposit_ticket(customer)
    assert ticket.reference == f"WK-{ticket.pk:06d}"
    assert ticket.status == Status.NEW
    assert ticket.language == "en"
    assert ticket.fields["amount"] == "250.5"
    assert ticket.fields["txid"] == TXID
    message = ticket.messages.get(kind=Message.Kind.PUBLIC)
    assert message.author == customer and not message.from_staff


def test_language_is_detected_from_the_text_when_the_page_gives_none(customer: User) -> None:
    ticket = _deposit_ticket(customer, subject="充值没有到账", body="我两个小时前充值了 USDT，还没有到账。")
    assert ticket.language == "zh-hans"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("txid", "not-a-transaction"),
        ("address", "hello"),
        ("amount", "-3"),
        ("amount", "a lot"),
        ("coin", ""),
    ],
)
def test_invalid_deposit_details_are_refused_with_the_field_named(field: str, value: str) -> None:
    _cleaned, errors = clean_details("deposit", {**DEPOSIT, field: value})
    assert errors.get(field)


def test_details_of_other_categories_are_not_stored() -> None:
    cleaned, errors = clean_details("withdrawal", {"withdrawal_id": "W-123456", "coin": "BTC"})
    assert errors == {}
    assert cleaned == {"withdrawal_id": "W-123456"}


def test_futures_time_must_be_utc_and_not_in_the_future() -> None:
    later = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    _cleaned, errors = clean_details("futures", {"order_id": "F-998877", "time_utc": later})
    assert "time_utc" in errors
    cleaned, errors = clean_details(
        "futures", {"order_id": "F-998877", "time_utc": "2026-03-01T08:15:00+02:00"}
    )
    assert errors == {} and cleaned["time_utc"] == "2026-03-01 06:15"


def test_an_invalid_ticket_is_refused_with_every_problem_and_nothing_is_stored(customer: User) -> None:
    with pytest.raises(TicketError) as raised:
        _deposit_ticket(customer, subject=" ", details={**DEPOSIT, "txid": "xyz"})
    assert set(raised.value.errors) == {"subject", "txid"}
    assert not Ticket.objects.exists()


def test_attachments_are_typed_by_content_and_refused_by_size(customer: User, settings: object) -> None:
    ticket = _deposit_ticket(
        customer, uploads=[upload("screenshot.png", PNG), upload("log.txt", b"error 42\n")]
    )
    kinds = sorted(Attachment.objects.filter(message__ticket=ticket).values_list("content_type", flat=True))
    assert kinds == ["image/png", "text/plain"]
    stored = Attachment.objects.get(content_type="image/png")
    assert stored.filename == "screenshot.png" and not stored.file.name.endswith("screenshot.png")

    with pytest.raises(TicketError, match="cannot be attached"):
        _deposit_ticket(customer, uploads=[upload("photo.png", b"<svg onload=alert(1)></svg>")])
    with pytest.raises(TicketError, match="cannot be attached"):
        _deposit_ticket(customer, uploads=[upload("tool.exe", b"MZ\x90\x00\x03" + b"\x00" * 40)])
    big = actions.Upload(name="huge.png", stream=__import__("io").BytesIO(PNG), size=11 * 1024 * 1024)
    with pytest.raises(TicketError, match=r"10\.0") as raised:
        _deposit_ticket(customer, uploads=[big])
    assert "huge.png" in str(raised.value)


def test_message_total_limit_is_named(customer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "MESSAGE_LIMIT", 100)
    with pytest.raises(TicketError, match=r"at most 100\sbytes"):
        _deposit_ticket(customer, uploads=[upload("a.png", PNG), upload("b.png", PNG)])


def test_replies_move_the_status_and_stamp_the_first_response(customer: User, agent: User) -> None:
    ticket = _deposit_ticket(customer)
    actions.add_message(ticket, agent, "Internal: checking the chain.", kind=Message.Kind.NOTE)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # a note is not a response
    actions.add_message(ticket, agent, "Could you send a screenshot of the transfer?")
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING and ticket.first_response_at is not None
    actions.add_message(ticket, customer, "Here it is.", uploads=[upload("proof.png", PNG)])
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    actions.add_message(ticket, agent, "Credited now.", new_status=Status.SOLVED)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.solved_at is not None
    assert ticket.last_event_id >= 4


def test_customers_cannot_write_internal_notes(customer: User) -> None:
    ticket = _deposit_ticket(customer)
    with pytest.raises(TicketError):
        actions.add_message(ticket, customer, "sneaky", kind=Message.Kind.NOTE)


def test_reopen_only_within_the_window_then_rate(customer: User, settings: object) -> None:
    ticket = _deposit_ticket(customer)
    with pytest.raises(TicketError):
        actions.rate_ticket(ticket, customer, 5)
    actions.close_ticket(ticket, customer)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    actions.reopen_ticket(ticket, customer, now=ticket.solved_at + timedelta(days=1))  # type: ignore[operator]
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.solved_at is None
    actions.close_ticket(ticket, customer)
    ticket.refresh_from_db()
    with pytest.raises(TicketError, match="7 days"):
        actions.reopen_ticket(ticket, customer, now=ticket.solved_at + timedelta(days=8))  # type: ignore[operator]
    rating = actions.rate_ticket(ticket, customer, 4, "Quick, thanks")
    assert rating.score == 4
    with pytest.raises(TicketError):
        actions.rate_ticket(ticket, customer, 9)


def test_merge_moves_messages_and_refuses_other_customers(
    customer: User, other_customer: User, agent: User
) -> None:
    first = _deposit_ticket(customer)
    duplicate = _deposit_ticket(customer, subject="Deposit again")
    foreign = _deposit_ticket(other_customer)
    with pytest.raises(TicketError, match="same customer"):
        actions.merge_tickets(foreign, first, agent)
    actions.merge_tickets(duplicate, first, agent)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED and duplicate.merged_into_id == first.pk
    bodies = list(first.messages.filter(kind=Message.Kind.PUBLIC).values_list("body", flat=True))
    assert len(bodies) == 2


def test_bulk_update_changes_each_ticket_and_records_it(customer: User, agent: User, lead: User) -> None:
    tickets = [_deposit_ticket(customer, subject=f"Deposit {n}") for n in range(3)]
    count = actions.bulk_update(tickets, lead, assignee=agent, priority=Priority.HIGH, add_tag="chain-delay")
    assert count == 3
    for ticket in Ticket.objects.all():
        assert ticket.assignee == agent and ticket.priority == Priority.HIGH and ticket.status == Status.OPEN
        assert list(ticket.tags.values_list("name", flat=True)) == ["chain-delay"]
        # Assignment and priority, after the acknowledgement.
        assert ticket.messages.filter(kind=Message.Kind.EVENT).count() == 3


def test_only_agents_can_be_assigned(customer: User, other_customer: User, lead: User) -> None:
    ticket = _deposit_ticket(customer)
    with pytest.raises(TicketError):
        actions.assign_ticket(ticket, lead, other_customer)


def test_visibility_by_role_and_team(
    customer: User, other_customer: User, agent: User, outside_agent: User, lead: User, deposits_team: Team
) -> None:
    ticket = _deposit_ticket(customer)
    assert queries.ticket_for(other_customer, ticket.pk) is None
    # Untriaged tickets are everyone's to pick up.
    assert queries.ticket_for(outside_agent, ticket.pk) is not None
    actions.move_to_team(ticket, lead, deposits_team)
    assert queries.ticket_for(agent, ticket.pk) is not None
    assert queries.ticket_for(outside_agent, ticket.pk) is None
    assert queries.ticket_for(lead, ticket.pk) is not None
    ticket.followers.add(outside_agent)
    assert queries.ticket_for(outside_agent, ticket.pk) is not None
    assert queries.tickets_for(outside_agent).count() == 1  # no duplicate rows from the follower join


def test_notes_and_their_files_stay_hidden_from_customers(customer: User, agent: User) -> None:
    ticket = _deposit_ticket(customer)
    note = actions.add_message(
        ticket, agent, "Looks like the wrong network.", kind=Message.Kind.NOTE, uploads=[upload("n.png", PNG)]
    )
    assert note not in queries.messages_for(customer, ticket)
    assert note in queries.messages_for(agent, ticket)
    attachment = note.attachments.get()
    assert queries.attachment_for(customer, attachment.pk) is None
    assert queries.attachment_for(agent, attachment.pk) == attachment


def test_ticket_references_parse_back() -> None:
    assert queries.ticket_id_from_reference("wk-000123") == 123
    assert queries.ticket_id_from_reference("WK-12") == 12
    assert queries.ticket_id_from_reference("XX-12") is None
    assert queries.ticket_id_from_reference("WK-12a") is None
