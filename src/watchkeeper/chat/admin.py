"""Read-only admin for chats: they change through the console and the widget (chat.actions), so the
admin is for looking things up, not for editing queue state behind the routing's back."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from watchkeeper.chat.models import ChatOffer, ChatSession, ChatTransfer


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChatOfferInline(admin.TabularInline):
    model = ChatOffer
    extra = 0
    can_delete = False
    readonly_fields = ["agent", "offered_at", "expires_at", "outcome", "resolved_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChatTransferInline(admin.TabularInline):
    model = ChatTransfer
    extra = 0
    can_delete = False
    fk_name = "session"
    readonly_fields = ["by", "from_agent", "from_team", "to_agent", "to_team", "note", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ChatSession)
class ChatSessionAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "ticket",
        "state",
        "team",
        "language",
        "category",
        "vip_tier",
        "agent",
        "started_at",
    ]
    list_filter = ["state", "team", "language"]
    list_select_related = ["ticket", "team", "agent"]
    search_fields = ["ticket__subject", "customer__email"]
    raw_id_fields = ["ticket", "customer", "agent", "offered_to", "account_manager"]
    inlines = [ChatOfferInline, ChatTransferInline]
