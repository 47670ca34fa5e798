"""The exchange in the pages: the agent's ticket sidebar, the customer's ticket and new-ticket pages,
with the exchange answering and with it down."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from watchkeeper.accounts.models import AgentProfile, CustomerProfile, Team, User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import enrol_totp, make_user
from watchkeeper.exchange import actions
from watchkeeper.exchange.actions import DemoTransferSpec
from watchkeeper.exchange.adapter import Direction, TransferState
from watchkeeper.exchange.models import DemoAccount
from watchkeeper.exchange.tests.conftest import KEY, SECRET, TXID
from watchkeeper.exchange.tests.server import PREFIX, ExchangeStub
from watchkeeper.tickets import actions as ticket_actions
from watchkeeper.tickets.actions import NewTicket
from watchkeeper.tickets.models import Ticket

pytestmark = pytest.mark.django_db

EXPLORER = "https://explorer.example.test/tx/{}"


@pytest.fixture(autouse=True)
def explorer(settings: Any) -> None:
    settings.BLOCK_EXPLORER_URL = EXPLORER


def customer_with_account(uid: str, name: str) -> User:
    user = make_user(Role.CUSTOMER, display_name=name)
    CustomerProfile.objects.filter(user=user).update(exchange_account_id=uid)
    return user


@pytest.fixture
def alice(ledger: datetime) -> User:
    return customer_with_account("EX-100", "Alice")


@pytest.fixture
def agent() -> User:
    user = enrol_totp(make_user(Role.AGENT, display_name="Bob"))
    profile, _created = AgentProfile.objects.get_or_create(user=user)
    profile.teams.add(Team.objects.create(name="Deposits", slug="deposits"))
    return user


def deposit_ticket(customer: User) -> Ticket:
    return ticket_actions.open_ticket(
        customer,
        NewTicket(
            subject="My USDT deposit has not arrived",
            body="Sent two hours ago.",
            category="deposit",
            details={
                "coin": "USDT",
                "network": "TRC20",
                "txid": TXID,
                "address": "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
                "amount": "250",
            },
        ),
    )


def exchange_down(settings: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.WATCHKEEPER_EXCHANGE_URL = f"http://127.0.0.1:{port}/wk/v1"
    settings.EXCHANGE_API_KEY = KEY
    settings.EXCHANGE_API_SECRET = SECRET
    settings.EXCHANGE_RETRIES = 0


def test_the_agent_sees_the_exchange_account_and_its_transfers(
    client: Client, alice: User, agent: User
) -> None:
    ticket = deposit_ticket(alice)
    client.force_login(agent)
    response = client.get(reverse("inbox:ticket", args=[ticket.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    sidebar = page[page.index('id="exchange-title"') :]
    sidebar = sidebar[: sidebar.index("</section>")]
    assert "Active" in sidebar and "Registered" in sidebar
    assert "Two-factor authentication</dt><dd>On" in sidebar
    for reference in ("D-1", "W-2", "W-3", "D-4", "W-5"):
        assert reference in sidebar
    assert "12 of 19 network confirmations" in sidebar
    assert "Withdrawals wait 24 hours after a password change." in sidebar
    assert "Held until" in sidebar
    assert EXPLORER.format(TXID) in sidebar
    # The deposit the ticket asks about is marked.
    assert "The transaction in this ticket" in sidebar
    # USDT is involved, and one of its networks is congested; XRP (a failed deposit) is in maintenance.
    assert "USDT (ERC20)" in sidebar and "congested" in sidebar
    assert "XRP (XRP Ledger)" in sidebar and "Deposits are paused." in sidebar
    assert "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE" not in sidebar  # the address is masked


def test_the_sidebar_reads_a_real_exchange_over_http(
    client: Client, alice: User, agent: User, stub: ExchangeStub, settings: Any
) -> None:
    settings.WATCHKEEPER_EXCHANGE_URL = stub.url
    settings.EXCHANGE_API_KEY = KEY
    settings.EXCHANGE_API_SECRET = SECRET
    ticket = deposit_ticket(alice)
    client.force_login(agent)
    page = client.get(reverse("inbox:ticket", args=[ticket.pk])).content.decode()
    assert "12 of 19 network confirmations" in page and "USDT (ERC20)" in page
    assert {seen.path.split("?")[0] for seen in stub.seen} == {
        f"{PREFIX}/accounts/EX-100",
        f"{PREFIX}/accounts/EX-100/transfers",
        f"{PREFIX}/networks",
    }
    assert all(seen.refusal == "" for seen in stub.seen)


def test_the_agent_page_works_and_says_so_when_the_exchange_is_down(
    client: Client, alice: User, agent: User, settings: Any
) -> None:
    ticket = deposit_ticket(alice)
    exchange_down(settings)
    client.force_login(agent)
    response = client.get(reverse("inbox:ticket", args=[ticket.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The exchange is not answering; account data is unavailable." in page
    assert "Cannot connect to the exchange at 127.0.0.1" in page
    assert "D-1" not in page
    # The rest of the page is there: the thread and the reply form.
    assert "Sent two hours ago." in page and 'name="reply"' in page


def test_an_account_the_exchange_does_not_know_is_said_plainly(
    client: Client, agent: User, ledger: datetime
) -> None:
    stranger = customer_with_account("EX-404", "Sam")
    ticket = deposit_ticket(stranger)
    client.force_login(agent)
    page = client.get(reverse("inbox:ticket", args=[ticket.pk])).content.decode()
    assert "The exchange has no account EX-404." in page


def test_no_exchange_section_for_a_customer_without_an_account(client: Client, agent: User) -> None:
    ticket = deposit_ticket(make_user(Role.CUSTOMER, display_name="Guest"))
    client.force_login(agent)
    page = client.get(reverse("inbox:ticket", args=[ticket.pk])).content.decode()
    assert 'id="exchange-title"' not in page


def test_the_customer_sees_the_state_of_the_deposit_they_ask_about(client: Client, alice: User) -> None:
    ticket = deposit_ticket(alice)
    client.force_login(alice)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    panel = page[page.index('id="your-transfers"') :]
    panel = panel[: panel.index("</section>")]
    assert "Your recent deposits and withdrawals" in panel
    assert "Processing" in panel and "12 of 19 network confirmations" in panel
    assert "The transaction in this ticket" in panel
    assert EXPLORER.format(TXID) in panel
    # Customers get no account internals, and no technical errors.
    assert "KYC level" not in panel and "Two-factor" not in panel


def test_a_customer_sees_only_their_own_transfers(client: Client, alice: User, ledger: datetime) -> None:
    actions.add_demo_transfers(
        DemoAccount.objects.get(uid="EX-200"),
        [
            DemoTransferSpec(
                "D-MALLORY",
                Direction.DEPOSIT,
                "USDT",
                "TRC20",
                "9",
                TransferState.COMPLETED,
                age=timedelta(0),
            )
        ],
        ledger,
    )
    mallory = customer_with_account("EX-200", "Mallory")
    mallory_ticket = deposit_ticket(mallory)
    alice_ticket = deposit_ticket(alice)
    client.force_login(mallory)
    page = client.get(reverse("tickets:detail", args=[mallory_ticket.pk])).content.decode()
    assert "D-MALLORY" in page and "D-1" not in page and "W-2" not in page
    # Alice's ticket is not Mallory's to open at all.
    assert client.get(reverse("tickets:detail", args=[alice_ticket.pk])).status_code == 404
    client.force_login(alice)
    page = client.get(reverse("tickets:detail", args=[alice_ticket.pk])).content.decode()
    assert "D-1" in page and "D-MALLORY" not in page


def test_the_customer_page_works_when_the_exchange_is_down(
    client: Client, alice: User, settings: Any
) -> None:
    ticket = deposit_ticket(alice)
    exchange_down(settings)
    client.force_login(alice)
    response = client.get(reverse("tickets:detail", args=[ticket.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "We cannot show your deposits and withdrawals right now." in page
    assert "Cannot connect" not in page  # the technical reason is for staff
    assert "Sent two hours ago." in page


def test_the_new_ticket_form_lists_recent_deposits_under_the_deposit_category(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    page = client.get(reverse("tickets:new") + "?category=deposit").content.decode()
    deposits = page[page.index('id="deposit-transfers"') :]
    deposits = deposits[: deposits.index("</section>")]
    assert "Your recent deposits" in deposits
    assert "D-1" in deposits and "D-4" in deposits and "W-2" not in deposits
    withdrawals = page[page.index('id="withdrawal-transfers"') :]
    withdrawals = withdrawals[: withdrawals.index("</section>")]
    assert "W-2" in withdrawals and "D-1" not in withdrawals


def test_the_exchange_is_asked_once_while_its_answer_is_fresh(
    client: Client, alice: User, agent: User
) -> None:
    ticket = deposit_ticket(alice)
    client.force_login(agent)
    url = reverse("inbox:ticket", args=[ticket.pk])
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as again:
        page = client.get(url).content.decode()
    # The demo ledger's tables stand for the exchange: read on the first view, not on the second.
    assert [query for query in first.captured_queries if "exchange_demo" in query["sql"]]
    assert not [query for query in again.captured_queries if "exchange_demo" in query["sql"]]
    assert "12 of 19 network confirmations" in page
