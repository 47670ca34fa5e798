from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from watchkeeper.chat import actions
from watchkeeper.core.registry import periodic


# The scheduler ticks every 5 s (core/worker.py), so a 10 s period is honoured. Routing calls also
# expire their team's lapsed offers as they run; this job covers a queue where nothing else happens, and
# offers waiting chats to agents who came online since.
@periodic(every=timedelta(seconds=10))
@task()
def route_chats() -> int:
    return actions.expire_offers()


@periodic(every=timedelta(minutes=5))
@task()
def end_idle_bot_chats() -> int:
    return actions.end_idle_bot_chats()
