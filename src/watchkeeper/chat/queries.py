"""Reads of live chats that the consumer, the consoles and the actions need. Each function names its
query count: these run on every chat message and every queue change.

Estimated wait (`estimated_wait_seconds`), defined once here:

    H = mean handling time (accepted → ended) of the team's chats that ended in the last 24 hours,
        or settings.CHAT_DEFAULT_HANDLING_SECONDS while fewer than MIN_HANDLING_SAMPLES ended;
    S = chat slots of the team's online agents (sum of max_concurrent_chats);
    F = slots free right now (S minus active chats and standing offers);
    p = the customer's position (1 = next).

    wait = 0 if p <= F, else round((p - F) * H / S); None when S = 0 (nobody online: leave a message).

In steady state each of the S slots frees once per H seconds on average, so the queue moves one place
every H / S seconds; customers within the free slots are being offered right now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from watchkeeper.accounts.models import AgentProfile, Presence, Team
from watchkeeper.answers.queries import match_question
from watchkeeper.chat.models import OPEN_STATES, WAITING_STATES, ChatOffer, ChatSession, State
from watchkeeper.core.compiled import CompiledQuery
from watchkeeper.search import queries as search_queries
from watchkeeper.tickets import queries as ticket_queries
from watchkeeper.tickets.calendar import BusinessCalendar
from watchkeeper.tickets.categories import CATEGORIES

MIN_HANDLING_SAMPLES = 3
HANDLING_WINDOW = timedelta(hours=24)


def session_for_ticket(ticket_id: int) -> ChatSession | None:
    """The chat a ticket is, with its ticket, customer, team and agent (1 query)."""
    return _one(
        ChatSession.objects.select_related("ticket", "customer", "team", "agent", "offered_to").filter(
            ticket_id=ticket_id
        )
    )


_SESSION_FOR_MESSAGE = CompiledQuery(
    ChatSession,
    lambda session_id: ChatSession.objects.filter(pk=session_id).order_by(),
    int,
    related="ticket",
)


def session_for_message(session_id: int) -> ChatSession | None:
    """The chat and its ticket, all a chat message needs (1 query, compiled once: session_by_id's five
    joins cost Django more than a millisecond per message to compile and load)."""
    return _SESSION_FOR_MESSAGE.first(session_id)


def session_by_id(session_id: int) -> ChatSession | None:
    """As session_for_ticket, by the session's id (1 query)."""
    return _one(
        ChatSession.objects.select_related("ticket", "customer", "team", "agent", "offered_to").filter(
            pk=session_id
        )
    )


def _one(sessions: QuerySet[ChatSession]) -> ChatSession | None:
    # Not .first(): it orders by pk, and building that ORDER BY over five joined tables' columns cost
    # Django about an eighth of a chat message's server CPU (benchmarks/chat_load.py, profiled).
    return next(iter(sessions[:1]), None)


def open_chat_of(customer: Any) -> ChatSession | None:
    """The customer's chat that is still going, newest first, so the widget resumes it (1 query)."""
    return (
        ChatSession.objects.select_related("ticket", "team", "agent")
        .filter(customer_id=customer.pk, state__in=OPEN_STATES)
        .order_by("-started_at", "-pk")
        .first()
    )


def session_with_client_message(customer: Any, client_id: str) -> ChatSession | None:
    """The customer's chat that already holds a message with this client id: a resent first message
    must not open a second chat (1 query)."""
    return (
        ChatSession.objects.select_related("ticket", "team", "agent")
        .filter(customer_id=customer.pk, ticket__messages__client_id=client_id)
        .first()
    )


def active_chats_of(agent: Any) -> list[ChatSession]:
    """The chats an agent holds now, oldest first, for the console (1 query)."""
    return list(
        ChatSession.objects.select_related("ticket", "customer", "team")
        .filter(agent_id=agent.pk, state=State.ACTIVE)
        .order_by("accepted_at", "pk")
    )


def waiting_sessions(team_id: int) -> QuerySet[ChatSession]:
    """The team's queue in serving order: VIP tier descending, then waiting since (FIFO)."""
    return ChatSession.objects.filter(team_id=team_id, state__in=WAITING_STATES).order_by(
        "-vip_tier", "queued_at", "pk"
    )


