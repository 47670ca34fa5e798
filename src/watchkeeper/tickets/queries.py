"""Who may see which tickets, and the reads other code needs.

Customers see their own tickets. Agents see the tickets of their teams, the ones assigned to them or
that they follow, and the ones no team has taken yet (triage); team leads and admins see all. Anyone
else gets a 404, never a 403, so ticket numbers cannot be probed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from watchkeeper.accounts import queries as account_queries
from watchkeeper.accounts.queries import team_ids_of, team_ids_query
from watchkeeper.core.compiled import CompiledQuery
from watchkeeper.tickets.calendar import BusinessCalendar
from watchkeeper.tickets.events import TicketActivity, TicketUpdated
from watchkeeper.tickets.models import (
    FINISHED_STATUSES,
    TICKET_PREFIX,
    UNFINISHED_STATUSES,
    Attachment,
    Holiday,
    Macro,
    Message,
    Notification,
    RoutingRule,
    SlaPolicy,
    Status,
    Ticket,
    TicketLink,
)

WORK_PERMISSION = "tickets.work_tickets"
VIEW_ALL_PERMISSION = "tickets.view_all_tickets"


def is_ticket_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(WORK_PERMISSION))


# Compiled once (core.compiled): the chat writer runs this for every chat message.
_CLIENT_MESSAGE = CompiledQuery(
    Message,
    lambda ticket_id, client_id: Message.objects.filter(ticket_id=ticket_id, client_id=client_id).order_by(),
    int,
    str,
)


def client_message(ticket_id: int, client_id: str) -> Message | None:
    """The ticket's message that a client sent with `client_id`, if it is stored (1 query)."""
    return _CLIENT_MESSAGE.first(ticket_id, client_id)


def _agent_team_ids(user: Any) -> list[int]:
    cached = getattr(user, "_watchkeeper_team_ids", None)
    if cached is None:
        cached = team_ids_of(user)
        user._watchkeeper_team_ids = cached
    return cached


def agent_visibility(user: Any) -> Q:
    """The tickets an agent may see, as a filter (everything for those allowed to see all)."""
    if user.has_perm(VIEW_ALL_PERMISSION):
        return Q()
    followed = Ticket.followers.through.objects.filter(user_id=user.pk).values("ticket_id")
    return (
        Q(team__isnull=True)
        | Q(team_id__in=_agent_team_ids(user))
        | Q(assignee_id=user.pk)
        | Q(requester_id=user.pk)
        # A subquery, not a join: a join on followers would repeat a ticket with several followers.
        | Q(pk__in=followed)
    )


def tickets_for(user: Any) -> QuerySet[Ticket]:
    """Every ticket `user` may open."""
    if not user.is_authenticated:
        return Ticket.objects.none()
    if is_ticket_staff(user):
        return Ticket.objects.filter(agent_visibility(user))
    return Ticket.objects.filter(requester=user)


def ticket_with_relations(ticket_id: int) -> Ticket:
    """A ticket with what its API and webhook shape reads, whoever asks (callers check access)."""
    return (
        Ticket.objects.select_related("requester", "team", "assignee", "rating", "sla_policy")
        .prefetch_related("tags")
        .get(pk=ticket_id)
    )


def ticket_for(user: Any, ticket_id: int) -> Ticket | None:
    # Everything the ticket page shows beside the thread, in one query.
    return (
        tickets_for(user)
        .filter(pk=ticket_id)
        .select_related(
            "requester", "requester__customer_profile", "team", "assignee", "rating", "sla_policy"
        )
        .first()
    )


def messages_for(user: Any, ticket: Ticket) -> QuerySet[Message]:
    """The thread as `user` sees it: customers never see internal notes."""
    messages = ticket.messages.select_related("author").prefetch_related("attachments")
    if not is_ticket_staff(user):
        messages = messages.exclude(kind=Message.Kind.NOTE)
    return messages


def latest_public_bodies(ticket_id: int, author_id: int, limit: int) -> list[str]:
    """The text of the last `limit` public messages `author_id` wrote on the ticket, newest first
    (1 query, on the ticket's message index)."""
    return list(
        Message.objects.filter(ticket_id=ticket_id, author_id=author_id, kind=Message.Kind.PUBLIC)
        .order_by("-created_at", "-pk")
        .values_list("body", flat=True)[:limit]
    )


