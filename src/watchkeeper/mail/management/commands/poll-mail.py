"""`watchkeeper poll-mail [--once] [--interval SECONDS]`: fetch support mail from the IMAP mailboxes in
IMAP_MAILBOXES and turn it into tickets, as the worker does every minute.

Prints one line per mailbox and poll:
"<user> on <host>:<port>/<folder>: N ingested, N skipped, N failed", followed by what was too large, how
many messages wait for the next poll, or the error. With --once it polls once and exits with status 1 when
a mailbox could not be polled (for cron jobs and monitoring); without it, it polls until stopped.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections


class Command(BaseCommand):
    help = "Fetch support email from the IMAP mailboxes in IMAP_MAILBOXES and turn it into tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="poll each mailbox once, then exit")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between polls (default 60)")

    def handle(self, *args: Any, **options: Any) -> None:
        from watchkeeper.mail.imap import poll_mailboxes

        if not settings.IMAP_MAILBOXES:
            raise CommandError("IMAP_MAILBOXES is not set: there is no mailbox to poll.")
        if options["once"]:
            results = poll_mailboxes()
            for result in results:
                self.stdout.write(result.summary())
            failed = sum(not result.ok for result in results)
            if failed:
                raise CommandError(f"{failed} of {len(results)} mailbox(es) could not be polled")
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.is_set():
            close_old_connections()  # a long-running loop: drop connections the database closed meanwhile
            for result in poll_mailboxes():
                self.stdout.write(result.summary())
            stop.wait(options["interval"])