def queue_position(session: ChatSession) -> int | None:
    """1 for the next customer to be served; None when the chat is not waiting (1 query)."""
    if session.state not in WAITING_STATES or session.team_id is None or session.queued_at is None:
        return None
    ahead = (
        ChatSession.objects.filter(team_id=session.team_id, state__in=WAITING_STATES)
        .filter(
            Q(vip_tier__gt=session.vip_tier)
            | Q(vip_tier=session.vip_tier, queued_at__lt=session.queued_at)
            | Q(vip_tier=session.vip_tier, queued_at=session.queued_at, pk__lt=session.pk)
        )
        .count()
    )
    return ahead + 1


@dataclass(frozen=True)
class TeamCapacity:
    """What the wait estimate needs about a team right now (see the module docstring)."""

    slots: int  # S
    free_slots: int  # F
    handling_seconds: float  # H

    def estimated_wait_seconds(self, position: int | None) -> int | None:
        if position is None or self.slots <= 0:
            return None
        if position <= self.free_slots:
            return 0
        return round((position - self.free_slots) * self.handling_seconds / self.slots)


def handling_seconds(team_id: int, now: datetime | None = None) -> float:
    """H: mean seconds from acceptance to end of the team's chats in the last 24 hours (1 query)."""
    return handling_seconds_by_team([team_id], now)[team_id]


def handling_seconds_by_team(team_ids: list[int], now: datetime | None = None) -> dict[int, float]:
    """H of each team, in one query whatever the number of teams (the supervisor's page shows them all)."""
    moment = now or timezone.now()
    rows = (
        ChatSession.objects.filter(
            team_id__in=team_ids,
            state=State.ENDED,
            accepted_at__isnull=False,
            ended_at__gte=moment - HANDLING_WINDOW,
        )
        .order_by()
        .values("team_id")
        .annotate(
            samples=Count("pk"),
            mean=Avg(ExpressionWrapper(F("ended_at") - F("accepted_at"), output_field=DurationField())),
        )
    )
    default = float(settings.CHAT_DEFAULT_HANDLING_SECONDS)
    found = {team_id: default for team_id in team_ids}
    for row in rows:
        mean = row["mean"]
        if row["samples"] >= MIN_HANDLING_SAMPLES and mean is not None:
            found[row["team_id"]] = (
                mean.total_seconds() if isinstance(mean, timedelta) else float(mean) / 1_000_000
            )
    return found


def team_capacity(
    team_id: int, now: datetime | None = None, *, agents: list[AgentLoad] | None = None
) -> TeamCapacity:
    """S, F and H for a team (4 queries; 1 when the caller already holds the team's `agents`)."""
    if agents is None:
        agents = agent_loads(team_id)
    members = [agent for agent in agents if agent.in_team]
    return TeamCapacity(
        slots=sum(agent.max_chats for agent in members),
        free_slots=sum(agent.free_slots for agent in members),
        handling_seconds=handling_seconds(team_id, now),
    )


def estimated_wait_seconds(session: ChatSession, now: datetime | None = None) -> int | None:
    """The customer's expected wait in seconds (see the module docstring); None if nobody is online."""
    if session.team_id is None:
        return None
    return team_capacity(session.team_id, now).estimated_wait_seconds(queue_position(session))


@dataclass(frozen=True)
class QueueEntry:
    session_id: int
    ticket_id: int
    position: int


def queue_entries(team_id: int) -> list[QueueEntry]:
    """Every waiting chat of the team with its position, in one query (for publishing positions)."""
    rows = waiting_sessions(team_id).values_list("pk", "ticket_id")
    return [QueueEntry(pk, ticket_id, index) for index, (pk, ticket_id) in enumerate(rows, start=1)]


# ---------------------------------------------------------------- agents and routing


@dataclass
class AgentLoad:
    """An online agent who could take chats of a team, with what routing weighs."""

    user_id: int
    name: str
    max_chats: int
    load: int  # active chats and standing offers
    in_team: bool
    languages: set[str] = field(default_factory=set)
    skills: set[str] = field(default_factory=set)

    @property
    def free_slots(self) -> int:
        return max(0, self.max_chats - self.load)


