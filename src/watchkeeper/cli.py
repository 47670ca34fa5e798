"""`watchkeeper` — a thin front to Django's management commands.

watchkeeper serve      HTTP + WebSocket server (and, by default, the background worker)
watchkeeper worker     background worker alone, for scale-out
watchkeeper smtpd      receive support email over SMTP (--host, --port)
watchkeeper ingest-mail [--dry-run] FILE...   ingest (or just parse) raw email files
watchkeeper poll-mail [--once]   fetch support email from the IMAP_MAILBOXES mailboxes
watchkeeper demo       load demo data (idempotent)
watchkeeper migrate    create or update the database
watchkeeper createadmin --email you@example.com
watchkeeper audit-verify [--json]   check the audit log's hash chain (exit status 1 if broken)
watchkeeper redact [--json]   remove pasted secrets from each line of standard input
watchkeeper help       every other Django command
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.settings")
    from django.core.management import execute_from_command_line

    argv = sys.argv[1:]
    if not argv or argv[0] in {"-h", "--help"}:
        print((__doc__ or "").strip())
        return
    execute_from_command_line(["watchkeeper", *argv])


if __name__ == "__main__":
    main()
