"""Real-time events of live chats.

Where each goes:
- the customer's side follows `ticket.<id>`: a chat is a ticket, the widget already follows that group
  for the messages, only the requester and agents who may see the ticket can join it, and a customer
  with two chats (two tabs, two devices) gets each chat's position on that chat alone. `user.<id>` would
  reach every page of the customer and need the session id to sort out;
- the agent a chat is offered or assigned to follows `agent.<id>`;
- the team's agents and supervisors follow `queue.<team slug>`.

Chat events carry no `id`: they describe state that the database holds (the session), so a client
that (re)connects reads `chat.queries.chat_snapshot()` instead of replaying them. The messages, which
must never be lost, are ticket messages with numbered `ticket.message` events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from watchkeeper.realtime.events import Event

ChatStateName = Literal["bot", "queued", "offered", "active", "ended", "left_message"]


class ChatStateChanged(Event):
    """A chat moved to another state (to `ticket.<id>` and, once it has a team, `queue.<team>`)."""

    type: Literal["chat.state"] = "chat.state"
    session_id: int
    ticket_id: int
    state: ChatStateName
    previous: ChatStateName | None = None
    team: str | None = None  # slug
    agent_id: int | None = None
    agent_name: str = ""  # the display name the customer may see, never an email address


class ChatQueuePosition(Event):
    """Where a waiting customer stands (to `ticket.<id>`); sent whenever the queue moves."""

    type: Literal["chat.queue"] = "chat.queue"
    session_id: int
    ticket_id: int
    position: int  # 1 = next to be served
    # None when no agent of the team is available to estimate from.
    estimated_wait_seconds: int | None


class ChatOffered(Event):
    """A chat is offered to this agent until `expires_at` (to `agent.<id>`)."""

    type: Literal["chat.offer"] = "chat.offer"
    session_id: int
    ticket_id: int
    expires_at: datetime
    customer_name: str
    language: str
    category: str
    vip_tier: int
    team: str | None = None
    # Articles the bot already showed, for the agent's side panel.
    article_ids: list[int] = []


class ChatOfferWithdrawn(Event):
    """The offer to this agent no longer stands (to `agent.<id>`)."""

    type: Literal["chat.offer_withdrawn"] = "chat.offer_withdrawn"
    session_id: int
    ticket_id: int
    reason: Literal["expired", "declined", "withdrawn"]


class ChatAssigned(Event):
    """The agent now holds this chat: accepted, or transferred to them (to `agent.<id>`)."""

    type: Literal["chat.assigned"] = "chat.assigned"
    session_id: int
    ticket_id: int
    transferred_from: int | None = None  # the agent who handed it over, if any


ChatSide = Literal["customer", "agent"]


class ChatTyping(Event):
    """Someone is typing, or stopped (to `ticket.<id>`, every member but the sender's socket). Ephemeral:
    never stored, no id; a client that misses one only misses a hint."""

    type: Literal["chat.typing"] = "chat.typing"
    session_id: int
    ticket_id: int
    side: ChatSide
    name: str  # the display name the other side may see
    typing: bool


class ChatRead(Event):
    """The customer or the agent has read the chat up to `message_id` (to `ticket.<id>`, every member but
    the sender's socket). Relayed, not stored: see chat.consumers for why."""

    type: Literal["chat.read"] = "chat.read"
    session_id: int
    ticket_id: int
    side: ChatSide
    message_id: int
