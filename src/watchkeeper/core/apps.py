from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "watchkeeper.core"
    label = "core"
    verbose_name = "Watchkeeper core"

    def ready(self) -> None:
        # Periodic jobs are declared next to their tasks; importing the modules registers them.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
