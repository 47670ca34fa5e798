from __future__ import annotations

import os
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from watchkeeper.core.startup import InsecureStartError, banner, refuse_insecure_start
from watchkeeper.core.worker import BackgroundWorker


class Command(BaseCommand):
    help = "Serve HTTP and WebSockets with uvicorn; runs the background worker in-process unless told not to."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the background worker here (run `watchkeeper worker` separately).",
        )

    def handle(self, *args: Any, host: str, port: int, no_worker: bool, **options: Any) -> None:
        try:
            refuse_insecure_start()
        except InsecureStartError as error:
            raise CommandError(str(error)) from error
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database is not up to date: run `watchkeeper migrate` first.")
        connection.close()

        worker = None
        if settings.RUN_WORKER_IN_PROCESS and not no_worker:
            worker = BackgroundWorker()
            worker.start()
        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(banner(f"http://{shown_host}:{port}"))
        config = uvicorn.Config(
            "watchkeeper.asgi:application",
            host=host,
            port=port,
            lifespan="off",
            proxy_headers=True,
            log_config=None,
            # No permessage-deflate: a chat or notification frame is ~200 bytes of JSON, and the
            # compressor's state is kept per socket: 78 -> 37 KB of memory per idle socket without it
            # (benchmarks/idle_sockets.py), and no deflate pass over every frame sent.
            ws_per_message_deflate=False,
            ws_ping_interval=20,
            ws_ping_timeout=20,
        )
        try:
            uvicorn.Server(config).run()
        finally:
            if worker is not None:
                worker.stop()
