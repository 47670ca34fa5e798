from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from watchkeeper.core.actions import enqueue_due_periodic_jobs
from watchkeeper.core.models import PeriodicJobState
from watchkeeper.core.registry import registry

pytestmark = pytest.mark.django_db


def test_jobs_run_on_schedule_and_the_schedule_survives_a_restart() -> None:
    assert "watchkeeper.accounts.tasks.expire_stale_presence" in registry.periodic_jobs
    now = timezone.now()
    first = enqueue_due_periodic_jobs(now)
    assert set(first) == set(registry.periodic_jobs)
    # Nothing is due again straight away: a restarted scheduler reads the next run time from the table.
    assert enqueue_due_periodic_jobs(now + timedelta(seconds=5)) == []
    state = PeriodicJobState.objects.get(name="watchkeeper.accounts.tasks.expire_stale_presence")
    assert state.next_run_at == now + timedelta(minutes=1)
    assert state.run_count == 1
    later = enqueue_due_periodic_jobs(now + timedelta(minutes=1, seconds=1))
    # Due again a minute later: every job that runs each minute or more often (chat routing: 10 s).
    every_minute = sorted(
        name for name, job in registry.periodic_jobs.items() if job.interval <= timedelta(minutes=1)
    )
    assert "watchkeeper.accounts.tasks.expire_stale_presence" in every_minute
    assert "watchkeeper.chat.tasks.route_chats" in every_minute
    assert sorted(later) == every_minute


def test_two_schedulers_do_not_both_enqueue() -> None:
    now = timezone.now()
    enqueue_due_periodic_jobs(now)
    state = PeriodicJobState.objects.get(name="watchkeeper.core.tasks.prune_finished_task_results")
    stale_view = state.next_run_at
    due = now + timedelta(days=1, seconds=1)
    assert "watchkeeper.core.tasks.prune_finished_task_results" in enqueue_due_periodic_jobs(due)
    # A second scheduler that read the old next_run_at loses the compare-and-set.
    won = PeriodicJobState.objects.filter(pk=state.pk, next_run_at=stale_view).update(run_count=99)
    assert won == 0
