from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "watchkeeper.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from watchkeeper.accounts import actions, queries
        from watchkeeper.core.registry import NavItem, registry
        from watchkeeper.realtime.groups import ACTIVITY_HOOKS, GroupKind, register_group_kind

        # Not `sender=self`: the roles hold permissions of apps listed after this one.
        post_migrate.connect(actions.sync_role_groups_after_migrate, dispatch_uid="watchkeeper-role-groups")
        register_group_kind(GroupKind("user", can_join=queries.may_follow_user))
        register_group_kind(GroupKind("agent", can_join=queries.may_follow_agent))
        register_group_kind(GroupKind("queue", can_join=queries.may_follow_queue))
        ACTIVITY_HOOKS.append(actions.record_agent_seen)
        registry.add_demo_loader("accounts", actions.load_demo_accounts)
        registry.add_console_nav(NavItem(_("Inbox"), "console:home", order=10))
