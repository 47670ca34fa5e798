"""Fixtures shared by the ticket tests: customers, agents in teams, and a private file store per test."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.accounts.models import AgentProfile, Team, User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import enrol_totp, make_user
from watchkeeper.tickets.actions import Upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def private_files(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def customer() -> User:
    return make_user(Role.CUSTOMER, display_name="Alice")


@pytest.fixture
def other_customer() -> User:
    return make_user(Role.CUSTOMER, display_name="Mallory")


@pytest.fixture
def deposits_team() -> Team:
    return Team.objects.create(name="Deposits", slug="deposits")


@pytest.fixture
def agent(deposits_team: Team) -> User:
    user = enrol_totp(make_user(Role.AGENT, display_name="Bob"))
    profile, _created = AgentProfile.objects.get_or_create(user=user)
    profile.teams.add(deposits_team)
    return user


@pytest.fixture
def outside_agent() -> User:
    """An agent of another team."""
    user = enrol_totp(make_user(Role.AGENT, display_name="Carol"))
    team = Team.objects.create(name="Futures", slug="futures")
    profile, _created = AgentProfile.objects.get_or_create(user=user)
    profile.teams.add(team)
    return user


@pytest.fixture
def lead() -> User:
    return enrol_totp(make_user(Role.TEAM_LEAD, display_name="Dana"))


def upload(name: str, data: bytes) -> Upload:
    return Upload(name=name, stream=io.BytesIO(data), size=len(data))
