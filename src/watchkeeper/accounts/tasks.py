from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from watchkeeper.accounts import actions
from watchkeeper.core.registry import periodic


@periodic(every=timedelta(minutes=1))
@task()
def expire_stale_presence() -> int:
    return actions.expire_stale_presence()
