"""The audit log's hash chain: appends verify; tampering the way someone with database access would
(dropping the append-only triggers first) is found at the right entry; the triggers refuse changes;
the retention purge leaves a chain that still verifies."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from watchkeeper.accounts.models import User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.core import audit
from watchkeeper.core.actions import purge_expired_audit_entries, record_audit
from watchkeeper.core.models import AuditChainHead, AuditEntry
from watchkeeper.core.queries import describe_problem, verify_audit_chain

pytestmark = pytest.mark.django_db

triggers = importlib.import_module("watchkeeper.core.migrations.0002_audit_log")


@pytest.fixture(autouse=True)
def empty_log() -> None:
    """Start every test from an empty log (users made by other fixtures leave role changes)."""
    with transaction.atomic():
        AuditChainHead.objects.update_or_create(pk=AuditChainHead.SINGLETON, defaults={"purging": True})
        AuditEntry.objects.all().delete()
        AuditChainHead.objects.all().delete()


@pytest.fixture
def without_triggers() -> Iterator[None]:
    """What an attacker with database access does first. DDL is transactional on both databases, so
    the test's rollback brings the triggers back."""
    with connection.cursor() as cursor:
        for statement in triggers.statements(connection.vendor, create=False):
            cursor.execute(statement)
    yield


def append_many(count: int, actor: User | None = None) -> list[AuditEntry]:
    entries = []
    for number in range(count):
        entries.append(
            record_audit(
                "accounts.logged_in" if number % 3 else "accounts.role_changed",
                actor=actor if number % 2 else None,
                target=("accounts.user", number),
                details={"n": number, "note": "ünïcode ✓", "nested": {"b": [1, "x", None, True]}},
            )
        )
    return entries


def raw_update(column: str, value: Any, sequence: int) -> None:
    casts = {"details": "::jsonb", "ip_address": "::inet"} if connection.vendor == "postgresql" else {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE core_auditentry SET {column} = %s{casts.get(column, '')} WHERE sequence = %s",
            [value, sequence],
        )


def test_chain_verifies_after_many_appends_read_in_small_batches() -> None:
    actor = make_user(Role.AGENT)
    entries = append_many(250, actor)
    assert [entry.sequence for entry in entries] == list(
        range(entries[0].sequence, entries[0].sequence + 250)
    )
    seen: list[tuple[int, int]] = []
    report = verify_audit_chain(batch_size=7, progress=lambda checked, total: seen.append((checked, total)))
    assert report.ok, report.problem
    assert report.checked == AuditEntry.objects.count()
    assert report.last_sequence == report.head_sequence == entries[-1].sequence
    assert report.head_hash == entries[-1].hash
    assert seen[0] == (0, report.checked) and seen[-1] == (report.checked, report.checked)
    first = AuditEntry.objects.get(sequence=1)
    assert first.prev_hash == audit.GENESIS_HASH
    assert AuditEntry.objects.get(sequence=2).prev_hash == first.hash


def test_an_entry_records_who_what_and_where() -> None:
    actor = make_user(Role.ADMIN, email="Boss@Example.test")
    request = mock.Mock(META={"REMOTE_ADDR": "2001:0db8:0000::0001"}, headers={})
    entry = record_audit(
        "accounts.role_changed", actor=actor, target=actor, details={"x": 1}, request=request
    )
    entry.refresh_from_db()
    assert (entry.actor_id, entry.actor_ref, entry.actor_label) == (actor.pk, actor.pk, "boss@example.test")
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(actor.pk))
    assert entry.ip_address == "2001:db8::1"
    assert verify_audit_chain().ok


