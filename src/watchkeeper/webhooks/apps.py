from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "watchkeeper.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from watchkeeper.core.registry import NavItem, registry
        from watchkeeper.webhooks import queries, tasks  # noqa: F401  (registers the periodic retry)

        registry.add_console_nav(
            NavItem(_("Webhooks"), "webhooks:list", order=90, permission=queries.MANAGE_PERMISSION)
        )
