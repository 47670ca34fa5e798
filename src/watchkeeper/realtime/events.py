"""Event schemas. Every event sent to a socket is one of these models, validated before it leaves.

An event's `id` orders the events of its group; a client that reconnects sends the last id it saw and
receives what it missed (see `groups.GroupKind.replay`). Ephemeral events (presence) carry no id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

EVENT_TYPES: dict[str, type[Event]] = {}


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    id: int | None = None
    at: datetime = Field(default_factory=timezone.now)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        # Each concrete event registers under its literal `type`, so parse_event() can find it.
        type_field = cls.model_fields["type"]
        if type_field.default and isinstance(type_field.default, str):
            EVENT_TYPES[type_field.default] = cls


class PresenceChanged(Event):
    """An agent went online, away or offline (sent to `queue.<team>` and `agent.<id>`)."""

    type: Literal["presence.changed"] = "presence.changed"
    agent_id: int
    presence: Literal["online", "away", "offline"]


class Notification(Event):
    """Something for one user to see now (sent to `user.<id>`)."""

    type: Literal["notification"] = "notification"
    title: str
    body: str = ""
    url: str = ""


def parse_event(payload: dict[str, Any]) -> Event:
    """Validate a payload against the schema its `type` names; raises pydantic.ValidationError."""
    event_class = EVENT_TYPES.get(str(payload.get("type")))
    if event_class is None:
        raise ValueError(f"unknown event type {payload.get('type')!r}")
    return event_class.model_validate(payload)
