"""Live-chat load: real customers and agents on `/ws/chat/`, the way the widget and the console talk.

Builds its own throw-away database (a SQLite file in a temporary data dir, or a fresh PostgreSQL
database next to --database-url), with one team, a routing rule for the `chat` channel to it, M agents
(online, TOTP enrolled as the console requires, room for their share of the chats) and N customers,
and real Django sessions for all of them. Then, without --url, it starts `watchkeeper serve` on a free
port as `make run` does (worker in process; one process and no Redis by default; with --processes 2,
two processes on the same database behind one Redis, customers and agents split between them).

Each agent opens one socket and follows `agent.<id>`; each customer opens one socket and starts a chat
asking for a person; agents accept every offer they get. Once every chat is active the measured window
starts: customers send R/2 messages per second in total (default: one each every 20 s), and each
customer message is answered by its agent as soon as the agent's socket sees it, so R messages per
second in all.

Matching: the other side never sees the sender's text or client_id — a `ticket.message` event carries
the message id only — so latency is measured from the send to the arrival of the `ticket.message`
event that announces the message at the other side's socket (what a client needs to show it), and the
sender's ack gives the message id that joins the two. lost = acknowledged, never announced to the other
side; duplicated = announced there more than once. Server CPU is utime+stime of the server process(es)
from /proc over the window (plus the drain that waits for the last deliveries), per message sent in it.

Usage: python benchmarks/chat_load.py --customers 50 --agents 5 --duration 20 [--rate R]
       [--processes 1|2] [--database-url postgres://...] [--redis-url redis://127.0.0.1:6379/13]
       [--url ws://host:port --server-pid PID]
With --url it builds its users in the database the environment names (DATABASE_URL or
WATCHKEEPER_DATA_DIR, and the same SECRET_KEY as that server) and measures the server's CPU and memory
only when --server-pid is given. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import json
import math
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from _setup import cpu_seconds, free_port, percentile, postgres_admin
from websockets.asyncio.client import ClientConnection

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "benchmark-" + "x" * 40
CONNECT_CONCURRENCY = 50
START_CONCURRENCY = 20
SETUP_TIMEOUT_SECONDS = 300
DRAIN_MAX_SECONDS = 180.0
DRAIN_QUIET_SECONDS = 10.0


# ---------------------------------------------------------------- helpers


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def raise_fd_limit() -> None:
    """Every socket is a file descriptor, here and (inherited) in the servers."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---------------------------------------------------------------- database and users


def _own_postgres_database(url: str, *, create: bool = True) -> str:
    """A fresh <name>_bench_chat database on the server of `url` (or, with create=False, drop it)."""
    import dj_database_url

    name = f"{dj_database_url.parse(url)['NAME']}_bench_chat"
    with postgres_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            admin.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


def server_environment(args: argparse.Namespace) -> dict[str, str]:
    """The environment of the servers and of this process's Django (the same database and key)."""
    env = dict(os.environ)
    if args.url:
        env.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.settings")
        return env
    data_dir = tempfile.mkdtemp(prefix="wk-bench-chat-")
    if not args.keep:
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    env.update(
        {
            "WATCHKEEPER_DATA_DIR": data_dir,
            "SECRET_KEY": SECRET_KEY,
            "DJANGO_SETTINGS_MODULE": "watchkeeper.settings",
            "RUN_WORKER_IN_PROCESS": "1",  # as `make run` serves
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "dummy://",
            "DEBUG": "0",
        }
    )
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = _own_postgres_database(args.database_url)
    if args.processes > 1 or args.redis_url:
        env["REDIS_URL"] = args.redis_url or "redis://127.0.0.1:6379/13"
    return env


@dataclass(frozen=True)
class Person:
    user_id: int
    cookie: str


