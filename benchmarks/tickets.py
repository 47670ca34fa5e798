"""Agent inbox and ticket page latency with 100,000 tickets, query counts per page, and inbound-email
throughput.

Builds its own throw-away database (a SQLite file by default; PostgreSQL when DATABASE_URL is set,
in a database of its own named after it with a _bench_tickets suffix), fills it with tickets on every
channel, three to twelve messages each, then times real requests through Django's test client (middleware,
session, templates and all) as a team agent and as a team lead:

- the inbox with each view (open, mine, unassigned, my teams, VIP, about to breach, everything) and
  filters (status, priority, category, channel, search) and sorts, on the first and later pages;
- ticket pages of random tickets.

It also counts the SQL queries of an inbox page and of ticket pages with few and many messages: the
counts must not grow with the page. Finally it ingests every message under ../shared/data/emails
through mail.actions.ingest_email (stored, threaded, tickets opened) and reports messages per second.

Usage: python benchmarks/tickets.py [--tickets 100000] [--requests 400]
Prints JSON: {"tickets", "messages", "db", "build_s", "inbox_p50_ms", "inbox_p99_ms", "ticket_p50_ms",
"ticket_p99_ms", "inbox_queries", "ticket_queries", "ingest_messages", "ingest_messages_per_s"}.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _setup import percentile, postgres_admin

ROOT = Path(__file__).resolve().parent.parent
EMAILS = ROOT.parent / "shared" / "data" / "emails"


def start_django(data_dir: str | None = None) -> str:
    """Settings on a throw-away database; `data_dir` (and DATABASE_URL as it is) reuse the builder's."""
    sys.path.insert(0, str(ROOT / "src"))
    measuring = data_dir is not None
    if data_dir is None:
        data_dir = tempfile.mkdtemp(prefix="wk-bench-tickets-")
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ.update(
        {
            "WATCHKEEPER_DATA_DIR": data_dir,
            "SECRET_KEY": "benchmark-" + "x" * 40,
            "DJANGO_SETTINGS_MODULE": "watchkeeper.settings",
            "RUN_WORKER_IN_PROCESS": "0",
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "dummy://",
        }
    )
    os.environ.pop("REDIS_URL", None)
    url = os.environ.get("DATABASE_URL", "")
    if url and not measuring:
        url = _own_postgres_database(url)
        os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ALLOWED_HOSTS = ["*"]
    # Tasks (email delivery) run at once, as the in-process worker would, with a dummy mail backend.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    call_command("migrate", verbosity=0)
    return connection.vendor


def _own_postgres_database(url: str) -> str:
    import dj_database_url

    name = f"{dj_database_url.parse(url)['NAME']}_bench_tickets"
    with postgres_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


