"""The chat socket end to end: real ASGI app, real writer thread, committed data. Every message a client
receives is checked against its schema (chat.protocol's replies, realtime.events for the events)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from watchkeeper.accounts.models import Team, User
from watchkeeper.accounts.tests.factories import enrol_totp
from watchkeeper.answers.queries import Answer
from watchkeeper.chat import actions
from watchkeeper.chat.models import ChatSession, State
from watchkeeper.chat.protocol import REPLIES
from watchkeeper.chat.tests.conftest import FakeMatcher, article, make_agent, make_customer
from watchkeeper.chat.writer import get_writer, stop_writer
from watchkeeper.realtime.routing import websocket_application
from watchkeeper.tickets.models import Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def published() -> Iterator[None]:
    """Overrides the chat tests' recorder: here events must reach the sockets through the broker."""
    yield None


@pytest_asyncio.fixture(autouse=True)
async def writer() -> AsyncIterator[None]:
    yield None
    await stop_writer()


class Socket:
    """A test client that validates everything it receives and keeps what it skipped past."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.seen: list[dict[str, Any]] = []

    async def send(self, **content: Any) -> None:
        await self.communicator.send_json_to(content)

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        message: dict[str, Any] = await self.communicator.receive_json_from(timeout=timeout)
        REPLIES.validate_python(message)  # raises on anything off-schema
        self.seen.append(message)
        return message

    async def until(self, match: Any, timeout: float = 5) -> dict[str, Any]:
        """The first message for which `match(message)` holds, skipping others."""
        while True:
            try:
                message = await self.receive(timeout)
            except TimeoutError:
                raise AssertionError(f"not among {self.seen}") from None
            if match(message):
                return message

    async def close(self) -> None:
        await self.communicator.disconnect()


async def connect(user: User) -> Socket:
    client = Client()
    await sync_to_async(client.force_login)(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie.encode())]
    communicator = WebsocketCommunicator(websocket_application(), "/ws/chat/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return Socket(communicator)


def is_type(kind: str) -> Any:
    return lambda message: message["type"] == kind


def is_event(kind: str, **fields: Any) -> Any:
    return lambda message: (
        message["type"] == "event"
        and message["event"]["type"] == kind
        and all(message["event"].get(k) == v for k, v in fields.items())
    )


def make_chat_agent(team: Team, name: str = "Bob", **options: Any) -> User:
    return enrol_totp(make_agent(team, name, **options))


async def start(socket: Socket, text: str, client_id: str, **options: Any) -> dict[str, Any]:
    await socket.send(type="start_chat", text=text, client_id=client_id, **options)
    return await socket.until(is_type("ack"))


async def test_customer_starts_a_chat_gets_the_ack_then_the_bots_answer(matcher: FakeMatcher) -> None:
    customer = await sync_to_async(make_customer)()
    matcher.answers.append(Answer(decision="answer", articles=[article(7, "How to deposit")]))
    socket = await connect(customer)
    ack = await start(socket, "How do I deposit?", "c-1")
    assert ack["client_id"] == "c-1" and not ack["duplicate"] and ack["event_id"] is not None
    stored = await sync_to_async(Message.objects.get)(pk=ack["message_id"])
    assert stored.body == "How do I deposit?" and stored.client_id == "c-1"
    assert (await socket.receive())["type"] == "subscribed"
    bot = await socket.until(is_event("ticket.message", from_staff=True))
    answer = await sync_to_async(Message.objects.get)(pk=bot["event"]["message_id"])
    assert answer.from_bot and "How to deposit" in answer.body
    assert [m["type"] for m in socket.seen].index("ack") < socket.seen.index(bot)
    await socket.close()


async def test_ack_comes_only_after_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer resolves the future after its transaction; the row is readable from another
    connection when the ack arrives, and the ack was not sent while the transaction was open."""
    from django.db import connection

    customer = await sync_to_async(make_customer)()
    session = await sync_to_async(lambda: actions.start_chat(customer, "talk to a human").session)()
    in_transaction: list[bool] = []
    original = actions.customer_says

    def spy(*args: Any, **kwargs: Any) -> Any:
        in_transaction.append(connection.in_atomic_block)
        return original(*args, **kwargs)

    monkeypatch.setattr(actions, "customer_says", spy)
    socket = await connect(customer)
    await socket.send(type="message", session_id=session.pk, text="Still there?", client_id="m-1")
    ack = await socket.until(is_type("ack"))
    assert in_transaction == [True]
    assert await sync_to_async(Message.objects.filter(pk=ack["message_id"], client_id="m-1").exists)()
    await socket.close()


