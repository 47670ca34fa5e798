"""`watchkeeper ingest-mail [--dry-run] FILE_OR_DIRECTORY...`

Parses raw messages (.eml files, extension-less files that start like a message, or directories of
them, searched recursively) without touching the database and prints one JSON line per file:
{"file", "ok", "error", "subject", "from_email", "from_name", "to", "cc", "content_type", "body_chars",
"attachments": [{"filename", "content_type", "size"}], "is_auto_reply", "thread_key"}.
"error" is null, the parser's defects joined with "; ", or why the file could not be read.
The interface is stable: other checks parse it.

Without --dry-run each message is stored and ingested as if it had arrived by SMTP (a ticket, a reply
on one, held or ignored), and one JSON line per file says what became of it:
{"file", "status", "ticket", "reason"}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.mail.parsing import iter_message_files, parse_message


def dry_run_report(path: Path) -> dict[str, Any]:
    """The JSON record for one file; a file that cannot be read is a record too, not a crash."""
    report: dict[str, Any] = {
        "file": str(path),
        "ok": False,
        "error": None,
        "subject": "",
        "from_email": "",
        "from_name": "",
        "to": [],
        "cc": [],
        "content_type": "",
        "body_chars": 0,
        "attachments": [],
        "is_auto_reply": False,
        "thread_key": "",
    }
    try:
        raw = path.read_bytes()
    except OSError as error:
        report["error"] = f"{type(error).__name__}: {error}"
        return report
    parsed = parse_message(raw)
    report.update(
        ok=parsed.ok,
        error="; ".join(parsed.defects) or None,
        subject=parsed.subject,
        from_email=parsed.from_email,
        from_name=parsed.from_name,
        to=parsed.to,
        cc=parsed.cc,
        content_type=parsed.content_type,
        body_chars=len(parsed.text),
        attachments=[
            {"filename": item.filename, "content_type": item.content_type, "size": len(item.data)}
            for item in parsed.attachments
        ],
        is_auto_reply=parsed.is_auto_reply,
        thread_key=parsed.thread_key,
    )
    return report


class Command(BaseCommand):
    help = "Parse raw email files; with --dry-run print what would be ingested as JSON lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="message files or directories of them")
        parser.add_argument("--dry-run", action="store_true", help="parse and report only; nothing is stored")

    def handle(self, *args: Any, **options: Any) -> None:
        paths = list(iter_message_files(options["paths"]))
        if not paths:
            raise CommandError("No message files found in the paths given.")
        for path in paths:
            if options["dry_run"]:
                self.stdout.write(json.dumps(dry_run_report(path)))
                continue
            from watchkeeper.mail.actions import ingest_email

            try:
                raw = path.read_bytes()
            except OSError as error:
                self.stdout.write(
                    json.dumps(
                        {"file": str(path), "status": "unreadable", "ticket": None, "reason": str(error)}
                    )
                )
                continue
            result = ingest_email(raw, source="file")
            ticket = f"WK-{result.ticket_id:06d}" if result.ticket_id else None
            self.stdout.write(
                json.dumps(
                    {"file": str(path), "status": result.status, "ticket": ticket, "reason": result.reason}
                )
            )