def attachment_for(user: Any, attachment_id: int) -> Attachment | None:
    """An attachment, if `user` may see the ticket and the message that carries it."""
    attachment = (
        Attachment.objects.select_related("message", "message__ticket").filter(pk=attachment_id).first()
    )
    if attachment is None:
        return None
    if not tickets_for(user).filter(pk=attachment.message.ticket_id).exists():
        return None
    if attachment.message.kind == Message.Kind.NOTE and not is_ticket_staff(user):
        return None
    return attachment


# A link as each of its two tickets describes it: (seen from the source, seen from the target).
LINK_NAMES = {
    TicketLink.Kind.RELATED: ("related", "related"),
    TicketLink.Kind.CHILD: ("caused_by", "causes"),
    TicketLink.Kind.DUPLICATE: ("duplicate_of", "duplicated_by"),
}
LINK_LABELS = {
    "related": _("Related to"),
    "caused_by": _("Caused by"),
    "causes": _("Also reported in"),
    "duplicate_of": _("Duplicate of"),
    "duplicated_by": _("Duplicated by"),
}


def linked_tickets(ticket: Ticket) -> list[tuple[TicketLink, str, Ticket]]:
    """Every link of `ticket` as (link, name seen from this ticket, the other ticket), oldest first."""
    links = TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket)).select_related("source", "target")
    found = []
    for link in links.order_by("created_at", "pk"):
        outgoing = link.source_id == ticket.pk
        name = LINK_NAMES[TicketLink.Kind(link.kind)][0 if outgoing else 1]
        found.append((link, name, link.target if outgoing else link.source))
    return found


def ticket_id_from_reference(reference: str) -> int | None:
    """12 from "WK-000012" (any case, padding optional); None when it is not one of ours."""
    text = reference.strip().upper()
    if not text.startswith(TICKET_PREFIX):
        return None
    digits = text[len(TICKET_PREFIX) :]
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


# ---------------------------------------------------------------- the agents' inbox

# Written exactly as the partial index ticket_unfinished_updated says, so the database uses it.
UNFINISHED = Q(status__in=UNFINISHED_STATUSES)
INBOX_VIEWS = ("open", "mine", "unassigned", "teams", "vip", "breaching", "all")
# "About to breach": a deadline within this window, or already past.
BREACH_WINDOW = timedelta(hours=1)
SORTS = {
    "updated": ("-updated_at", "-pk"),
    "oldest": ("updated_at", "pk"),
    "created": ("-created_at", "-pk"),
    "priority": ("-priority", "-updated_at", "-pk"),
    "due": (F("sla_due").asc(nulls_last=True), "pk"),
}


@dataclass(frozen=True)
class InboxFilters:
    view: str = "open"
    status: str = ""
    priority: int | None = None
    channel: str = ""
    category: str = ""
    language: str = ""
    tag: str = ""
    search: str = ""
    sort: str = "updated"


def inbox_tickets(user: Any, filters: InboxFilters) -> QuerySet[Ticket]:
    """The tickets of one inbox view, filtered and sorted; take `.values(*INBOX_ROW_FIELDS)` of a page
    to read everything a row shows in one query.
    """
    tickets = tickets_for(user)
    view = filters.view if filters.view in INBOX_VIEWS else "open"
    unfinished = UNFINISHED
    if view == "open":
        tickets = tickets.filter(unfinished)
    elif view == "mine":
        tickets = tickets.filter(unfinished, assignee=user)
    elif view == "unassigned":
        tickets = tickets.filter(unfinished, assignee__isnull=True)
    elif view == "teams":
        tickets = tickets.filter(unfinished, team_id__in=_agent_team_ids(user))
    elif view == "vip":
        tickets = tickets.filter(unfinished, requester__customer_profile__vip_tier__gt=0)
    elif view == "breaching":
        soon = timezone.now() + BREACH_WINDOW
        tickets = tickets.filter(unfinished, sla_paused_at__isnull=True).filter(
            Q(first_response_due__lte=soon) | Q(next_response_due__lte=soon) | Q(resolution_due__lte=soon)
        )
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.category:
        tickets = tickets.filter(category=filters.category)
    if filters.language:
        tickets = tickets.filter(language=filters.language)
    if filters.tag:
        tickets = tickets.filter(tags__name=filters.tag)
    if filters.search:
        reference = ticket_id_from_reference(filters.search)
        if reference is not None:
            tickets = tickets.filter(pk=reference)
        else:
            tickets = tickets.filter(
                Q(subject__icontains=filters.search) | Q(requester__email__iexact=filters.search)
            )
    return tickets.order_by(*SORTS.get(filters.sort, SORTS["updated"]))


