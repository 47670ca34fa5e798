"""API keys: made on the account page and shown once, stored only as a hash, revocable."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.models import ApiToken
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import enrol_totp, make_user

pytestmark = pytest.mark.django_db


def test_a_key_is_shown_once_works_and_stops_working_when_revoked() -> None:
    user = make_user(Role.CUSTOMER)
    client = Client()
    client.force_login(user)
    assert "You have no API keys." in client.get(reverse("api_tokens")).content.decode()
    response = client.post(reverse("api_tokens"), {"name": "trading bot", "expires_in_days": "30"})
    page = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    key = re.search(r'<code class="secret-key">(wk_[\w-]+)</code>', page)
    assert key is not None
    token = ApiToken.objects.get()
    assert key.group(1) not in token.key_hash and token.key_hash == ApiToken.hash_key(key.group(1))
    assert token.expires_at is not None
    # Shown once: the next visit lists the key by its prefix only.
    again = client.get(reverse("api_tokens")).content.decode()
    assert key.group(1) not in again and token.prefix in again

    api = Client()
    me = api.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key.group(1)}")
    assert me.status_code == 200 and me.json()["email"] == user.email
    assert ApiToken.objects.get().last_used_at is not None

    client.post(reverse("revoke_api_token", args=[token.pk]))
    assert api.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {key.group(1)}").status_code == 401


def test_nobody_revokes_another_users_key_and_staff_need_a_second_factor() -> None:
    owner, stranger = make_user(Role.CUSTOMER), make_user(Role.CUSTOMER)
    client = Client()
    client.force_login(owner)
    client.post(reverse("api_tokens"), {"name": "mine", "expires_in_days": "0"})
    token = ApiToken.objects.get()
    client.force_login(stranger)
    assert client.post(reverse("revoke_api_token", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get().revoked_at is None

    agent = make_user(Role.AGENT)
    client.force_login(agent)
    page = client.post(reverse("api_tokens"), {"name": "x", "expires_in_days": "30"}).content.decode()
    assert "need two-factor authentication" in page
    assert not ApiToken.objects.filter(user=agent).exists()
    enrol_totp(agent)
    client.post(reverse("api_tokens"), {"name": "x", "expires_in_days": "30"})
    assert ApiToken.objects.filter(user=agent).count() == 1
