"""`watchkeeper audit-verify [--json] [--batch-size N]`

Checks the audit log's hash chain from its start (or from the retention purge's anchor) to its head,
in batches so that memory stays flat for any number of entries. Prints the entries checked, the time
taken and the head (number and hash: keep a copy elsewhere to notice the newest entries being removed
later), or the first broken entry; exits with status 1 when the chain is broken, 2 when it cannot be
checked with this process's key.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.core import audit
from watchkeeper.core.queries import VERIFY_BATCH, describe_problem, verify_audit_chain


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exit status 1 if an entry was altered, removed or inserted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
        parser.add_argument("--batch-size", type=int, default=VERIFY_BATCH, help="entries read per query")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        if audit.key_is_throwaway():
            # With a key made up for this process every entry would look altered: say why instead.
            message = (
                "Neither AUDIT_KEY nor SECRET_KEY is set: set the one the server uses, "
                "or every entry will look altered."
            )
            if options["json"]:
                self.stdout.write(json.dumps({"ok": False, "error": message}))
            else:
                self.stderr.write(message)
            raise SystemExit(2)
        report = verify_audit_chain(batch_size=options["batch_size"])
        result = report.as_dict()
        if report.problem is not None:
            result["problem"]["message"] = describe_problem(report.problem)
        if options["json"]:
            self.stdout.write(json.dumps(result))
        elif report.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"OK: {report.checked} entries checked in {report.seconds:.2f} s; "
                    f"head #{report.head_sequence} {report.head_hash}"
                )
            )
        else:
            self.stdout.write(
                self.style.ERROR(f"BROKEN: {result['problem']['message']}")
                + (f" ({report.problem.detail})" if report.problem and report.problem.detail else "")
            )
            self.stdout.write(f"{report.checked} entries checked in {report.seconds:.2f} s before it.")
        if not report.ok:
            raise SystemExit(1)
