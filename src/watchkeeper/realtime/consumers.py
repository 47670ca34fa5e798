"""The one WebSocket endpoint, `/ws/`. Thin: authenticate, join groups, replay, forward.

Client → server: {"type": "subscribe", "group": "user.7", "last_id": 41}, {"type": "unsubscribe",
"group": ...}, {"type": "ping"}, {"type": "activity", "group": ..., "state": "viewing"} (only in groups
whose kind accepts activity; relayed to the group as an ephemeral event, not stored).
Server → client: {"type": "event", "group", "event": {...}}, {"type": "subscribed", "group"},
{"type": "error", "code", "message"}, {"type": "pong"}.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from watchkeeper.realtime.broker import encode, get_broker
from watchkeeper.realtime.groups import ACTIVITY_HOOKS, authorize, kind_for

logger = logging.getLogger(__name__)

MAX_GROUPS_PER_SOCKET = 50
ACTIVITY_EVERY_SECONDS = 60.0
CLOSE_UNAUTHENTICATED = 4401
ACTIVITY_MIN_INTERVAL_SECONDS = 1.0


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outbox: deque[str] = deque()  # see push()

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.joined: set[str] = set()
        self.last_activity = 0.0
        self.activity_sent: dict[str, float] = {}
        if user is None or not user.is_authenticated:
            # Accept, then close with our own code: a refused handshake reaches browsers only as 1006,
            # and the client must know that retrying without logging in is pointless.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.loop = asyncio.get_running_loop()
        await self.accept()
        await self.record_activity()

    async def disconnect(self, code: int) -> None:
        broker = get_broker()
        for group in self.joined:
            await broker.leave(group, self)
        self.joined.clear()

    async def dispatch(self, message: Any) -> None:
        """Channels' dispatch, without the `close_old_connections()` it runs before every frame in its
        sync thread: a thread hop per chat message (~4% of the server's CPU in benchmarks/chat_load.py)
        that buys nothing here, where the database is only reached through `database_sync_to_async`
        (which does the same around each call) and the chat writer's own thread."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def push(self, text: str) -> None:
        """Queue `text` for this socket: one task sends what is queued, in order. A commit of the chat
        writer mostly has two events for each socket (the message, the ticket's new status): one task
        for both rather than a task per event."""
        self.outbox.append(text)
        if len(self.outbox) == 1:
            self.loop.create_task(self.send_outbox())

    async def send_outbox(self) -> None:
        try:
            while self.outbox:
                await self.send(text_data=self.outbox[0])
                self.outbox.popleft()  # only now, so push() starts no second task meanwhile
        finally:
            self.outbox.clear()  # empty, unless a send failed: then later pushes start afresh

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.error("bad_request", "Send a JSON object.")
            return
        kind = content.get("type")
        if kind == "subscribe":
            await self.subscribe(content)
        elif kind == "unsubscribe":
            group = str(content.get("group", ""))
            if group in self.joined:
                self.joined.discard(group)
                await get_broker().leave(group, self)
            await self.send_json({"type": "unsubscribed", "group": group})
        elif kind == "activity":
            await self.relay_activity(content)
        elif kind == "ping":
            await self.record_activity()
            await self.send_json({"type": "pong"})
        else:
            await self.error("bad_request", f"Unknown message type {kind!r}.")

    async def subscribe(self, content: dict[str, Any]) -> None:
        group = str(content.get("group", ""))
        try:
            last_id = int(content.get("last_id") or 0)
        except (TypeError, ValueError):
            await self.error("bad_request", "last_id must be an integer.", group)
            return
        if len(self.joined) >= MAX_GROUPS_PER_SOCKET and group not in self.joined:
            await self.error("too_many_groups", f"At most {MAX_GROUPS_PER_SOCKET} groups per socket.", group)
            return
        kind = await database_sync_to_async(authorize)(self.user, group)
        if kind is None:
            await self.error("forbidden", "You may not follow this group.", group)
            return
        # Join before reading the backlog so nothing published in between is lost; the client drops
        # duplicates by id.
        await get_broker().join(group, self)
        self.joined.add(group)
        await self.send_json({"type": "subscribed", "group": group})
        if kind.replay is not None and last_id >= 0:
            key = group.partition(".")[2]
            missed = await database_sync_to_async(kind.replay)(self.user, key, last_id)
            for event in missed:
                await self.send(text_data=encode(group, event))

    async def relay_activity(self, content: dict[str, Any]) -> None:
        group = str(content.get("group", ""))
        if group not in self.joined:
            await self.error("not_subscribed", "Subscribe to the group first.", group)
            return
        found = kind_for(group)
        if found is None or found[0].activity is None:
            await self.error("forbidden", "This group takes no activity.", group)
            return
        now = time.monotonic()
        if now - self.activity_sent.get(group, 0.0) < ACTIVITY_MIN_INTERVAL_SECONDS:
            return  # a chatty client is throttled silently: activity is advisory
        self.activity_sent[group] = now
        kind, key = found
        event = await database_sync_to_async(kind.activity)(self.user, key, str(content.get("state", "")))
        if event is None:
            await self.error("bad_request", "Unknown activity.", group)
            return
        get_broker().send(group, encode(group, event))

    async def record_activity(self) -> None:
        now = time.monotonic()
        if now - self.last_activity < ACTIVITY_EVERY_SECONDS:
            return
        self.last_activity = now
        for hook in ACTIVITY_HOOKS:
            await database_sync_to_async(hook)(self.user)

    async def error(self, code: str, message: str, group: str = "") -> None:
        await self.send_json({"type": "error", "code": code, "message": message, "group": group})
