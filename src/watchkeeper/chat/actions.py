"""Every write of live chats, and the events each publishes after its transaction commits.

A chat is a ticket on the `chat` channel: the customer's, the bot's and the agents' messages are the
ticket's messages, written through `tickets.actions`; this module keeps the ChatSession (bot → queue →
offer → agent → end) and tells the customer, the agents and the team queues what changed.

Everything here is synchronous and takes an optional `now` so tests control the clock. The consumer
calls these from a thread (`database_sync_to_async`).

Offer expiry: the core scheduler ticks every 5 s, so `tasks.route_chats` runs every 10 s; on top of
that every routing call (`dispatch`, `accept_offer`, the queue changes) first expires lapsed offers of
its team, so an offer never stands long past CHAT_OFFER_SECONDS while anything happens in the queue.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from watchkeeper.accounts import actions as account_actions
from watchkeeper.accounts import queries as account_queries
from watchkeeper.accounts.queries import team_ids_of
from watchkeeper.answers.queries import SuggestedArticle, match_question
from watchkeeper.chat import queries
from watchkeeper.chat.events import (
    ChatAssigned,
    ChatOffered,
    ChatOfferWithdrawn,
    ChatQueuePosition,
    ChatStateChanged,
)
from watchkeeper.chat.human_request import asks_for_human
from watchkeeper.chat.models import (
    WAITING_STATES,
    ChatOffer,
    ChatSession,
    ChatTransfer,
    HandoverReason,
    State,
)
from watchkeeper.realtime.broker import publish
from watchkeeper.search import analysis
from watchkeeper.tickets import actions as ticket_actions
from watchkeeper.tickets import queries as ticket_queries
from watchkeeper.tickets.actions import NewTicket, TicketError, Upload
from watchkeeper.tickets.categories import CATEGORIES
from watchkeeper.tickets.models import Channel, Message, Status

logger = logging.getLogger(__name__)

# The bot hands over after this many questions it could not answer (the first asks to rephrase).
DECLINES_BEFORE_HANDOVER = 2
# Real helpdesks (Zendesk, Intercom, Freshchat) set an agent away after missed offers in a row: someone
# who let two offers lapse has most likely left the desk, and every further offer would keep a waiting
# customer waiting another CHAT_OFFER_SECONDS for nobody.
MISSED_OFFERS_BEFORE_AWAY = 2
SUGGESTED_ARTICLES = 3


class ChatError(TicketError):
    """A chat request we refuse, with a message that says why (shown to whoever asked)."""


@dataclass
class ChatTurn:
    """What a customer's message led to: the stored message (None for a button such as "talk to a
    person"), whether it was a resend already stored, and the bot's answers."""

    session: ChatSession
    message: Message | None = None
    duplicate: bool = False
    bot_messages: list[Message] = field(default_factory=list)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _offer_seconds() -> timedelta:
    return timedelta(seconds=settings.CHAT_OFFER_SECONDS)


def _display_name(user: Any) -> str:
    """The name a customer may see: the display name, never the email address."""
    return (user.get_short_name() if user is not None else "") or _("an agent")


# ---------------------------------------------------------------- events


def _publish_state(session: ChatSession, previous: str | None, *, also_agent: int | None = None) -> None:
    event = ChatStateChanged(
        session_id=session.pk,
        ticket_id=session.ticket_id,
        state=session.state,  # type: ignore[arg-type]  # one of State's values
        previous=previous,  # type: ignore[arg-type]
        team=session.team.slug if session.team else None,
        agent_id=session.agent_id,
        agent_name=_display_name(session.agent) if session.agent else "",
    )
    publish(f"ticket.{session.ticket_id}", event)
    if session.team is not None:
        publish(f"queue.{session.team.slug}", event)
    if also_agent is not None:
        publish(f"agent.{also_agent}", event)


def publish_queue_positions(
    team_id: int, now: datetime | None = None, *, agents: list[queries.AgentLoad] | None = None
) -> None:
    """Tell every customer waiting in the team's queue where they stand now (5 queries, 2 with the
    team's `agents` loaded already)."""
    entries = queries.queue_entries(team_id)
    if not entries:
        return
    capacity = queries.team_capacity(team_id, now, agents=agents)
    for entry in entries:
        publish(
            f"ticket.{entry.ticket_id}",
            ChatQueuePosition(
                session_id=entry.session_id,
                ticket_id=entry.ticket_id,
                position=entry.position,
                estimated_wait_seconds=capacity.estimated_wait_seconds(entry.position),
            ),
        )


