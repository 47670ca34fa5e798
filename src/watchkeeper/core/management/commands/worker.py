from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from watchkeeper.core.worker import BackgroundWorker


class Command(BaseCommand):
    help = "Run background tasks and the periodic-job scheduler (one process; run several for scale-out)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="*", help="Comma-separated queue names, or * for all.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")

    def handle(self, *args: Any, queues: str, interval: float, **options: Any) -> None:
        worker = BackgroundWorker(interval=interval, queue_names=queues.split(","))
        stopped = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            self.stdout.write(
                f"Received {signal.strsignal(signum)}: finishing the current task, then stopping."
            )
            stopped.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        worker.start()
        self.stdout.write(f"Watchkeeper worker running (queues: {queues}). Ctrl-C to stop.")
        stopped.wait()
        worker.stop(timeout=60)
