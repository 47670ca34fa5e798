"""The one writer of a process's chat sockets: many chat actions per transaction, acknowledged after it
commits.

Why (DESIGN.md, "Real time"): a message must be stored before it is acknowledged, and a write per
message inside the consumer capped out at ~50 messages/s on SQLite here: every message paid a
transaction of its own and the sockets' threads queued on the database's single write lock. Instead
consumers put (job, future) on an asyncio queue and go on reading their socket; this module's single
task takes what is queued, waits up to MAX_WAIT_SECONDS after the oldest job was queued (or until
MAX_BATCH jobs are there) for company, and runs the batch in its own thread in ONE transaction, each
job in a savepoint so that a refused or failing job rolls back alone. After the commit it resolves
each job's future; the consumer then sends the ack. A job waits at most MAX_WAIT_SECONDS plus one
write for its batch; under load the queue fills while a batch is written, so the next one is bigger
and the cost of a commit is shared by more messages.

Delivery does not wait for the acknowledgement: the actions' events are collected per job
(`broker.recording(send=False)`), and right after the commit the writer thread hands those of the
stored jobs to the event loop in one go (`broker.send_all`), so the other side's sockets get them
before the sender's ack is even sent. A job that failed in its savepoint sends nothing.

The thread is the writer's own (one worker), not the shared `thread_sensitive` thread: batches must
not queue behind other consumers' reads, and one thread keeps one database connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import OperationalError, connections, transaction
from django.utils import translation

from watchkeeper.realtime.broker import get_broker, recording
from watchkeeper.realtime.events import Event
from watchkeeper.tickets.actions import TicketError

logger = logging.getLogger(__name__)

MAX_BATCH = 100
MAX_WAIT_SECONDS = 0.005
# Beyond this many waiting jobs the process is overloaded: refuse at once ("busy") rather than let
# every client wait for an ack that comes too late to matter; the client resends later.
MAX_QUEUED = 5_000


class NotStored(Exception):
    """The batch's transaction did not commit: nothing of it is stored; the client must resend."""


class WriterBusy(Exception):
    """Too many jobs are waiting; the client should resend a little later."""


@dataclass
class Written:
    """A job's result and the events its action published (group, event, encoded text)."""

    value: Any
    published: list[tuple[str, Event, str]]


@dataclass
class _Job:
    run: Callable[[], Any]
    language: str
    queued_at: float
    future: asyncio.Future[Written] = field(repr=False)


