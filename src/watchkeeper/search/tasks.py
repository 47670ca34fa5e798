from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from watchkeeper.core.registry import periodic
from watchkeeper.search import actions


@periodic(every=timedelta(hours=1))
@task()
def refresh_popular_suggestions() -> int:
    return actions.refresh_popular_suggestions()


@periodic(every=timedelta(days=1))
@task()
def optimize_index() -> None:
    actions.optimize_index()