async def test_resend_after_reconnect_is_stored_once_with_the_same_message_id() -> None:
    customer = await sync_to_async(make_customer)()
    first = await connect(customer)
    started = await start(first, "talk to a human", "start-1")
    await first.send(type="message", session_id=started["session_id"], text="My order 42", client_id="m-1")
    ack = await first.until(is_type("ack"))
    last_id = max(m["event"]["id"] or 0 for m in first.seen if m["type"] == "event")
    await first.close()  # as if the ack had been lost with the connection

    second = await connect(customer)
    await second.send(type="subscribe", group=f"ticket.{started['ticket_id']}", last_id=last_id)
    assert (await second.receive())["type"] == "subscribed"
    snapshot = await second.until(is_type("chat_snapshot"))
    assert snapshot["session_id"] == started["session_id"] and snapshot["side"] == "customer"
    await second.send(type="message", session_id=started["session_id"], text="My order 42", client_id="m-1")
    again = await second.until(is_type("ack"))
    assert again["message_id"] == ack["message_id"] and again["duplicate"] and again["event_id"] is None
    await start(second, "talk to a human", "start-1")  # the first message resent: still one chat
    assert await sync_to_async(Message.objects.filter(client_id="m-1").count)() == 1
    assert await sync_to_async(ChatSession.objects.filter(customer=customer).count)() == 1
    await second.close()


async def test_agent_accepts_the_offer_and_both_sides_talk(support: Team) -> None:
    agent = await sync_to_async(make_chat_agent)(support)
    customer = await sync_to_async(make_customer)()
    console = await connect(agent)
    await console.send(type="subscribe", group=f"agent.{agent.pk}", last_id=0)
    await console.until(is_type("subscribed"))
    widget = await connect(customer)
    started = await start(widget, "Hi", "s-1", want_human=True)
    session_id, ticket_id = started["session_id"], started["ticket_id"]
    await console.until(is_event("chat.offer", session_id=session_id))

    await console.send(type="accept", session_id=session_id)
    done = await console.until(is_type("done"))
    assert done == {"type": "done", "command": "accept", "session_id": session_id, "ticket_id": ticket_id}
    await widget.until(is_event("chat.state", state="active"))

    await widget.send(type="message", session_id=session_id, text="Where is my BTC?", client_id="w-1")
    widget_ack = await widget.until(is_type("ack"))
    heard = await console.until(is_event("ticket.message", message_id=widget_ack["message_id"]))
    assert heard["group"] == f"ticket.{ticket_id}" and not heard["event"]["from_staff"]

    await console.send(type="message", ticket_id=ticket_id, text="Checking the chain now.", client_id="a-1")
    console_ack = await console.until(is_type("ack"))
    answer = await widget.until(is_event("ticket.message", message_id=console_ack["message_id"]))
    assert answer["event"]["from_staff"]
    assert answer["event"]["id"] == console_ack["event_id"]

    await console.send(type="message", session_id=session_id, text="note to self", client_id="a-2", note=True)
    await console.until(is_type("ack"))
    await widget.send(type="end", session_id=session_id)
    assert (await widget.until(is_type("done")))["command"] == "end"
    await widget.send(type="rate", session_id=session_id, score=5, comment="quick")
    assert (await widget.until(is_type("done")))["command"] == "rate"
    session = await sync_to_async(ChatSession.objects.get)(pk=session_id)
    assert session.state == State.ENDED and session.rating == 5
    await widget.close()
    await console.close()


