from __future__ import annotations

from django.contrib import admin

from watchkeeper.webhooks.models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "description", "is_active", "created_at"]
    list_filter = ["is_active"]
    # The secret is shown on the console page, not in the admin's change list or form.
    exclude = ["secret"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "endpoint", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "event_type"]
    readonly_fields = [field.name for field in Delivery._meta.fields]
