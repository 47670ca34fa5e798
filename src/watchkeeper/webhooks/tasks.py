from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from watchkeeper.core.registry import periodic


@task()
def deliver_webhooks(delivery_ids: list[int]) -> list[str]:
    """The first attempt of freshly queued deliveries (retries come from retry_webhooks)."""
    from watchkeeper.webhooks.actions import deliver

    return [deliver(delivery_id) for delivery_id in delivery_ids]


@periodic(every=timedelta(minutes=1))
@task()
def retry_webhooks() -> int:
    from watchkeeper.webhooks.actions import retry_due_deliveries

    return retry_due_deliveries()
