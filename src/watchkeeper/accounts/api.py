from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from watchkeeper.accounts.queries import role_of

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    email: str
    name: str
    role: str | None
    preferred_language: str
    time_zone: str


@router.get("/me", response=MeOut, auth=django_auth)
def me(request: HttpRequest) -> MeOut:
    user = request.user
    assert user.pk is not None  # django_auth let only authenticated users through
    role = role_of(user)
    return MeOut(
        id=user.pk,
        email=user.email,
        name=user.name,
        role=role.value if role else None,
        preferred_language=user.preferred_language,
        time_zone=user.time_zone,
    )