def _reload_offer(session: ChatSession) -> None:
    """Routing works on fresh rows of the queue: bring the caller's instance up to date with it."""
    session.refresh_from_db(fields=["state", "offered_to", "offer_expires_at"])


def _say(session: ChatSession, body: str, *, kind: str = Message.Kind.PUBLIC, **metadata: Any) -> Message:
    return ticket_actions.add_bot_message(session.ticket, body, kind=kind, metadata=metadata)


# ---------------------------------------------------------------- the customer and the bot


def _language_for(customer: Any, text: str, chosen: str) -> tuple[str, bool]:
    """(language, fixed): the one the customer chose in the widget, else detected from the message with
    the profile's language as the fallback for texts too short to tell."""
    if chosen in analysis.LANGUAGES:
        return chosen, True
    preferred = getattr(customer, "preferred_language", "en")
    return analysis.detect_language(text, default=preferred) if text.strip() else preferred, False


def start_chat(
    customer: Any,
    text: str,
    *,
    client_id: str | None = None,
    language: str = "",
    category: str = "",
    context_url: str = "",
    want_human: bool = False,
    uploads: Sequence[Upload] = (),
    now: datetime | None = None,
) -> ChatTurn:
    """Open a chat with the customer's first message; the bot answers it unless the customer asked for
    a person (in words, or `want_human` for the widget's button).

    `language` is the widget's language when the customer chose one; `category` a category the
    customer picked (one of tickets.categories.CATEGORIES), else the bot's articles decide it.
    """
    moment = _now(now)
    if client_id:
        existing = queries.session_with_client_message(customer, client_id)
        if existing is not None:
            return ChatTurn(session=existing, duplicate=True)
    chosen_language, language_fixed = _language_for(customer, text, language)
    category_fixed = category in CATEGORIES
    subject = " ".join(text.split())[:80] or _("Live chat")
    profile = getattr(customer, "customer_profile", None)
    with transaction.atomic():
        ticket = ticket_actions.open_ticket(
            customer,
            NewTicket(
                subject=subject,
                body=text,
                category=category if category_fixed else "other",
                channel=Channel.CHAT,
                language=chosen_language,
                context_url=context_url,
                uploads=uploads,
                hold=True,
                client_id=client_id,
            ),
            now=moment,
        )
        session = ChatSession.objects.create(
            ticket=ticket,
            customer=customer,
            language=chosen_language,
            language_fixed=language_fixed,
            category=category if category_fixed else "other",
            category_fixed=category_fixed,
            vip_tier=profile.vip_tier if profile else 0,
            account_manager_id=profile.account_manager_id if profile else None,
            started_at=moment,
        )
        session.ticket = ticket
        _publish_state(session, None)
        turn = ChatTurn(session=session, message=ticket.messages.first())
        if want_human or asks_for_human(text):
            _hand_over(session, HandoverReason.ASKED, turn, moment)
        elif text.strip():
            _bot_answer(session, text, turn)
    return turn


def customer_says(
    session: ChatSession,
    text: str,
    *,
    client_id: str | None = None,
    uploads: Sequence[Upload] = (),
    now: datetime | None = None,
) -> ChatTurn:
    """Store a customer's chat message; while the bot holds the chat, the bot answers it or hands over.

    A resend with a `client_id` already stored returns that message with `duplicate=True` and changes
    nothing else, so a client may resend whatever it saw no acknowledgement for.
    """
    moment = _now(now)
    if session.state == State.ENDED:
        existing = ticket_queries.client_message(session.ticket_id, client_id) if client_id else None
        if existing is None:
            raise ChatError(_("This chat has ended. Start a new chat to ask something else."))
        return ChatTurn(session=session, message=existing, duplicate=True)
    turn = ChatTurn(session=session)
    # Only the bot's part must be stored together with the message (add_message is atomic by itself):
    # no savepoint for the other messages, the chat's hot path.
    with transaction.atomic() if session.state == State.BOT else contextlib.nullcontext():
        turn.message, turn.duplicate = ticket_actions.add_message_once(
            session.ticket,
            session.customer,
            text,
            channel=Channel.CHAT,
            uploads=uploads,
            client_id=client_id,
            # A left message is an ordinary ticket again: its agent hears of replies as for any ticket.
            notify_by_email=session.state == State.LEFT_MESSAGE,
            now=moment,
        )
        if turn.duplicate:
            return turn
        if session.state == State.BOT and not session.language_fixed and text.strip():
            session.language = analysis.detect_language(text, default=session.language)
            session.save(update_fields=["language"])
        if session.state == State.BOT:
            if asks_for_human(text):
                _hand_over(session, HandoverReason.ASKED, turn, moment)
            elif text.strip():
                _bot_answer(session, text, turn)
    return turn


