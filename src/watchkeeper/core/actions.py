"""Writes owned by the core: periodic-job bookkeeping."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from watchkeeper.core.models import PeriodicJobState
from watchkeeper.core.registry import registry

logger = logging.getLogger(__name__)


def enqueue_due_periodic_jobs(now: datetime | None = None) -> list[str]:
    """Enqueue every registered periodic job whose time has come; return the names enqueued.

    Safe to run from several workers at once: each job's row is advanced with a compare-and-set on
    `next_run_at`, and only the worker whose update wins enqueues the task.
    """
    now = now or timezone.now()
    enqueued: list[str] = []
    states = {state.name: state for state in PeriodicJobState.objects.filter(name__in=registry.periodic_jobs)}
    for job in registry.periodic_jobs.values():
        interval = int(job.interval.total_seconds())
        state = states.get(job.name)
        if state is None:
            state, _ = PeriodicJobState.objects.get_or_create(
                name=job.name, defaults={"interval_seconds": interval, "next_run_at": now}
            )
        elif state.interval_seconds != interval:
            # The interval changed in code: keep the schedule but honour the new period from now.
            PeriodicJobState.objects.filter(pk=state.pk).update(
                interval_seconds=interval, next_run_at=min(state.next_run_at, now + job.interval)
            )
            state.refresh_from_db()
        if state.next_run_at > now:
            continue
        with transaction.atomic():
            won = PeriodicJobState.objects.filter(pk=state.pk, next_run_at=state.next_run_at).update(
                next_run_at=now + job.interval, last_enqueued_at=now, run_count=state.run_count + 1
            )
            if won:
                job.task.enqueue()
                enqueued.append(job.name)
    if enqueued:
        logger.info("Enqueued periodic jobs: %s", ", ".join(enqueued))
    return enqueued
