from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from watchkeeper.core.registry import periodic
from watchkeeper.helpcenter import actions


@periodic(every=timedelta(minutes=1))
@task()
def publish_scheduled_articles() -> int:
    return actions.publish_due()