def test_unknown_actions_and_unstable_details_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        record_audit("accounts.made_up", actor=None)
    with pytest.raises(TypeError):
        record_audit("accounts.logged_in", actor=None, details={"amount": 0.1})
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("created_at", timezone.now() - timedelta(days=3)),
        ("actor_ref", 999_999),
        ("actor_label", "someone-else@example.test"),
        ("action", "accounts.logged_out"),
        ("target_type", "accounts.apitoken"),
        ("target_id", "777"),
        ("ip_address", "10.9.8.7"),
        ("details", json.dumps({"n": 4, "note": "harmless"})),
        ("key_id", "0123456789abcdef"),
        ("prev_hash", "f" * 64),
        ("hash", "e" * 64),
    ],
)
def test_altering_any_field_of_one_entry_is_found_at_that_entry(
    without_triggers: None, column: str, value: Any
) -> None:
    append_many(9)
    raw_update(column, value, 5)
    report = verify_audit_chain()
    assert not report.ok
    assert report.problem is not None and report.problem.sequence == 5
    assert report.problem.kind in {"altered", "unlinked", "unknown_key"}
    assert report.checked == 4
    assert "#5" in describe_problem(report.problem)


def test_pointing_an_entry_at_another_user_is_found(without_triggers: None) -> None:
    alice, mallory = make_user(email="alice@example.test"), make_user(email="mallory@example.test")
    append_many(6, alice)
    raw_update("actor_id", mallory.pk, 4)
    report = verify_audit_chain()
    assert report.problem is not None and (report.problem.kind, report.problem.sequence) == ("altered", 4)


def test_deleting_an_entry_is_found(without_triggers: None) -> None:
    append_many(10)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE sequence = 6")
    report = verify_audit_chain()
    assert report.problem is not None and (report.problem.kind, report.problem.sequence) == ("missing", 6)


def test_deleting_the_newest_entries_is_found_through_the_head(without_triggers: None) -> None:
    append_many(10)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE sequence >= 9")
    report = verify_audit_chain()
    assert report.problem is not None and (report.problem.kind, report.problem.sequence) == ("missing", 9)


def test_deleting_and_renumbering_is_found(without_triggers: None) -> None:
    append_many(10)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE sequence = 4")
        for sequence in range(5, 11):
            cursor.execute(
                "UPDATE core_auditentry SET sequence = %s WHERE sequence = %s", [sequence - 1, sequence]
            )
        cursor.execute("UPDATE core_auditchainhead SET sequence = 9")
    report = verify_audit_chain()
    assert report.problem is not None and report.problem.sequence == 4


def test_a_forged_entry_is_found_whether_or_not_the_head_was_moved(without_triggers: None) -> None:
    entries = append_many(8)
    last = entries[-1]
    forged_fields: dict[str, Any] = {
        "sequence": last.sequence + 1,
        "created_at": timezone.now(),
        "actor_ref": None,
        "actor_label": "",
        "action": "accounts.logged_in",
        "target_type": "",
        "target_id": "",
        "ip_address": None,
        "details": {},
        "prev_hash": last.hash,
    }
    # The forger knows the format and the key id, but not the key.
    wrong_key = audit.AuditKey(audit.audit_keys()[0].key_id, b"guessed")
    forged_hash = audit.entry_hash(wrong_key, **forged_fields)
    AuditEntry.objects.bulk_create([AuditEntry(key_id=wrong_key.key_id, hash=forged_hash, **forged_fields)])
    report = verify_audit_chain()
    assert report.problem is not None and (report.problem.kind, report.problem.sequence) == ("inserted", 9)
    AuditChainHead.objects.update(sequence=9, hash=forged_hash)
    report = verify_audit_chain()
    assert report.problem is not None and (report.problem.kind, report.problem.sequence) == ("altered", 9)


def test_reordering_two_entries_is_found(without_triggers: None) -> None:
    append_many(8)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET sequence = 100 WHERE sequence = 4")
        cursor.execute("UPDATE core_auditentry SET sequence = 4 WHERE sequence = 5")
        cursor.execute("UPDATE core_auditentry SET sequence = 5 WHERE sequence = 100")
    report = verify_audit_chain()
    assert report.problem is not None and report.problem.sequence == 4


