from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from watchkeeper.core.registry import registry


class Command(BaseCommand):
    help = "Load the demo data of every app. Running it again changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, loader in registry.demo_loaders.items():
            self.stdout.write(f"[{name}]")
            for line in loader():
                self.stdout.write(line)
        self.stdout.write(
            self.style.WARNING("Demo accounts have published passwords: never load them on a public server.")
        )
