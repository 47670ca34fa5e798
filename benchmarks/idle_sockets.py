"""How many idle chat sockets one server process holds, and what they cost it in memory.

An exchange's widget keeps a socket open on every page where a customer has the chat open, mostly
silent. This opens --sockets WebSockets on `/ws/chat/` (signed in as --customers customers in turn, as
several tabs of one person would be), each as the widget does when it reconnects to an open chat: it
subscribes to its user group. It then holds them --hold seconds and, with all of them open, measures
a ping's round trip on a sample of them: the server must still answer promptly. The server is one
`watchkeeper serve` process on SQLite, as `make run` serves, started by benchmarks/chat_load.py's code.

Usage: python benchmarks/idle_sockets.py --sockets 10000 [--customers 500] [--hold 30]
Prints one JSON line: sockets asked for and open, failures, the server's RSS before and with the sockets
open, KB per socket, server CPU while they sat idle, and the ping round trip (p50/p99) under that load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from typing import Any

import websockets
from _setup import cpu_seconds, percentile
from chat_load import Person, build, raise_fd_limit, rss_mb, server_environment, start_servers, stop_servers

CONNECT_CONCURRENCY = 100
PING_SAMPLE = 200


async def open_socket(url: str, person: Person, limit: asyncio.Semaphore) -> Any:
    origin = "http" + url.removeprefix("ws")
    async with limit:
        for attempt in range(5):
            try:
                socket = await websockets.connect(
                    f"{url}/ws/chat/",
                    additional_headers={"Cookie": person.cookie, "Origin": origin},
                    open_timeout=60,
                    ping_interval=None,  # idle means idle: no keep-alive traffic of our own
                )
                await socket.send(json.dumps({"type": "subscribe", "group": f"user.{person.user_id}"}))
                await socket.recv()  # "subscribed": the server holds the socket's state now
                return socket
            except (OSError, websockets.InvalidHandshake, websockets.ConnectionClosed, TimeoutError):
                await asyncio.sleep(0.5 * (attempt + 1))
    return None


async def ping(socket: Any) -> float:
    started = time.perf_counter()
    await socket.send(json.dumps({"type": "ping"}))
    while True:
        reply = json.loads(await socket.recv())
        if reply.get("type") == "pong":
            return (time.perf_counter() - started) * 1000


async def measure(args: argparse.Namespace, url: str, people: list[Person], pid: int) -> dict[str, Any]:
    rss_before = rss_mb(pid)
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)
    started = time.monotonic()
    opened = await asyncio.gather(
        *(open_socket(url, people[number % len(people)], limit) for number in range(args.sockets))
    )
    connect_seconds = time.monotonic() - started
    sockets = [socket for socket in opened if socket is not None]
    cpu_before = cpu_seconds(pid)
    await asyncio.sleep(args.hold)
    idle_cpu = cpu_seconds(pid) - cpu_before
    rss_open = rss_mb(pid)
    sample = random.Random(7).sample(sockets, min(PING_SAMPLE, len(sockets)))
    round_trips = []
    for socket in sample:  # one after another: the latency of one request among many idle sockets
        round_trips.append(await ping(socket))
    still_open = sum(1 for socket in sockets if socket.state is websockets.protocol.State.OPEN)
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    return {
        "sockets": args.sockets,
        "open": still_open,
        "failed": args.sockets - len(sockets),
        "connect_seconds": round(connect_seconds, 1),
        "server_rss_mb_before": round(rss_before, 1),
        "server_rss_mb_open": round(rss_open, 1),
        "kb_per_socket": round((rss_open - rss_before) * 1024 / max(len(sockets), 1), 1),
        "idle_cpu_percent": round(100 * idle_cpu / args.hold, 1),
        "ping_p50_ms": round(percentile(round_trips, 0.5), 1),
        "ping_p99_ms": round(percentile(round_trips, 0.99), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=500, help="customers the sockets sign in as")
    parser.add_argument("--hold", type=float, default=30, help="seconds the sockets sit idle, all open")
    parser.add_argument("--keep", action="store_true", help="keep the data dir (server log) afterwards")
    args = parser.parse_args()
    args.url, args.database_url, args.redis_url, args.processes = None, None, None, 1
    raise_fd_limit()
    env = server_environment(args)
    os.environ.update(env)
    for name in ("DATABASE_URL", "REDIS_URL"):
        if name not in env:
            os.environ.pop(name, None)
    customers, _agents = build(args.customers, 0, 1)
    servers, urls = start_servers(1, env)
    try:
        result = asyncio.run(measure(args, urls[0], customers, servers[0].pid))
    finally:
        stop_servers(servers)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
