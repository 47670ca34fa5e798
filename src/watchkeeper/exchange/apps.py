from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "watchkeeper.exchange"
    label = "exchange"
    verbose_name = _("Exchange")

    def ready(self) -> None:
        from django.core import checks
        from django.core.signals import setting_changed

        from watchkeeper.core.registry import registry
        from watchkeeper.exchange import actions
        from watchkeeper.exchange.adapter import forget_adapter
        from watchkeeper.exchange.checks import exchange_settings

        checks.register(exchange_settings)
        setting_changed.connect(forget_adapter, dispatch_uid="watchkeeper-exchange-adapter")
        registry.add_demo_loader("exchange", actions.load_demo_ledger)
