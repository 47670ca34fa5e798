"""`watchkeeper smtpd [--host 127.0.0.1] [--port 2525]`: receive support mail over SMTP.

Point the MX (or a relay such as Postfix) at it. Each message is stored raw and ingested into
tickets; mail for other domains is refused, so it is no open relay.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from watchkeeper.mail.smtp import build_server


class Command(BaseCommand):
    help = "Receive support email over SMTP and turn it into tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args: Any, **options: Any) -> None:
        server = build_server(options["host"], options["port"])
        server.start()
        self.stdout.write(f"Receiving support mail on {options['host']}:{options['port']}")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        try:
            stop.wait()
        finally:
            server.stop()
