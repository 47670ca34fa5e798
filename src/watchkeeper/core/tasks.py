from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django_tasks import task

from watchkeeper.core.registry import periodic


@periodic(every=timedelta(days=1))
@task()
def prune_finished_task_results() -> None:
    """Delete finished task results after a week (failed ones after a month) so the table stays small."""
    call_command("prune_db_task_results", queue_name="*", min_age_days=7, failed_min_age_days=30, verbosity=0)
