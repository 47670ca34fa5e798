from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import transaction
from django.test import Client

from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.realtime.broker import publish
from watchkeeper.realtime.events import Notification, parse_event
from watchkeeper.realtime.groups import GROUP_KINDS, GroupKind, register_group_kind
from watchkeeper.realtime.routing import websocket_application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def connect(user: Any | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        client = Client()
        await sync_to_async(client.force_login)(user)
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(websocket_application(), "/ws/", headers=headers)
    return communicator


async def subscribe(communicator: WebsocketCommunicator, group: str, last_id: int = 0) -> dict[str, Any]:
    await communicator.send_json_to({"type": "subscribe", "group": group, "last_id": last_id})
    return await communicator.receive_json_from(timeout=5)


async def test_anonymous_socket_is_closed() -> None:
    communicator = await connect(None)
    connected, _ = await communicator.connect()
    assert connected
    closing = await communicator.receive_output(timeout=5)
    assert closing == {"type": "websocket.close", "code": 4401, "reason": ""} or closing["code"] == 4401


async def test_foreign_origin_is_refused() -> None:
    user = await sync_to_async(make_user)()
    communicator = await connect(user)
    communicator.scope["headers"] = [
        (k, b"https://evil.example" if k == b"origin" else v) for k, v in communicator.scope["headers"]
    ]
    connected, _ = await communicator.connect()
    assert not connected


async def test_event_published_after_commit_reaches_the_socket() -> None:
    user = await sync_to_async(make_user)()
    communicator = await connect(user)
    assert (await communicator.connect())[0]
    assert (await subscribe(communicator, f"user.{user.pk}"))["type"] == "subscribed"

    def rolled_back() -> None:
        try:
            with transaction.atomic():
                publish(f"user.{user.pk}", Notification(title="never"))
                raise RuntimeError("roll back")
        except RuntimeError:
            pass

    await sync_to_async(rolled_back)()

    def committed() -> None:
        with transaction.atomic():
            publish(f"user.{user.pk}", Notification(title="Your ticket was answered", url="/en/"))

    await sync_to_async(committed)()
    message = await communicator.receive_json_from(timeout=5)
    assert message["group"] == f"user.{user.pk}"
    event = parse_event(message["event"])
    assert isinstance(event, Notification) and event.title == "Your ticket was answered"
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_cannot_follow_another_users_group() -> None:
    user, other = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    communicator = await connect(user)
    await communicator.connect()
    reply = await subscribe(communicator, f"user.{other.pk}")
    assert reply == {
        "type": "error",
        "code": "forbidden",
        "message": "You may not follow this group.",
        "group": f"user.{other.pk}",
    }
    assert (await subscribe(communicator, "nosuchkind.1"))["code"] == "forbidden"
    await communicator.disconnect()


async def test_queue_group_is_for_that_teams_agents() -> None:
    from watchkeeper.accounts.models import AgentProfile, Team

    def setup() -> tuple[Any, Any]:
        team = Team.objects.create(name="Asia", slug="asia")
        agent = make_user(Role.AGENT)
        AgentProfile.objects.get(user=agent).teams.add(team)
        return agent, make_user(Role.AGENT)

    member, outsider = await sync_to_async(setup)()
    for user, allowed in ((member, True), (outsider, False)):
        communicator = await connect(user)
        await communicator.connect()
        reply = await subscribe(communicator, "queue.asia")
        assert (reply["type"] == "subscribed") is allowed
        await communicator.disconnect()


async def test_reconnecting_client_receives_what_it_missed() -> None:
    backlog = [Notification(id=i, title=f"event {i}") for i in range(1, 6)]
    register_group_kind(
        GroupKind(
            "testlog",
            can_join=lambda user, key: True,
            replay=lambda user, key, last_id: [e for e in backlog if e.id is not None and e.id > last_id],
        )
    )
    try:
        user = await sync_to_async(make_user)()
        communicator = await connect(user)
        await communicator.connect()
        await subscribe(communicator, "testlog.1", last_id=3)
        missed = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
        assert [m["event"]["id"] for m in missed] == [4, 5]
        await communicator.disconnect()
    finally:
        GROUP_KINDS.pop("testlog")


async def test_bad_messages_get_an_error_not_a_disconnect() -> None:
    user = await sync_to_async(make_user)()
    communicator = await connect(user)
    await communicator.connect()
    await communicator.send_to(text_data=json.dumps(["not", "an", "object"]))
    assert (await communicator.receive_json_from())["code"] == "bad_request"
    await communicator.send_json_to({"type": "subscribe", "group": f"user.{user.pk}", "last_id": "x"})
    assert (await communicator.receive_json_from())["code"] == "bad_request"
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from())["type"] == "pong"
    await communicator.disconnect()


async def test_presence_change_reaches_the_team_queue() -> None:
    from watchkeeper.accounts.actions import set_presence
    from watchkeeper.accounts.models import AgentProfile, Team

    def setup() -> Any:
        team = Team.objects.create(name="Security", slug="security")
        agent = make_user(Role.AGENT)
        AgentProfile.objects.get(user=agent).teams.add(team)
        return agent

    agent = await sync_to_async(setup)()
    communicator = await connect(agent)
    await communicator.connect()
    await subscribe(communicator, "queue.security")
    await sync_to_async(set_presence)(agent, "online")
    message = await communicator.receive_json_from(timeout=5)
    assert message["event"]["type"] == "presence.changed"
    assert message["event"]["agent_id"] == agent.pk and message["event"]["presence"] == "online"
    await communicator.disconnect()
    await asyncio.sleep(0)
