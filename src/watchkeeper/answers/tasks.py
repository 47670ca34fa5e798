from __future__ import annotations

from django_tasks import task

from watchkeeper.answers import actions


@task()
def retrain_matcher() -> int:
    """Runs in the worker after content is published or archived; returns the model's id (0 if none)."""
    model = actions.retrain_matcher()
    return model.pk if model else 0
