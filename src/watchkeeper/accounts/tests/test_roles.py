from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from watchkeeper.accounts.queries import is_staff_member, role_of
from watchkeeper.accounts.roles import ROLE_PERMISSIONS, Role
from watchkeeper.accounts.tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group_with_exactly_its_permissions() -> None:
    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        held = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        if perms == ["*"]:
            assert "accounts.use_console" in held and "accounts.delete_user" in held
        else:
            assert held == set(perms)


@pytest.mark.parametrize(
    ("role", "console", "expert", "manage"),
    [
        (Role.CUSTOMER, False, False, False),
        (Role.AGENT, True, False, False),
        (Role.EXPERT_AGENT, True, True, False),
        (Role.TEAM_LEAD, True, True, True),
        (Role.ADMIN, True, True, True),
    ],
)
def test_role_permissions(role: Role, console: bool, expert: bool, manage: bool) -> None:
    user = make_user(role)
    assert role_of(user) == role
    assert user.has_perm("accounts.use_console") is console
    assert user.has_perm("accounts.handle_expert_cases") is expert
    assert user.has_perm("accounts.manage_team") is manage
    assert is_staff_member(user) is (role != Role.CUSTOMER)
    assert user.is_staff is (role == Role.ADMIN)
    assert hasattr(user, "agent_profile") is (role != Role.CUSTOMER)


def test_customer_profile_defaults() -> None:
    profile = make_user(Role.CUSTOMER).customer_profile
    assert profile.vip_tier == 0 and not profile.is_vip
    assert profile.account_manager is None


def test_demo_data_is_idempotent() -> None:
    from watchkeeper.accounts.actions import load_demo_accounts
    from watchkeeper.accounts.models import Team, User

    first = load_demo_accounts()
    counts = (User.objects.count(), Team.objects.count())
    second = load_demo_accounts()
    assert counts == (User.objects.count(), Team.objects.count())
    assert first == second
    assert {role_of(u) for u in User.objects.all()} == set(Role)
    vip = User.objects.get(email="vip@demo.watchkeeper.test")
    assert vip.customer_profile.vip_tier > 0
    assert vip.customer_profile.account_manager is not None
