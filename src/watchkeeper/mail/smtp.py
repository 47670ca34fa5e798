"""The inbound SMTP server behind `watchkeeper smtpd` (aiosmtpd): accepts mail for the support
addresses and hands each message to mail.actions.ingest_email, which stores it before anything else."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import close_old_connections
from django.template.defaultfilters import filesizeformat

from watchkeeper.mail.actions import ingest_email

logger = logging.getLogger(__name__)


def accepted_recipient(address: str) -> bool:
    """Mail for the support addresses, or anyone at the support address's domain."""
    address = address.strip().lower()
    support = settings.DEFAULT_FROM_EMAIL.lower()
    if address == support or address in settings.INBOUND_EMAIL_ADDRESSES:
        return True
    return address.rpartition("@")[2] == support.rpartition("@")[2]


def _ingest(raw: bytes) -> str:
    # A long-running server: drop connections the database closed meanwhile, as a request would.
    close_old_connections()
    try:
        return ingest_email(raw, source="smtp").status
    finally:
        close_old_connections()


class SupportInbox:
    """aiosmtpd handler. Refuses relaying and oversized mail at the SMTP level, so the sending server
    tells its user; everything accepted is stored."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if not accepted_recipient(address):
            return "550 5.7.1 Relaying denied: this server only accepts mail for the support desk"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if len(raw) > settings.INBOUND_EMAIL_MAX_BYTES:
            limit = filesizeformat(settings.INBOUND_EMAIL_MAX_BYTES)
            return f"552 5.3.4 Message too big: the limit is {limit}"
        status = await asyncio.get_running_loop().run_in_executor(None, _ingest, raw)
        logger.info("Inbound email from %s: %s", envelope.mail_from, status)
        return "250 2.0.0 Message accepted"


class _LenientSMTP(SMTP):
    # RFC 5321 caps lines at 1,000 octets, but real mailers (and forwarded HTML) exceed it; refusing
    # such a message would lose a customer's email, so accept lines up to 64 KiB.
    line_length_limit = 64 * 1024


class _SupportController(Controller):
    def factory(self) -> SMTP:
        return _LenientSMTP(self.handler, **self.SMTP_kwargs)


def build_server(host: str, port: int) -> Controller:
    return _SupportController(
        SupportInbox(),
        hostname=host,
        port=port,
        data_size_limit=settings.INBOUND_EMAIL_MAX_BYTES + 64 * 1024,
        decode_data=False,
    )
