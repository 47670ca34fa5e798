from __future__ import annotations

from django.contrib import admin

from watchkeeper.mail.models import InboundEmail, SuppressedAddress


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    """Read-only: the record of what arrived and what became of it."""

    list_display = ["received_at", "from_email", "subject", "status", "reason", "ticket"]
    list_filter = ["status", "source"]
    search_fields = ["from_email", "subject", "message_id"]
    readonly_fields = [field.name for field in InboundEmail._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(admin.ModelAdmin):
    """Delete an entry to send to the address again (after the customer fixed their mailbox)."""

    list_display = ["email", "reason", "created_at"]
    search_fields = ["email"]
