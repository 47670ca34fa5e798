"""Which groups a user may join, and how a reconnecting client catches up.

Apps register a GroupKind for their prefix (`ticket`, `queue`, ...) from AppConfig.ready(); a group
name is `<prefix>.<key>`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from watchkeeper.realtime.events import Event


@dataclass(frozen=True)
class GroupKind:
    prefix: str
    # (user, key) -> may this user receive this group's events? Runs in a thread: it may query.
    can_join: Callable[[Any, str], bool]
    # (user, key, last_id) -> events with id > last_id, oldest first, read from the database.
    replay: Callable[[Any, str, int], list[Event]] | None = None
    # (user, key, state) -> the ephemeral event a member's "activity" message becomes (viewing,
    # typing ...), or None to refuse it. Groups without it accept no activity from clients.
    activity: Callable[[Any, str, str], Event | None] | None = None


GROUP_KINDS: dict[str, GroupKind] = {}

# Called with the user when a socket shows it is alive (at most once a minute per socket).
ACTIVITY_HOOKS: list[Callable[[Any], None]] = []


def register_group_kind(kind: GroupKind) -> None:
    GROUP_KINDS[kind.prefix] = kind


def kind_for(group: str) -> tuple[GroupKind, str] | None:
    prefix, _, key = group.partition(".")
    kind = GROUP_KINDS.get(prefix)
    if kind is None or not key:
        return None
    return kind, key


def authorize(user: Any, group: str) -> GroupKind | None:
    """The group's kind if `user` may join `group`, else None."""
    found = kind_for(group)
    if found is None or not user.is_authenticated or not user.is_active:
        return None
    kind, key = found
    return kind if kind.can_join(user, key) else None
