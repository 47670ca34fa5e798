"""Live chats over real sockets to `watchkeeper serve` processes, for the tests of the chat's "nothing
lost" guarantee (tests/test_chat_restart.py, tests/services/test_chat_processes.py).

The server side is benchmarks/chat_load.py's: its users with real sessions, its servers started as
`make run` does, its socket opened as the widget opens it. The client side is `ChatClient`, which keeps
what chat.js's socket keeps — the last event id per group, the commands not yet acknowledged — and does
what it does on a reconnect: subscribe every group again with its last id, then resend those commands
with the same client_id. Its transcript is read as the pages read it, from the chat's JSON message list
after the last message shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import websockets
from chat_load import Person, Tally, connect
from websockets.asyncio.client import ClientConnection

from watchkeeper.chat.protocol import REPLIES

ROOT = Path(__file__).resolve().parent.parent
# As chat.js: a command the server could not store ("busy", "unavailable") is resent after this long.
RESEND_AFTER_SECONDS = 1.5
WAIT_SECONDS = 15.0


def people(env: dict[str, str], customers: int, agents: int) -> tuple[list[Person], list[Person]]:
    """chat_load's team, online agents with TOTP and customers, with sessions, built in a child process on
    the database that `env` names (the test process's Django is on the test database)."""
    code = (
        "import dataclasses, json; from chat_load import build; "
        f"built = build({customers}, {agents}, 3); "
        "print(json.dumps([[dataclasses.asdict(p) for p in side] for side in built]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": str(ROOT / "benchmarks")},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    customer_rows, agent_rows = json.loads(done.stdout.strip().splitlines()[-1])
    return [Person(**row) for row in customer_rows], [Person(**row) for row in agent_rows]


class ChatClient:
    """One page's chat socket (the customer's chat or the agent's console), as chat.js keeps it."""

    def __init__(self, url: str, person: Person, name: str) -> None:
        self.url = url  # ws://host:port
        self.person = person
        self.name = name  # for the client_ids and failure messages
        self.groups: list[str] = []  # to subscribe again after a reconnect
        self.last_ids: dict[str, int] = {}
        self.pending: dict[str, dict[str, Any]] = {}  # client_id -> command not yet acknowledged
        self.received: list[dict[str, Any]] = []  # what the page handles, after the id filter
        self.transcript: list[dict[str, Any]] = []  # the messages the page shows, in order
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.arrived = asyncio.Event()
        self.resends: set[asyncio.Task[None]] = set()
        self.kept: list[str] = []  # the client_ids of every command that must be stored

    # ------------------------------------------------------------ the socket

    async def open(self) -> None:
        ws = await connect(self.url, self.person, asyncio.Semaphore(1), Tally())
        assert ws is not None, f"{self.name} could not connect to {self.url}"
        self.ws = ws
        self.reader = asyncio.get_running_loop().create_task(self.read(ws))
        for group in self.groups:
            await self.raw({"type": "subscribe", "group": group, "last_id": self.last_ids.get(group, 0)})
        for command in list(self.pending.values()):
            await self.raw(command)  # same client_id: stored once

    async def read(self, ws: ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in ws:
                self.handle(json.loads(text))

    def handle(self, message: dict[str, Any]) -> None:
        REPLIES.validate_python(message)  # every reply and event the page gets has its schema
        kind = message["type"]
        if kind == "event":
            event_id = message["event"].get("id")
            if isinstance(event_id, int):
                if event_id <= self.last_ids.get(message["group"], 0):
                    return  # replay overlap: handled already
                self.last_ids[message["group"]] = event_id
        elif kind == "ack":
            self.pending.pop(message["client_id"], None)
        elif kind == "error" and message.get("client_id") in self.pending:
            if message["code"] in ("busy", "unavailable"):
                task = asyncio.get_running_loop().create_task(self.resend_later(message["client_id"]))
                self.resends.add(task)
                task.add_done_callback(self.resends.discard)
            else:
                self.pending.pop(message["client_id"])
        self.received.append(message)
        self.arrived.set()

    async def resend_later(self, client_id: str) -> None:
        await asyncio.sleep(RESEND_AFTER_SECONDS)
        if client_id in self.pending:
            await self.raw(self.pending[client_id])

    async def raw(self, command: dict[str, Any]) -> None:
        if self.ws is None:
            return
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.ws.send(json.dumps(command))

    async def send(self, **command: Any) -> None:
        await self.raw(command)

    async def send_kept(self, **command: Any) -> str:
        """Send a command that must be stored (start_chat, message), kept until its ack; its client_id."""
        client_id = f"{self.name}-{self.person.user_id}-{len(self.kept) + 1}"
        command["client_id"] = client_id
        self.kept.append(client_id)
        self.pending[client_id] = command
        await self.raw(command)
        return client_id

    async def subscribe(self, group: str) -> None:
        if group not in self.groups:
            self.groups.append(group)
            await self.raw({"type": "subscribe", "group": group, "last_id": self.last_ids.get(group, 0)})

    def stop_reading(self) -> None:
        """What arrives from now on never reaches the page, as on a network that has gone: the server
        stores and acknowledges, the acks are lost."""
        if self.reader is not None:
            self.reader.cancel()

    async def gone(self) -> None:
        """The server went away: the socket is dead (anything unread with it); the page keeps its state."""
        if self.ws is not None:
            self.ws.transport.abort()
        if self.reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        self.ws = self.reader = None

    async def close(self) -> None:
        for task in list(self.resends):
            task.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader

    # ------------------------------------------------------------ what arrived

    async def wait_for(
        self, match: Callable[[dict[str, Any]], bool], what: str, *, after: int = 0
    ) -> dict[str, Any]:
        """The first message received at position `after` or later that `match` accepts."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        while True:
            for message in self.received[after:]:
                if match(message):
                    return message
            remaining = deadline - loop.time()
            assert remaining > 0, f"{self.name} never received {what}; got {self.received[after:]}"
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)

    async def wait_for_event(self, kind: str, *, after: int = 0, **fields: Any) -> dict[str, Any]:
        def match(message: dict[str, Any]) -> bool:
            event = message.get("event", {})
            return (
                message["type"] == "event"
                and event.get("type") == kind
                and all(event.get(name) == value for name, value in fields.items())
            )

        found = await self.wait_for(match, f"{kind} {fields}", after=after)
        return dict(found["event"])

    async def wait_for_reply(self, kind: str, *, after: int = 0, **fields: Any) -> dict[str, Any]:
        def match(message: dict[str, Any]) -> bool:
            return message["type"] == kind and all(
                message.get(name) == value for name, value in fields.items()
            )

        return await self.wait_for(match, f"{kind} {fields}", after=after)

    async def settled(self) -> None:
        """Every kept command acknowledged."""
        await self.wait_for(lambda _message: not self.pending, f"acks for {sorted(self.pending)}")

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [
            message["event"]
            for message in self.received
            if message["type"] == "event" and message["event"]["type"] == kind
        ]

    def acks(self) -> list[dict[str, Any]]:
        return [message for message in self.received if message["type"] == "ack"]

    # ------------------------------------------------------------ the transcript

    async def catch_up(self, ticket_id: int) -> list[dict[str, Any]]:
        """Read the chat's messages after the last one shown, as the page does on an event, and show them."""
        http = "http" + self.url.removeprefix("ws")
        while True:
            after = self.transcript[-1]["id"] if self.transcript else 0
            request = urllib.request.Request(
                f"{http}/en/help/chat/messages/{ticket_id}/?after={after}",
                headers={"Cookie": self.person.cookie, "Accept": "application/json"},
            )
            body = await asyncio.to_thread(_get, request)
            rows = json.loads(body)["messages"]
            self.transcript.extend(row for row in rows if row["id"] > after)
            if len(rows) < 200:
                return self.transcript


def _get(request: urllib.request.Request) -> bytes:
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


def said(transcript: list[dict[str, Any]], side: str) -> list[str]:
    """The public messages one side wrote, as the transcript shows them."""
    return [row["body"] for row in transcript if row["side"] == side and row["kind"] == "public"]
