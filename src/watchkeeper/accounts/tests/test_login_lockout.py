from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_account_locks_after_repeated_failures_and_says_when_to_retry(client: Client) -> None:
    user = make_user()
    url = reverse("account_login")
    for _ in range(settings.LOGIN_ATTEMPTS_LIMIT):
        response = client.post(url, {"login": user.email, "password": "wrong-password"})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    # Even the right password is refused while the lock holds, with a message that says for how long.
    response = client.post(url, {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    text = response.content.decode()
    assert "Too many failed log-in attempts" in text
    assert f"try again in {settings.LOGIN_ATTEMPTS_TIMEOUT // 60} minutes" in text


def test_lock_is_per_account(client: Client) -> None:
    locked, other = make_user(), make_user()
    for _ in range(settings.LOGIN_ATTEMPTS_LIMIT):
        client.post(reverse("account_login"), {"login": locked.email, "password": "nope-nope"})
    response = client.post(reverse("account_login"), {"login": other.email, "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == other.pk


def test_lock_message_is_translated(client: Client) -> None:
    user = make_user()
    url = reverse("account_login").replace("/en/", "/de/")
    for _ in range(settings.LOGIN_ATTEMPTS_LIMIT + 1):
        response = client.post(url, {"login": user.email, "password": "wrong-password"})
    assert "Too many failed log-in attempts" not in response.content.decode()
