from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "watchkeeper.mail"
    label = "mail"
    verbose_name = _("Email")

    def ready(self) -> None:
        from watchkeeper.core.registry import NavItem, registry

        registry.add_console_nav(
            NavItem(_("Held emails"), "mail:held", order=21, permission="tickets.work_tickets")
        )
