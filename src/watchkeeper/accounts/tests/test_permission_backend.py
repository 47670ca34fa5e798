from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from watchkeeper.accounts.backends import PermissionBackend
from watchkeeper.accounts.models import User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cache yet


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.AGENT, Role.TEAM_LEAD, Role.ADMIN])
def test_the_same_permissions_as_django_reads_in_one_query(
    role: Role, django_assert_num_queries: Any
) -> None:
    user = make_user(role)
    # A permission of the user's own besides the role's.
    user.user_permissions.add(Permission.objects.get(codename="view_permission"))
    expected = ModelBackend().get_all_permissions(_fresh(user))
    assert expected  # every role holds some permission here
    fresh = _fresh(user)
    with django_assert_num_queries(1):
        assert PermissionBackend().get_all_permissions(fresh) == expected
        assert fresh.has_perm("auth.view_permission")


def test_inactive_users_have_none_and_superusers_all() -> None:
    user = make_user(Role.AGENT)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert PermissionBackend().get_all_permissions(_fresh(user)) == set()
    User.objects.filter(pk=user.pk).update(is_active=True, is_superuser=True)
    assert len(PermissionBackend().get_all_permissions(_fresh(user))) == Permission.objects.count()


def test_roles_permissions_and_second_factor_come_from_one_query(django_assert_num_queries: Any) -> None:
    from allauth.mfa.utils import is_mfa_enabled

    from watchkeeper.accounts.queries import has_second_factor, is_staff_member, roles_of
    from watchkeeper.accounts.tests.factories import enrol_totp

    agent = make_user(Role.AGENT)
    fresh = _fresh(agent)
    with django_assert_num_queries(1):
        assert roles_of(fresh) == {Role.AGENT} and is_staff_member(fresh)
        assert not has_second_factor(fresh)
        assert fresh.has_perm("accounts.use_console")
    enrol_totp(agent)
    fresh = _fresh(agent)
    assert has_second_factor(fresh) and is_mfa_enabled(fresh)
    customer = _fresh(make_user(Role.CUSTOMER))
    assert roles_of(customer) == {Role.CUSTOMER} and not is_staff_member(customer)
    assert not customer.has_perm("accounts.use_console")
