from __future__ import annotations

import time

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.core.worker import BackgroundWorker


@pytest.mark.django_db(transaction=True)
def test_task_enqueued_in_a_request_runs_in_the_worker(client: Client, settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    user = make_user()
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    # The request only queued the email: nothing is sent until a worker picks it up.
    queued = DBTaskResult.objects.get(task_path="watchkeeper.mail.tasks.deliver_email")
    assert queued.status == "READY"
    assert mail.outbox == []

    worker = BackgroundWorker(interval=0.05)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while not mail.outbox and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"


@pytest.mark.django_db
def test_the_task_worker_survives_a_locked_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError
    from django_tasks_db.management.commands.db_worker import Worker

    calls: list[str] = []
    original = Worker.run

    def flaky_run(self: Worker) -> None:
        calls.append("run")
        if len(calls) == 1:
            raise OperationalError("database table is locked")
        self.running = False  # the second run ends at once, as after stop()
        original(self)

    monkeypatch.setattr(Worker, "run", flaky_run)
    worker = BackgroundWorker(interval=0.05)
    worker.run_tasks()  # returns only after a run that ended normally
    assert calls == ["run", "run"]
