"""The audit log page in the console: who may open it, its filters and pages, the CSV export (itself
logged) and the "Verify chain" button."""

from __future__ import annotations

import csv
import importlib
import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from watchkeeper.accounts.models import User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import enrol_totp, make_user
from watchkeeper.core import audit
from watchkeeper.core.actions import record_audit
from watchkeeper.core.models import AuditChainHead, AuditEntry, AuditVerification

pytestmark = pytest.mark.django_db

triggers = importlib.import_module("watchkeeper.core.migrations.0002_audit_log")

PAGES = [
    ("get", "audit:log"),
    ("post", "audit:export"),
    ("post", "audit:verify"),
    ("get", "audit:verification"),
]


@pytest.fixture
def admin() -> User:
    return enrol_totp(make_user(Role.ADMIN, email="admin@example.test"))


@pytest.fixture
def admin_client(client: Client, admin: User) -> Client:
    client.force_login(admin)
    return client


def erase_log() -> None:
    with transaction.atomic():
        AuditChainHead.objects.update_or_create(pk=AuditChainHead.SINGLETON, defaults={"purging": True})
        AuditEntry.objects.all().delete()
        AuditChainHead.objects.all().delete()


def read_csv(response: Any) -> list[dict[str, str]]:
    """The export streams from an async iterator, as uvicorn serves it."""

    async def collect() -> bytes:
        return b"".join([part async for part in response])

    body = async_to_sync(collect)().decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize(("method", "url_name"), PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client: Client, method: str, url_name: str) -> None:
    response = getattr(client, method)(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "role", [Role.CUSTOMER, Role.AGENT, Role.EXPERT_AGENT, Role.TEAM_LEAD, Role.CONTENT_REVIEWER]
)
@pytest.mark.parametrize(("method", "url_name"), PAGES)
def test_every_role_but_admin_is_refused(client: Client, role: Role, method: str, url_name: str) -> None:
    user = make_user(role)
    if role != Role.CUSTOMER:
        enrol_totp(user)  # otherwise staff are sent to enrolment before the permission is checked
    client.force_login(user)
    before = AuditEntry.objects.count()
    assert getattr(client, method)(reverse(url_name)).status_code == 403
    # Refused requests neither export nor start a check.
    assert AuditEntry.objects.count() == before
    assert not AuditVerification.objects.exists()


