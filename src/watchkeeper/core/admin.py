from __future__ import annotations

from django.contrib import admin

from watchkeeper.core.models import PeriodicJobState


@admin.register(PeriodicJobState)
class PeriodicJobStateAdmin(admin.ModelAdmin):
    list_display = ["name", "interval_seconds", "next_run_at", "last_enqueued_at", "run_count"]
    readonly_fields = ["name", "last_enqueued_at", "run_count"]
