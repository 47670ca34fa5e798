"""Compiled queries load what the ORM loads, compiled inserts store what save() stores, and a database
that cannot return rows from a write is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db.models import signals

from watchkeeper.core.checks import sqlite_returns_rows
from watchkeeper.core.compiled import CompiledInsert, CompiledQuery

pytestmark = pytest.mark.django_db

PERMISSION_BY_CODENAME = CompiledQuery(
    Permission,
    lambda codename: Permission.objects.filter(codename=codename).order_by(),
    str,
    related="content_type",
)
GROUPS_FROM = CompiledQuery(Group, lambda lowest: Group.objects.filter(pk__gte=lowest).order_by("pk"), int)


def test_a_compiled_query_gives_the_instances_the_orm_gives(django_assert_num_queries: Any) -> None:
    expected = Permission.objects.select_related("content_type").get(codename="view_group")
    PERMISSION_BY_CODENAME.first("view_group")  # compiles
    with django_assert_num_queries(1):
        found = PERMISSION_BY_CODENAME.first("view_group")
        assert found is not None
        assert (found.pk, found.name, found.codename) == (expected.pk, expected.name, expected.codename)
        assert found.content_type == expected.content_type  # loaded with it: no second query
        assert found.content_type.model == "group"
    assert not found._state.adding and found._state.db == "default"
    assert PERMISSION_BY_CODENAME.first("no-such-permission") is None


def test_each_call_runs_with_its_own_arguments() -> None:
    groups = [Group.objects.create(name=f"group {n}") for n in range(3)]
    assert [g.name for g in GROUPS_FROM.all(groups[1].pk)] == ["group 1", "group 2"]
    assert [g.name for g in GROUPS_FROM.all(groups[0].pk)] == ["group 0", "group 1", "group 2"]


def test_an_argument_that_is_not_a_parameter_is_refused() -> None:
    # A prefix match sends "value%" (escaped): the stand-in is never found among the parameters as it
    # is, and running the SQL with the bare argument would match exactly instead.
    starting = CompiledQuery(Group, lambda prefix: Group.objects.filter(name__startswith=prefix), str)
    with pytest.raises(ValueError, match="do not reach the SQL"):
        starting.all("group")


def test_a_compiled_insert_saves_like_save_and_sends_the_signals() -> None:
    seen: list[tuple[str, bool]] = []

    def pre(instance: Group, **kwargs: Any) -> None:
        seen.append(("pre", instance._state.adding))

    def post(instance: Group, created: bool, **kwargs: Any) -> None:
        seen.append(("post", created))

    signals.pre_save.connect(pre, sender=Group)
    signals.post_save.connect(post, sender=Group)
    try:
        group = Group(name="compiled")
        CompiledInsert(Group).save(group)
    finally:
        signals.pre_save.disconnect(pre, sender=Group)
        signals.post_save.disconnect(post, sender=Group)
    assert group.pk is not None and not group._state.adding
    assert Group.objects.get(pk=group.pk).name == "compiled"
    assert seen == [("pre", True), ("post", True)]


def test_an_sqlite_without_returning_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sqlite_returns_rows() == []  # this machine's SQLite, or PostgreSQL
    monkeypatch.setattr("watchkeeper.core.checks.sqlite3.sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr("watchkeeper.core.checks.sqlite3.sqlite_version", "3.31.1")
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    (error,) = sqlite_returns_rows()
    assert error.id == "core.E001" and "3.31.1" in error.msg
