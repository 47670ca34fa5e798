"""The account API, and how every API endpoint authenticates: a personal API token
(`Authorization: Bearer wk_…`) or the browser session (which needs the CSRF token on writes)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer, django_auth

from watchkeeper.accounts import actions
from watchkeeper.accounts.queries import api_token_for_key, has_second_factor, is_staff_member, role_of


class ApiTokenAuth(HttpBearer):
    """A personal API token. Staff tokens work only while the owner keeps a second factor enrolled,
    as the console requires: the token must not outlive the protection the key was made under."""

    openapi_description = "A personal API token from the account page: `Authorization: Bearer wk_…`."

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        found = api_token_for_key(token)
        if found is None:
            return None
        user = found.user
        if is_staff_member(user) and not has_second_factor(user):
            return None
        actions.record_api_token_use(found)
        request.user = user
        return user


# Every endpoint that needs a user accepts either.
api_auth = [ApiTokenAuth(), django_auth]

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    email: str
    name: str
    role: str | None
    preferred_language: str
    time_zone: str


@router.get("/me", response=MeOut, auth=api_auth)
def me(request: HttpRequest) -> MeOut:
    user = request.user
    assert user.pk is not None  # the auth let only authenticated users through
    role = role_of(user)
    return MeOut(
        id=user.pk,
        email=user.email,
        name=user.name,
        role=role.value if role else None,
        preferred_language=user.preferred_language,
        time_zone=user.time_zone,
    )
