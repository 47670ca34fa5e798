"""Admin for the configuration agents do not edit in the console: routing, SLA policies, holidays.
Tickets themselves are worked in the console, where every change goes through actions."""

from __future__ import annotations

from django.contrib import admin

from watchkeeper.tickets.models import Holiday, Macro, RoutingRule, SlaPolicy


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "order",
        "is_active",
        "category",
        "language",
        "channel",
        "min_vip_tier",
        "team",
        "auto_assign",
    ]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "team"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "order",
        "is_active",
        "priority",
        "min_vip_tier",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "business_hours",
    ]
    list_editable = ["order", "is_active"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "team"]
    list_filter = ["team"]
    date_hierarchy = "date"


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "set_status", "set_priority", "is_active"]
    list_filter = ["is_active", "team"]
    search_fields = ["name", "body"]
