from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "watchkeeper.mail"
    label = "mail"
    verbose_name = _("Email")

    def ready(self) -> None:
        from django.core import checks

        from watchkeeper.core.registry import NavItem, registry
        from watchkeeper.mail.checks import plain_imap_only_on_loopback

        checks.register(plain_imap_only_on_loopback)

        registry.add_console_nav(
            NavItem(_("Held emails"), "mail:held", order=21, permission="tickets.work_tickets")
        )
