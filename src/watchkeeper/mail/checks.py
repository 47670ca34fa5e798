"""System checks for the mail settings, shown when a command starts (`watchkeeper check` lists them)."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core import checks


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_imap_only_on_loopback(**kwargs: Any) -> list[checks.CheckMessage]:
    """Plain imap:// sends the mailbox password unencrypted: fine to a server on this host, not beyond."""
    return [
        checks.Warning(
            f"IMAP mailbox {entry['name']} is polled without TLS, so its password crosses the network "
            "in clear text.",
            hint="Use imaps://… or imap://…?starttls=1 for a server on another host.",
            id="mail.W001",
        )
        for entry in settings.IMAP_MAILBOXES
        if entry["security"] == "plain" and not _loopback(str(entry["host"]))
    ]
