"""The broker's hooks for the chat writer and for ephemeral events."""

from __future__ import annotations

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
