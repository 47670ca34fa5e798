from __future__ import annotations

import logging
from datetime import timedelta

from django.core.management import call_command
from django_tasks import task

from watchkeeper.core.registry import periodic

logger = logging.getLogger(__name__)


@periodic(every=timedelta(days=1))
@task()
def prune_finished_task_results() -> None:
    """Delete finished task results after a week (failed ones after a month) so the table stays small."""
    call_command("prune_db_task_results", queue_name="*", min_age_days=7, failed_min_age_days=30, verbosity=0)


@periodic(every=timedelta(days=1))
@task()
def purge_expired_audit_entries() -> int:
    """Remove audit entries older than AUDIT_RETENTION_DAYS, leaving the chain verifiable."""
    from watchkeeper.core import actions

    return actions.purge_expired_audit_entries()


@task()
def verify_audit_log(verification_id: int) -> bool:
    """The console's "Verify chain": walks the whole chain and stores the report, with progress."""
    from watchkeeper.core import actions, queries

    actions.mark_audit_verification_started(verification_id)
    report = queries.verify_audit_chain(
        progress=lambda checked, total: actions.record_audit_verification_progress(
            verification_id, checked, total
        )
    )
    actions.finish_audit_verification(verification_id, report.as_dict())
    if not report.ok and report.problem is not None:
        logger.error("Audit log verification failed: %s", queries.describe_problem(report.problem))
    return report.ok
