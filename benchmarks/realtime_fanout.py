"""Real-time fan-out: a `watchkeeper serve` process holding N WebSocket clients of one group, events
published from this process through Redis, as they are in scale-out.

Prints JSON: delivery latency (publish → received by the client) p50/p95/p99 and the server's CPU time
per delivered message. Usage: python benchmarks/realtime_fanout.py [--sockets 500] [--events 200]
[--rate 100]. Needs Redis on REDIS_URL (default redis://127.0.0.1:6379/0); uses a throwaway SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import websockets
from _setup import cpu_seconds, free_port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0, help="events per second")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="wk-bench-")
    env = {
        **os.environ,
        "WATCHKEEPER_DATA_DIR": data_dir,
        "SECRET_KEY": "benchmark-" + "x" * 40,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "DJANGO_SETTINGS_MODULE": "watchkeeper.settings",
        "RUN_WORKER_IN_PROCESS": "0",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client

    from watchkeeper.accounts.actions import create_user_with_role
    from watchkeeper.accounts.roles import Role
    from watchkeeper.realtime.broker import publish
    from watchkeeper.realtime.events import Notification

    call_command("migrate", verbosity=0)
    user = create_user_with_role("bench@example.test", None, Role.CUSTOMER)
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    group = f"user.{user.pk}"

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "watchkeeper.cli", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start") from None
                time.sleep(0.2)
        result = asyncio.run(run(port, cookie, group, args, server.pid, publish, Notification, transaction))
    finally:
        server.terminate()
        server.wait(timeout=10)
    result["machine"] = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    print(json.dumps(result, indent=2))


async def run(port, cookie, group, args, pid, publish, Notification, transaction):  # type: ignore[no-untyped-def]
    url = f"ws://127.0.0.1:{port}/ws/"
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
    latencies: list[float] = []
    sockets = []
    for _ in range(args.sockets):
        ws = await websockets.connect(url, additional_headers=headers, max_queue=None)
        await ws.send(json.dumps({"type": "subscribe", "group": group}))
        assert json.loads(await ws.recv())["type"] == "subscribed"
        sockets.append(ws)

    async def reader(ws) -> None:  # type: ignore[no-untyped-def]
        for _ in range(args.events):
            message = json.loads(await ws.recv())
            latencies.append(time.time() - float(message["event"]["title"]))

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]

    def publish_one() -> None:
        with transaction.atomic():
            publish(group, Notification(title=repr(time.time())))

    cpu_before = cpu_seconds(pid)
    started = time.monotonic()
    for index in range(args.events):
        await asyncio.to_thread(publish_one)
        await asyncio.sleep(max(0.0, started + (index + 1) / args.rate - time.monotonic()))
    await asyncio.wait_for(asyncio.gather(*readers), timeout=120)
    elapsed = time.monotonic() - started
    cpu_used = cpu_seconds(pid) - cpu_before
    for ws in sockets:
        await ws.close()
    deliveries = len(latencies)
    ordered = sorted(latencies)
    return {
        "benchmark": "realtime_fanout (Redis pub/sub, one server process)",
        "sockets": args.sockets,
        "events": args.events,
        "deliveries": deliveries,
        "target_rate_events_per_s": args.rate,
        "deliveries_per_s": round(deliveries / elapsed),
        "latency_ms_p50": round(statistics.median(ordered) * 1000, 2),
        "latency_ms_p95": round(ordered[int(0.95 * (deliveries - 1))] * 1000, 2),
        "latency_ms_p99": round(ordered[int(0.99 * (deliveries - 1))] * 1000, 2),
        "server_cpu_us_per_delivery": round(cpu_used / deliveries * 1e6, 1),
        "server_cpu_us_per_event": round(cpu_used / args.events * 1e6, 1),
    }


if __name__ == "__main__":
    main()
