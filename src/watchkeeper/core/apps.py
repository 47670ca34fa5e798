from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "watchkeeper.core"
    label = "core"
    verbose_name = "Watchkeeper core"

    def ready(self) -> None:
        # Periodic jobs are declared next to their tasks; importing the modules registers them.
        from django.core import checks
        from django.utils.module_loading import autodiscover_modules

        from watchkeeper.core import audit
        from watchkeeper.core.checks import sqlite_returns_rows
        from watchkeeper.core.registry import NavItem, registry

        checks.register(sqlite_returns_rows)
        autodiscover_modules("tasks")
        registry.add_audit_action(audit.EXPORTED, _("Audit log exported"))
        registry.add_audit_action(audit.PURGED, _("Old audit entries removed"))
        registry.add_audit_action(audit.VERIFICATION_STARTED, _("Audit chain check started"))
        registry.add_console_nav(
            NavItem(_("Audit log"), "audit:log", order=95, permission=audit.VIEW_PERMISSION)
        )