def agent_loads(
    team_id: int | None, *, also_user_ids: set[int] | frozenset[int] = frozenset()
) -> list[AgentLoad]:
    """Online, active agents of the team (and the users in `also_user_ids`, e.g. account managers of
    waiting customers, wherever their team), with load, languages and skills (3 queries)."""
    membership = Q(teams=team_id) if team_id is not None else Q(pk__in=[])
    if also_user_ids:
        membership |= Q(user_id__in=list(also_user_ids))
    profiles = (
        AgentProfile.objects.filter(membership, presence=Presence.ONLINE, user__is_active=True)
        .distinct()
        .select_related("user")
        .prefetch_related("languages", "skills")
        .annotate(load=_count_load())
    )
    team_members = (
        set(
            AgentProfile.teams.through.objects.filter(team_id=team_id).values_list(
                "agentprofile_id", flat=True
            )
        )
        if team_id is not None and also_user_ids
        else None
    )
    loads = []
    for profile in profiles:
        loads.append(
            AgentLoad(
                user_id=profile.user_id,
                name=profile.user.get_short_name() or profile.user.email.partition("@")[0],
                max_chats=profile.max_concurrent_chats,
                load=profile.load,
                in_team=team_members is None or profile.pk in team_members,
                languages={language.code for language in profile.languages.all()},
                skills={skill.slug for skill in profile.skills.all()},
            )
        )
    return loads