def _article_lines(articles: Sequence[SuggestedArticle]) -> str:
    return "\n".join(f"- [{article.title}]({article.url})" for article in articles)


def _articles_metadata(articles: Sequence[SuggestedArticle]) -> list[dict[str, Any]]:
    return [
        {"id": article.article_id, "title": article.title, "summary": article.summary, "url": article.url}
        for article in articles
    ]


def _bot_answer(session: ChatSession, text: str, turn: ChatTurn) -> None:
    """The matcher's decision, in the customer's language: an article, a few, or a request to rephrase;
    the second question it cannot answer hands the chat to a person."""
    answer = match_question(text, language=session.language, limit=SUGGESTED_ARTICLES)
    if answer.decision == "decline" or not answer.articles:
        session.bot_declines += 1
        session.save(update_fields=["bot_declines"])
        if session.bot_declines >= DECLINES_BEFORE_HANDOVER:
            _hand_over(session, HandoverReason.DECLINED, turn, timezone.now())
            return
        with translation.override(session.language):
            body = _(
                "Sorry, I did not understand that. Could you say it in other words? Or choose"
                " “Talk to a person” and an agent will help you."
            )
        turn.bot_messages.append(_say(session, body, bot="decline", offer_human=True))
        return
    shown = answer.articles[:1] if answer.decision == "answer" else answer.articles
    with translation.override(session.language):
        if answer.decision == "answer":
            article = shown[0]
            body = f"**[{article.title}]({article.url})**\n\n{article.summary}\n\n" + _(
                "Did this answer your question?"
            )
        else:
            body = (
                _("These articles may help:")
                + "\n\n"
                + _article_lines(shown)
                + "\n\n"
                + _("If none of them helps, ask me in other words or choose “Talk to a person”.")
            )
    known = list(session.shown_article_ids)
    session.shown_article_ids = known + [a.article_id for a in shown if a.article_id not in known]
    update = ["shown_article_ids"]
    if not session.category_fixed:
        category = queries.ticket_category_for_article(shown[0].article_id)
        if category:
            session.category = category
            update.append("category")
    session.save(update_fields=update)
    turn.bot_messages.append(
        _say(session, body, bot=answer.decision, articles=_articles_metadata(shown), offer_human=True)
    )


def rate_bot_answer(
    session: ChatSession, article_id: int, *, helpful: bool, now: datetime | None = None
) -> ChatTurn:
    """The customer's vote on an article the bot showed: "not helpful" hands the chat to a person."""
    turn = ChatTurn(session=session)
    if session.state != State.BOT:
        return turn
    with transaction.atomic():
        if helpful:
            with translation.override(session.language):
                body = _("Glad that helped. Is there anything else I can do for you?")
            turn.bot_messages.append(_say(session, body, bot="helpful", article_id=article_id))
        else:
            _hand_over(session, HandoverReason.UNHELPFUL, turn, _now(now))
    return turn


def request_human(session: ChatSession, *, now: datetime | None = None) -> ChatTurn:
    """The widget's "Talk to a person" button: hand the chat over at once (nothing if already done)."""
    turn = ChatTurn(session=session)
    if session.state == State.BOT:
        with transaction.atomic():
            _hand_over(session, HandoverReason.ASKED, turn, _now(now))
    return turn


