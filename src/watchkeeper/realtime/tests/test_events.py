from __future__ import annotations

import pytest
from pydantic import ValidationError

from watchkeeper.realtime.events import EVENT_TYPES, Notification, PresenceChanged, parse_event


def test_realtime_event_types_round_trip_through_their_schema() -> None:
    samples = [
        PresenceChanged(agent_id=3, presence="away"),
        Notification(id=9, title="t", body="b", url="/x"),
    ]
    assert {PresenceChanged, Notification} <= set(EVENT_TYPES.values())
    for sample in samples:
        assert parse_event(sample.model_dump(mode="json")) == sample


def test_schema_rejects_bad_events() -> None:
    with pytest.raises(ValidationError):
        parse_event({"type": "presence.changed", "agent_id": 1, "presence": "sleeping"})
    with pytest.raises(ValidationError):
        parse_event({"type": "notification", "title": "x", "unexpected": 1})
    with pytest.raises(ValueError, match="unknown event type"):
        parse_event({"type": "nope"})
