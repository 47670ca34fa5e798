"""The background worker: django-tasks-db's worker loop plus the periodic-job scheduler.

`watchkeeper worker` runs it as its own process for scale-out; `watchkeeper serve` runs it in threads
of the web process for the embedded default.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from watchkeeper.core.actions import enqueue_due_periodic_jobs

logger = logging.getLogger(__name__)

SCHEDULER_TICK_SECONDS = 5.0


class BackgroundWorker:
    """Runs the task worker and the scheduler until stop() is called."""

    def __init__(self, *, interval: float = 0.5, queue_names: list[str] | None = None) -> None:
        self.stopping = threading.Event()
        self.task_worker = Worker(
            queue_names=queue_names or ["*"],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        self.threads: list[threading.Thread] = []

    def run_scheduler(self) -> None:
        while not self.stopping.is_set():
            try:
                close_old_connections()
                enqueue_due_periodic_jobs()
            except Exception:
                # A database hiccup must not kill the scheduler; the next tick tries again.
                logger.exception("Periodic-job scheduler tick failed")
            finally:
                close_old_connections()
            self.stopping.wait(SCHEDULER_TICK_SECONDS)

    def run_tasks(self) -> None:
        """django-tasks-db's loop, restarted if it dies: it takes its database lock outside its own
        error handling, so a locked database (another writer, a long periodic job) ended the thread
        and with it every later task, silently."""
        while not self.stopping.is_set():
            try:
                self.task_worker.run()
                return  # stop() was called
            except Exception:
                logger.exception("Task worker stopped by an error; restarting it")
            finally:
                close_old_connections()
            self.stopping.wait(1.0)

    def start(self) -> None:
        for target, name in ((self.run_tasks, "task-worker"), (self.run_scheduler, "scheduler")):
            thread = threading.Thread(target=target, name=f"watchkeeper-{name}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.task_worker.running = False
        for thread in self.threads:
            thread.join(timeout)

    def join(self) -> None:
        for thread in self.threads:
            thread.join()
