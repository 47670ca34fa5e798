"""A live chat served by two processes behind one Redis: the customer on one, the agents on the other.

Two `watchkeeper serve` processes on the test's PostgreSQL database with REDIS_URL set, as a scale-out
install runs them. Everything one side does reaches the other only through the other process: the
offer, the messages both ways, typing, read receipts, a transfer to a second agent and the end.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from chat_load import start_servers, stop_servers
from django.conf import settings
from django.db import connection

from live_chat import ChatClient, people, said
from watchkeeper.chat.models import ChatSession, State
from watchkeeper.tickets.models import Message

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_customer_on_one_process_talks_with_agents_on_another(tmp_path: Path) -> None:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "SECRET_KEY": settings.SECRET_KEY,  # the sessions made for the test must validate there
        "WATCHKEEPER_DATA_DIR": str(tmp_path),
        "RUN_WORKER_IN_PROCESS": "1",
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "dummy://",
        "DEBUG": "0",
    }
    customers, agents = people(env, customers=1, agents=2)
    servers, (url_a, url_b) = start_servers(2, env)

    async def scenario() -> dict[str, Any]:
        customer = ChatClient(url_a, customers[0], "customer")
        # Routing offers a chat to the least busy agent, the lower id on a tie: Agent 0 gets it.
        first, second = (ChatClient(url_b, person, f"agent{n}") for n, person in enumerate(agents))
        for agent in (first, second):
            await agent.open()
            await agent.subscribe(f"agent.{agent.person.user_id}")
            await agent.wait_for_reply("subscribed", group=f"agent.{agent.person.user_id}")
        await customer.open()

        start = await customer.send_kept(
            type="start_chat", text="Where is my deposit?", language="en", want_human=True
        )
        ack = await customer.wait_for_reply("ack", client_id=start)
        session_id, ticket_id = ack["session_id"], ack["ticket_id"]
        group = f"ticket.{ticket_id}"
        await customer.subscribe(group)
        await first.wait_for_event("chat.offer", session_id=session_id, customer_name="Customer 0")
        await first.send(type="accept", session_id=session_id)
        await first.wait_for_reply("done", command="accept", session_id=session_id)
        await first.subscribe(group)
        await customer.wait_for_event("chat.state", state="active", agent_name="Agent 0")

        # Messages both ways: each side learns of the other's through the other process.
        hello = await customer.send_kept(type="message", session_id=session_id, text="Hello from A")
        from_customer = (await customer.wait_for_reply("ack", client_id=hello))["message_id"]
        await first.wait_for_event("ticket.message", message_id=from_customer, from_staff=False)
        answer = await first.send_kept(type="message", session_id=session_id, text="Hello from B")
        from_agent = (await first.wait_for_reply("ack", client_id=answer))["message_id"]
        await customer.wait_for_event("ticket.message", message_id=from_agent, from_staff=True)

        # Typing and read receipts, relayed and never stored.
        await customer.send(type="typing", session_id=session_id, typing=True)
        await first.wait_for_event("chat.typing", side="customer", name="Customer 0", typing=True)
        await first.send(type="typing", session_id=session_id, typing=True)
        await customer.wait_for_event("chat.typing", side="agent", name="Agent 0", typing=True)
        await first.send(type="read", session_id=session_id, message_id=from_customer)
        await customer.wait_for_event("chat.read", side="agent", message_id=from_customer)
        await customer.send(type="read", session_id=session_id, message_id=from_agent)
        await first.wait_for_event("chat.read", side="customer", message_id=from_agent)

        # A transfer to a colleague, then the end.
        await first.send(
            type="transfer",
            session_id=session_id,
            to_agent=second.person.user_id,
            note="Deposit, over to you",
        )
        await first.wait_for_reply("done", command="transfer", session_id=session_id)
        await second.wait_for_event(
            "chat.assigned", session_id=session_id, transferred_from=first.person.user_id
        )
        await second.subscribe(group)
        await customer.wait_for_event("chat.state", state="active", agent_name="Agent 1")
        seen = len(customer.received)
        taken = await second.send_kept(type="message", session_id=session_id, text="Agent 1 here, from B")
        from_second = (await second.wait_for_reply("ack", client_id=taken))["message_id"]
        await customer.wait_for_event("ticket.message", after=seen, message_id=from_second, from_staff=True)
        thanks = await customer.send_kept(type="message", session_id=session_id, text="Thanks, from A")
        from_customer = (await customer.wait_for_reply("ack", client_id=thanks))["message_id"]
        await second.wait_for_event("ticket.message", message_id=from_customer, from_staff=False)
        await second.send(type="end", session_id=session_id)
        await second.wait_for_reply("done", command="end", session_id=session_id)
        await customer.wait_for_event("chat.state", state="ended")

        transcripts = {page.name: list(await page.catch_up(ticket_id)) for page in (customer, second)}
        for page in (customer, first, second):
            await page.close()
        return {"session_id": session_id, "ticket_id": ticket_id, **transcripts}

    try:
        outcome = asyncio.run(scenario())
    finally:
        stop_servers(servers)

    rows = list(
        Message.objects.filter(ticket_id=outcome["ticket_id"])
        .order_by("pk")
        .values_list("pk", "kind", "body")
    )
    customer_lines = ["Where is my deposit?", "Hello from A", "Thanks, from A"]
    agent_lines = ["Hello from B", "Agent 1 here, from B"]
    for name in ("customer", "agent1"):
        assert said(outcome[name], "customer") == customer_lines, name
        assert said(outcome[name], "agent") == agent_lines, name
    assert [row["id"] for row in outcome["agent1"]] == [row[0] for row in rows]
    assert [row["id"] for row in outcome["customer"]] == [row[0] for row in rows if row[1] != "note"]
    assert [row[2] for row in rows if row[1] == "note"] == ["Deposit, over to you"]
    assert sorted(
        body for _pk, kind, body in rows if kind == "public" and body in customer_lines + agent_lines
    ) == (sorted(customer_lines + agent_lines))
    session = ChatSession.objects.get(pk=outcome["session_id"])
    assert (session.state, session.agent_id) == (State.ENDED, agents[1].user_id)