# What an inbox row shows, read in the same query as the tickets (joins, no query per row).
INBOX_ROW_FIELDS = (
    "pk",
    "subject",
    "status",
    "priority",
    "channel",
    "category",
    "language",
    "updated_at",
    "requester__email",
    "requester__display_name",
    "requester__customer_profile__vip_tier",
    "team__name",
    "assignee__email",
    "assignee__display_name",
)


def customer_history(user: Any, ticket: Ticket, limit: int = 20) -> list[Ticket]:
    """The requester's other tickets on every channel, newest first, as far as `user` may see them."""
    return list(
        tickets_for(user)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .only("pk", "subject", "status", "channel", "created_at")
        .order_by("-created_at")[:limit]
    )


def ticket_agents() -> QuerySet[Any]:
    """Everyone who can work tickets: holders of a role granting it, and superusers."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(
                groups__permissions__codename="work_tickets",
                groups__permissions__content_type__app_label="tickets",
            )
        )
        .distinct()
        .order_by("display_name", "email")
    )


def may_follow_ticket(user: Any, key: str) -> bool:
    return key.isdigit() and tickets_for(user).filter(pk=int(key)).exists()


def missed_ticket_events(user: Any, key: str, last_id: int) -> list[Any]:
    """What a reconnecting page missed. Ticket events are not stored one by one, so a page that
    missed any is told to reload the ticket: one event carrying the current id."""
    ticket = tickets_for(user).filter(pk=int(key)).only("pk", "last_event_id").first()
    if ticket is None or ticket.last_event_id <= last_id:
        return []
    return [TicketUpdated(id=ticket.last_event_id, ticket_id=ticket.pk, changed=["*"])]


# ---------------------------------------------------------------- routing


def matching_rule(ticket: Ticket, vip_tier: int) -> RoutingRule | None:
    """The first active rule whose conditions the ticket meets."""
    rules = RoutingRule.objects.filter(is_active=True, min_vip_tier__lte=vip_tier).select_related("team")
    for rule in rules:
        if rule.category and rule.category != ticket.category:
            continue
        if rule.language and rule.language != ticket.language:
            continue
        if rule.channel and rule.channel != ticket.channel:
            continue
        return rule
    return None


def next_agent(team_id: int, language: str, *, exclude: int | None = None) -> Any | None:
    """Who in the team gets the next ticket: online, under their limit of open tickets, speaking the
    ticket's language if any of them does; the one with the fewest open tickets, and among equals the
    one who waited longest since their last assignment."""
    unsolved = Q(assigned_tickets__status__in=[s for s in Status.values if s not in FINISHED_STATUSES])
    candidates = (
        get_user_model()
        .objects.filter(
            is_active=True,
            agent_profile__teams=team_id,
            agent_profile__presence="online",
        )
        .annotate(
            open_count=Count("assigned_tickets", filter=unsolved),
            last_assigned=Max("assigned_tickets__assigned_at"),
            capacity=Max("agent_profile__max_open_tickets"),
        )
        .filter(open_count__lt=F("capacity"))
    )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    speakers = candidates.filter(agent_profile__languages__code=language)
    pool = speakers if speakers.exists() else candidates
    return pool.order_by("open_count", F("last_assigned").asc(nulls_first=True), "pk").first()


def account_manager_of(user: Any) -> Any | None:
    """The VIP customer's dedicated manager, if they can work tickets."""
    profile = getattr(user, "customer_profile", None)
    manager = getattr(profile, "account_manager", None) if profile else None
    if manager is None or not manager.is_active or not is_ticket_staff(manager):
        return None
    return manager


# ---------------------------------------------------------------- SLA


def matching_policy(ticket: Ticket, vip_tier: int) -> SlaPolicy | None:
    policies = SlaPolicy.objects.filter(is_active=True, min_vip_tier__lte=vip_tier)
    for policy in policies:
        if policy.priority and policy.priority != ticket.priority:
            continue
        if policy.channel and policy.channel != ticket.channel:
            continue
        if policy.category and policy.category != ticket.category:
            continue
        return policy
    return None


