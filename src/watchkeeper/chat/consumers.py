"""The chat socket, `/ws/chat/`: the widget (customer) and the agent console talk through it.

Why a subclass of `realtime.consumers.RealtimeConsumer` at its own path, rather than chat message types
added to `/ws/`: everything `/ws/` does stays as it is and is reused unchanged — session
authentication, `subscribe` with `last_id` replay, group authorisation (`realtime.groups`), the
broker's fan-out, `ping` — while the realtime app keeps knowing nothing of chats (the core imports no
domain app). The chat socket only adds commands that become chat actions, and a `chat_snapshot` after
a client (re)subscribes to a chat's `ticket.<id>`. Pages that show no chat keep the lighter `/ws/`.

Client → server, besides `/ws/`'s subscribe / unsubscribe / ping / activity (a chat is named by
`session_id` or `ticket_id`):
    {"type": "start_chat", "text", "client_id", "language"?, "category"?, "context_url"?, "want_human"?}
    {"type": "message", "session_id", "text", "client_id", "note"?}   note: agents' internal note
    {"type": "typing", "session_id", "typing": true|false}
    {"type": "read", "session_id", "message_id"}
    {"type": "accept" | "decline", "session_id"}                       agents: the offer
    {"type": "transfer", "session_id", "note", "to_agent"? (user id), "to_team"? (slug)}
    {"type": "end", "session_id"}
    {"type": "rate", "session_id", "score" (1-5), "comment"?}         customers
    {"type": "request_human", "session_id"}                             customers
    {"type": "rate_bot", "session_id", "article_id", "helpful"}         customers
Server → client (models in chat.protocol):
    {"type": "ack", "client_id", "message_id", "event_id", "session_id", "ticket_id", "duplicate"}
        only after the message's transaction committed; a resend of a stored client_id gets the same
        message_id with "duplicate": true and "event_id": null;
    {"type": "done", "command", "session_id", "ticket_id"}: any other write, committed;
    {"type": "chat_snapshot", "session_id", "ticket_id", "side", "state", "team", "agent_name",
        "position", "estimated_wait_seconds", "shown_article_ids", "rating"}: after subscribing to
        a chat's ticket group;
    {"type": "error", "code", "message", "command", "client_id", "session_id", "group"}; codes:
        bad_request, forbidden, second_factor_required, refused (the action said no, and why),
        busy / unavailable (not stored: resend), server_error;
    {"type": "event", "group", "event"}: the conversation through `ticket.<id>` (ticket.message,
        chat.state, chat.queue, chat.typing, chat.read), offers through `agent.<id>`.

Starting a chat or accepting an offer also subscribes the socket to the chat's `ticket.<id>`: the
events of that commit (the bot's answer, "Bob joined") were published before the socket could know
the group, so they are sent from what the writer recorded, then anything newer by the usual replay.

Writes go through `chat.writer` (one transaction per few milliseconds, ack after commit); the consumer
does no database write and awaits no commit: it queues the job in the order the socket sent the
commands and reads on, and a task sends the ack when the commit is done.

Who may act: the chat's customer, or an agent (staff with a second factor, checked once per socket)
who holds the chat, is offered it, or may see its ticket (`tickets.queries`). That check runs once per
socket per chat and is cached here; the actions themselves still check what depends on the chat's
current state (only the chat's agent answers, only an ended chat is rated ...).

Typing and read receipts are relayed, not stored: both are hints about this very moment, a stored
receipt would cost a write per read, and the messages themselves — the part that must not be lost —
are acknowledged and replayed by id. A client that reconnects simply sends its receipt again. Both go
to the chat's group except the sender's own socket; typing is throttled per socket and chat, receipts
only ever move forward.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.utils import translation
from django.utils.translation import gettext as _
from pydantic import ValidationError

from watchkeeper.accounts import queries as account_queries
from watchkeeper.chat import actions, queries
from watchkeeper.chat.actions import ChatError
from watchkeeper.chat.events import ChatRead, ChatSide, ChatTyping
from watchkeeper.chat.protocol import (
    COMMAND_TYPES,
    COMMANDS,
    AcceptOffer,
    Ack,
    ChatCommand,
    ChatSnapshotReply,
    DeclineOffer,
    Done,
    EndChat,
    ErrorReply,
    RateBotAnswer,
    RateChat,
    ReadReceipt,
    Reply,
    RequestHuman,
    SendMessage,
    StartChat,
    Subscribed,
    TransferChat,
    Typing,
)
from watchkeeper.chat.writer import NotStored, WriterBusy, Written, get_writer
from watchkeeper.realtime.broker import encode, get_broker
from watchkeeper.realtime.consumers import MAX_GROUPS_PER_SOCKET, RealtimeConsumer
from watchkeeper.realtime.groups import kind_for
from watchkeeper.tickets import queries as ticket_queries
from watchkeeper.tickets.actions import TicketError
from watchkeeper.tickets.events import TicketMessageAdded

logger = logging.getLogger(__name__)

# Typing: a client repeats "typing" while keys are pressed; one every TYPING_REPEAT_SECONDS is relayed
# (clients drop the indicator after about twice that without a repeat), and a switch back to typing at
# most every TYPING_MIN_CHANGE_SECONDS. "Stopped" always goes through, once: dropping it would leave
# the other side watching an indicator for nobody.
TYPING_REPEAT_SECONDS = 2.0
TYPING_MIN_CHANGE_SECONDS = 0.25


@dataclass(frozen=True)
class ChatAccess:
    """What one socket's user may do in one chat, decided once per socket."""

    session_id: int
    ticket_id: int
    side: ChatSide


