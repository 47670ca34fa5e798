"""Every event type any app registers round-trips through its schema (DESIGN.md, "every event
checked against its schema in tests"): a new event without a sample here fails this test."""

from __future__ import annotations

from datetime import UTC, datetime

import django.apps

from watchkeeper.realtime.events import EVENT_TYPES, Event, Notification, PresenceChanged, parse_event


def test_every_registered_event_type_round_trips() -> None:
    assert django.apps.apps.ready
    from watchkeeper.chat.events import (
        ChatAssigned,
        ChatOffered,
        ChatOfferWithdrawn,
        ChatQueuePosition,
        ChatRead,
        ChatStateChanged,
        ChatTyping,
    )
    from watchkeeper.tickets.events import TicketActivity, TicketMessageAdded, TicketUpdated

    samples: list[Event] = [
        PresenceChanged(agent_id=3, presence="away"),
        Notification(id=9, title="t", body="b", url="/x"),
        TicketMessageAdded(id=4, ticket_id=12, message_id=40, kind="note", from_staff=True),
        TicketUpdated(id=5, ticket_id=12, changed=["status", "priority"]),
        TicketActivity(ticket_id=12, agent_id=3, agent_name="Alex", state="replying"),
        ChatStateChanged(
            session_id=2,
            ticket_id=12,
            state="active",
            previous="offered",
            team="support",
            agent_id=3,
            agent_name="Alex",
        ),
        ChatQueuePosition(session_id=2, ticket_id=12, position=3, estimated_wait_seconds=240),
        ChatOffered(
            session_id=2,
            ticket_id=12,
            expires_at=datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC),
            customer_name="Li",
            language="zh-hans",
            category="deposit",
            vip_tier=2,
            team="support",
            article_ids=[7, 9],
        ),
        ChatOfferWithdrawn(session_id=2, ticket_id=12, reason="expired"),
        ChatAssigned(session_id=2, ticket_id=12, transferred_from=5),
        ChatTyping(session_id=2, ticket_id=12, side="agent", name="Alex", typing=True),
        ChatRead(session_id=2, ticket_id=12, side="customer", message_id=40),
    ]
    assert {type(sample) for sample in samples} == set(EVENT_TYPES.values())
    for sample in samples:
        assert parse_event(sample.model_dump(mode="json")) == sample