def sla_calendar(ticket: Ticket, policy: SlaPolicy) -> BusinessCalendar:
    """Around the clock, or the ticket team's working hours and holidays (a team-less ticket counts
    every hour: nobody's office hours apply to it)."""
    team = ticket.team
    if not policy.business_hours or team is None or not team.working_hours:
        return BusinessCalendar.around_the_clock()
    holidays = Holiday.objects.filter(Q(team=team) | Q(team__isnull=True)).values_list("date", flat=True)
    try:
        return BusinessCalendar.from_config(team.working_hours, team.time_zone, holidays)
    except ValueError:
        # A team saved with unusable hours must not stop tickets: count around the clock, loudly.
        import logging

        logging.getLogger(__name__).warning("Team %s has invalid working hours; SLA counts 24/7", team.pk)
        return BusinessCalendar.around_the_clock()


def due_sla_tickets(now: datetime) -> QuerySet[Ticket]:
    """Tickets whose next SLA event (a warning or a breach) has come."""
    return Ticket.objects.filter(sla_due__lte=now).select_related("sla_policy", "team", "assignee")


def team_leads(team_id: int | None) -> QuerySet[Any]:
    """The leads of a team, or every team lead when the ticket has no team."""
    leads = get_user_model().objects.filter(is_active=True, groups__name="team_lead")
    if team_id is not None:
        leads = leads.filter(agent_profile__teams=team_id)
    return leads.distinct()


def unread_notification_count(user: Any) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def ticket_for_email(message_ids: list[str], reference: str) -> Ticket | None:
    """The ticket an inbound email continues: one of our messages it answers (In-Reply-To, References),
    else the ticket number in its subject. A merged ticket leads to the one it went into."""
    wanted = [item for item in message_ids if item]
    ticket = None
    if wanted:
        message = (
            Message.objects.filter(email_message_id__in=wanted)
            .select_related("ticket")
            .order_by("-created_at", "-pk")
            .first()
        )
        ticket = message.ticket if message else None
    if ticket is None and reference:
        number = ticket_id_from_reference(reference)
        ticket = Ticket.objects.filter(pk=number).first() if number else None
    for _hop in range(10):  # merges form a short chain; the bound guards against a cycle
        if ticket is None or ticket.merged_into_id is None:
            break
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
    return ticket


def is_email_participant(ticket: Ticket, address: str) -> bool:
    """Whether mail from `address` may join the thread: the requester or a follower. Agents answer in
    the console: a From header is easy to forge, and a forged agent must not write to a customer."""
    address = address.strip().lower()
    if not address:
        return False
    if account_queries.reply_address(ticket.requester).lower() == address:
        return True
    follower = ticket.followers.filter(email__iexact=address).first()
    return follower is not None and not is_ticket_staff(follower)


def macros_for(user: Any) -> QuerySet[Any]:
    # The agent's teams as a subquery: the ticket page of a lead (who sees every ticket, so never
    # fetched the list for visibility) would otherwise query them for this alone.
    return Macro.objects.filter(is_active=True).filter(
        Q(team__isnull=True) | Q(team_id__in=team_ids_query(user))
    )


_PLACEHOLDER = re.compile(r"\{\{\s*(customer_name|agent_name|ticket_reference|ticket_subject)\s*\}\}")


def render_macro(body: str, ticket: Ticket, agent: Any) -> str:
    """The macro's text for this ticket. Only the four named placeholders are replaced: a macro is
    text an admin typed, not a template that could reach into objects."""
    values = {
        "customer_name": ticket.requester.get_short_name() or ticket.requester.email.partition("@")[0],
        "agent_name": agent.get_short_name() or agent.email.partition("@")[0],
        "ticket_reference": ticket.reference,
        "ticket_subject": ticket.subject,
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], body)


def may_watch_ticket_as_staff(user: Any, key: str) -> bool:
    """The agents' side channel of a ticket (who is viewing or replying): staff who may see it."""
    return is_ticket_staff(user) and may_follow_ticket(user, key)


def staff_activity(user: Any, key: str, state: str) -> Any | None:
    if state not in {"viewing", "replying", "left"} or not key.isdigit():
        return None
    name = user.get_short_name() or user.email.partition("@")[0]
    return TicketActivity(ticket_id=int(key), agent_id=user.pk, agent_name=name, state=state)  # type: ignore[arg-type]