def build(count: int, source: random.Random) -> tuple[int, list[int], object, object]:
    """People, teams, rules and `count` tickets with their messages, written in bulk."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from watchkeeper.accounts.actions import assign_role
    from watchkeeper.accounts.models import AgentProfile, CustomerProfile, Team, User
    from watchkeeper.accounts.roles import Role
    from watchkeeper.tickets.categories import CATEGORIES
    from watchkeeper.tickets.models import Channel, Message, Priority, Status, Tag, Ticket
    from watchkeeper.tickets.rendering import render_message

    teams = [Team.objects.create(name=f"Team {n}", slug=f"team-{n}") for n in range(6)]
    password = make_password("benchmark-password-1")
    agents = []
    for number in range(24):
        agent = User.objects.create(
            email=f"agent{number}@bench.example", password=password, display_name=f"Agent {number}"
        )
        assign_role(agent, Role.TEAM_LEAD if number == 0 else Role.AGENT)
        TOTP.activate(agent, generate_totp_secret())  # the console requires a second factor
        profile, _created = AgentProfile.objects.get_or_create(user=agent)
        profile.presence = "online"
        profile.save()
        profile.teams.add(teams[number % len(teams)])
        agents.append(agent)
    customers = User.objects.bulk_create(
        [
            User(email=f"customer{n}@bench.example", password="!", display_name=f"Customer {n}")
            for n in range(5000)
        ],
        batch_size=1000,
    )
    CustomerProfile.objects.bulk_create(
        [
            CustomerProfile(user=customer, vip_tier=3 if n % 40 == 0 else 0)
            for n, customer in enumerate(customers)
        ],
        batch_size=1000,
    )
    tags = [Tag.objects.create(name=name) for name in ("chain-delay", "kyc-review", "refund", "phishing")]
    statuses = [
        Status.NEW,
        Status.OPEN,
        Status.OPEN,
        Status.PENDING,
        Status.ON_HOLD,
        Status.SOLVED,
        Status.CLOSED,
        Status.CLOSED,
    ]
    categories = list(CATEGORIES)
    now = timezone.now()
    message_total = 0
    rendered: dict[str, str] = {}
    batch = 5000
    for start in range(0, count, batch):
        with transaction.atomic():
            tickets = []
            for number in range(start, min(start + batch, count)):
                created = now - timedelta(minutes=source.randint(1, 60 * 24 * 365))
                status = source.choice(statuses)
                team = source.choice(teams) if source.random() < 0.9 else None
                due = created + timedelta(hours=source.choice([1, 4, 24]))
                tickets.append(
                    Ticket(
                        subject=f"Case {number}: "
                        + source.choice(
                            [
                                "deposit not credited",
                                "withdrawal pending",
                                "2FA reset",
                                "KYC rejected",
                                "liquidation",
                            ]
                        ),
                        channel=source.choice(Channel.values),
                        status=status,
                        priority=source.choice(Priority.values),
                        category=source.choice(categories),
                        language=source.choice(["en", "zh-hans", "ru", "es", "ja", "de"]),
                        requester=source.choice(customers),
                        team=team,
                        assignee=source.choice(agents) if team and source.random() < 0.8 else None,
                        first_response_due=due if status in {Status.NEW, Status.OPEN} else None,
                        sla_due=due if status in {Status.NEW, Status.OPEN} else None,
                    )
                )
            Ticket.objects.bulk_create(tickets, batch_size=1000)
            # bulk_create cannot set auto_now fields to the past; spread the update times as real ones are.
            messages = []
            for ticket in tickets:
                topic = ticket.subject.partition(": ")[2]
                for index in range(source.choice([3, 3, 4, 6, 12])):
                    body = f"Message {index} about the **{topic}**.\n\nTxID 0x{'ab' * 32}"
                    if body not in rendered:  # as actions.add_message stores it
                        rendered[body] = render_message(body)
                    messages.append(
                        Message(
                            ticket=ticket,
                            kind=Message.Kind.NOTE if index % 5 == 4 else Message.Kind.PUBLIC,
                            author=ticket.requester if index % 2 == 0 else source.choice(agents),
                            from_staff=index % 2 == 1,
                            body=body,
                            body_html=rendered[body],
                        )
                    )
            Message.objects.bulk_create(messages, batch_size=2000)
            message_total += len(messages)
            Ticket.tags.through.objects.bulk_create(
                [
                    Ticket.tags.through(ticket_id=ticket.pk, tag_id=source.choice(tags).pk)
                    for ticket in tickets
                    if source.random() < 0.2
                ],
                batch_size=2000,
            )
    return message_total, [ticket.pk for ticket in Ticket.objects.only("pk")], agents[1], agents[0]


def logged_in_client(user: object) -> object:
    from django.test import Client

    client = Client()
    client.force_login(user)  # type: ignore[arg-type]  # agents have enrolled TOTP, as the console requires
    return client


INBOX_QUERIES = [
    "",
    "?view=mine",
    "?view=unassigned",
    "?view=teams",
    "?view=vip",
    "?view=breaching&sort=due",
    "?view=all&status=pending",
    "?view=open&priority=4&sort=priority",
    "?view=open&category=deposit",
    "?view=all&channel=email&sort=oldest",
    "?view=open&tag=refund",
    "?view=open&q=WK-000123",
    "?view=open&page=3",
    "?view=all&page=40",
]


def timed_get(client: object, url: str) -> float:
    begin = time.perf_counter()
    response = client.get(url)  # type: ignore[attr-defined]
    elapsed = (time.perf_counter() - begin) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return elapsed


def count_queries(client: object, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)  # type: ignore[attr-defined]
    return len(captured.captured_queries)


def ingest_corpus() -> tuple[int, float]:
    from watchkeeper.mail.actions import ingest_email
    from watchkeeper.mail.parsing import iter_message_files

    files = list(iter_message_files([EMAILS]))
    raws = [path.read_bytes() for path in files]
    begin = time.perf_counter()
    for raw in raws:
        ingest_email(raw, source="file")
    return len(raws), time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400, help="timed requests per page kind")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--measure", metavar="DATA_DIR", help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args)))
        return
    vendor = start_django()
    source = random.Random(args.seed)

    started = time.perf_counter()
    message_total, _ticket_ids, _agent, _lead = build(args.tickets, source)
    from django.db import connection

    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            # Write out the bulk load now: otherwise the checkpointer flushes a gigabyte of dirty pages
            # while the pages are timed, which a server that was not just filled does not go through.
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    build_seconds = time.perf_counter() - started
    # Pages are timed in a process of their own, as a server's would be: not in the heap that just
    # built 100,000 tickets (the same code measured 20 ms at p50 that way against 29 ms here).
    from django.conf import settings

    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            str(settings.DATA_DIR),
            "--requests",
            str(args.requests),
            "--seed",
            str(args.seed),
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", "")},
    )
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        json.dumps(
            {
                "tickets": args.tickets,
                "messages": message_total,
                "db": vendor,
                "build_s": round(build_seconds, 1),
                **figures,
            }
        )
    )


def measure(args: argparse.Namespace) -> dict[str, object]:
    """Time the pages and count their queries, then ingest the email corpus (the child process)."""
    start_django(args.measure)
    source = random.Random(args.seed + 1)
    from django.urls import reverse

    from watchkeeper.accounts.models import User
    from watchkeeper.tickets.models import Ticket

    ticket_ids = list(Ticket.objects.values_list("pk", flat=True))
    agent = User.objects.get(email="agent1@bench.example")
    lead = User.objects.get(email="agent0@bench.example")
    clients = [logged_in_client(agent), logged_in_client(lead)]
    inbox = reverse("inbox:list")
    for client in clients:  # warm caches (templates, permissions) as a running server has them
        timed_get(client, inbox)
    inbox_times = [
        timed_get(clients[number % 2], inbox + INBOX_QUERIES[number % len(INBOX_QUERIES)])
        for number in range(args.requests)
    ]
    ticket_times = [
        timed_get(clients[1], reverse("inbox:ticket", args=[source.choice(ticket_ids)]))
        for _ in range(args.requests)
    ]

    from django.db.models import Count

    by_size = Ticket.objects.annotate(size=Count("messages")).order_by("size")
    smallest, largest = by_size.first(), by_size.last()
    assert smallest is not None and largest is not None
    ticket_queries = {
        f"{ticket.size}_messages": count_queries(clients[1], reverse("inbox:ticket", args=[ticket.pk]))
        for ticket in (smallest, largest)
    }
    inbox_queries = {
        "page_1": count_queries(clients[0], inbox + "?view=all"),
        "page_40": count_queries(clients[0], inbox + "?view=all&page=40"),
    }
    ingested, seconds = ingest_corpus() if EMAILS.is_dir() else (0, 0.0)
    return {
        "inbox_p50_ms": round(statistics.median(inbox_times), 1),
        "inbox_p99_ms": round(percentile(inbox_times, 0.99), 1),
        "ticket_p50_ms": round(statistics.median(ticket_times), 1),
        "ticket_p99_ms": round(percentile(ticket_times, 0.99), 1),
        "inbox_queries": inbox_queries,
        "ticket_queries": ticket_queries,
        "ingest_messages": ingested,
        "ingest_messages_per_s": round(ingested / seconds, 1) if seconds else None,
    }


if __name__ == "__main__":
    main()