def build(customers: int, agents: int, chats_per_agent: int) -> tuple[list[Person], list[Person]]:
    """Migrate, then one team with a chat routing rule, online agents with TOTP, customers, sessions."""
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connections, transaction
    from django.utils import timezone

    from watchkeeper.accounts.actions import assign_role
    from watchkeeper.accounts.models import AgentProfile, CustomerProfile, Team, User
    from watchkeeper.accounts.roles import Role
    from watchkeeper.tickets.models import Channel, RoutingRule

    call_command("migrate", verbosity=0)
    run = f"{time.time_ns():x}"  # --url reuses a database: keep this run's people apart
    backend = settings.AUTHENTICATION_BACKENDS[0]

    def cookie_for(user: Any) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    with transaction.atomic():
        team = Team.objects.create(name=f"Chat bench {run}", slug=f"chat-bench-{run}")
        # First of all rules: every chat goes to the benchmark's team.
        RoutingRule.objects.create(
            name=f"Chat bench {run}", order=0, channel=Channel.CHAT, team=team, auto_assign=False
        )
        now = timezone.now()
        agent_people = []
        for number in range(agents):
            agent = User.objects.create_user(
                f"agent{number}.{run}@chat-bench.example", None, display_name=f"Agent {number}"
            )
            assign_role(agent, Role.AGENT)
            TOTP.activate(agent, generate_totp_secret())  # agents must have a second factor
            AgentProfile.objects.filter(user=agent).update(
                presence="online",
                presence_changed_at=now,
                last_seen_at=now,
                max_concurrent_chats=chats_per_agent,
            )
            AgentProfile.objects.get(user=agent).teams.add(team)
            agent_people.append(Person(agent.pk, cookie_for(agent)))
        users = User.objects.bulk_create(
            [
                User(
                    email=f"customer{n}.{run}@chat-bench.example",
                    password="!",
                    display_name=f"Customer {n}",
                    preferred_language="en",
                )
                for n in range(customers)
            ],
            batch_size=500,
        )
        CustomerProfile.objects.bulk_create([CustomerProfile(user=user) for user in users], batch_size=500)
        group = Group.objects.get(name=Role.CUSTOMER.value)
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=user.pk, group_id=group.pk) for user in users], batch_size=500
        )
        customer_people = [Person(user.pk, cookie_for(user)) for user in users]
    connections.close_all()
    return customer_people, agent_people


# ---------------------------------------------------------------- servers


