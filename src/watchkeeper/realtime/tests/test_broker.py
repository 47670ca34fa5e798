"""The broker's hooks for the chat writer and for ephemeral events."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from django.db import transaction

from watchkeeper.realtime.broker import MemoryBroker, publish, recording
from watchkeeper.realtime.events import Notification


class Inbox:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def push(self, text: str) -> None:
        self.texts.append(text)


@pytest.mark.asyncio
async def test_skip_leaves_out_the_sender() -> None:
    broker = MemoryBroker()
    sender, other = Inbox(), Inbox()
    await broker.join("ticket.1", sender)
    await broker.join("ticket.1", other)
    broker.send("ticket.1", "typing", skip=sender)
    assert other.texts == ["typing"] and sender.texts == []


@pytest.mark.django_db
def test_recording_collects_what_this_thread_publishes() -> None:
    with transaction.atomic(), recording() as outer:
        publish("user.1", Notification(title="a"))
        with recording() as inner:
            publish("user.2", Notification(title="b"))
    assert [group for group, _event, _text in outer] == ["user.1"]
    assert [(group, event.title) for group, event, _text in inner] == [("user.2", "b")]
    publish("user.3", Notification(title="c"))  # nobody records: nothing kept
    assert len(outer) == 1


@pytest.mark.django_db
def test_recording_without_sending_leaves_delivery_to_the_caller(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with recording(send=False) as kept:
            publish("user.1", Notification(title="a"))
        publish("user.2", Notification(title="b"))
    assert [group for group, _event, _text in kept] == ["user.1"]
    assert len(callbacks) == 1  # only the event published outside: the recorder's caller sends user.1


@pytest.mark.asyncio
async def test_send_all_hands_a_batch_to_the_loop_once_and_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    broker = MemoryBroker()
    first, second = Inbox(), Inbox()
    await broker.join("ticket.1", first)
    await broker.join("ticket.2", second)
    loop = asyncio.get_running_loop()
    handovers = 0
    call_soon_threadsafe = loop.call_soon_threadsafe

    def counted(*args: Any) -> Any:
        nonlocal handovers
        handovers += 1
        return call_soon_threadsafe(*args)

    monkeypatch.setattr(loop, "call_soon_threadsafe", counted)
    batch = [("ticket.1", "a"), ("ticket.2", "b"), ("ticket.1", "c"), ("ticket.9", "nobody")]
    writer = threading.Thread(target=broker.send_all, args=(batch,))  # as the chat writer does
    writer.start()
    writer.join()
    await asyncio.sleep(0)
    assert handovers == 1
    assert first.texts == ["a", "c"] and second.texts == ["b"]
