"""Audit-log appenders racing on PostgreSQL: the chain head's row lock makes them take turns, so the
chain never forks and no number is used twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from watchkeeper.core.actions import record_audit
from watchkeeper.core.models import AuditEntry
from watchkeeper.core.queries import verify_audit_chain

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

THREADS = 8
APPENDS_PER_THREAD = 40


def test_concurrent_appenders_keep_one_unbroken_chain() -> None:
    assert connection.vendor == "postgresql"
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            start.wait()
            for number in range(APPENDS_PER_THREAD):
                # Some appends inside a longer transaction, as an action that logs what it did.
                with transaction.atomic():
                    record_audit("accounts.logged_in", actor=None, details={"worker": worker, "n": number})
                    if number % 4 == 0:
                        record_audit("accounts.logged_out", actor=None, details={"worker": worker})
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(worker,)) for worker in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    expected = THREADS * (APPENDS_PER_THREAD + APPENDS_PER_THREAD // 4)
    sequences = list(AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, expected + 1))
    report = verify_audit_chain(batch_size=50)
    assert report.ok, report.problem
    assert report.checked == expected
