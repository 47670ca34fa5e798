"""The live warning on the agent ticket page: who else is viewing or replying, over the real socket."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.realtime.tests.test_socket import connect, subscribe
from watchkeeper.tickets import actions
from watchkeeper.tickets.actions import NewTicket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _setup() -> dict[str, Any]:
    customer = make_user(Role.CUSTOMER)
    ticket = actions.open_ticket(customer, NewTicket(subject="Help", body="Withdrawal pending"))
    return {
        "ticket": ticket,
        "customer": customer,
        "alex": make_user(Role.AGENT, display_name="Alex"),
        "bea": make_user(Role.AGENT, display_name="Bea"),
    }


async def test_agents_see_each_other_replying_and_customers_cannot_listen(
    settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    people = await sync_to_async(_setup)()
    group = f"ticket-staff.{people['ticket'].pk}"
    alex, bea = await connect(people["alex"]), await connect(people["bea"])
    assert (await alex.connect())[0] and (await bea.connect())[0]
    assert (await subscribe(alex, group))["type"] == "subscribed"
    assert (await subscribe(bea, group))["type"] == "subscribed"

    await alex.send_json_to({"type": "activity", "group": group, "state": "replying"})
    # Both members get it (Alex's page ignores its own); Bea's page shows "Alex is writing a reply".
    for socket in (alex, bea):
        message = await socket.receive_json_from(timeout=5)
        assert message["event"]["type"] == "ticket.activity"
        assert message["event"]["agent_name"] == "Alex" and message["event"]["state"] == "replying"
        assert "id" not in message["event"] or message["event"]["id"] is None  # ephemeral

    await bea.send_json_to({"type": "activity", "group": group, "state": "shouting"})
    assert (await bea.receive_json_from(timeout=5))["code"] == "bad_request"
    await bea.send_json_to({"type": "activity", "group": f"user.{people['bea'].pk}", "state": "viewing"})
    assert (await bea.receive_json_from(timeout=5))["code"] == "not_subscribed"

    customer = await connect(people["customer"])
    assert (await customer.connect())[0]
    assert (await subscribe(customer, group))["code"] == "forbidden"
    for socket in (alex, bea, customer):
        await socket.disconnect()