def _hand_over(session: ChatSession, reason: str, turn: ChatTurn, moment: datetime) -> None:
    """From the bot to the team's queue, or, when nobody can take it now, to a left message."""
    ticket = session.ticket
    session.handover_reason = reason
    ticket.category, ticket.language = session.category, session.language
    rule = ticket_queries.matching_rule(ticket, session.vip_tier)
    team = rule.team if rule is not None else None
    with translation.override(session.language):
        if reason == HandoverReason.DECLINED:
            opening = _("I'm sorry I couldn't help with that. I'll get you a person.")
        else:
            opening = _("I'll get you a person.")
    available = team is not None and queries.team_availability(team, moment).can_take_chats
    manager_ready = session.account_manager_id is not None and queries.agent_has_capacity(
        session.account_manager
    )
    if team is None or not (available or manager_ready):
        turn.bot_messages.append(_say(session, opening, bot="handover"))
        _leave_message(session, turn, moment, off_hours=team is not None and not _team_open(team, moment))
        return
    previous = session.state
    session.state = State.QUEUED
    session.team = team
    session.queued_at = moment
    session.save(update_fields=["state", "team", "queued_at", "handover_reason"])
    ticket_actions.release_held_ticket(
        ticket, team=team, category=session.category, language=session.language, now=moment
    )
    with translation.override(session.language):
        body = opening + " " + _("Please stay in this chat: you will see your place in the queue here.")
    turn.bot_messages.append(_say(session, body, bot="handover"))
    _publish_state(session, previous)
    dispatch(team.pk, now=moment)
    _reload_offer(session)


def _team_open(team: Any, moment: datetime) -> bool:
    return queries.team_calendar(team).is_open(moment)


def leave_message(session: ChatSession, *, now: datetime | None = None) -> ChatTurn:
    """The customer stops waiting (or nobody can take the chat): it goes on as an ordinary ticket that
    routing and SLA treat like any other, answered by email. Never a dead end."""
    turn = ChatTurn(session=session)
    if session.state not in (State.BOT, *WAITING_STATES):
        return turn
    with transaction.atomic():
        _leave_message(session, turn, _now(now), off_hours=False)
    return turn


def _leave_message(session: ChatSession, turn: ChatTurn, moment: datetime, *, off_hours: bool) -> None:
    previous, team_id = session.state, session.team_id
    if previous == State.OFFERED:
        _withdraw_offer(session, moment, ChatOffer.Outcome.WITHDRAWN)
    session.state = State.LEFT_MESSAGE
    session.save(update_fields=["state", "handover_reason", "offered_to", "offer_expires_at"])
    ticket = session.ticket
    ticket_actions.release_held_ticket(
        ticket, route=True, category=session.category, language=session.language, acknowledge=True, now=moment
    )
    session.team = ticket.team
    session.save(update_fields=["team"])
    with translation.override(session.language):
        if off_hours:
            reason = _("Our team is not working at this hour.")
        elif previous in WAITING_STATES:
            reason = _("You chose to leave a message.")
        else:
            reason = _("No agent is available right now.")
        body = (
            reason
            + " "
            + _(
                "Your conversation is saved as ticket %(reference)s. Add anything else here and we will"
                " answer by email as soon as we can."
            )
            % {"reference": ticket.reference}
        )
    turn.bot_messages.append(_say(session, body, bot="left_message"))
    _publish_state(session, previous)
    if team_id is not None and previous in WAITING_STATES:
        publish_queue_positions(team_id, moment)


# ---------------------------------------------------------------- routing and offers


def dispatch(team_id: int, *, now: datetime | None = None) -> int:
    """Offer the team's waiting chats, in queue order, to agents who can take them; returns how many
    offers were made. Lapsed offers of the team are expired first.

    Who gets a chat: the customer's account manager when online with a free slot (whatever their
    team); else an online agent of the team with a free slot who was not offered this chat before,
    preferring one who speaks the chat's language, then one whose skills include its category, then the
    least loaded (active chats and standing offers over their limit).
    """
    moment = _now(now)
    with transaction.atomic():
        _expire_lapsed(moment, team_id)
        return _offer_waiting(team_id, moment)


def dispatch_for_agent(agent: Any, *, now: datetime | None = None) -> int:
    """Call when an agent comes online or frees a slot: offers waiting chats of their teams."""
    return sum(dispatch(team_id, now=now) for team_id in team_ids_of(agent))


def _offer_waiting(team_id: int, moment: datetime) -> int:
    waiting = list(
        queries.waiting_sessions(team_id)
        .filter(state=State.QUEUED)
        .select_related("ticket", "team", "customer")
    )
    if not waiting:
        publish_queue_positions(team_id, moment)
        return 0
    managers = {session.account_manager_id for session in waiting if session.account_manager_id}
    agents = {agent.user_id: agent for agent in queries.agent_loads(team_id, also_user_ids=managers)}
    tried = queries.tried_agents([session.pk for session in waiting])
    offers = 0
    for session in waiting:
        free = {
            user_id: agent
            for user_id, agent in agents.items()
            if agent.free_slots > 0 and user_id not in tried[session.pk]
        }
        chosen = free.get(session.account_manager_id) if session.account_manager_id else None
        if chosen is None:
            team_agents = [agent for agent in free.values() if agent.in_team]
            if not team_agents:
                continue
            chosen = min(
                team_agents,
                key=lambda agent: (
                    session.language not in agent.languages,
                    session.category not in agent.skills,
                    agent.load / max(agent.max_chats, 1),
                    agent.user_id,
                ),
            )
        if _offer(session, chosen.user_id, moment):
            chosen.load += 1
            offers += 1
    publish_queue_positions(team_id, moment, agents=list(agents.values()))
    return offers


