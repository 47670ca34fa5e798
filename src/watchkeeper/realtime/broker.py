"""Fan-out of events to WebSocket clients.

Measured on this hardware (DESIGN.md §Real time), Channels' channel layers cost 1-5 ms of CPU per message
and collapse under chat load, so sockets never go through one. Each process keeps a registry of its own
sockets by group and delivers to them directly; with `REDIS_URL` set, each process also holds one Redis
pub/sub connection, publishes every event there, and relays what other processes published to its own
sockets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction

from watchkeeper.realtime.events import Event

logger = logging.getLogger(__name__)


def channel_prefix(url: str) -> str:
    """The pub/sub channels' prefix. Redis pub/sub ignores the database number, so installs that share a
    Redis server on different databases (staging and production) would hear each other's events —
    message ids, typing names, chat offers — unless the number is in the channel name.
    REALTIME_CHANNEL_PREFIX overrides it (installs on the same database number)."""
    if settings.REALTIME_CHANNEL_PREFIX:
        return settings.REALTIME_CHANNEL_PREFIX
    import redis.connection

    database = redis.connection.parse_url(url).get("db", 0)
    return f"wk:rt:{database}:"


class Subscriber(Protocol):
    """A local socket: push() is called on the event loop thread and must not block."""

    def push(self, text: str) -> None: ...


class MemoryBroker:
    """Delivers to the sockets of this process only: the embedded default."""

    description = "in-process broker"

    def __init__(self) -> None:
        self.groups: dict[str, set[Subscriber]] = defaultdict(set)
        self.loop: asyncio.AbstractEventLoop | None = None

    async def join(self, group: str, subscriber: Subscriber) -> None:
        self.loop = asyncio.get_running_loop()
        self.groups[group].add(subscriber)

    async def leave(self, group: str, subscriber: Subscriber) -> None:
        members = self.groups.get(group)
        if members is not None:
            members.discard(subscriber)
            if not members:
                del self.groups[group]

    def deliver_local(self, group: str, text: str, skip: Subscriber | None = None) -> None:
        for subscriber in tuple(self.groups.get(group, ())):
            if subscriber is not skip:
                subscriber.push(text)

    def deliver_all_local(self, messages: Sequence[tuple[str, str]]) -> None:
        for group, text in messages:
            self.deliver_local(group, text)

    def in_loop(self, callback: Callable[..., None], *args: Any) -> None:
        """Run `callback(*args)` on the event loop of this process's sockets, now if this is it."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return  # no socket has ever joined in this process: nobody to deliver to
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            callback(*args)
        else:
            loop.call_soon_threadsafe(callback, *args)

    def call_in_loop(self, group: str, text: str, skip: Subscriber | None = None) -> None:
        self.in_loop(self.deliver_local, group, text, skip)

    def send(self, group: str, text: str, skip: Subscriber | None = None) -> None:
        """Thread-safe: callable from request threads, tasks and the event loop alike. `skip` is a local
        socket that must not receive it: the sender of an ephemeral event (typing) that is only for the
        others."""
        self.call_in_loop(group, text, skip)

    def send_all(self, messages: Sequence[tuple[str, str]]) -> None:
        """send() of several (group, text), in order, with one hand-over to the event loop for all. The
        chat writer sends each batch's events so: a hand-over per event woke the loop's thread for each
        while the writer still held the GIL (benchmarks/chat_load.py)."""
        if messages:
            self.in_loop(self.deliver_all_local, messages)


