from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "watchkeeper.chat"
    label = "chat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        from django.core import checks

        from watchkeeper.chat.checks import identity_secrets_are_long, widget_origins_are_origins
        from watchkeeper.core.registry import NavItem, registry
        from watchkeeper.tickets.queries import WORK_PERMISSION

        checks.register(identity_secrets_are_long)
        checks.register(widget_origins_are_origins)
        registry.add_console_nav(
            NavItem(_("Chats"), "chatconsole:chats", order=15, permission=WORK_PERMISSION)
        )