def _offer(session: ChatSession, agent_id: int, moment: datetime) -> bool:
    expires = moment + _offer_seconds()
    previous = session.state
    # Compare-and-set: another process routing the same queue may have offered the chat meanwhile.
    won = ChatSession.objects.filter(pk=session.pk, state=State.QUEUED).update(
        state=State.OFFERED, offered_to_id=agent_id, offer_expires_at=expires
    )
    if not won:
        return False
    session.state = State.OFFERED
    session.offered_to_id = agent_id
    session.offer_expires_at = expires
    ChatOffer.objects.create(session=session, agent_id=agent_id, offered_at=moment, expires_at=expires)
    customer = session.customer
    publish(
        f"agent.{agent_id}",
        ChatOffered(
            session_id=session.pk,
            ticket_id=session.ticket_id,
            expires_at=expires,
            customer_name=customer.get_short_name() or customer.email.partition("@")[0],
            language=session.language,
            category=session.category,
            vip_tier=session.vip_tier,
            team=session.team.slug if session.team else None,
            article_ids=list(session.shown_article_ids),
        ),
    )
    _publish_state(session, previous)
    return True


def _withdraw_offer(session: ChatSession, moment: datetime, outcome: str) -> int | None:
    """End the standing offer with `outcome`; returns the agent it stood for."""
    agent_id = session.offered_to_id
    if agent_id is None:
        return None
    ChatOffer.objects.filter(session=session, agent_id=agent_id, outcome=ChatOffer.Outcome.PENDING).update(
        outcome=outcome, resolved_at=moment
    )
    session.offered_to = None
    session.offer_expires_at = None
    reason: Literal["expired", "declined", "withdrawn"] = (
        "expired"
        if outcome == ChatOffer.Outcome.EXPIRED
        else "declined"
        if outcome == ChatOffer.Outcome.DECLINED
        else "withdrawn"
    )
    publish(
        f"agent.{agent_id}",
        ChatOfferWithdrawn(session_id=session.pk, ticket_id=session.ticket_id, reason=reason),
    )
    return agent_id


def _expire_lapsed(moment: datetime, team_id: int | None) -> set[int]:
    """Put chats whose offer ran out back in the queue; returns their teams."""
    teams: set[int] = set()
    for session in queries.lapsed_offers(moment, team_id):
        agent = session.offered_to
        # Compare-and-set: the agent may be accepting this very offer in another process.
        won = ChatSession.objects.filter(
            pk=session.pk, state=State.OFFERED, offered_to=agent, offer_expires_at__lte=moment
        ).update(state=State.QUEUED, offered_to=None, offer_expires_at=None)
        if not won:
            continue
        _withdraw_offer(session, moment, ChatOffer.Outcome.EXPIRED)
        session.state = State.QUEUED
        _publish_state(session, State.OFFERED)
        if session.team_id is not None:
            teams.add(session.team_id)
        if agent is not None and queries.missed_offers_in_a_row(agent.pk, count=MISSED_OFFERS_BEFORE_AWAY):
            logger.info("Agent %s let %d chat offers lapse: set away", agent.pk, MISSED_OFFERS_BEFORE_AWAY)
            account_actions.set_presence(agent, "away", now=moment)
    return teams


def expire_offers(*, now: datetime | None = None) -> int:
    """Expire lapsed offers everywhere and offer every waiting chat again (the periodic job); returns
    how many offers were made."""
    moment = _now(now)
    with transaction.atomic():
        teams = _expire_lapsed(moment, None) | set(queries.teams_with_waiting_chats())
        offers = 0
        for team_id in sorted(teams):
            _release_stranded(team_id, moment)
            offers += _offer_waiting(team_id, moment)
        return offers


