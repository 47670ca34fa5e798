"""Inbound-email parsing throughput: every message of the shared email corpus (~520 real messages from
eight mail projects' test suites, 12 MB, torture tests and nesting bombs included) through the
`ingest-mail --dry-run` path in-process (file read, parse, JSON record), several rounds.

Usage: python benchmarks/mail_ingest.py [--rounds 5] [--emails ../shared/data/emails]
Prints JSON: {"messages", "seconds", "messages_per_s", "failed"} where "messages" counts every parse
over all rounds and "failed" the messages the parser could not understand at all (ok=false).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_EMAILS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "emails"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--emails", type=Path, default=DEFAULT_EMAILS)
    args = parser.parse_args()
    if not args.emails.is_dir():
        parser.error(f"no email corpus at {args.emails}")

    # The dry run needs Django's command machinery but no database.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    os.environ.setdefault("WATCHKEEPER_DATA_DIR", tempfile.mkdtemp(prefix="wk-bench-"))
    os.environ.setdefault("SECRET_KEY", "benchmark-" + "x" * 40)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from watchkeeper.mail.parsing import parse_message

    parse_message(
        b"From: warm@example.com\r\nSubject: up\r\n\r\n\xe4\xf6\r\n"
    )  # lazy imports, detector model

    messages = failed = 0
    started = time.perf_counter()
    for _ in range(args.rounds):
        output = io.StringIO()
        call_command("ingest-mail", "--dry-run", str(args.emails), stdout=output)
        for line in output.getvalue().splitlines():
            messages += 1
            failed += not json.loads(line)["ok"]
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "messages": messages,
                "seconds": round(seconds, 3),
                "messages_per_s": round(messages / seconds, 1),
                "failed": failed,
            }
        )
    )


if __name__ == "__main__":
    main()
