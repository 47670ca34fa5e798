from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpCenterConfig(AppConfig):
    name = "watchkeeper.helpcenter"
    label = "helpcenter"
    verbose_name = _("Help center")

    def ready(self) -> None:
        from watchkeeper.core.registry import registry
        from watchkeeper.helpcenter import demo

        registry.add_demo_loader("helpcenter", demo.load_demo_content)