def _count(sessions: QuerySet[ChatSession], column: str) -> Any:
    return Coalesce(
        Subquery(
            sessions.order_by().values(column).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def _count_load() -> Any:
    """Active chats plus standing offers of the profile's user: an offer reserves a slot, so an agent
    is never offered more chats than they may hold."""
    active = ChatSession.objects.filter(agent_id=OuterRef("user_id"), state=State.ACTIVE)
    offered = ChatSession.objects.filter(offered_to_id=OuterRef("user_id"), state=State.OFFERED)
    return _count(active, "agent_id") + _count(offered, "offered_to_id")


def agent_has_capacity(agent: Any) -> bool:
    """Online and below their chat limit (1 query)."""
    profile = (
        AgentProfile.objects.filter(user_id=agent.pk, presence=Presence.ONLINE, user__is_active=True)
        .annotate(load=_count_load())
        .values("load", "max_concurrent_chats")
        .first()
    )
    return profile is not None and profile["load"] < profile["max_concurrent_chats"]


def tried_agents(session_ids: list[int]) -> dict[int, set[int]]:
    """Per chat, the agents it was already offered to (not offered again), in one query."""
    tried: dict[int, set[int]] = defaultdict(set)
    for session_id, agent_id in ChatOffer.objects.filter(session_id__in=session_ids).values_list(
        "session_id", "agent_id"
    ):
        tried[session_id].add(agent_id)
    return tried


def missed_offers_in_a_row(agent_id: int, *, count: int = 2) -> bool:
    """Whether the agent's last `count` finished offers all timed out (1 query)."""
    outcomes = list(
        ChatOffer.objects.filter(agent_id=agent_id)
        .exclude(outcome=ChatOffer.Outcome.PENDING)
        .order_by("-resolved_at", "-pk")
        .values_list("outcome", flat=True)[:count]
    )
    return len(outcomes) == count and all(outcome == ChatOffer.Outcome.EXPIRED for outcome in outcomes)


def lapsed_offers(now: datetime, team_id: int | None = None) -> QuerySet[ChatSession]:
    """Chats whose offer ran out and that still wait on that agent."""
    sessions = ChatSession.objects.filter(state=State.OFFERED, offer_expires_at__lte=now)
    if team_id is not None:
        sessions = sessions.filter(team_id=team_id)
    return sessions.select_related("ticket", "team", "offered_to")


def teams_with_waiting_chats() -> list[int]:
    return list(
        ChatSession.objects.filter(state=State.QUEUED, team__isnull=False)
        .order_by()
        .values_list("team_id", flat=True)
        .distinct()
    )


def idle_bot_sessions(before: datetime) -> QuerySet[ChatSession]:
    """Chats the bot holds where the customer has said nothing since `before`."""
    return ChatSession.objects.filter(
        state=State.BOT, ticket__last_customer_message_at__lte=before
    ).select_related("ticket")


# ---------------------------------------------------------------- availability


@dataclass(frozen=True)
class Availability:
    open_now: bool  # within the team's working hours and not a holiday
    online_agents: int

    @property
    def can_take_chats(self) -> bool:
        return self.open_now and self.online_agents > 0


def team_calendar(team: Team) -> BusinessCalendar:
    """The team's working hours and holidays (the same calendar its SLA clocks use); 1 query when
    the team has working hours, none for a 24/7 team."""
    from watchkeeper.tickets.models import Holiday

    if not team.working_hours:
        return BusinessCalendar.around_the_clock()
    holidays = Holiday.objects.filter(Q(team=team) | Q(team__isnull=True)).values_list("date", flat=True)
    try:
        return BusinessCalendar.from_config(team.working_hours, team.time_zone, holidays)
    except ValueError:
        # Unusable hours must not turn every customer away: treat the team as always open.
        return BusinessCalendar.around_the_clock()


def team_availability(team: Team, now: datetime | None = None) -> Availability:
    """Whether a team can take a chat now: open per its calendar and someone online (≤ 2 queries)."""
    moment = now or timezone.now()
    open_now = team_calendar(team).is_open(moment)
    online = (
        AgentProfile.objects.filter(teams=team, presence=Presence.ONLINE, user__is_active=True).count()
        if open_now
        else 0
    )
    return Availability(open_now=open_now, online_agents=online)


# ---------------------------------------------------------------- what a client reads on (re)connect


@dataclass(frozen=True)
class ChatSnapshot:
    session_id: int
    ticket_id: int
    state: str
    team: str | None
    agent_name: str
    position: int | None
    estimated_wait_seconds: int | None
    shown_article_ids: list[int]
    rating: int | None


def chat_snapshot(session: ChatSession, now: datetime | None = None) -> ChatSnapshot:
    """Everything the widget shows besides the messages; what a reconnecting client reads instead of
    replaying chat events (1 query, 4 more while the chat waits in a queue)."""
    position = queue_position(session)
    wait = (
        team_capacity(session.team_id, now).estimated_wait_seconds(position)
        if position is not None and session.team_id is not None
        else None
    )
    agent = session.agent
    return ChatSnapshot(
        session_id=session.pk,
        ticket_id=session.ticket_id,
        state=session.state,
        team=session.team.slug if session.team else None,
        agent_name=(agent.get_short_name() if agent else "") or "",
        position=position,
        estimated_wait_seconds=wait,
        shown_article_ids=list(session.shown_article_ids),
        rating=session.rating,
    )


def ticket_category_for_article(article_id: int) -> str | None:
    """The ticket category whose help-center category holds this article, if one does (1 query)."""
    from watchkeeper.helpcenter.queries import category_slug_of_article

    help_category = category_slug_of_article(article_id)
    if not help_category:
        return None
    return next(
        (slug for slug, category in CATEGORIES.items() if category.help_category == help_category), None
    )


# ---------------------------------------------------------------- supervisor view


@dataclass(frozen=True)
class AgentRow:
    user_id: int
    name: str
    presence: str
    active_chats: int
    max_chats: int
    offered_chats: int = 0  # standing offers: each holds one of the agent's slots, as in routing

    @property
    def load(self) -> int:
        return self.active_chats + self.offered_chats

    @property
    def presence_label(self) -> str:
        return str(Presence(self.presence).label)


@dataclass
class TeamOverview:
    team: Team
    queue_length: int = 0
    longest_wait_seconds: int = 0
    active_chats: int = 0
    offered_chats: int = 0
    agents: list[AgentRow] = field(default_factory=list)


def supervisor_overview(teams: list[Team], now: datetime | None = None) -> list[TeamOverview]:
    """Per team: queue length, longest wait, live chats and agents with presence and load. Two queries
    whatever the number of teams, chats and agents."""
    moment = now or timezone.now()
    overview = {team.pk: TeamOverview(team=team) for team in teams}
    if not overview:
        return []
    rows = (
        ChatSession.objects.filter(team_id__in=list(overview), state__in=[*WAITING_STATES, State.ACTIVE])
        .order_by()
        .values("team_id")
        .annotate(
            waiting=Count("pk", filter=Q(state__in=WAITING_STATES)),
            offered=Count("pk", filter=Q(state=State.OFFERED)),
            active=Count("pk", filter=Q(state=State.ACTIVE)),
            since=Min("queued_at", filter=Q(state__in=WAITING_STATES)),
        )
    )
    for row in rows:
        item = overview[row["team_id"]]
        item.queue_length = row["waiting"]
        item.offered_chats = row["offered"]
        item.active_chats = row["active"]
        if row["since"] is not None:
            item.longest_wait_seconds = max(0, int((moment - row["since"]).total_seconds()))
    active = ChatSession.objects.filter(agent_id=OuterRef("agentprofile__user_id"), state=State.ACTIVE)
    offered = ChatSession.objects.filter(offered_to_id=OuterRef("agentprofile__user_id"), state=State.OFFERED)
    agents = (
        AgentProfile.teams.through.objects.filter(
            team_id__in=list(overview), agentprofile__user__is_active=True
        )
        .values(
            "team_id",
            "agentprofile__user_id",
            "agentprofile__user__display_name",
            "agentprofile__user__first_name",
            "agentprofile__user__email",
            "agentprofile__presence",
            "agentprofile__max_concurrent_chats",
        )
        .annotate(active=_count(active, "agent_id"), offered=_count(offered, "offered_to_id"))
        .order_by("agentprofile__user__display_name", "agentprofile__user__email")
    )
    for agent in agents:
        name = (
            agent["agentprofile__user__display_name"]
            or agent["agentprofile__user__first_name"]
            or agent["agentprofile__user__email"].partition("@")[0]
        )
        overview[agent["team_id"]].agents.append(
            AgentRow(
                user_id=agent["agentprofile__user_id"],
                name=name,
                presence=agent["agentprofile__presence"],
                active_chats=agent["active"],
                max_chats=agent["agentprofile__max_concurrent_chats"],
                offered_chats=agent["offered"],
            )
        )
    return list(overview.values())


# Team leads and admins hold it: whoever may manage the teams watches their queues (as `queue.<team>`).
SUPERVISOR_PERMISSION = "accounts.manage_team"

# Online first: the supervisor looks for who can take the next chat.
_PRESENCE_ORDER: dict[str, int] = {Presence.ONLINE: 0, Presence.AWAY: 1, Presence.OFFLINE: 2}


@dataclass(frozen=True)
class BoardChat:
    """A waiting or live chat as the supervisor's page lists it."""

    session_id: int
    ticket_id: int
    reference: str
    state: str
    customer_name: str  # the display name, never the email address; empty when the customer gave none
    language: str
    vip_tier: int
    agent_name: str  # live: the agent holding it; waiting: the agent it is offered to, if any
    seconds: int  # waiting: since it was queued; live: since it was accepted
    position: int | None = None  # waiting chats only, 1 = next to be served
    estimated_wait_seconds: int | None = None  # waiting chats only; None: nobody online


@dataclass
class TeamBoard:
    overview: TeamOverview
    capacity: TeamCapacity
    waiting: list[BoardChat] = field(default_factory=list)
    live: list[BoardChat] = field(default_factory=list)

    @property
    def team(self) -> Team:
        return self.overview.team

    @property
    def next_wait_seconds(self) -> int | None:
        """What a customer joining the queue now would be told; None when nobody is online."""
        return self.capacity.estimated_wait_seconds(len(self.waiting) + 1)


def _short_name(user: Any) -> str:
    return (user.get_short_name() if user is not None else "") or ""


def supervisor_board(teams: list[Team], now: datetime | None = None) -> list[TeamBoard]:
    """supervisor_overview, plus each team's waiting chats in serving order with position and estimated
    wait, its live chats and the wait a new customer faces. Four queries whatever the number of teams,
    chats and agents; the estimate uses the same S, F and H as the customers' (module docstring)."""
    moment = now or timezone.now()
    overview = supervisor_overview(teams, moment)
    handling = handling_seconds_by_team([item.team.pk for item in overview], moment)
    boards: dict[int, TeamBoard] = {}
    for item in overview:
        item.agents.sort(key=lambda agent: _PRESENCE_ORDER.get(agent.presence, len(_PRESENCE_ORDER)))
        online = [agent for agent in item.agents if agent.presence == Presence.ONLINE]
        capacity = TeamCapacity(
            slots=sum(agent.max_chats for agent in online),
            free_slots=sum(max(0, agent.max_chats - agent.load) for agent in online),
            handling_seconds=handling[item.team.pk],
        )
        boards[item.team.pk] = TeamBoard(overview=item, capacity=capacity)
    if not boards:
        return []
    sessions = (
        ChatSession.objects.filter(team_id__in=list(boards), state__in=[*WAITING_STATES, State.ACTIVE])
        .select_related("ticket", "customer", "agent", "offered_to")
        .order_by("team_id", "-vip_tier", "queued_at", "pk")
    )
    for session in sessions:
        assert session.team_id is not None  # filtered on the teams above
        board = boards[session.team_id]
        if session.state == State.ACTIVE:
            since = session.accepted_at or session.started_at
            board.live.append(_board_chat(session, session.agent, moment, since))
        else:
            position = len(board.waiting) + 1
            board.waiting.append(
                _board_chat(
                    session,
                    session.offered_to if session.state == State.OFFERED else None,
                    moment,
                    session.queued_at or session.started_at,
                    position=position,
                    estimated_wait_seconds=board.capacity.estimated_wait_seconds(position),
                )
            )
    for board in boards.values():
        # Longest-running first: the chat that may need a hand.
        board.live.sort(key=lambda chat: -chat.seconds)
    return list(boards.values())


def _board_chat(
    session: ChatSession, agent: Any, moment: datetime, since: datetime, **extra: Any
) -> BoardChat:
    return BoardChat(
        session_id=session.pk,
        ticket_id=session.ticket_id,
        reference=session.ticket.reference,
        state=session.state,
        customer_name=_short_name(session.customer),
        language=session.language,
        vip_tier=session.vip_tier,
        agent_name=_short_name(agent),
        seconds=max(0, int((moment - since).total_seconds())),
        **extra,
    )


# ---------------------------------------------------------------- the agent's side panel

# The customer's latest messages that suggestions read: a question often comes in a few short lines
# ("hi", "my deposit", "still not there"), and one line alone says too little.
SUGGESTION_CONTEXT_MESSAGES = 3
SUGGESTION_CONTEXT_CHARACTERS = 1000


@dataclass(frozen=True)
class ArticleSuggestion:
    article_id: int
    title: str
    url: str  # on this site, in the chat's language (or the article's fallback language)
    shown_by_bot: bool  # the bot already sent it to the customer


def articles_for_agent(session: ChatSession, limit: int = 3) -> list[ArticleSuggestion]:
    """Help-center articles for the agent to send, from the customer's latest messages: the bot's matcher
    when it answers or suggests, else the help center's full-text search, which still finds articles
    that share the customer's words when the matcher is unsure or not trained yet (1 query for the
    messages, then the matcher's or the search's)."""
    texts = ticket_queries.latest_public_bodies(
        session.ticket_id, session.customer_id, SUGGESTION_CONTEXT_MESSAGES
    )
    question = "\n".join(reversed(texts))[-SUGGESTION_CONTEXT_CHARACTERS:]
    if not question.strip():
        return []
    shown = set(session.shown_article_ids)
    answer = match_question(question, language=session.language, limit=limit)
    if answer.decision != "decline" and answer.articles:
        return [
            ArticleSuggestion(article.article_id, article.title, article.url, article.article_id in shown)
            for article in answer.articles[:limit]
        ]
    results = search_queries.search(
        question,
        language=session.language,
        kind="article",
        per_page=limit,
        with_snippets=False,
        suggest_corrections=False,
    )
    return [
        ArticleSuggestion(
            hit.document.object_id, hit.document.title, hit.document.url, hit.document.object_id in shown
        )
        for hit in results.hits
        if hit.document.url
    ]
