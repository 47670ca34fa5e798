"""The demo ledger in the admin, so a demo can show a frozen account, a held withdrawal or a network in
maintenance without a real exchange."""

from __future__ import annotations

from django.contrib import admin

from watchkeeper.exchange.models import DemoAccount, DemoNetwork, DemoTransfer


@admin.register(DemoAccount)
class DemoAccountAdmin(admin.ModelAdmin):
    list_display = ["uid", "kyc_level", "vip_tier", "restricted", "frozen_at", "registered_at"]
    search_fields = ["uid"]


@admin.register(DemoTransfer)
class DemoTransferAdmin(admin.ModelAdmin):
    list_display = ["reference", "account", "direction", "coin", "chain", "amount", "state", "created_at"]
    list_filter = ["direction", "state", "coin"]
    search_fields = ["reference", "account__uid", "txid"]
    raw_id_fields = ["account"]


@admin.register(DemoNetwork)
class DemoNetworkAdmin(admin.ModelAdmin):
    list_display = [
        "coin",
        "chain",
        "deposits_enabled",
        "withdrawals_enabled",
        "congested",
        "maintenance_until",
    ]