async def test_typing_reaches_the_other_side_only_and_is_not_stored(support: Team) -> None:
    agent = await sync_to_async(make_chat_agent)(support)
    customer = await sync_to_async(make_customer)()
    session = await sync_to_async(
        lambda: actions.accept_offer(actions.start_chat(customer, "talk to a human").session, agent)
    )()
    stored = await sync_to_async(Message.objects.count)()
    widget, console = await connect(customer), await connect(agent)
    for socket in (widget, console):
        await socket.send(type="subscribe", group=f"ticket.{session.ticket_id}", last_id=10_000)
        await socket.until(is_type("chat_snapshot"))
    await widget.send(type="typing", session_id=session.pk, typing=True)
    await widget.send(type="typing", session_id=session.pk, typing=True)  # throttled
    typing = await console.until(is_event("chat.typing"))
    assert typing["event"]["side"] == "customer" and typing["event"]["typing"]
    await widget.send(type="typing", session_id=session.pk, typing=False)
    await widget.send(type="typing", session_id=session.pk, typing=False)  # said already
    stopped = await console.until(is_event("chat.typing"))
    assert not stopped["event"]["typing"]
    await widget.send(type="read", session_id=session.pk, message_id=1)
    read = await console.until(is_event("chat.read"))
    assert read["event"] == read["event"] | {"side": "customer", "message_id": 1}
    assert await console.communicator.receive_nothing(timeout=0.1)  # the repeat was dropped
    assert await widget.communicator.receive_nothing(timeout=0.1)  # nothing echoed to the sender
    assert await sync_to_async(Message.objects.count)() == stored
    await widget.close()
    await console.close()


async def test_another_customers_chat_is_refused_and_nothing_is_stored() -> None:
    owner, intruder = await sync_to_async(make_customer)("Owner"), await sync_to_async(make_customer)("Eve")
    session = await sync_to_async(lambda: actions.start_chat(owner, "talk to a human").session)()
    stored = await sync_to_async(Message.objects.count)()
    socket = await connect(intruder)
    await socket.send(type="message", session_id=session.pk, text="hello", client_id="x-1")
    error = await socket.receive()
    assert error["type"] == "error" and error["code"] == "forbidden" and error["client_id"] == "x-1"
    await socket.send(type="message", ticket_id=session.ticket_id, text="hello", client_id="x-2")
    assert (await socket.receive())["code"] == "forbidden"
    await socket.send(type="subscribe", group=f"ticket.{session.ticket_id}", last_id=0)
    assert (await socket.receive())["code"] == "forbidden"
    await socket.send(type="message", session_id=session.pk, client_id="x-3")
    bad = await socket.receive()
    assert bad["code"] == "bad_request" and "text" in bad["message"]
    assert await sync_to_async(Message.objects.count)() == stored
    await socket.close()


async def test_staff_without_a_second_factor_cannot_act_as_agent(support: Team) -> None:
    agent = await sync_to_async(make_agent)(support, "NoMfa")
    customer = await sync_to_async(make_customer)()
    session = await sync_to_async(lambda: actions.start_chat(customer, "talk to a human").session)()
    socket = await connect(agent)
    await socket.send(type="accept", session_id=session.pk)
    assert (await socket.receive())["code"] == "second_factor_required"
    await socket.close()


