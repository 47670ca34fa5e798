"""Fixtures shared by the help-center tests: a section to file articles in, a writer and a reviewer.

Both editors have a second factor, as the console and the editor API require of staff."""

from __future__ import annotations

import pytest

from watchkeeper.accounts.models import User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import enrol_totp, make_user
from watchkeeper.helpcenter.models import Category, Section


@pytest.fixture
def section() -> Section:
    category = Category.objects.create(
        slug="deposits", names={"en": "Deposits", "de": "Einzahlungen", "zh-hans": "充值"}
    )
    return Section.objects.create(category=category, slug="crypto", names={"en": "Crypto deposits"})


@pytest.fixture
def writer() -> User:
    return enrol_totp(make_user(Role.AGENT))


@pytest.fixture
def reviewer() -> User:
    return enrol_totp(make_user(Role.CONTENT_REVIEWER))