def _release_stranded(team_id: int, moment: datetime) -> None:
    """A team that closed or whose agents all went offline while customers waited: its waiting chats
    become left messages, so nobody waits for an agent who will not come. Chats offered to someone
    (an account manager of another team) keep their offer."""
    from watchkeeper.accounts.models import Team

    team = Team.objects.filter(pk=team_id).first()
    if team is None or queries.team_availability(team, moment).can_take_chats:
        return
    for session in (
        queries.waiting_sessions(team_id).filter(state=State.QUEUED).select_related("ticket", "team")
    ):
        _leave_message(session, ChatTurn(session=session), moment, off_hours=not _team_open(team, moment))


def accept_offer(session: ChatSession, agent: Any, *, now: datetime | None = None) -> ChatSession:
    """The agent takes the chat offered to them: they become the ticket's assignee and the customer is
    told who joined."""
    moment = _now(now)
    if session.state == State.OFFERED and session.offer_expires_at and session.offer_expires_at <= moment:
        if session.team_id is not None:
            dispatch(session.team_id, now=moment)
        raise ChatError(_("This offer has expired; the chat went to the next agent."))
    if session.state != State.OFFERED or session.offered_to_id != agent.pk:
        raise ChatError(_("This chat is no longer offered to you."))
    with transaction.atomic():
        # Compare-and-set: the offer may have lapsed or been withdrawn in another process meanwhile.
        won = ChatSession.objects.filter(
            pk=session.pk, state=State.OFFERED, offered_to_id=agent.pk, offer_expires_at__gt=moment
        ).update(state=State.ACTIVE, agent=agent, accepted_at=moment, offered_to=None, offer_expires_at=None)
        if not won:
            raise ChatError(_("This chat is no longer offered to you."))
        ChatOffer.objects.filter(
            session=session, agent_id=agent.pk, outcome=ChatOffer.Outcome.PENDING
        ).update(outcome=ChatOffer.Outcome.ACCEPTED, resolved_at=moment)
        previous = session.state
        session.state = State.ACTIVE
        session.agent = agent
        session.accepted_at = moment
        session.offered_to = None
        session.offer_expires_at = None
        ticket = session.ticket
        if session.team is not None and ticket.team_id != session.team_id:
            ticket_actions.move_to_team(ticket, agent, session.team)
        ticket_actions.assign_ticket(ticket, agent, agent)
        with translation.override(session.language):
            _say(
                session,
                capfirst(_("%(name)s joined the chat.") % {"name": _display_name(agent)}),
                kind=Message.Kind.EVENT,
            )
        publish(f"agent.{agent.pk}", ChatAssigned(session_id=session.pk, ticket_id=session.ticket_id))
        _publish_state(session, previous)
        if session.team_id is not None:
            publish_queue_positions(session.team_id, moment)
    return session


def decline_offer(session: ChatSession, agent: Any, *, now: datetime | None = None) -> None:
    """The agent passes: the chat goes to the next agent, never back to this one."""
    moment = _now(now)
    if session.state != State.OFFERED or session.offered_to_id != agent.pk:
        return
    with transaction.atomic():
        _withdraw_offer(session, moment, ChatOffer.Outcome.DECLINED)
        session.state = State.QUEUED
        session.save(update_fields=["state", "offered_to", "offer_expires_at"])
        _publish_state(session, State.OFFERED)
        if session.team_id is not None:
            dispatch(session.team_id, now=moment)
        _reload_offer(session)


# ---------------------------------------------------------------- the conversation with an agent


def agent_says(
    session: ChatSession,
    agent: Any,
    text: str,
    *,
    client_id: str | None = None,
    uploads: Sequence[Upload] = (),
    note: bool = False,
    now: datetime | None = None,
) -> Message:
    """An agent's chat message, or with `note` an internal note that the customer never sees. Only the
    chat's agent answers the customer; any colleague who may work the ticket may add notes."""
    if not note and (session.state != State.ACTIVE or session.agent_id != agent.pk):
        raise ChatError(_("Only the agent who holds this chat can answer in it."))
    if not ticket_queries.is_ticket_staff(agent):
        raise ChatError(_("Only agents can write here."))
    return ticket_actions.add_message(
        session.ticket,
        agent,
        text,
        kind=Message.Kind.NOTE if note else Message.Kind.PUBLIC,
        channel=Channel.CHAT,
        uploads=uploads,
        client_id=client_id,
        notify_by_email=False,
        now=_now(now),
    )


