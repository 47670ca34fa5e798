from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "watchkeeper.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from allauth.mfa import signals as mfa_signals
        from django.contrib.auth import signals as auth_signals

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
        for code, label in [
            (actions.AUDIT_LOGGED_IN, _("Logged in")),
            (actions.AUDIT_LOGGED_OUT, _("Logged out")),
            (actions.AUDIT_LOGIN_FAILED, _("Log-in failed")),
            (actions.AUDIT_ROLE_CHANGED, _("Role changed")),
            (actions.AUDIT_API_TOKEN_CREATED, _("API key created")),
            (actions.AUDIT_API_TOKEN_REVOKED, _("API key revoked")),
            (actions.AUDIT_SECOND_FACTOR_ADDED, _("Second factor added")),
            (actions.AUDIT_SECOND_FACTOR_REMOVED, _("Second factor removed")),
            (actions.AUDIT_SECOND_FACTOR_RESET, _("Recovery codes regenerated")),
        ]:
            registry.add_audit_action(code, label)
        for signal, receiver in [
            (auth_signals.user_logged_in, actions.audit_logged_in),
            (auth_signals.user_logged_out, actions.audit_logged_out),
            (auth_signals.user_login_failed, actions.audit_login_failed),
            (mfa_signals.authentication_failed, actions.audit_second_factor_failed),
            (mfa_signals.authenticator_added, actions.audit_second_factor_added),
            (mfa_signals.authenticator_removed, actions.audit_second_factor_removed),
            (mfa_signals.authenticator_reset, actions.audit_second_factor_reset),
        ]:
            signal.connect(receiver, dispatch_uid=f"watchkeeper-audit-{receiver.__name__}")