@dataclass(frozen=True)
class Identity:
    is_staff: bool
    is_agent: bool  # staff with a second factor: may act as an agent
    language: str
    name: str


def _identity(user: Any) -> Identity:
    is_staff = account_queries.is_staff_member(user)
    language = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
    return Identity(
        is_staff=is_staff,
        is_agent=is_staff and account_queries.has_second_factor(user),
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        name=user.get_short_name() or "",
    )


def _access(user: Any, is_agent: bool, session_id: int | None, ticket_id: int | None) -> ChatAccess | None:
    """Runs in a thread, once per socket and chat (1-2 queries)."""
    session = (
        queries.session_by_id(session_id)
        if session_id is not None
        else queries.session_for_ticket(ticket_id or 0)
    )
    if session is None or (ticket_id is not None and session.ticket_id != ticket_id):
        return None
    if session.customer_id == user.pk:
        return ChatAccess(session.pk, session.ticket_id, "customer")
    if is_agent and (
        user.pk in (session.agent_id, session.offered_to_id)
        or ticket_queries.may_follow_ticket(user, str(session.ticket_id))
    ):
        return ChatAccess(session.pk, session.ticket_id, "agent")
    return None


def _session(access: ChatAccess) -> Any:
    """The chat as it is now, inside the writer's transaction (1 query): the socket caches who may act,
    never the chat's state, which other sockets and processes change."""
    session = queries.session_by_id(access.session_id)
    if session is None:
        raise ChatError(_("This chat no longer exists."))
    return session


def _message_event_id(written: Written, message_id: int) -> int | None:
    for _group, event, _text in written.published:
        if isinstance(event, TicketMessageAdded) and event.message_id == message_id:
            return event.id
    return None


