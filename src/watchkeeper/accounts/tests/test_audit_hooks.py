"""What the accounts app writes to the audit log: log-ins (never a password), log-outs, role changes,
API keys and second-factor changes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts import actions
from watchkeeper.accounts.models import ApiToken
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import PASSWORD, enrol_totp, make_user, totp_code
from watchkeeper.core.models import AuditEntry
from watchkeeper.core.queries import verify_audit_chain

pytestmark = pytest.mark.django_db


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


def whole_log() -> str:
    return json.dumps(list(AuditEntry.objects.values()), default=str)


def test_a_successful_log_in_is_logged_with_the_address(client: Client) -> None:
    user = make_user(email="dana@example.test")
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    [entry] = entries(actions.AUDIT_LOGGED_IN)
    assert (entry.actor, entry.actor_label, entry.ip_address) == (user, "dana@example.test", "127.0.0.1")
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(user.pk))
    assert PASSWORD not in whole_log()
    client.post(reverse("account_logout"))
    [logout] = entries(actions.AUDIT_LOGGED_OUT)
    assert logout.actor == user
    assert verify_audit_chain().ok


def test_a_failed_log_in_keeps_the_address_typed_and_never_the_password(client: Client) -> None:
    user = make_user(email="dana@example.test")
    attempted = "Tr0ub4dor&3-guess"
    client.post(reverse("account_login"), {"login": "DANA@example.test", "password": attempted})
    [entry] = entries(actions.AUDIT_LOGIN_FAILED)
    assert entry.actor is None and entry.actor_label == ""
    assert entry.details == {"email": "dana@example.test", "reason": "password"}
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(user.pk))
    assert entry.ip_address == "127.0.0.1"
    assert attempted not in whole_log()


def test_a_password_typed_into_the_address_field_is_not_kept(client: Client) -> None:
    secret = "my-real-password-2024"
    # The log-in form refuses what is not an address before it tries; other callers of authenticate()
    # (the Django admin's form, an integration) may not.
    client.post(reverse("account_login"), {"login": secret, "password": "x"})
    assert not entries(actions.AUDIT_LOGIN_FAILED)
    assert authenticate(email=secret, password="x") is None
    client.post(reverse("account_login"), {"login": "nobody@example.test", "password": secret})
    failures = entries(actions.AUDIT_LOGIN_FAILED)
    assert [entry.details["email"] for entry in failures] == ["", "nobody@example.test"]
    assert failures[1].target_type == ""  # no such account
    assert secret not in whole_log()


def test_role_changes_are_logged_with_who_made_them_but_sign_ups_are_not() -> None:
    admin = make_user(Role.ADMIN)
    customer = make_user(Role.CUSTOMER, email="c@example.test")
    assert not entries(actions.AUDIT_ROLE_CHANGED)[1:]  # only the admin's own creation
    actions.assign_role(customer, Role.AGENT, actor=admin)
    actions.assign_role(customer, Role.AGENT, actor=admin)  # no change, no entry
    changes = entries(actions.AUDIT_ROLE_CHANGED)
    assert changes[0].actor is None and changes[0].details["after"] == ["admin"]
    assert len(changes) == 2
    change = changes[1]
    assert change.actor == admin and change.target_id == str(customer.pk)
    assert change.details == {"email": "c@example.test", "before": ["customer"], "after": ["agent"]}


def test_role_changes_in_the_django_admin_are_logged(client: Client) -> None:
    admin = enrol_totp(make_user(Role.ADMIN))
    agent = make_user(Role.AGENT)
    client.force_login(admin)
    data = {
        "email": agent.email,
        "display_name": agent.display_name,
        "preferred_language": agent.preferred_language,
        "time_zone": agent.time_zone,
        "is_active": "on",
        "is_superuser": "on",  # and the agent group is taken away
        "date_joined_0": agent.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": agent.date_joined.strftime("%H:%M:%S"),
    }
    response = client.post(reverse("admin:accounts_user_change", args=[agent.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = entries(actions.AUDIT_ROLE_CHANGED)[-1]
    assert change.actor == admin and change.target_id == str(agent.pk)
    assert change.details["before"] == ["agent"] and change.details["after"] == ["superuser"]


def test_api_keys_made_and_revoked_are_logged_without_the_key(client: Client) -> None:
    user = make_user()
    client.force_login(user)
    page = client.post(reverse("api_tokens"), {"name": "Trading bot", "expires_in_days": 30})
    key = re.search(r"wk_[A-Za-z0-9_-]{20,}", page.content.decode())
    assert key is not None
    token = ApiToken.objects.get(user=user)
    [created] = entries(actions.AUDIT_API_TOKEN_CREATED)
    assert created.actor == user and created.target_id == str(token.pk)
    assert created.details == {"name": "Trading bot", "prefix": token.prefix, "expires_in_days": 30}
    client.post(reverse("revoke_api_token", args=[token.pk]))
    [revoked] = entries(actions.AUDIT_API_TOKEN_REVOKED)
    assert revoked.actor == user and revoked.details["owner"] == user.email
    assert key.group(0) not in whole_log()
    assert token.key_hash not in whole_log()


def test_enrolling_a_second_factor_and_a_wrong_code_are_logged(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    agent = make_user(Role.AGENT)
    client.post(reverse("account_login"), {"login": agent.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r"secret=([A-Z2-7]+)", page) or re.search(
        r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page
    )
    assert secret
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after its commit
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret.group(1))})
    assert response.status_code == 302
    added = entries(actions.AUDIT_SECOND_FACTOR_ADDED)
    assert {entry.details["type"] for entry in added} >= {"totp"}
    assert all(entry.actor == agent for entry in added)

    client.logout()
    client.post(reverse("account_login"), {"login": agent.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    failure = entries(actions.AUDIT_LOGIN_FAILED)[-1]
    assert failure.details == {"email": agent.email, "reason": "second_factor", "type": "totp"}
    assert failure.actor is None and failure.target_id == str(agent.pk)
    assert verify_audit_chain().ok
