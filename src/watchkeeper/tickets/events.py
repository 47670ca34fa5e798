"""Real-time events of a ticket (group `ticket.<id>`), numbered by Ticket.last_event_id."""

from __future__ import annotations

from typing import Literal

from watchkeeper.realtime.events import Event


class TicketMessageAdded(Event):
    type: Literal["ticket.message"] = "ticket.message"
    ticket_id: int
    message_id: int
    kind: Literal["public", "note", "event"]
    from_staff: bool


class TicketUpdated(Event):
    type: Literal["ticket.updated"] = "ticket.updated"
    ticket_id: int
    changed: list[str]  # field names: status, priority, assignee, team, tags ...


class TicketActivity(Event):
    """An agent is looking at or answering a ticket (group `ticket-staff.<id>`; ephemeral, no id), so
    colleagues on the same ticket do not send two answers."""

    type: Literal["ticket.activity"] = "ticket.activity"
    ticket_id: int
    agent_id: int
    agent_name: str
    state: Literal["viewing", "replying", "left"]
