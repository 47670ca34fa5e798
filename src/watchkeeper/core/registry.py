"""Registries that domain apps fill in from their AppConfig.ready(), so the core never imports them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class PeriodicJob:
    """A task the scheduler enqueues every `interval`; its next run time lives in the database."""

    name: str
    task: Any  # a django_tasks Task; typed loosely because the backport and Django 6 differ
    interval: timedelta


@dataclass(frozen=True)
class NavItem:
    """A link in the customer navigation or the agent console, contributed by an app."""

    label: str | Promise
    url_name: str
    order: int = 100
    permission: str | None = None  # the user must have this permission to see the item


@dataclass(frozen=True)
class AuditAction:
    """A kind of audit-log entry ("accounts.logged_in"): apps register their own, so the core knows none."""

    code: str
    label: str | Promise


@dataclass
class Registry:
    periodic_jobs: dict[str, PeriodicJob] = field(default_factory=dict)
    audit_actions: dict[str, AuditAction] = field(default_factory=dict)
    console_nav: list[NavItem] = field(default_factory=list)
    # name -> loader that creates that app's demo data idempotently and returns lines for the operator
    demo_loaders: dict[str, Callable[[], list[str]]] = field(default_factory=dict)

    def add_periodic_job(self, job: PeriodicJob) -> None:
        self.periodic_jobs[job.name] = job

    def add_audit_action(self, code: str, label: str | Promise) -> None:
        self.audit_actions[code] = AuditAction(code, label)

    def audit_action_label(self, code: str) -> str | Promise:
        """The action's label; an entry left by an app that is no longer installed shows its code."""
        action = self.audit_actions.get(code)
        return action.label if action else code

    def add_demo_loader(self, name: str, loader: Callable[[], list[str]]) -> None:
        self.demo_loaders[name] = loader

    def add_console_nav(self, item: NavItem) -> None:
        if all(existing.url_name != item.url_name for existing in self.console_nav):
            self.console_nav.append(item)
            self.console_nav.sort(key=lambda nav: nav.order)


registry = Registry()


def visible_console_nav(user: Any) -> list[dict[str, Any]]:
    """The console links this user may follow, each as {"item": NavItem, "url": str}."""
    from django.urls import reverse

    return [
        {"item": item, "url": reverse(item.url_name)}
        for item in registry.console_nav
        if not item.permission or user.has_perm(item.permission)
    ]


def periodic(every: timedelta) -> Callable[[Any], Any]:
    """Declare a django-tasks task as periodic: `@periodic(every=timedelta(minutes=1))` above `@task()`."""

    def register(task: Any) -> Any:
        registry.add_periodic_job(PeriodicJob(name=task.module_path, task=task, interval=every))
        return task

    return register
