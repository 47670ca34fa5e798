"""Real time across processes: a Watchkeeper server in a child process, a browser-like WebSocket client
connected to it, and events published from this test process through Redis."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.realtime.broker import RedisBroker, get_broker, publish
from watchkeeper.realtime.events import Notification

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server_process() -> Iterator[int]:
    """`watchkeeper serve` in its own process, on the test database and the same Redis."""
    port = free_port()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "SECRET_KEY": settings.SECRET_KEY,  # the session cookie made here must validate there
        "RUN_WORKER_IN_PROCESS": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "watchkeeper.cli", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError("server died:\n" + output) from None
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("server did not start within 60 s")
    yield port
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_event_published_here_reaches_a_socket_in_another_process(server_process: int) -> None:
    assert isinstance(get_broker(), RedisBroker)
    user = make_user()
    cookie = session_cookie(user)
    group = f"user.{user.pk}"

    async def scenario() -> list[dict[str, Any]]:
        url = f"ws://127.0.0.1:{server_process}/ws/"
        headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{server_process}"}
        async with websockets.connect(url, additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "subscribe", "group": group, "last_id": 0}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "subscribed"

            def publish_two() -> None:
                for index in (1, 2):
                    with transaction.atomic():
                        publish(group, Notification(id=index, title=f"update {index}"))

            await asyncio.to_thread(publish_two)
            return [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]

    received = asyncio.run(scenario())
    assert [m["event"]["title"] for m in received] == ["update 1", "update 2"]
    assert all(m["group"] == group for m in received)


def test_other_processes_do_not_see_groups_they_did_not_join(server_process: int) -> None:
    user, other = make_user(), make_user()
    cookie = session_cookie(user)

    async def scenario() -> list[str]:
        url = f"ws://127.0.0.1:{server_process}/ws/"
        headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{server_process}"}
        async with websockets.connect(url, additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "subscribe", "group": f"user.{user.pk}"}))
            await asyncio.wait_for(ws.recv(), 10)

            def publish_both() -> None:
                with transaction.atomic():
                    publish(f"user.{other.pk}", Notification(title="not yours"))
                    publish(f"user.{user.pk}", Notification(title="yours"))

            await asyncio.to_thread(publish_both)
            first = json.loads(await asyncio.wait_for(ws.recv(), 10))
            try:
                extra = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                extra = None
            return [first["event"]["title"], extra]

    assert asyncio.run(scenario()) == ["yours", None]


def test_a_socket_refused_without_session(server_process: int) -> None:
    async def scenario() -> int | None:
        url = f"ws://127.0.0.1:{server_process}/ws/"
        origin = {"Origin": f"http://127.0.0.1:{server_process}"}
        async with websockets.connect(url, additional_headers=origin) as ws:
            try:
                await asyncio.wait_for(ws.recv(), 5)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
        return None

    assert asyncio.run(scenario()) == 4401


def test_installs_on_different_redis_databases_do_not_hear_each_other(settings: Any) -> None:
    """Pub/sub ignores the database number; the channel prefix carries it, so staging (db 1) never
    receives production's (db 2) chat events, while a second process of the same install does."""
    settings.REALTIME_CHANNEL_PREFIX = ""
    host = settings.REDIS_URL.rsplit("/", 1)[0] if settings.REDIS_URL.count("/") > 2 else settings.REDIS_URL

    class Inbox:
        def __init__(self) -> None:
            self.texts: list[str] = []

        def push(self, text: str) -> None:
            self.texts.append(text)

    async def scenario() -> tuple[list[str], list[str]]:
        production = RedisBroker(f"{host}/2")
        same_install = RedisBroker(f"{host}/2")
        staging = RedisBroker(f"{host}/1")
        assert (production.prefix, staging.prefix) == ("wk:rt:2:", "wk:rt:1:")
        heard, overheard = Inbox(), Inbox()
        await same_install.join("ticket.7", heard)
        await staging.join("ticket.7", overheard)
        production.send("ticket.7", '{"type": "event"}')
        deadline = time.monotonic() + 5
        while not heard.texts and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # time enough for a stray delivery to arrive too
        for broker in (same_install, staging):
            if broker.listener is not None:
                broker.listener.cancel()
        return heard.texts, overheard.texts

    heard, overheard = asyncio.run(scenario())
    assert heard == ['{"type": "event"}']
    assert overheard == []