def transfer_chat(
    session: ChatSession,
    actor: Any,
    *,
    note: str,
    to_agent: Any | None = None,
    to_team: Any | None = None,
    now: datetime | None = None,
) -> ChatTransfer:
    """Hand the chat to another agent (who must be online with a free slot) or to an expert team's
    queue, with an internal note for whoever takes it. The customer is told where they went (the
    agent's display name or the team's name), never the note.

    A chat moved to a team keeps its original place in time, so the customer does not start again at
    the back of the experts' queue.
    """
    moment = _now(now)
    if (to_agent is None) == (to_team is None):
        raise ChatError(_("Choose one agent or one team to transfer the chat to."))
    if not note.strip():
        raise ChatError(_("Write a note for the colleague who takes over."))
    if session.state not in (State.ACTIVE, *WAITING_STATES):
        raise ChatError(_("Only a chat in the queue or with an agent can be transferred."))
    if to_agent is not None:
        if to_agent.pk == session.agent_id:
            raise ChatError(_("The chat is already with %(name)s.") % {"name": _display_name(to_agent)})
        if not queries.agent_has_capacity(to_agent):
            raise ChatError(_("%(name)s cannot take another chat now.") % {"name": _display_name(to_agent)})
    elif to_team is not None:
        if to_team.pk == session.team_id:
            raise ChatError(_("The chat is already with %(team)s.") % {"team": to_team.name})
        if not queries.team_availability(to_team, moment).can_take_chats:
            raise ChatError(
                _("Nobody in %(team)s can take chats now; escalate the ticket instead.")
                % {"team": to_team.name}
            )
    ticket = session.ticket
    previous, from_agent, from_team = session.state, session.agent, session.team
    with transaction.atomic():
        ticket_actions.add_message(
            ticket,
            actor,
            note,
            kind=Message.Kind.NOTE,
            channel=Channel.CHAT,
            notify_by_email=False,
            now=moment,
        )
        transfer = ChatTransfer.objects.create(
            session=session,
            by=actor,
            from_agent=from_agent,
            from_team=from_team,
            to_agent=to_agent,
            to_team=to_team,
            note=note.strip(),
            created_at=moment,
        )
        if previous == State.OFFERED:
            _withdraw_offer(session, moment, ChatOffer.Outcome.WITHDRAWN)
        if to_agent is not None:
            session.state, session.agent = State.ACTIVE, to_agent
            session.accepted_at = session.accepted_at or moment
            session.save(update_fields=["state", "agent", "accepted_at", "offered_to", "offer_expires_at"])
            ticket_actions.assign_ticket(ticket, actor, to_agent)
            with translation.override(session.language):
                notice = _("You have been transferred to %(name)s.") % {"name": _display_name(to_agent)}
            publish(
                f"agent.{to_agent.pk}",
                ChatAssigned(
                    session_id=session.pk,
                    ticket_id=session.ticket_id,
                    transferred_from=from_agent.pk if from_agent else None,
                ),
            )
        else:
            assert to_team is not None  # one of the two, checked above
            session.state, session.agent, session.team = State.QUEUED, None, to_team
            session.queued_at = session.queued_at or moment
            session.save(
                update_fields=["state", "agent", "team", "queued_at", "offered_to", "offer_expires_at"]
            )
            ticket_actions.move_to_team(ticket, actor, to_team)
            ticket_actions.assign_ticket(ticket, actor, None)
            with translation.override(session.language):
                notice = _(
                    "You have been transferred to our %(team)s team. An agent will be with you shortly."
                ) % {"team": to_team.name}
        _say(session, notice, kind=Message.Kind.EVENT, transfer=transfer.pk)
        _publish_state(session, previous, also_agent=from_agent.pk if from_agent else None)
        if to_team is not None:
            dispatch(to_team.pk, now=moment)
            _reload_offer(session)
        if from_team is not None and previous in WAITING_STATES:
            publish_queue_positions(from_team.pk, moment)
        if from_agent is not None and to_team is not None:
            # The agent who handed the chat on has a free slot again.
            for team_id in team_ids_of(from_agent):
                if team_id != to_team.pk:
                    _offer_waiting(team_id, moment)
    return transfer


