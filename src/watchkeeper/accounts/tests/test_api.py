from __future__ import annotations

import pytest
from django.test import Client

from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_me_requires_authentication_and_says_so(client: Client) -> None:
    response = client.get("/api/v1/accounts/me")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_me_returns_the_role_and_language(client: Client) -> None:
    user = make_user(Role.EXPERT_AGENT, preferred_language="fr")
    client.force_login(user)
    body = client.get("/api/v1/accounts/me").json()
    assert body["email"] == user.email
    assert body["role"] == "expert_agent"
    assert body["preferred_language"] == "fr"


def test_openapi_schema_is_served(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/accounts/me" in schema["paths"]
