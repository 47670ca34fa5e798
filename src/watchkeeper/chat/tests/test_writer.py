"""The writer's batches: what a failed job wrote is rolled back and what it published is never sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from watchkeeper.chat import writer
from watchkeeper.chat.writer import Written, write_batch
from watchkeeper.realtime.broker import publish
from watchkeeper.realtime.events import Notification
from watchkeeper.tickets.actions import TicketError
from watchkeeper.tickets.models import Tag

pytestmark = pytest.mark.django_db


class Broker:
    def __init__(self) -> None:
        self.batches: list[list[tuple[str, str]]] = []

    def send_all(self, messages: list[tuple[str, str]]) -> None:
        self.batches.append(list(messages))


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Broker:
    fake = Broker()
    monkeypatch.setattr(writer, "get_broker", lambda: fake)
    return fake


@pytest.fixture
def job() -> Iterator[Callable[[Callable[[], Any]], Any]]:
    loop = asyncio.new_event_loop()
    yield lambda run: writer._Job(run, "en", 0.0, loop.create_future())
    loop.close()


def _stores(name: str, *, then_fails: bool = False) -> Callable[[], str]:
    def run() -> str:
        Tag.objects.create(name=name)
        publish(f"user.{name}", Notification(title=name))
        if then_fails:
            raise TicketError("refused")
        return name

    return run


def test_a_failed_job_among_others_rolls_back_alone_and_sends_nothing(broker: Broker, job: Any) -> None:
    outcomes = write_batch([job(_stores("a")), job(_stores("b", then_fails=True)), job(_stores("c"))])
    assert isinstance(outcomes[0], Written) and isinstance(outcomes[2], Written)
    assert isinstance(outcomes[1], TicketError)
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["a", "c"]
    assert len(broker.batches) == 1  # every event of the batch in one hand-over
    assert [group for group, _text in broker.batches[0]] == ["user.a", "user.c"]


def test_a_job_alone_in_its_batch_is_rolled_back_without_a_savepoint(broker: Broker, job: Any) -> None:
    (outcome,) = write_batch([job(_stores("alone", then_fails=True))])
    assert isinstance(outcome, TicketError)
    assert not Tag.objects.filter(name="alone").exists()
    assert broker.batches == [[]]
    (outcome,) = write_batch([job(_stores("stored"))])
    assert isinstance(outcome, Written) and outcome.value == "stored"
    assert Tag.objects.filter(name="stored").exists()
    assert [group for group, _text in broker.batches[1]] == ["user.stored"]
