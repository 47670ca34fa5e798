from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.models import Team, User
from watchkeeper.tickets import actions
from watchkeeper.tickets.actions import NewTicket
from watchkeeper.tickets.models import Attachment, Message, Status, Ticket
from watchkeeper.tickets.tests.conftest import PNG, upload

pytestmark = pytest.mark.django_db


def _login(client: Client, user: User) -> Client:
    # Agents in the fixtures have enrolled TOTP, which is what the console requires of staff.
    client.force_login(user)
    return client


def _ticket(customer: User, **fields: object) -> Ticket:
    values: dict[str, object] = {
        "subject": "Withdrawal stuck",
        "body": "Pending since yesterday.",
        "category": "other",
    }
    values.update(fields)
    return actions.open_ticket(customer, NewTicket(**values))


def test_new_ticket_form_validates_category_details_and_keeps_input(client: Client, customer: User) -> None:
    _login(client, customer)
    response = client.post(
        reverse("tickets:new"),
        {
            "category": "deposit",
            "subject": "Deposit missing",
            "body": "Sent USDT, nothing arrived.",
            "detail-deposit-coin": "USDT",
            "detail-deposit-network": "TRC20",
            "detail-deposit-txid": "nonsense",
            "detail-deposit-address": "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
            "detail-deposit-amount": "10",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "A transaction id is 64 hexadecimal characters" in page
    assert 'value="TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"' in page
    assert not Ticket.objects.exists()


def test_customer_files_a_ticket_with_a_screenshot_and_sees_it(client: Client, customer: User) -> None:
    _login(client, customer)
    response = client.post(
        reverse("tickets:new") + "?article=deposit-not-credited",
        {
            "category": "withdrawal",
            "subject": "Withdrawal stuck",
            "body": "Pending since yesterday, TxID 0x" + "ab" * 32,
            "detail-withdrawal-withdrawal_id": "W-20261122-1",
            "attachments": [io.BytesIO(PNG)],
            "article": "deposit-not-credited",
        },
        follow=True,
    )
    ticket = Ticket.objects.get()
    assert response.redirect_chain[-1][0] == reverse("tickets:detail", args=[ticket.pk])
    page = response.content.decode()
    assert ticket.reference in page and "W-20261122-1" in page
    assert 'class="chain-id"' in page  # the TxID in the text links to an explorer
    assert ticket.context_url == "/help/a/deposit-not-credited/"
    attachment = Attachment.objects.get()
    assert reverse("tickets:attachment", args=[attachment.pk]) in page
    listing = client.get(reverse("tickets:list")).content.decode()
    assert ticket.reference in listing


def test_other_customers_get_404_for_ticket_and_file(
    client: Client, customer: User, other_customer: User
) -> None:
    ticket = _ticket(customer, uploads=[upload("proof.png", PNG)])
    attachment = Attachment.objects.get()
    _login(client, other_customer)
    for url in (
        reverse("tickets:detail", args=[ticket.pk]),
        reverse("tickets:attachment", args=[attachment.pk]),
    ):
        assert client.get(url).status_code == 404
    for name in ("tickets:close", "tickets:reopen", "tickets:rate"):
        assert client.post(reverse(name, args=[ticket.pk]), {"score": 5}).status_code == 404
    assert client.post(reverse("tickets:detail", args=[ticket.pk]), {"body": "hi"}).status_code == 404
    assert ticket.messages.filter(kind=Message.Kind.PUBLIC).count() == 1


def test_downloads_are_typed_and_never_sniffed(client: Client, customer: User) -> None:
    ticket = _ticket(customer, uploads=[upload("proof.png", PNG), upload("notes.txt", b"<b>hello</b>\n")])
    png, text = ticket.messages.get(kind=Message.Kind.PUBLIC).attachments.order_by("pk")
    _login(client, customer)
    response = client.get(reverse("tickets:attachment", args=[png.pk]))
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    response = client.get(reverse("tickets:attachment", args=[text.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_anonymous_visitors_are_sent_to_log_in(client: Client, customer: User) -> None:
    ticket = _ticket(customer)
    response = client.get(reverse("tickets:detail", args=[ticket.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_solved_ticket_can_be_rated_once_solved(client: Client, customer: User) -> None:
    ticket = _ticket(customer)
    _login(client, customer)
    client.post(reverse("tickets:close", args=[ticket.pk]))
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    page = client.post(
        reverse("tickets:rate", args=[ticket.pk]), {"score": "5", "comment": "Great"}, follow=True
    )
    assert "You rated this 5 out of 5." in page.content.decode()


def test_agent_inbox_views_and_filters(
    client: Client, customer: User, agent: User, deposits_team: Team
) -> None:
    mine = _ticket(customer, subject="Assigned to me")
    actions.assign_ticket(mine, agent, agent)
    _ticket(customer, subject="Nobody has it")
    _login(client, agent)
    page = client.get(reverse("inbox:list") + "?view=mine").content.decode()
    assert "Assigned to me" in page and "Nobody has it" not in page
    page = client.get(reverse("inbox:list") + "?view=unassigned").content.decode()
    assert "Nobody has it" in page and "Assigned to me" not in page
    page = client.get(reverse("inbox:list") + f"?q={mine.reference}").content.decode()
    assert "Assigned to me" in page and "Nobody has it" not in page


def test_inbox_list_runs_a_constant_number_of_queries(
    client: Client, customer: User, agent: User, django_assert_max_num_queries: object
) -> None:
    for number in range(30):
        _ticket(customer, subject=f"Ticket {number}")
    _login(client, agent)
    client.get(reverse("inbox:list"))  # warm the session and permission caches
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(reverse("inbox:list"))
    assert response.content.decode().count('name="tickets"') == 30


def test_agent_replies_adds_notes_and_bulk_assigns(
    client: Client, customer: User, agent: User, lead: User
) -> None:
    ticket = _ticket(customer)
    _login(client, agent)
    url = reverse("inbox:ticket", args=[ticket.pk])
    client.post(url, {"reply": "1", "body": "Checking with the wallet team.", "kind": "note", "status": ""})
    client.post(url, {"reply": "1", "body": "It is on its way.", "kind": "public", "status": "solved"})
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert list(ticket.messages.exclude(kind=Message.Kind.EVENT).values_list("kind", flat=True)) == [
        "public",
        "note",
        "public",
    ]
    # The customer never sees the note.
    _login(client, customer)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "It is on its way." in page and "wallet team" not in page

    other = _ticket(customer, subject="Second")
    _login(client, lead)
    client.post(
        reverse("inbox:list"),
        {
            "tickets": [ticket.pk, other.pk],
            "assignee": agent.pk,
            "status": "",
            "priority": "",
            "add_tag": "vip",
        },
    )
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {agent.pk}


def test_agents_outside_the_team_get_404_and_customers_get_403_in_the_console(
    client: Client, customer: User, outside_agent: User, lead: User, deposits_team: Team
) -> None:
    ticket = _ticket(customer)
    actions.move_to_team(ticket, lead, deposits_team)
    _login(client, outside_agent)
    assert client.get(reverse("inbox:ticket", args=[ticket.pk])).status_code == 404
    response = client.post(
        reverse("inbox:list"), {"tickets": [ticket.pk], "status": "closed", "priority": "", "add_tag": ""}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    _login(client, customer)
    assert client.get(reverse("inbox:list")).status_code in {302, 403}


def test_macros_fill_placeholders_and_set_fields(client: Client, customer: User, agent: User) -> None:
    from watchkeeper.tickets.models import Macro, Priority

    macro = Macro.objects.create(
        name="Deposit credited",
        body="Hi {{ customer_name }}, {{ ticket_reference }} is credited. {{ agent_name }} {{ other }}",
        set_status=Status.SOLVED,
        set_priority=Priority.LOW,
        add_tags="credited",
    )
    ticket = _ticket(customer)
    _login(client, agent)
    page = client.get(reverse("inbox:ticket", args=[ticket.pk])).content.decode()
    filled = f"Hi Alice, {ticket.reference} is credited. Bob {{{{ other }}}}"
    assert f'data-body="{filled}"' in page
    client.post(
        reverse("inbox:ticket", args=[ticket.pk]),
        {"reply": "1", "body": filled, "kind": "public", "status": "", "macro": macro.pk},
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.priority == Priority.LOW
    assert list(ticket.tags.values_list("name", flat=True)) == ["credited"]


def test_inbox_pages_forward_and_back_without_counting(
    client: Client, customer: User, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchkeeper.tickets import views

    monkeypatch.setattr(views, "INBOX_PAGE_SIZE", 2)
    for number in range(5):
        _ticket(customer, subject=f"Case {number}")
    _login(client, agent)
    first = client.get(reverse("inbox:list") + "?view=open").content.decode()
    assert first.count('name="tickets"') == 2 and 'rel="next"' in first and 'rel="prev"' not in first
    assert "view=open&amp;page=2" in first
    last = client.get(reverse("inbox:list") + "?view=open&page=3").content.decode()
    assert last.count('name="tickets"') == 1 and 'rel="next"' not in last and 'rel="prev"' in last
    assert "Case 0" in last  # oldest last
    beyond = client.get(reverse("inbox:list") + "?view=open&page=9").content.decode()
    assert "No tickets match" in beyond


def test_inbox_rows_escape_what_customers_typed(client: Client, agent: User) -> None:
    from watchkeeper.accounts.roles import Role
    from watchkeeper.accounts.tests.factories import make_user

    attacker = make_user(Role.CUSTOMER, display_name='<img src=x onerror="alert(2)">')
    _ticket(attacker, subject="<script>alert(1)</script> & more")
    _login(client, agent)
    page = client.get(reverse("inbox:list")).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page


def test_agent_links_tickets_of_different_customers_on_the_ticket_page(
    client: Client, customer: User, other_customer: User, agent: User, deposits_team: Team
) -> None:
    first = _ticket(customer)
    outage = _ticket(other_customer, subject="TRC20 deposits delayed")
    Ticket.objects.update(team=deposits_team)
    _login(client, agent)
    url = reverse("inbox:ticket", args=[first.pk])
    client.post(url, {"link": "1", "kind": "child", "reference": outage.reference})
    page = client.get(url).content.decode()
    assert "Caused by" in page and outage.reference in page
    assert "Also reported in" in client.get(reverse("inbox:ticket", args=[outage.pk])).content.decode()
    # The customer's own page never shows the link.
    _login(client, customer)
    assert outage.reference not in client.get(reverse("tickets:detail", args=[first.pk])).content.decode()
    _login(client, agent)
    missing = client.post(url, {"link": "1", "kind": "related", "reference": "WK-999999"}, follow=True)
    assert "No ticket with this number is visible to you." in missing.content.decode()


def test_pending_reads_as_waiting_on_the_customer_for_agents_and_on_you_for_the_customer(
    client: Client, customer: User, agent: User
) -> None:
    ticket = _ticket(customer)
    actions.change_status(ticket, agent, Status.PENDING)
    agent_page = _login(Client(), agent).get(reverse("inbox:ticket", args=[ticket.pk])).content.decode()
    assert "Waiting on customer" in agent_page and "Waiting on you" not in agent_page
    customer_page = _login(client, customer).get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert '<span class="status status-pending" id="ticket-status">Waiting on you</span>' in customer_page


def test_team_macros_are_offered_to_that_teams_agents_only(
    agent: User, outside_agent: User, lead: User, deposits_team: Team
) -> None:
    from watchkeeper.tickets.models import Macro
    from watchkeeper.tickets.queries import macros_for

    Macro.objects.create(name="Everyone", body="Hello")
    Macro.objects.create(name="Deposits only", body="Credited", team=deposits_team)
    assert sorted(macro.name for macro in macros_for(agent)) == ["Deposits only", "Everyone"]
    assert [macro.name for macro in macros_for(outside_agent)] == ["Everyone"]
    assert [macro.name for macro in macros_for(lead)] == ["Everyone"]  # a lead outside the team