def test_the_database_refuses_to_change_or_delete_entries() -> None:
    append_many(3)
    attempts = [
        lambda: AuditEntry.objects.filter(sequence=2).update(action="accounts.logged_out"),
        lambda: AuditEntry.objects.filter(sequence=2).delete(),
        lambda: raw_update("details", json.dumps({}), 2),
        lambda: connection.cursor().execute("DELETE FROM core_auditentry"),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert AuditEntry.objects.count() == 3
    assert verify_audit_chain().ok


def test_deleting_a_user_only_clears_the_link_and_the_chain_still_holds() -> None:
    user = make_user(Role.AGENT, email="leaver@example.test")
    append_many(4, user)
    user.delete()
    assert not AuditEntry.objects.filter(actor__isnull=False).exists()
    assert AuditEntry.objects.filter(actor_label="leaver@example.test").count() >= 2
    assert verify_audit_chain().ok


def append_at(moment: Any, count: int) -> None:
    with mock.patch.object(timezone, "now", return_value=moment):
        append_many(count)


def test_retention_purge_removes_old_entries_and_the_chain_still_verifies(settings: Any) -> None:
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    append_at(now - timedelta(days=400), 25)
    append_at(now - timedelta(days=5), 4)
    assert purge_expired_audit_entries(now, batch_size=10) == 25
    anchors = list(AuditEntry.objects.filter(action=audit.PURGED).order_by("sequence"))
    assert [anchor.details["removed"] for anchor in anchors] == [10, 10, 5]
    assert anchors[-1].details["through_sequence"] == 25
    assert AuditEntry.objects.order_by("sequence").first().sequence == 26
    report = verify_audit_chain()
    assert report.ok, report.problem
    assert report.first_sequence == 26 and report.checked == 4 + 3
    # Nothing more is due; a later purge also removes the old anchors and leaves a new one.
    assert purge_expired_audit_entries(now) == 0
    assert purge_expired_audit_entries(now + timedelta(days=40)) == 7
    assert verify_audit_chain().ok


def test_retention_zero_keeps_everything(settings: Any) -> None:
    settings.AUDIT_RETENTION_DAYS = 0
    append_at(timezone.now() - timedelta(days=4000), 3)
    assert purge_expired_audit_entries() == 0
    assert AuditEntry.objects.count() == 3


def test_after_a_purge_removing_more_or_the_anchor_is_found(settings: Any, without_triggers: None) -> None:
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    append_at(now - timedelta(days=100), 6)
    append_at(now, 3)
    purge_expired_audit_entries(now)
    anchor = AuditEntry.objects.get(action=audit.PURGED)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE sequence = 7")
    report = verify_audit_chain()
    assert report.problem is not None and (report.problem.kind, report.problem.sequence) == ("missing", 7)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE sequence = %s", [anchor.sequence])
    report = verify_audit_chain()
    # Without the anchor the log seems to start at #8 where #1 was expected.
    assert report.problem is not None and report.problem.kind == "missing"


def test_a_replaced_key_still_verifies_old_entries_from_the_fallbacks(settings: Any) -> None:
    settings.AUDIT_KEY = "first audit key"
    append_many(3)
    settings.AUDIT_KEY, settings.AUDIT_KEY_FALLBACKS = "second audit key", ["first audit key"]
    append_many(3)
    assert verify_audit_chain().ok
    settings.AUDIT_KEY_FALLBACKS = []
    report = verify_audit_chain()
    assert report.problem is not None and (report.problem.kind, report.problem.sequence) == ("unknown_key", 1)


def test_audit_verify_command_reports_success_and_the_first_broken_entry(
    settings: Any, without_triggers: None, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SECRET_KEY_FROM_ENV = True
    append_many(12)
    call_command("audit-verify", batch_size=5)
    out = capsys.readouterr().out
    assert out.startswith("OK: 12 entries checked in ")
    assert f"head #12 {AuditEntry.objects.get(sequence=12).hash}" in out
    call_command("audit-verify", json=True)
    assert json.loads(capsys.readouterr().out)["ok"] is True

    raw_update("target_id", "tampered", 7)
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit-verify")
    assert exit_info.value.code == 1
    assert "BROKEN: Entry #7 was altered" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("audit-verify", json=True)
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is False and result["checked"] == 6
    assert result["problem"]["sequence"] == 7 and result["problem"]["kind"] == "altered"


def test_audit_verify_refuses_to_guess_without_the_servers_key(
    settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SECRET_KEY_FROM_ENV, settings.AUDIT_KEY = False, ""
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit-verify")
    assert exit_info.value.code == 2
    assert "Neither AUDIT_KEY nor SECRET_KEY is set" in capsys.readouterr().err
