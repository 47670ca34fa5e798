"""The chat socket's wire format (`/ws/chat/`): what clients send and what the server answers.

Client commands are parsed into these models once, in the consumer, so the writer thread gets typed
values and a malformed command is answered with an error naming the field instead of reaching an
action. Server replies are models too, so tests check every message a client can receive against its
schema (the events inside `{"type": "event"}` are checked by `realtime.events.parse_event`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from watchkeeper.chat.events import ChatSide
from watchkeeper.realtime.events import parse_event

# Message.client_id's column size.
CLIENT_ID_LENGTH = 64
# A chat message is a line or a paragraph; anything this long is a paste that belongs in an attachment
# or a ticket, and must not tie up the writer that every chat of the process shares.
MAX_TEXT_CHARACTERS = 10_000


class Command(BaseModel):
    # Unknown fields are ignored so that an older server accepts a newer widget's extras.
    model_config = ConfigDict(extra="ignore", frozen=True)


class ChatCommand(Command):
    """A command about one chat, named by its session id or its ticket id."""

    session_id: int | None = Field(default=None, gt=0)
    ticket_id: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def names_a_chat(self) -> ChatCommand:
        if self.session_id is None and self.ticket_id is None:
            raise ValueError("session_id or ticket_id is required")
        return self


ClientId = Annotated[str, Field(min_length=1, max_length=CLIENT_ID_LENGTH)]
Text = Annotated[str, Field(max_length=MAX_TEXT_CHARACTERS)]


class StartChat(Command):
    type: Literal["start_chat"]
    text: Text = ""
    client_id: ClientId
    language: str = Field(default="", max_length=10)
    category: str = Field(default="", max_length=40)
    context_url: str = Field(default="", max_length=500)
    want_human: bool = False


class SendMessage(ChatCommand):
    type: Literal["message"]
    text: Text
    client_id: ClientId
    note: bool = False  # agents only: an internal note the customer never sees


class Typing(ChatCommand):
    type: Literal["typing"]
    typing: bool = True


class ReadReceipt(ChatCommand):
    type: Literal["read"]
    message_id: int = Field(gt=0)


class AcceptOffer(ChatCommand):
    type: Literal["accept"]


class DeclineOffer(ChatCommand):
    type: Literal["decline"]


class TransferChat(ChatCommand):
    type: Literal["transfer"]
    note: Text
    to_agent: int | None = Field(default=None, gt=0)
    to_team: str | None = Field(default=None, max_length=100)  # the team's slug


class EndChat(ChatCommand):
    type: Literal["end"]


class RateChat(ChatCommand):
    type: Literal["rate"]
    score: int
    comment: str = Field(default="", max_length=2000)


class RequestHuman(ChatCommand):
    type: Literal["request_human"]


class RateBotAnswer(ChatCommand):
    type: Literal["rate_bot"]
    article_id: int = Field(gt=0)
    helpful: bool


AnyCommand = Annotated[
    StartChat
    | SendMessage
    | Typing
    | ReadReceipt
    | AcceptOffer
    | DeclineOffer
    | TransferChat
    | EndChat
    | RateChat
    | RequestHuman
    | RateBotAnswer,
    Field(discriminator="type"),
]
COMMANDS: TypeAdapter[AnyCommand] = TypeAdapter(AnyCommand)
COMMAND_TYPES = frozenset(
    {
        "start_chat",
        "message",
        "typing",
        "read",
        "accept",
        "decline",
        "transfer",
        "end",
        "rate",
        "request_human",
        "rate_bot",
    }
)


# ---------------------------------------------------------------- server → client


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ack(Reply):
    """The message is committed: the client may forget it. `event_id` is its `ticket.message` event's id;
    None when it was a resend of a message stored before (`duplicate`)."""

    type: Literal["ack"] = "ack"
    client_id: str
    message_id: int
    event_id: int | None
    session_id: int
    ticket_id: int
    duplicate: bool = False


class Done(Reply):
    """A command other than a message is committed."""

    type: Literal["done"] = "done"
    command: str
    session_id: int
    ticket_id: int


class ChatSnapshotReply(Reply):
    """The chat's state, sent after (re)subscribing to its `ticket.<id>` group: chat events carry no id,
    so a client that was away reads the state instead of replaying them."""

    type: Literal["chat_snapshot"] = "chat_snapshot"
    session_id: int
    ticket_id: int
    side: ChatSide  # which side of the chat this socket's user is on
    state: str
    team: str | None
    agent_name: str
    position: int | None
    estimated_wait_seconds: int | None
    shown_article_ids: list[int]
    rating: int | None


class ErrorReply(Reply):
    type: Literal["error"] = "error"
    code: str
    message: str
    group: str = ""
    command: str = ""
    client_id: str | None = None
    session_id: int | None = None


class Subscribed(Reply):
    type: Literal["subscribed"] = "subscribed"
    group: str


class Unsubscribed(Reply):
    type: Literal["unsubscribed"] = "unsubscribed"
    group: str


class Pong(Reply):
    type: Literal["pong"] = "pong"


class EventEnvelope(Reply):
    type: Literal["event"] = "event"
    group: str
    event: dict[str, Any]

    @field_validator("event")
    @classmethod
    def event_has_its_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        parse_event(value)
        return value


AnyReply = Annotated[
    Ack | Done | ChatSnapshotReply | ErrorReply | Subscribed | Unsubscribed | Pong | EventEnvelope,
    Field(discriminator="type"),
]
REPLIES: TypeAdapter[AnyReply] = TypeAdapter(AnyReply)