class ChatConsumer(RealtimeConsumer):
    async def connect(self) -> None:
        await super().connect()
        if not hasattr(self, "user"):
            return  # closed: not logged in
        self.chats: dict[int, ChatAccess] = {}  # by session id
        self.chat_of_ticket: dict[int, int] = {}
        self.replies: set[asyncio.Task[None]] = set()
        self.typing_sent: dict[int, tuple[float, bool]] = {}
        self.read_sent: dict[int, int] = {}
        self.identity = await database_sync_to_async(_identity)(self.user)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind not in COMMAND_TYPES:
            await super().receive_json(content, **kwargs)
            return
        try:
            command = COMMANDS.validate_python(content)
        except ValidationError as error:
            first = error.errors()[0]
            name = ".".join(str(part) for part in first["loc"][1:]) or "session_id"
            await self.reply_error(
                "bad_request",
                _("Check the field “%(field)s”.") % {"field": name},
                command=str(kind),
                client_id=content.get("client_id") if isinstance(content.get("client_id"), str) else None,
            )
            return
        if isinstance(command, StartChat):
            await self.start_chat(command)
            return
        assert isinstance(command, ChatCommand)
        access = await self.access(command)
        if access is None:
            return
        if isinstance(command, Typing):
            self.relay_typing(access, command.typing)
        elif isinstance(command, ReadReceipt):
            self.relay_read(access, command.message_id)
        elif isinstance(command, SendMessage):
            await self.send_message(access, command)
        else:
            await self.chat_command(access, command)

    # ---------------------------------------------------------------- who may act

    async def access(self, command: ChatCommand) -> ChatAccess | None:
        """The socket's access to the chat the command names, or None after telling the client why."""
        session_id = command.session_id
        if session_id is None and command.ticket_id is not None:
            session_id = self.chat_of_ticket.get(command.ticket_id)
        access = self.chats.get(session_id) if session_id is not None else None
        if access is not None and command.ticket_id not in (None, access.ticket_id):
            access = None  # a session id and a ticket id that do not belong together: the lookup says so
        client_id = getattr(command, "client_id", None)
        if access is None:
            try:
                access = await database_sync_to_async(_access)(
                    self.user, self.identity.is_agent, command.session_id, command.ticket_id
                )
            except DatabaseError:
                # Nothing was stored: the client keeps the message and resends it; the socket stays.
                logger.warning("Could not check access to a chat", exc_info=True)
                await self.reply_error(
                    "unavailable",
                    _("Something went wrong on our side. Please try again."),
                    command=command.type,  # type: ignore[attr-defined]
                    client_id=client_id,
                    session_id=command.session_id,
                )
                return None
            if access is not None:
                self.remember(access)
        if access is None:
            if self.identity.is_staff and not self.identity.is_agent:
                await self.reply_error(
                    "second_factor_required",
                    _("Set up two-factor authentication before you answer chats."),
                    command=command.type,  # type: ignore[attr-defined]  # every concrete command has one
                    client_id=client_id,
                    session_id=command.session_id,
                )
            else:
                await self.reply_error(
                    "forbidden",
                    _("You may not take part in this chat."),
                    command=command.type,  # type: ignore[attr-defined]
                    client_id=client_id,
                    session_id=command.session_id,
                )
            return None
        wanted = self.side_for(command)
        if wanted is not None and access.side != wanted:
            message = (
                _("Only the customer of this chat can do this.")
                if wanted == "customer"
                else _("Only an agent can do this.")
            )
            await self.reply_error(
                "forbidden",
                message,
                command=command.type,  # type: ignore[attr-defined]
                client_id=client_id,
                session_id=access.session_id,
            )
            return None
        return access

    @staticmethod
    def side_for(command: ChatCommand) -> ChatSide | None:
        if isinstance(command, RateChat | RequestHuman | RateBotAnswer):
            return "customer"
        if isinstance(command, AcceptOffer | DeclineOffer | TransferChat):
            return "agent"
        if isinstance(command, SendMessage) and command.note:
            return "agent"
        return None

    def remember(self, access: ChatAccess) -> None:
        self.chats[access.session_id] = access
        self.chat_of_ticket[access.ticket_id] = access.session_id

    # ---------------------------------------------------------------- writes

    def queue(
        self,
        run: Callable[[], Any],
        then: Callable[[Written], Awaitable[None]],
        *,
        command: str,
        client_id: str | None = None,
        session_id: int | None = None,
    ) -> None:
        """Queue a write now (so the socket's commands are written in the order it sent them) and answer
        from a task once it committed, so the socket reads on meanwhile."""
        try:
            future = get_writer().submit(run, language=self.identity.language)
        except WriterBusy:
            task = asyncio.get_running_loop().create_task(
                self.reply_error(
                    "busy",
                    _("The chat is very busy right now. Your message was not saved; send it again."),
                    command=command,
                    client_id=client_id,
                    session_id=session_id,
                )
            )
        else:
            task = asyncio.get_running_loop().create_task(
                self.answer(future, then, command=command, client_id=client_id, session_id=session_id)
            )
        self.replies.add(task)
        task.add_done_callback(self.replies.discard)

    async def answer(
        self,
        future: asyncio.Future[Written],
        then: Callable[[Written], Awaitable[None]],
        *,
        command: str,
        client_id: str | None,
        session_id: int | None,
    ) -> None:
        try:
            try:
                written = await future
            except TicketError as error:  # ChatError too: the action refused and says why
                await self.reply_error(
                    "refused", str(error), command=command, client_id=client_id, session_id=session_id
                )
            except NotStored:
                await self.reply_error(
                    "unavailable",
                    _("Your message could not be saved. Send it again."),
                    command=command,
                    client_id=client_id,
                    session_id=session_id,
                )
            except Exception:
                await self.reply_error(
                    "server_error",
                    _("Something went wrong on our side. Please try again."),
                    command=command,
                    client_id=client_id,
                    session_id=session_id,
                )
            else:
                await then(written)
        except Exception:
            # The socket closed meanwhile: what was written stays written; the client resends by
            # client_id and is de-duplicated.
            logger.debug("Could not answer a chat command", exc_info=True)

    async def start_chat(self, command: StartChat) -> None:
        user = self.user

        def run() -> tuple[int, int, int]:
            turn = actions.start_chat(
                user,
                command.text,
                client_id=command.client_id,
                language=command.language,
                category=command.category,
                context_url=command.context_url,
                want_human=command.want_human,
            )
            message = turn.message
            if message is None:  # a resend: the chat it opened holds the message
                message = turn.session.ticket.messages.get(client_id=command.client_id)
            return turn.session.pk, turn.session.ticket_id, message.pk

        async def then(written: Written) -> None:
            session_id, ticket_id, message_id = written.value
            access = ChatAccess(session_id, ticket_id, "customer")
            self.remember(access)
            event_id = _message_event_id(written, message_id)
            await self.reply(
                Ack(
                    client_id=command.client_id,
                    message_id=message_id,
                    event_id=event_id,
                    session_id=session_id,
                    ticket_id=ticket_id,
                    duplicate=event_id is None,
                )
            )
            await self.enter(access, written)

        self.queue(run, then, command=command.type, client_id=command.client_id)

    async def send_message(self, access: ChatAccess, command: SendMessage) -> None:
        user = self.user

        def run() -> int:
            session = queries.session_for_message(access.session_id)
            if session is None:
                raise ChatError(_("This chat no longer exists."))
            if access.side == "customer":
                # The socket's user is this chat's customer (decided once per socket) and has its
                # permissions cached; the chat's own copy would read them again for every message.
                session.customer = user
                turn = actions.customer_says(session, command.text, client_id=command.client_id)
                assert turn.message is not None  # a message, not a button
                return turn.message.pk
            return actions.agent_says(
                session, user, command.text, client_id=command.client_id, note=command.note
            ).pk

        async def then(written: Written) -> None:
            event_id = _message_event_id(written, written.value)
            await self.reply(
                Ack(
                    client_id=command.client_id,
                    message_id=written.value,
                    event_id=event_id,
                    session_id=access.session_id,
                    ticket_id=access.ticket_id,
                    duplicate=event_id is None,
                )
            )

        self.queue(run, then, command=command.type, client_id=command.client_id, session_id=access.session_id)

    async def chat_command(self, access: ChatAccess, command: ChatCommand) -> None:
        user = self.user

        def run() -> None:
            session = _session(access)
            if isinstance(command, AcceptOffer):
                actions.accept_offer(session, user)
            elif isinstance(command, DeclineOffer):
                actions.decline_offer(session, user)
            elif isinstance(command, TransferChat):
                to_agent = to_team = None
                if command.to_agent is not None:
                    to_agent = get_user_model().objects.filter(pk=command.to_agent, is_active=True).first()
                    if to_agent is None:
                        raise ChatError(_("There is no such agent."))
                if command.to_team is not None:
                    to_team = account_queries.teams().filter(slug=command.to_team).first()
                    if to_team is None:
                        raise ChatError(_("There is no such team."))
                actions.transfer_chat(session, user, note=command.note, to_agent=to_agent, to_team=to_team)
            elif isinstance(command, EndChat):
                actions.end_chat(session, user)
            elif isinstance(command, RateChat):
                actions.rate_chat(session, user, command.score, command.comment)
            elif isinstance(command, RequestHuman):
                actions.request_human(session)
            elif isinstance(command, RateBotAnswer):
                actions.rate_bot_answer(session, command.article_id, helpful=command.helpful)

        name = command.type  # type: ignore[attr-defined]  # every concrete command has one

        async def then(written: Written) -> None:
            await self.reply(Done(command=name, session_id=access.session_id, ticket_id=access.ticket_id))
            if isinstance(command, AcceptOffer):
                await self.enter(access, written)

        self.queue(run, then, command=name, session_id=access.session_id)

    async def enter(self, access: ChatAccess, written: Written) -> None:
        """Follow the chat the socket just started or took: send the events of the commit that made it
        (published before the socket was in the group), then anything newer from the database."""
        group = f"ticket.{access.ticket_id}"
        if group in self.joined:
            return  # the socket followed it already and got those events live
        if len(self.joined) >= MAX_GROUPS_PER_SOCKET:
            await self.error("too_many_groups", f"At most {MAX_GROUPS_PER_SOCKET} groups per socket.", group)
            return
        await get_broker().join(group, self)
        self.joined.add(group)
        await self.reply(Subscribed(group=group))
        last_id = 0
        for published_group, event, text in written.published:
            if published_group == group:
                await self.send(text_data=text)
                last_id = max(last_id, event.id or 0)
        found = kind_for(group)
        if found is None or found[0].replay is None:
            return
        try:
            missed = await database_sync_to_async(found[0].replay)(self.user, found[1], last_id)
        except DatabaseError:
            # What was missed stays in the database: the client's next subscribe with its last id gets it.
            logger.warning("Could not replay %s after entering it", group, exc_info=True)
            return
        for event in missed:
            await self.send(text_data=encode(group, event))

    # ---------------------------------------------------------------- reconnect

    async def subscribe(self, content: dict[str, Any]) -> None:
        await super().subscribe(content)
        group = str(content.get("group", ""))
        prefix, _dot, key = group.partition(".")
        if prefix == "ticket" and group in self.joined and key.isdigit():
            snapshot = await database_sync_to_async(self.snapshot)(int(key))
            if snapshot is not None:
                await self.reply(snapshot)

    def snapshot(self, ticket_id: int) -> ChatSnapshotReply | None:
        """Runs in a thread. The user may follow the ticket (checked by subscribe); if it is a chat, its
        state, and the socket's access to it (1 query, 4 more while the chat waits in a queue)."""
        session = queries.session_for_ticket(ticket_id)
        if session is None:
            return None
        side: ChatSide = "customer" if session.customer_id == self.user.pk else "agent"
        if side == "customer" or self.identity.is_agent:
            self.remember(ChatAccess(session.pk, session.ticket_id, side))
        state = queries.chat_snapshot(session)
        return ChatSnapshotReply(
            session_id=state.session_id,
            ticket_id=state.ticket_id,
            side=side,
            state=state.state,
            team=state.team,
            agent_name=state.agent_name,
            position=state.position,
            estimated_wait_seconds=state.estimated_wait_seconds,
            shown_article_ids=state.shown_article_ids,
            rating=state.rating,
        )

    # ---------------------------------------------------------------- ephemeral

    def relay_typing(self, access: ChatAccess, typing: bool) -> None:
        now = time.monotonic()
        last_at, last_state = self.typing_sent.get(access.session_id, (0.0, False))
        elapsed = now - last_at
        if typing and elapsed < (TYPING_REPEAT_SECONDS if last_state else TYPING_MIN_CHANGE_SECONDS):
            return  # throttled silently: typing is a hint
        if not typing and not last_state:
            return  # "stopped" was said already
        self.typing_sent[access.session_id] = (now, typing)
        group = f"ticket.{access.ticket_id}"
        event = ChatTyping(
            session_id=access.session_id,
            ticket_id=access.ticket_id,
            side=access.side,
            name=self.identity.name,
            typing=typing,
        )
        get_broker().send(group, encode(group, event), skip=self)

    def relay_read(self, access: ChatAccess, message_id: int) -> None:
        if message_id <= self.read_sent.get(access.session_id, 0):
            return
        self.read_sent[access.session_id] = message_id
        group = f"ticket.{access.ticket_id}"
        event = ChatRead(
            session_id=access.session_id, ticket_id=access.ticket_id, side=access.side, message_id=message_id
        )
        get_broker().send(group, encode(group, event), skip=self)

    # ---------------------------------------------------------------- replies

    async def reply(self, reply: Reply) -> None:
        await self.send(text_data=reply.model_dump_json())

    async def reply_error(
        self,
        code: str,
        message: str,
        *,
        command: str = "",
        client_id: str | None = None,
        session_id: int | None = None,
    ) -> None:
        await self.reply(
            ErrorReply(
                code=code, message=message, command=command, client_id=client_id, session_id=session_id
            )
        )

    async def dispatch(self, message: Any) -> None:
        # Errors the consumer writes itself are in the user's language; the actions' refusals are
        # translated in the writer thread.
        language = getattr(getattr(self, "identity", None), "language", None)
        if language is None:
            await super().dispatch(message)
            return
        with translation.override(language):
            await super().dispatch(message)