def start_servers(
    count: int, env: dict[str, str], ports: list[int] | None = None
) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    """`ports` restarts servers where clients expect them (tests/test_chat_restart.py); a restarted
    server's log goes on after the killed one's."""
    servers, urls = [], []
    log_dir = Path(env["WATCHKEEPER_DATA_DIR"])
    for number in range(count):
        port = ports[number] if ports else free_port()
        log = (log_dir / f"server{number}.log").open("ab")
        servers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "watchkeeper.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        )
        urls.append(f"ws://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    for server, url in zip(servers, urls, strict=True):
        port = int(url.rsplit(":", 1)[1])
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    stop_servers(servers)
                    raise SystemExit(f"server on {url} did not start; see {log_dir}/server*.log") from None
                time.sleep(0.2)
    return servers, urls


def stop_servers(servers: list[subprocess.Popen[bytes]]) -> None:
    for server in servers:
        if server.poll() is None:
            server.terminate()
    for server in servers:
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


# ---------------------------------------------------------------- the load


@dataclass
class Tally:
    """What both sides saw, in this process's clock (time.perf_counter)."""

    measuring: bool = False
    sent: dict[str, float] = field(default_factory=dict)  # client_id -> sent at, measured window only
    acked: dict[int, str] = field(default_factory=dict)  # message id -> client_id
    received: dict[int, list[float]] = field(default_factory=dict)  # message id -> at the other side
    errors: dict[str, int] = field(default_factory=dict)
    accepted: set[int] = field(default_factory=set)  # chat session ids an agent holds
    started: dict[int, int] = field(default_factory=dict)  # customer user id -> chat session id
    connect_failures: int = 0

    def error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    def receipt(self, event: dict[str, Any], *, from_staff: bool) -> None:
        if event.get("type") == "ticket.message" and event.get("from_staff") is from_staff:
            self.received.setdefault(int(event["message_id"]), []).append(time.perf_counter())


class Side:
    """One socket: reads everything, keeps the tally, answers what its role answers."""

    def __init__(self, ws: ClientConnection, tally: Tally, person: Person) -> None:
        self.ws = ws
        self.tally = tally
        self.person = person
        self.counter = 0

    def client_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.person.user_id}-{self.counter}"

    async def send_message(self, session_id: int, text: str, prefix: str) -> None:
        client_id = self.client_id(prefix)
        if self.tally.measuring:
            self.tally.sent[client_id] = time.perf_counter()
        await self.ws.send(
            json.dumps({"type": "message", "session_id": session_id, "text": text, "client_id": client_id})
        )

    async def read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                self.handle(json.loads(raw))

    def handle(self, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "ack":
            if data.get("client_id") in self.tally.sent:
                self.tally.acked[int(data["message_id"])] = data["client_id"]
        elif kind == "error":
            self.tally.error(str(data.get("code")))
            print(f"error on {self.person.user_id}: {data}", file=sys.stderr)


class AgentSide(Side):
    def __init__(self, ws: ClientConnection, tally: Tally, person: Person) -> None:
        super().__init__(ws, tally, person)
        self.session_of_ticket: dict[int, int] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def handle(self, data: dict[str, Any]) -> None:
        super().handle(data)
        kind = data.get("type")
        if kind == "event":
            event = data["event"]
            if event.get("type") == "chat.offer":
                self.session_of_ticket[int(event["ticket_id"])] = int(event["session_id"])
                self.spawn(self.ws.send(json.dumps({"type": "accept", "session_id": event["session_id"]})))
            elif event.get("type") == "ticket.message" and event.get("from_staff") is False:
                self.tally.receipt(event, from_staff=False)
                session_id = self.session_of_ticket.get(int(event["ticket_id"]))
                if self.tally.measuring and session_id is not None and event.get("kind") == "public":
                    self.spawn(self.send_message(session_id, "Checking that for you now.", "a"))
        elif kind == "done" and data.get("command") == "accept":
            self.tally.accepted.add(int(data["session_id"]))


class CustomerSide(Side):
    def __init__(self, ws: ClientConnection, tally: Tally, person: Person) -> None:
        super().__init__(ws, tally, person)
        self.start_id = f"s-{person.user_id}"
        self.started = asyncio.Event()

    def handle(self, data: dict[str, Any]) -> None:
        super().handle(data)
        kind = data.get("type")
        if kind == "ack" and data.get("client_id") == self.start_id:
            self.tally.started[self.person.user_id] = int(data["session_id"])
            self.started.set()
        elif kind == "error" and data.get("command") == "start_chat":
            self.started.set()  # counted as an error; the chat is not measured
        elif kind == "event":
            self.tally.receipt(data["event"], from_staff=True)

    async def start_chat(self) -> None:
        await self.ws.send(
            json.dumps(
                {
                    "type": "start_chat",
                    "text": "I want to talk to a person about my withdrawal.",
                    "client_id": self.start_id,
                    "language": "en",
                    "want_human": True,
                }
            )
        )


async def connect(
    url: str, person: Person, limit: asyncio.Semaphore, tally: Tally
) -> ClientConnection | None:
    origin = "http" + url.removeprefix("ws")
    async with limit:
        for attempt in range(5):
            try:
                return await websockets.connect(
                    f"{url}/ws/chat/",
                    additional_headers={"Cookie": person.cookie, "Origin": origin},
                    max_queue=None,
                    open_timeout=30,
                )
            except (OSError, websockets.InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.5 * (attempt + 1))
    tally.connect_failures += 1
    return None


async def load(
    args: argparse.Namespace,
    urls: list[str],
    customers: list[Person],
    agents: list[Person],
    pids: list[int],
) -> dict[str, Any]:
    tally = Tally()
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)
    readers: list[asyncio.Task[None]] = []

    # Agents first, following their own group, so offers reach them.
    agent_sides: list[AgentSide] = []
    agent_ws = await asyncio.gather(
        *(connect(urls[n % len(urls)], person, limit, tally) for n, person in enumerate(agents))
    )
    for person, ws in zip(agents, agent_ws, strict=True):
        if ws is None:
            continue
        await ws.send(json.dumps({"type": "subscribe", "group": f"agent.{person.user_id}"}))
        reply = json.loads(await ws.recv())
        if reply.get("type") != "subscribed":
            raise SystemExit(f"agent {person.user_id} could not follow its group: {reply}")
        agent_side = AgentSide(ws, tally, person)
        agent_sides.append(agent_side)
        readers.append(asyncio.create_task(agent_side.read()))

    customer_ws = await asyncio.gather(
        *(connect(urls[n % len(urls)], person, limit, tally) for n, person in enumerate(customers))
    )
    customer_sides: list[CustomerSide] = []
    for person, ws in zip(customers, customer_ws, strict=True):
        if ws is None:
            continue
        side = CustomerSide(ws, tally, person)
        customer_sides.append(side)
        readers.append(asyncio.create_task(side.read()))
    print(
        f"connected {len(agent_sides)} agents, {len(customer_sides)} customers; starting chats",
        file=sys.stderr,
    )

    starting = asyncio.Semaphore(START_CONCURRENCY)

    async def start(side: CustomerSide) -> None:
        async with starting:
            await side.start_chat()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(side.started.wait(), 60)

    setup_began = time.perf_counter()
    await asyncio.gather(*(start(side) for side in customer_sides))
    deadline = time.monotonic() + SETUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if all(session in tally.accepted for session in tally.started.values()):
            break
        await asyncio.sleep(0.2)
    active = [side for side in customer_sides if tally.started.get(side.person.user_id, -1) in tally.accepted]
    setup_seconds = time.perf_counter() - setup_began
    print(
        f"{len(active)} of {len(customer_sides)} chats active after {setup_seconds:.1f} s; measuring",
        file=sys.stderr,
    )
    errors_before = dict(tally.errors)
    tally.errors.clear()

    # The measured window: customers' messages at R/2 per second in all, each answered by its agent.
    customer_rate = args.rate / 2
    interval = len(active) / customer_rate if customer_rate > 0 and active else math.inf
    cpu_before = sum(cpu_seconds(pid) for pid in pids)
    began = time.perf_counter()
    tally.measuring = True
    source = random.Random(7)

    async def customer(side: CustomerSide) -> None:
        session_id = tally.started[side.person.user_id]
        at = began + source.uniform(0, interval)
        number = 0
        while at < began + args.duration:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            number += 1
            await side.send_message(session_id, f"Any news on my withdrawal? ({number})", "c")
            at += interval

    with contextlib.suppress(websockets.ConnectionClosed):
        await asyncio.gather(*(customer(side) for side in active))
    await asyncio.sleep(max(0.0, began + args.duration - time.perf_counter()))
    tally.measuring = False
    window = time.perf_counter() - began

    # Drain: wait for the last acks and deliveries (no new messages are started now).
    # A backlog keeps draining while anything still arrives; DRAIN_QUIET_SECONDS of silence ends it.
    drain_until = time.monotonic() + DRAIN_MAX_SECONDS
    progress, quiet_since = -1, time.monotonic()
    while time.monotonic() < drain_until:
        delivered = sum(message_id in tally.received for message_id in tally.acked)
        if len(tally.acked) >= len(tally.sent) - sum(tally.errors.values()) and delivered == len(tally.acked):
            break
        if len(tally.acked) + delivered != progress:
            progress, quiet_since = len(tally.acked) + delivered, time.monotonic()
        elif time.monotonic() - quiet_since > DRAIN_QUIET_SECONDS:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)  # late duplicates
    cpu_used = sum(cpu_seconds(pid) for pid in pids) - cpu_before if pids else None
    rss = sum(rss_mb(pid) for pid in pids) if pids else None

    await asyncio.gather(*(ws.close() for ws in [*customer_ws, *agent_ws] if ws is not None))
    for reader in readers:
        reader.cancel()

    sent = len(tally.sent)
    latencies = []
    lost = duplicated = 0
    for message_id, client_id in tally.acked.items():
        seen = tally.received.get(message_id, [])
        if not seen:
            lost += 1
            continue
        if len(seen) > 1:
            duplicated += 1
        latencies.append((seen[0] - tally.sent[client_id]) * 1000)
    return {
        "customers": len(customers),
        "agents": len(agents),
        "messages": sent,
        "delivered": len(latencies),
        "lost": lost,
        "duplicated": duplicated,
        "p50_ms": round(percentile(latencies, 0.5), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "server_rss_mb": round(rss, 1) if rss is not None else None,
        "server_cpu_ms_per_msg": round(cpu_used / sent * 1000, 3) if cpu_used is not None and sent else None,
        # Beyond the fields asked for: what explains a bad line.
        "rate_msg_per_s": round(sent / window, 1),
        "acked": len(tally.acked),
        "errors": tally.errors,
        "setup_errors": errors_before,
        "chats_active": len(active),
        "connect_failures": tally.connect_failures,
        "processes": len(urls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument("--duration", type=float, default=20, help="measured seconds")
    parser.add_argument(
        "--rate", type=float, help="messages per second in all (default: customers / 10: one per 20 s each)"
    )
    parser.add_argument("--url", help="an already running server, e.g. ws://127.0.0.1:8000")
    parser.add_argument("--server-pid", type=int, help="with --url: the server process to measure")
    parser.add_argument("--processes", type=int, choices=[1, 2], default=1)
    parser.add_argument(
        "--database-url", help="PostgreSQL server; a fresh <name>_bench_chat database is used"
    )
    parser.add_argument("--redis-url", help="with --processes 2 (default redis://127.0.0.1:6379/13)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir (server logs) afterwards")
    args = parser.parse_args()
    if args.rate is None:
        args.rate = args.customers / 10
    chats_per_agent = math.ceil(args.customers / max(args.agents, 1))
    if chats_per_agent >= 50:
        # realtime.consumers.MAX_GROUPS_PER_SOCKET: an agent's socket follows its group and each chat.
        raise SystemExit("at most 49 chats per agent (one socket each): add agents")
    raise_fd_limit()
    env = server_environment(args)
    os.environ.update(env)
    for name in ("DATABASE_URL", "REDIS_URL"):
        if name not in env:
            os.environ.pop(name, None)
    customers, agents = build(args.customers, args.agents, chats_per_agent + 2)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        if args.url:
            urls = [args.url.rstrip("/")]
            pids = [args.server_pid] if args.server_pid else []
        else:
            servers, urls = start_servers(args.processes, env)
            pids = [server.pid for server in servers]
        result = asyncio.run(load(args, urls, customers, agents, pids))
    finally:
        stop_servers(servers)
        if args.database_url and not args.url and not args.keep:
            _own_postgres_database(args.database_url, create=False)
        if args.keep:
            print(f"data dir: {env.get('WATCHKEEPER_DATA_DIR')}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
