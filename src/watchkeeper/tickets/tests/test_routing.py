# ruff: noqa: RUF001  (Chinese punctuation in customer messages is meant)
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from watchkeeper.accounts.actions import set_presence
from watchkeeper.accounts.models import AgentProfile, Language, Team, User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.tickets import actions
from watchkeeper.tickets.actions import NewTicket, TicketError
from watchkeeper.tickets.models import Channel, Message, RoutingRule, Status, Ticket

pytestmark = pytest.mark.django_db


def _agent(team: Team, *, online: bool = True, languages: tuple[str, ...] = (), limit: int = 30) -> User:
    user = make_user(Role.AGENT)
    profile, _created = AgentProfile.objects.get_or_create(user=user)
    profile.teams.add(team)
    profile.max_open_tickets = limit
    profile.save()
    for code in languages:
        profile.languages.add(Language.objects.get_or_create(code=code, defaults={"name": code})[0])
    if online:
        set_presence(user, "online")
    return user


def _open(customer: User, **fields: object) -> Ticket:
    values: dict[str, object] = {
        "subject": "Help",
        "body": "Something is wrong with my account.",
        "category": "other",
    }
    values.update(fields)
    return actions.open_ticket(customer, NewTicket(**values))


@pytest.fixture
def wallet_team() -> Team:
    return Team.objects.create(name="Wallet", slug="wallet")


def test_first_matching_rule_picks_the_team(customer: User, wallet_team: Team, deposits_team: Team) -> None:
    RoutingRule.objects.create(
        name="Chinese", order=1, language="zh-hans", team=wallet_team, auto_assign=False
    )
    RoutingRule.objects.create(
        name="Deposits", order=2, category="deposit", team=deposits_team, auto_assign=False
    )
    RoutingRule.objects.create(
        name="Email", order=3, channel=Channel.EMAIL, team=wallet_team, auto_assign=False
    )
    assert _open(customer, category="withdrawal", details={"withdrawal_id": "W-1234"}).team is None
    english = _open(
        customer,
        category="deposit",
        details={
            "coin": "BTC",
            "network": "Bitcoin",
            "txid": "ab" * 32,
            "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "amount": "0.1",
        },
    )
    assert english.team == deposits_team and english.status == Status.NEW
    chinese = _open(customer, subject="账户问题", body="我的账户有问题，无法登录。")
    assert chinese.team == wallet_team


def test_round_robin_among_online_agents_within_capacity(customer: User, wallet_team: Team) -> None:
    RoutingRule.objects.create(name="All", team=wallet_team)
    first, second = _agent(wallet_team), _agent(wallet_team)
    _agent(wallet_team, online=False)
    full = _agent(wallet_team, limit=0)
    assignees = [_open(customer, subject=f"Case {n}").assignee for n in range(4)]
    assert set(assignees) == {first, second}
    assert assignees.count(first) == 2 and assignees.count(second) == 2
    assert full not in assignees
    # Solving frees capacity: the agent with fewer open tickets is next.
    for ticket in Ticket.objects.filter(assignee=first):
        actions.change_status(ticket, first, Status.SOLVED)
    assert _open(customer, subject="Next").assignee == first


def test_agents_speaking_the_language_come_first(customer: User, wallet_team: Team) -> None:
    RoutingRule.objects.create(name="All", team=wallet_team)
    _agent(wallet_team, languages=("en",))
    japanese = _agent(wallet_team, languages=("ja",))
    ticket = _open(
        customer, subject="出金が届きません", body="昨日出金したビットコインがまだ届いていません。"
    )
    assert ticket.language == "ja" and ticket.assignee == japanese


def test_vip_customers_go_to_their_account_manager_first(wallet_team: Team) -> None:
    RoutingRule.objects.create(name="VIP", min_vip_tier=1, team=wallet_team)
    _agent(wallet_team)
    manager = _agent(wallet_team, online=False)  # even when away: the manager owns the relationship
    vip = make_user(Role.CUSTOMER)
    vip.customer_profile.vip_tier = 3
    vip.customer_profile.account_manager = manager
    vip.customer_profile.save()
    ticket = _open(vip)
    assert ticket.assignee == manager and ticket.team == wallet_team and ticket.status == Status.OPEN


def test_escalation_moves_the_case_and_keeps_its_history(
    customer: User, wallet_team: Team, lead: User
) -> None:
    experts = Team.objects.create(name="Compliance experts", slug="experts")
    expert = _agent(experts)
    ticket = _open(customer)
    actions.add_message(ticket, lead, "Checked the logs.", new_status=Status.OPEN)
    with pytest.raises(TicketError):
        actions.escalate_ticket(ticket, lead, experts, " ")
    actions.escalate_ticket(ticket, lead, experts, "Needs a compliance decision.")
    ticket.refresh_from_db()
    assert ticket.team == experts and ticket.assignee == expert
    kinds = list(ticket.messages.values_list("kind", flat=True))
    assert kinds == [
        Message.Kind.PUBLIC,  # the customer
        Message.Kind.EVENT,  # the acknowledgement
        Message.Kind.PUBLIC,  # the lead's reply
        Message.Kind.NOTE,  # the reason for escalating
        Message.Kind.EVENT,
    ]
    assert ticket.assigned_at is not None and timezone.now() - ticket.assigned_at < timedelta(minutes=1)
