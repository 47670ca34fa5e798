"""Demo routing, SLA policies and a few tickets, so the inbox and the customer portal have something
to show after `make run`. Idempotent: nothing is added twice."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from watchkeeper.accounts.models import Team
from watchkeeper.tickets import actions
from watchkeeper.tickets.models import Priority, RoutingRule, SlaPolicy, Ticket

DEMO_TXID = "7b1e" * 16


@transaction.atomic
def load_demo_tickets() -> list[str]:
    teams = {team.slug: team for team in Team.objects.filter(slug__in=["frontline", "asia", "security"])}
    if len(teams) < 3 or RoutingRule.objects.exists():
        return []
    RoutingRule.objects.create(name="Asian languages", order=10, language="zh-hans", team=teams["asia"])
    RoutingRule.objects.create(name="Account security", order=20, category="security", team=teams["security"])
    RoutingRule.objects.create(name="Everything else", order=100, team=teams["frontline"])
    SlaPolicy.objects.create(
        name="Urgent",
        order=10,
        priority=Priority.URGENT,
        first_response_minutes=15,
        next_response_minutes=30,
        resolution_minutes=240,
    )
    SlaPolicy.objects.create(
        name="VIP",
        order=20,
        min_vip_tier=1,
        first_response_minutes=30,
        next_response_minutes=60,
        resolution_minutes=480,
    )
    SlaPolicy.objects.create(
        name="Standard",
        order=100,
        first_response_minutes=240,
        next_response_minutes=480,
        resolution_minutes=2880,
    )
    users = get_user_model().objects
    customer = users.filter(email="customer@demo.watchkeeper.test").first()
    vip = users.filter(email="vip@demo.watchkeeper.test").first()
    agent = users.filter(email="agent@demo.watchkeeper.test").first()
    if customer is None or vip is None or agent is None or Ticket.objects.exists():
        return []
    deposit = actions.open_ticket(
        customer,
        actions.NewTicket(
            subject="My USDT deposit has not arrived",
            body="I sent 250 USDT on TRC20 two hours ago. The wallet says it is confirmed.",
            category="deposit",
            details={
                "coin": "USDT",
                "network": "TRC20",
                "txid": DEMO_TXID,
                "address": "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
                "amount": "250",
            },
            language="en",
        ),
    )
    actions.add_message(
        deposit,
        agent,
        "Thanks, Dana. The transfer has 12 of 19 confirmations; it will be credited automatically in about"
        " ten minutes.",
    )
    actions.open_ticket(
        vip,
        actions.NewTicket(
            subject="Withdrawal limit for a large transfer",
            body="I need to withdraw 40 BTC this week. Can my daily limit be raised?",
            category="withdrawal",
            details={"withdrawal_id": "W-20261122-0042"},
            language="en",
        ),
    )
    return ["Demo tickets: 2 tickets, routing rules and SLA policies (Urgent, VIP, Standard)."]
