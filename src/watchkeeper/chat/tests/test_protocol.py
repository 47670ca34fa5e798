"""The chat socket's wire format: every server reply round-trips through its schema, and a malformed
command names the field that is wrong."""

from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError

from watchkeeper.chat import protocol
from watchkeeper.chat.protocol import (
    COMMAND_TYPES,
    COMMANDS,
    REPLIES,
    Ack,
    ChatSnapshotReply,
    Done,
    ErrorReply,
    EventEnvelope,
    Pong,
    SendMessage,
    Subscribed,
    Unsubscribed,
)


def test_every_reply_type_round_trips() -> None:
    samples = [
        Ack(client_id="c-1", message_id=40, event_id=7, session_id=2, ticket_id=12),
        Ack(client_id="c-1", message_id=40, event_id=None, session_id=2, ticket_id=12, duplicate=True),
        Done(command="accept", session_id=2, ticket_id=12),
        ChatSnapshotReply(
            session_id=2,
            ticket_id=12,
            side="customer",
            state="queued",
            team="support",
            agent_name="",
            position=3,
            estimated_wait_seconds=240,
            shown_article_ids=[7],
            rating=None,
        ),
        ErrorReply(code="forbidden", message="No.", command="message", client_id="c-2", session_id=2),
        Subscribed(group="ticket.12"),
        Unsubscribed(group="ticket.12"),
        Pong(),
        EventEnvelope(
            group="ticket.12",
            event={
                "type": "chat.typing",
                "session_id": 2,
                "ticket_id": 12,
                "side": "agent",
                "name": "Alex",
                "typing": True,
            },
        ),
    ]
    union = typing.get_args(typing.get_args(protocol.AnyReply)[0])
    assert {type(sample) for sample in samples} == set(union)
    for sample in samples:
        assert REPLIES.validate_json(sample.model_dump_json()) == sample
    with pytest.raises(ValidationError):
        REPLIES.validate_python({"type": "event", "group": "ticket.1", "event": {"type": "chat.typing"}})


def test_commands_parse_and_name_what_is_wrong() -> None:
    command = COMMANDS.validate_python(
        {"type": "message", "ticket_id": 12, "text": "hi", "client_id": "c", "extra": 1}
    )
    assert isinstance(command, SendMessage) and command.ticket_id == 12 and not command.note
    with pytest.raises(ValidationError) as missing:
        COMMANDS.validate_python({"type": "message", "session_id": 2, "text": "hi"})
    assert missing.value.errors()[0]["loc"] == ("message", "client_id")
    with pytest.raises(ValidationError):
        COMMANDS.validate_python({"type": "end"})  # which chat?
    with pytest.raises(ValidationError):
        COMMANDS.validate_python({"type": "message", "session_id": 2, "text": "x" * 10_001, "client_id": "c"})
    union = typing.get_args(typing.get_args(protocol.AnyCommand)[0])
    assert {model.model_fields["type"].annotation.__args__[0] for model in union} == COMMAND_TYPES