def end_chat(session: ChatSession, actor: Any | None, *, now: datetime | None = None) -> ChatSession:
    """End the chat (the customer, the agent, or None for automation). The transcript stays on the
    ticket, which is solved (SLA clocks stop; the customer may reopen it); a customer who talked to an
    agent is asked for a rating."""
    moment = _now(now)
    if session.state in (State.ENDED, State.LEFT_MESSAGE):
        return session
    previous, agent, team_id = session.state, session.agent, session.team_id
    with transaction.atomic():
        if previous == State.OFFERED:
            _withdraw_offer(session, moment, ChatOffer.Outcome.WITHDRAWN)
        session.state = State.ENDED
        session.ended_at = moment
        session.save(update_fields=["state", "ended_at", "offered_to", "offer_expires_at"])
        ticket = session.ticket
        if ticket.status not in (Status.SOLVED, Status.CLOSED):
            ticket_actions.change_status(ticket, actor, Status.SOLVED, now=moment, notify_customer=False)
        with translation.override(session.language):
            _say(session, _("The chat has ended."), kind=Message.Kind.EVENT)
            if agent is not None:
                _say(
                    session,
                    _("How did we do? Rate this chat from 1 to 5, and tell us why if you like."),
                    rating_request=True,
                )
        _publish_state(session, previous, also_agent=agent.pk if agent else None)
        if team_id is not None and previous in WAITING_STATES:
            publish_queue_positions(team_id, moment)
        if agent is not None:
            for agent_team in team_ids_of(agent):
                _offer_waiting(agent_team, moment)
    return session


def rate_chat(session: ChatSession, customer: Any, score: int, comment: str = "") -> ChatSession:
    """The customer's rating of an ended chat, kept on the session and as the ticket's rating (CSAT)."""
    if customer.pk != session.customer_id:
        raise ChatError(_("Only the customer can rate this chat."))
    if session.state != State.ENDED:
        raise ChatError(_("You can rate the chat once it has ended."))
    if not 1 <= score <= 5:
        raise ChatError(_("Choose a rating from 1 to 5."))
    with transaction.atomic():
        session.rating = score
        session.rating_comment = comment.strip()[:2000]
        session.save(update_fields=["rating", "rating_comment"])
        ticket_actions.rate_ticket(session.ticket, customer, score, comment)
    return session


def end_idle_bot_chats(*, now: datetime | None = None) -> int:
    """End chats the bot holds where the customer has been silent for CHAT_BOT_IDLE_MINUTES: the answer
    did its work or the customer left, and an open ticket must not wait on nobody."""
    moment = _now(now)
    ended = 0
    for session in queries.idle_bot_sessions(moment - timedelta(minutes=settings.CHAT_BOT_IDLE_MINUTES))[
        :500
    ]:
        end_chat(session, None, now=moment)
        ended += 1
    return ended


# ---------------------------------------------------------------- transcript by email


def email_transcript(session: ChatSession, *, now: datetime | None = None) -> None:
    """Send the chat's public messages to the customer's email address, in their language. At most
    CHAT_TRANSCRIPT_EMAILS_PER_HOUR per chat, so the button cannot be used to flood a mailbox."""
    moment = _now(now)
    recent = [
        sent
        for sent in session.transcript_sent_at
        if datetime.fromisoformat(sent) > moment - timedelta(hours=1)
    ]
    if len(recent) >= settings.CHAT_TRANSCRIPT_EMAILS_PER_HOUR:
        raise ChatError(_("The transcript was emailed a short while ago. Please try again later."))
    customer = session.customer
    address = account_queries.reply_address(customer)
    if not address:
        raise ChatError(_("We have no email address to send the transcript to."))
    messages = (
        session.ticket.messages.exclude(kind=Message.Kind.NOTE)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    with translation.override(session.language):
        lines = []
        for message in messages:
            if message.from_bot:
                who = _("Assistant")
            elif message.author_id == customer.pk:
                who = _("You")
            else:
                who = (message.author.get_short_name() if message.author else "") or _("Support")
            stamp = timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M")
            lines.append(f"[{stamp}] {who}: {message.body}")
        email = EmailMessage(
            subject=_("Transcript of your chat %(reference)s") % {"reference": session.ticket.reference},
            body="\n\n".join(lines),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
        )
    with transaction.atomic():
        session.transcript_sent_at = [*recent, moment.isoformat()]
        session.save(update_fields=["transcript_sent_at"])
        # Imported here: mail.actions imports tickets.actions, which must stay importable without it.
        from watchkeeper.mail.actions import queue_email

        transaction.on_commit(lambda: queue_email(email), robust=True)