async def test_writer_batches_concurrent_messages_and_isolates_a_bad_one(support: Team) -> None:
    def setup() -> list[tuple[User, ChatSession]]:
        agent = make_agent(support, "Bob", max_chats=10)
        chats = []
        for n in range(5):
            customer = make_customer(f"C{n}")
            session = actions.start_chat(customer, "talk to a human").session
            chats.append((customer, actions.accept_offer(session, agent)))
        return chats

    chats = await sync_to_async(setup)()
    sockets = [await connect(customer) for customer, _session in chats]
    for socket, (_customer, session) in zip(sockets, chats, strict=True):
        # As the widget does on connect. It also keeps the access check (a read) out of the burst: the
        # tests' shared-cache in-memory SQLite refuses a read of a table that a transaction is writing,
        # which a file database in WAL mode never does.
        await socket.send(type="subscribe", group=f"ticket.{session.ticket_id}", last_id=10_000)
        await socket.until(is_type("chat_snapshot"))
    writer = get_writer()
    batches_before = writer.batches
    for n in range(10):
        for index, (socket, (_customer, session)) in enumerate(zip(sockets, chats, strict=True)):
            text = "" if (index, n) == (2, 5) else f"message {n}"
            await socket.send(type="message", session_id=session.pk, text=text, client_id=f"{index}-{n}")
    replies = []
    for socket in sockets:
        for _n in range(10):
            replies.append(await socket.until(lambda m: m["type"] in ("ack", "error")))
    errors = [reply for reply in replies if reply["type"] == "error"]
    assert [(e["client_id"], e["code"]) for e in errors] == [("2-5", "refused")]
    acks = [reply for reply in replies if reply["type"] == "ack"]
    assert len(acks) == 49 and len({ack["message_id"] for ack in acks}) == 49
    stored = await sync_to_async(
        lambda: list(Message.objects.exclude(client_id=None).values_list("client_id", flat=True))
    )()
    assert len(stored) == len(set(stored)) == 49 and "2-5" not in stored
    transactions = writer.batches - batches_before
    assert 1 <= transactions <= 10, transactions  # 2 here: the first alone, then the other 49
    # Each socket's messages were written in the order it sent them.
    for index, (_customer, session) in enumerate(chats):
        order = await sync_to_async(
            lambda s=session: list(
                Message.objects.filter(ticket_id=s.ticket_id)
                .exclude(client_id=None)
                .order_by("pk")
                .values_list("client_id", flat=True)
            )
        )()
        assert order == [f"{index}-{n}" for n in range(10) if (index, n) != (2, 5)]
    await asyncio.gather(*(socket.close() for socket in sockets))


async def test_unhelpful_vote_hands_over_and_the_agent_transfers_to_experts(
    support: Team, experts: Team, matcher: FakeMatcher
) -> None:
    agent = await sync_to_async(make_chat_agent)(support)
    await sync_to_async(make_chat_agent)(experts, "Expert")
    customer = await sync_to_async(make_customer)()
    matcher.answers.append(Answer(decision="answer", articles=[article(7)]))
    widget, console = await connect(customer), await connect(agent)
    started = await start(widget, "How do I deposit?", "s-1")
    session_id = started["session_id"]
    await widget.send(type="accept", session_id=session_id)  # an agent's command
    assert (await widget.until(is_type("error")))["code"] == "forbidden"
    await widget.send(type="rate_bot", session_id=session_id, article_id=7, helpful=False)
    assert (await widget.until(is_type("done")))["command"] == "rate_bot"
    # Delivery does not wait for the sender's answer: the handover came before "done".
    assert any(is_event("chat.state", state="offered")(m) for m in widget.seen)
    await console.send(type="accept", session_id=session_id)
    await console.until(is_type("done"))
    await console.send(type="transfer", session_id=session_id, note="futures question", to_team="futures")
    assert (await console.until(is_type("done")))["command"] == "transfer"
    moved = await widget.until(is_event("chat.state", team="futures"))
    assert moved["event"]["previous"] == "active"
    await console.send(type="transfer", session_id=session_id, note="again", to_team="nope")
    refused = await console.until(is_type("error"))
    assert refused["code"] == "refused" and refused["command"] == "transfer"
    await widget.close()
    await console.close()