class ChatWriter:
    def __init__(
        self, *, max_batch: int = MAX_BATCH, max_wait: float = MAX_WAIT_SECONDS, max_queued: int = MAX_QUEUED
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.max_queued = max_queued
        self.queue: asyncio.Queue[_Job] = asyncio.Queue()
        # While drain() lingers for company: resolved by its timer, or by submit() once a batch is full.
        self.lingering: asyncio.Future[None] | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chat-writer")
        # Committed transactions and the jobs they carried: for tests and benchmarks.
        self.batches = 0
        self.jobs = 0
        self.task = self.loop.create_task(self.drain(), name="chat-writer")

    def submit(self, run: Callable[[], Any], *, language: str) -> asyncio.Future[Written]:
        """Queue `run` (called in the writer thread inside the batch's transaction); the future resolves
        once its transaction committed, or fails with the job's own exception, or NotStored."""
        if self.queue.qsize() >= self.max_queued:
            raise WriterBusy
        future: asyncio.Future[Written] = self.loop.create_future()
        self.queue.put_nowait(_Job(run, language, self.loop.time(), future))
        if self.queue.qsize() >= self.max_batch:
            _stop_lingering(self.lingering)
        return future

    async def drain(self) -> None:
        while True:
            first = await self.queue.get()
            # Linger for company, counted from when the oldest job was queued: jobs that queued up while
            # the previous batch was written do not wait a second time.
            remaining = first.queued_at + self.max_wait - self.loop.time()
            if remaining > 0 and self.queue.qsize() + 1 < self.max_batch:
                # A bare future and a timer: wait_for() on an event cost a task, a timeout and a
                # cancellation per batch, a tenth of the event loop's CPU per chat message.
                self.lingering = self.loop.create_future()
                timer = self.loop.call_later(remaining, _stop_lingering, self.lingering)
                try:
                    await self.lingering
                finally:
                    timer.cancel()
                    self.lingering = None
            batch = [first]
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                outcomes = await self.loop.run_in_executor(self.executor, write_batch, batch)
            except Exception:
                logger.exception("Chat writer batch failed")
                outcomes = [NotStored() for _job in batch]
            else:
                if not all(isinstance(outcome, NotStored) for outcome in outcomes):
                    self.batches += 1
                    self.jobs += sum(isinstance(outcome, Written) for outcome in outcomes)
            for job, outcome in zip(batch, outcomes, strict=True):
                if job.future.done():
                    continue  # the consumer went away; the job is stored all the same
                if isinstance(outcome, BaseException):
                    job.future.set_exception(outcome)
                else:
                    job.future.set_result(outcome)

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.loop.run_in_executor(self.executor, connections.close_all)
        self.executor.shutdown(wait=False)


def _stop_lingering(lingering: asyncio.Future[None] | None) -> None:
    if lingering is not None and not lingering.done():
        lingering.set_result(None)


def _keep_connection() -> None:
    """The writer thread keeps its one connection from batch to batch. `close_old_connections()` closed
    it before every batch where CONN_MAX_AGE is 0 (SQLite's setting): a reconnect with its PRAGMAs per
    batch, ~8% of the server's CPU per chat message in benchmarks/chat_load.py. A connection that had
    errors and no longer answers is replaced; one with a CONN_MAX_AGE keeps Django's usual checks."""
    for connection in connections.all(initialized_only=True):
        if connection.settings_dict["CONN_MAX_AGE"]:
            connection.close_if_unusable_or_obsolete()
        elif connection.errors_occurred:
            if connection.connection is not None and connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()


def write_batch(batch: list[_Job]) -> list[Written | BaseException]:
    """Runs in the writer thread: every job in its savepoint, all in one transaction; then the events of
    the jobs that were stored go to the sockets, all with one hand-over to the event loop."""
    _keep_connection()
    outcomes: list[Written | BaseException] = []
    # A job alone in its batch needs no savepoint: if it fails, the batch's transaction is rolled back
    # (Django marks it so), which is the same. Most batches hold one job at moderate load.
    savepoint = len(batch) > 1
    try:
        with transaction.atomic():
            for job in batch:
                try:
                    with (
                        translation.override(job.language),
                        recording(send=False) as published,
                        transaction.atomic(savepoint=savepoint),
                    ):
                        value = job.run()
                except TicketError as error:  # ChatError too: a refusal that says why
                    outcomes.append(error)
                except OperationalError:
                    # A lock or a dropped connection, not the job's fault: its savepoint rolled back and
                    # the client resends it (same client_id, stored once).
                    logger.warning("Chat writer job hit a database error; the client resends", exc_info=True)
                    outcomes.append(NotStored())
                except Exception as error:
                    logger.exception("Chat writer job failed")
                    outcomes.append(error)
                else:
                    outcomes.append(Written(value, published))
    except Exception:
        logger.exception("Chat writer could not commit a batch of %d", len(batch))
        return [NotStored() for _job in batch]
    _send_events(outcomes)
    return outcomes


def _send_events(outcomes: list[Written | BaseException]) -> None:
    """Send what the stored jobs published (recording(send=False) kept it back until the commit)."""
    messages = [
        (group, text)
        for outcome in outcomes
        if isinstance(outcome, Written)
        for group, _event, text in outcome.published
    ]
    try:
        get_broker().send_all(messages)
    except Exception:
        # Stored all the same: clients catch up by event id when they resubscribe.
        logger.exception("Could not send the events of a chat batch")


_writer: ChatWriter | None = None


def get_writer() -> ChatWriter:
    """The writer of the running event loop (one per process; tests get one per loop)."""
    global _writer
    loop = asyncio.get_running_loop()
    if _writer is None or _writer.loop is not loop or _writer.task.done():
        if _writer is not None and _writer.loop is not loop:
            _writer.executor.shutdown(wait=False)
        _writer = ChatWriter()
    return _writer


async def stop_writer() -> None:
    global _writer
    if _writer is not None and _writer.loop is asyncio.get_running_loop():
        await _writer.stop()
    _writer = None