@pytest.mark.parametrize(("method", "url_name"), PAGES)
def test_admins_may_use_every_audit_page(
    admin_client: Client, method: str, url_name: str, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(admin_client, method)(reverse(url_name))
    assert response.status_code == (302 if url_name == "audit:verify" else 200)


def test_an_admin_without_a_second_factor_is_sent_to_enrolment(client: Client) -> None:
    client.force_login(make_user(Role.ADMIN))
    response = client.get(reverse("audit:log"))
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_activate_totp"))


def test_the_console_navigation_shows_the_log_to_admins_only(client: Client, admin: User) -> None:
    lead = enrol_totp(make_user(Role.TEAM_LEAD))
    client.force_login(lead)
    assert reverse("audit:log") not in client.get(reverse("console:home")).content.decode()
    client.force_login(admin)
    page = client.get(reverse("console:home")).content.decode()
    assert f'href="{reverse("audit:log")}"' in page


def test_the_log_lists_newest_first_with_labels_fifty_a_page(admin_client: Client, admin: User) -> None:
    for number in range(120):
        record_audit("accounts.role_changed", actor=admin, target=("accounts.user", number))
    total = AuditEntry.objects.count()
    first = admin_client.get(reverse("audit:log"))
    assert first.status_code == 200
    rows = first.context["rows"]
    assert len(rows) == 50
    assert rows[0]["entry"].sequence == total and rows[-1]["entry"].sequence == total - 49
    assert str(rows[0]["label"]) == "Role changed"
    assert 'rel="next"' in first.content.decode() and 'rel="prev"' not in first.content.decode()
    last = admin_client.get(reverse("audit:log"), {"page": 3})
    assert len(last.context["rows"]) == total - 100
    assert 'rel="next"' not in last.content.decode()


def test_filters_by_action_actor_target_and_dates(admin_client: Client, admin: User) -> None:
    other = make_user(Role.AGENT, email="other@example.test")
    old = timezone.now() - timedelta(days=10)
    with mock.patch.object(timezone, "now", return_value=old):
        record_audit("accounts.api_token_created", actor=other, target=("accounts.apitoken", 5))
    record_audit("accounts.api_token_revoked", actor=admin, target=("accounts.apitoken", 5))
    record_audit("accounts.api_token_revoked", actor=other, target=("accounts.apitoken", 6))

    def listed(**filters: str) -> list[str]:
        response = admin_client.get(reverse("audit:log"), filters)
        return [f"{row['entry'].action}/{row['entry'].actor_label}" for row in response.context["rows"]]

    assert listed(action="accounts.api_token_revoked") == [
        "accounts.api_token_revoked/other@example.test",
        "accounts.api_token_revoked/admin@example.test",
    ]
    assert listed(action="accounts.api_token_revoked", actor="OTHER@example.test") == [
        "accounts.api_token_revoked/other@example.test"
    ]
    assert listed(target="accounts.apitoken:5") == [
        "accounts.api_token_revoked/admin@example.test",
        "accounts.api_token_created/other@example.test",
    ]
    assert len(listed(target="6")) == 1
    day = old.date()
    assert listed(date_from=str(day), date_to=str(day)) == ["accounts.api_token_created/other@example.test"]
    assert "accounts.api_token_created/other@example.test" not in listed(
        date_from=str(day + timedelta(days=1))
    )
    response = admin_client.get(reverse("audit:log"), {"actor": "nobody@example.test"})
    assert "No entries match these filters." in response.content.decode()


def test_an_empty_log_says_so(admin_client: Client) -> None:
    erase_log()
    response = admin_client.get(reverse("audit:log"))
    assert "The audit log is empty." in response.content.decode()


def test_export_streams_the_filtered_entries_and_is_itself_logged(admin_client: Client, admin: User) -> None:
    stranger = '=HYPERLINK("http://evil.example")@x.test'
    record_audit("accounts.login_failed", actor=None, details={"email": stranger, "reason": "password"})
    record_audit("accounts.role_changed", actor=admin, target=admin)
    response = admin_client.post(reverse("audit:export"), {"action": "accounts.login_failed"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    rows = read_csv(response)
    assert [row["action"] for row in rows] == ["accounts.login_failed"]
    assert rows[0]["action_label"] == "Log-in failed"
    assert json.loads(rows[0]["details"])["email"] == stranger
    export = AuditEntry.objects.get(action=audit.EXPORTED)
    assert export.actor == admin and export.actor_label == "admin@example.test"
    assert export.details == {"filters": {"action": "accounts.login_failed"}, "rows": 1}
    assert export.ip_address == "127.0.0.1"


def test_exported_cells_that_look_like_formulas_are_defused(admin_client: Client) -> None:
    record_audit("accounts.role_changed", actor=None, target=("=cmd|' /C calc'!A0", "+1"))
    rows = read_csv(admin_client.post(reverse("audit:export"), {"action": "accounts.role_changed"}))
    assert rows[0]["target_type"] == "'=cmd|' /C calc'!A0" and rows[0]["target_id"] == "'+1"


def test_verify_button_checks_the_chain_and_shows_the_result(
    admin_client: Client, django_capture_on_commit_callbacks: Callable[..., Any], settings: Any
) -> None:
    for number in range(30):
        record_audit("accounts.logged_in", actor=None, details={"n": number})
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(reverse("audit:verify")).status_code == 302
    response = admin_client.get(reverse("audit:log"))
    verification = AuditVerification.objects.get()
    assert verification.finished_at is not None and verification.report["ok"] is True
    assert verification.checked == verification.total == AuditEntry.objects.count()
    assert "The chain is intact" in response.content.decode()
    assert AuditEntry.objects.filter(
        action=audit.VERIFICATION_STARTED, target_id=str(verification.pk)
    ).exists()

    with connection.cursor() as cursor:
        for statement in triggers.statements(connection.vendor, create=False):
            cursor.execute(statement)
        cursor.execute("UPDATE core_auditentry SET action = 'accounts.logged_out' WHERE sequence = 12")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("audit:verify"))
    status = admin_client.get(reverse("audit:verification"), headers={"HX-Request": "true"})
    text = status.content.decode()
    assert "The chain is broken." in text and "Entry #12 was altered" in text
    assert "hx-trigger" not in text  # finished: the page stops asking


def test_a_running_check_is_shown_with_progress_and_polled(admin_client: Client, admin: User) -> None:
    AuditVerification.objects.create(
        requested_by=admin, requested_at=timezone.now(), started_at=timezone.now(), checked=5000, total=20000
    )
    text = admin_client.get(reverse("audit:verification")).content.decode()
    assert "Checking… 5000 of 20000 entries." in text
    assert 'hx-trigger="every 2s"' in text
    assert f'action="{reverse("audit:verify")}"' not in text  # no second check while one runs
    # A second click does not queue a second check either.
    admin_client.post(reverse("audit:verify"))
    assert AuditVerification.objects.count() == 1