class RedisBroker(MemoryBroker):
    """Local delivery plus Redis pub/sub between processes, one subscription connection per process."""

    description = "Redis pub/sub"

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis

        self.url = url
        self.prefix = channel_prefix(url)
        self.origin = uuid.uuid4().hex
        self.publisher = redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30)
        self.pubsub: Any = None
        self.listener: asyncio.Task[None] | None = None
        # Set once the listener's connection holds its subscriptions; `listened` are the channels it
        # subscribed to when it (re)connected.
        self.ready: asyncio.Event | None = None
        self.listened: set[str] = set()

    async def join(self, group: str, subscriber: Subscriber) -> None:
        """Returns once Redis will deliver the group's events here, so a caller that acknowledges the
        join (the socket's "subscribed") never misses an event published after the acknowledgement."""
        first = group not in self.groups
        await super().join(group, subscriber)
        if self.listener is None or self.listener.done():
            self.ready = asyncio.Event()
            self.listener = asyncio.get_running_loop().create_task(self.listen())
        if not first or self.ready is None:
            return
        try:
            await asyncio.wait_for(self.ready.wait(), 5)
        except TimeoutError:
            logger.warning("Redis subscription not ready; group %s relies on resync by event id", group)
            return
        channel = self.prefix + group
        if channel not in self.listened and self.pubsub is not None:
            await self.pubsub.subscribe(channel)

    async def leave(self, group: str, subscriber: Subscriber) -> None:
        await super().leave(group, subscriber)
        if group not in self.groups and self.pubsub is not None:
            await self.pubsub.unsubscribe(self.prefix + group)

    async def listen(self) -> None:
        import redis.asyncio as aioredis

        while True:
            try:
                client = aioredis.Redis.from_url(self.url, health_check_interval=30)
                self.pubsub = client.pubsub(ignore_subscribe_messages=True)
                # Subscribe to every group that has local sockets, including after a reconnect. A pub/sub
                # connection must hold one subscription before it can be read: the bare prefix is that
                # placeholder.
                channels = [self.prefix + group for group in self.groups] or [self.prefix]
                await self.pubsub.subscribe(*channels)
                self.listened = set(channels)
                if self.ready is not None:
                    self.ready.set()
                while True:
                    message = await self.pubsub.get_message(timeout=1.0)
                    if message is None or message.get("type") != "message":
                        continue
                    envelope = json.loads(message["data"])
                    if envelope["o"] == self.origin:
                        continue  # already delivered locally when it was sent
                    channel = message["channel"].decode()
                    self.deliver_local(channel.removeprefix(self.prefix), envelope["t"])
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Redis subscription lost; reconnecting in 1 s")
                self.pubsub = None
                if self.ready is not None:
                    self.ready.clear()
                await asyncio.sleep(1)

    def send(self, group: str, text: str, skip: Subscriber | None = None) -> None:
        self.call_in_loop(group, text, skip)
        envelope = json.dumps({"o": self.origin, "t": text})
        try:
            self.publisher.publish(self.prefix + group, envelope)
        except Exception:
            # Clients resync missed events by id on reconnect; a publish failure must not fail the action.
            logger.exception("Could not publish to Redis group %s", group)

    def send_all(self, messages: Sequence[tuple[str, str]]) -> None:
        super().send_all(messages)
        if not messages:
            return
        try:
            # One round trip for the batch, in order (a pipeline without MULTI).
            pipeline = self.publisher.pipeline(transaction=False)
            for group, text in messages:
                pipeline.publish(self.prefix + group, json.dumps({"o": self.origin, "t": text}))
            pipeline.execute()
        except Exception:
            logger.exception("Could not publish %d events to Redis", len(messages))


_broker: MemoryBroker | None = None
_broker_lock = threading.Lock()


def get_broker() -> MemoryBroker:
    global _broker
    if _broker is None:
        with _broker_lock:
            if _broker is None:
                _broker = RedisBroker(settings.REDIS_URL) if settings.REDIS_URL else MemoryBroker()
    return _broker


def encode(group: str, event: Event) -> str:
    return json.dumps({"type": "event", "group": group, "event": event.model_dump(mode="json")})


# Per thread: the list that the innermost `recording()` collects published events in, and whether
# publish() still sends them itself.
_recorders = threading.local()


@contextmanager
def recording(*, send: bool = True) -> Iterator[list[tuple[str, Event, str]]]:
    """Collect (group, event, encoded text) of every event publish() queues in this thread meanwhile.

    The chat writer runs many actions in one transaction and needs, per action, the id of the message
    event it acknowledges and the events of a chat the socket joins only after the commit. Reading
    them back from the database would cost queries on the hot path; publish() has them in hand.

    With `send=False` publish() only collects: the caller sends what it collected once its
    transaction committed (with `send_all()`), leaving out what a rolled-back savepoint published.
    """
    collected: list[tuple[str, Event, str]] = []
    outer = getattr(_recorders, "current", None)
    _recorders.current = (collected, send)
    try:
        yield collected
    finally:
        _recorders.current = outer


def publish(group: str, event: Event) -> None:
    """Send `event` to every socket in `group` once the current transaction commits.

    Called from actions after their writes, so a client never sees an event whose data is not yet
    readable (and never one whose transaction rolled back).
    """
    text = encode(group, event)
    recorder = getattr(_recorders, "current", None)
    if recorder is not None:
        collected, send = recorder
        collected.append((group, event, text))
        if not send:
            return
    transaction.on_commit(lambda: get_broker().send(group, text), robust=True)
