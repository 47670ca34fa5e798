"""System checks for the exchange connection's settings, shown when a command starts."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exchange_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    url = settings.WATCHKEEPER_EXCHANGE_URL
    if not url:
        return []
    problems: list[checks.CheckMessage] = []
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        problems.append(
            checks.Error(
                "WATCHKEEPER_EXCHANGE_URL is not an http(s) address.",
                hint="For example https://backoffice.example-exchange.com/watchkeeper/v1",
                id="exchange.E001",
            )
        )
    elif parts.scheme == "http" and not _is_loopback(parts.hostname):
        problems.append(
            checks.Warning(
                "WATCHKEEPER_EXCHANGE_URL is plain http:// to another host: customers' account data would"
                " cross the network unencrypted.",
                hint="Use https://, or plain http only to a server on this machine.",
                id="exchange.W001",
            )
        )
    if not settings.EXCHANGE_API_KEY or not settings.EXCHANGE_API_SECRET:
        problems.append(
            checks.Error(
                "WATCHKEEPER_EXCHANGE_URL is set but EXCHANGE_API_KEY or EXCHANGE_API_SECRET is empty:"
                " every request would be refused.",
                hint="The exchange issues the key pair; see docs/exchange-adapter.md.",
                id="exchange.E002",
            )
        )
    return problems
