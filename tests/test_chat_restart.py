"""The live chat loses nothing when its server process dies mid-conversation.

A real `watchkeeper serve` on a SQLite file (as `make run` serves), a customer and an agent on real
sockets speaking the widget's and the console's protocol. The server is killed (SIGKILL) while both have
lines in flight — the customer's stored but with their acks lost, the agent's just sent — and started
again on the same port and database. Both pages reconnect with their last event ids and resend what was
not acknowledged; each must then show every line exactly once, in the order it was written, and the
ticket must hold each line once.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from collections import Counter
from pathlib import Path

from chat_load import server_environment, start_servers, stop_servers

from live_chat import ChatClient, people, said


def stored(database: Path, ticket_id: int) -> list[tuple[int, str, str | None, str]]:
    """The ticket's messages in the server's SQLite file: (id, kind, client_id, body), oldest first."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return connection.execute(
            "SELECT id, kind, client_id, body FROM tickets_message WHERE ticket_id = ? ORDER BY id",
            [ticket_id],
        ).fetchall()


def test_a_chat_loses_nothing_when_the_server_is_killed_and_started_again(tmp_path: Path) -> None:
    env = server_environment(
        argparse.Namespace(url=None, keep=False, database_url=None, processes=1, redis_url=None)
    )
    env["WATCHKEEPER_DATA_DIR"] = str(tmp_path)  # the server logs stay with the test's files
    database = tmp_path / "watchkeeper.sqlite3"
    customers, agents = people(env, customers=1, agents=1)
    servers, urls = start_servers(1, env)
    port = int(urls[0].rsplit(":", 1)[1])

    def kill() -> None:
        servers[0].kill()  # SIGKILL: no shutdown, no last commit
        servers[0].wait(timeout=10)

    def start_again() -> None:
        servers[:], _urls = start_servers(1, env, ports=[port])

    async def scenario() -> None:
        customer = ChatClient(urls[0], customers[0], "customer")
        agent = ChatClient(urls[0], agents[0], "agent")
        agent_id = agents[0].user_id
        await agent.open()
        await agent.subscribe(f"agent.{agent_id}")
        await agent.wait_for_reply("subscribed", group=f"agent.{agent_id}")
        await customer.open()

        customer_lines = ["I want to talk to a person about my withdrawal."]
        agent_lines: list[str] = []
        start = await customer.send_kept(
            type="start_chat", text=customer_lines[0], language="en", want_human=True
        )
        ack = await customer.wait_for_reply("ack", client_id=start)
        session_id, ticket_id = ack["session_id"], ack["ticket_id"]
        await customer.subscribe(f"ticket.{ticket_id}")
        await agent.wait_for_event("chat.offer", session_id=session_id)
        await agent.send(type="accept", session_id=session_id)
        await agent.wait_for_reply("done", command="accept", session_id=session_id)
        await agent.subscribe(f"ticket.{ticket_id}")
        await customer.wait_for(
            lambda message: (
                message["type"] in ("event", "chat_snapshot")
                and message.get("event", message).get("state") == "active"
            ),
            "the chat with the agent",
        )

        async def customer_says(text: str) -> str:
            customer_lines.append(text)
            return await customer.send_kept(type="message", session_id=session_id, text=text)

        async def agent_says(text: str) -> str:
            agent_lines.append(text)
            return await agent.send_kept(type="message", session_id=session_id, text=text)

        for number in (1, 2):
            await customer_says(f"Customer, before the crash ({number})")
            await agent_says(f"Agent, before the crash ({number})")
            await customer.settled()
            await agent.settled()

        # The customer's next lines reach the server and are stored, but their acks never reach the page.
        customer.stop_reading()
        from_customer = len([e for e in agent.events("ticket.message") if not e["from_staff"]])
        lost_acks = [await customer_says(f"Customer, acks lost ({number})") for number in (1, 2, 3)]
        await agent.wait_for(
            lambda _message: (
                len([e for e in agent.events("ticket.message") if not e["from_staff"]]) >= from_customer + 3
            ),
            "the customer's three lines",
        )
        # The agent answers, and the server dies before it can store or acknowledge that.
        in_flight = [await agent_says(f"Agent, cut off ({number})") for number in (1, 2, 3)]
        kill()
        assert set(customer.pending) == set(lost_acks)
        assert set(agent.pending) == set(in_flight)
        await customer.gone()
        await agent.gone()
        before_restart = {row[2] for row in stored(database, ticket_id)}
        assert set(lost_acks) <= before_restart  # stored although never acknowledged

        await asyncio.to_thread(start_again)
        customer_seen, agent_seen = len(customer.received), len(agent.received)
        await customer.open()
        await agent.open()
        await customer.settled()
        await agent.settled()
        # The customer missed its own lines' events: the server says so by id, the page reads the rest.
        await customer.wait_for_event(
            "ticket.updated", after=customer_seen, ticket_id=ticket_id, changed=["*"]
        )
        resent = {ack["client_id"]: ack for ack in customer.acks()[-3:]}
        assert set(resent) == set(lost_acks)
        assert all(ack["duplicate"] for ack in resent.values())
        agent_acks = {m["client_id"]: m for m in agent.received[agent_seen:] if m["type"] == "ack"}
        assert set(agent_acks) == set(in_flight)
        assert [agent_acks[c]["duplicate"] for c in in_flight] == [c in before_restart for c in in_flight]

        # The conversation goes on.
        after_customer = await customer_says("Customer, after the restart")
        await customer.settled()
        last_from_customer = customer.acks()[-1]["message_id"]
        assert customer.acks()[-1]["client_id"] == after_customer
        await agent.wait_for_event("ticket.message", message_id=last_from_customer)
        after_agent = await agent_says("Agent, after the restart")
        await agent.settled()
        last_from_agent = next(a for a in agent.acks() if a["client_id"] == after_agent)["message_id"]
        await customer.wait_for_event("ticket.message", message_id=last_from_agent)

        rows = stored(database, ticket_id)
        sent = customer.kept + agent.kept
        counts = Counter(row[2] for row in rows if row[2] is not None)
        assert all(counts[client_id] == 1 for client_id in sent), counts
        for page in (customer, agent):
            transcript = await page.catch_up(ticket_id)
            assert said(transcript, "customer") == customer_lines, page.name
            assert said(transcript, "agent") == agent_lines, page.name
            assert [row["id"] for row in transcript] == [row[0] for row in rows if row[1] != "note"]
            announced = [event["message_id"] for event in page.events("ticket.message")]
            assert len(announced) == len(set(announced)) and set(announced) <= {row[0] for row in rows}
        await customer.close()
        await agent.close()

    try:
        asyncio.run(scenario())
    finally:
        stop_servers(servers)
