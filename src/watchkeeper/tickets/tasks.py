from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from watchkeeper.core.registry import periodic
from watchkeeper.tickets import actions


@periodic(every=timedelta(minutes=1))
@task()
def check_sla() -> int:
    """Warnings before SLA deadlines and escalation when they pass; deadlines are in the database."""
    return actions.check_sla()


@periodic(every=timedelta(hours=1))
@task()
def follow_up_waiting_tickets() -> dict[str, int]:
    return actions.follow_up_waiting_tickets()
