from __future__ import annotations

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "watchkeeper.realtime"
    label = "realtime"
    verbose_name = "Real time"
