"""`watchkeeper redact [--json]` — redact secrets from each line of standard input.

Prints one line per input line, in order: the redacted text, or with --json the object
{"kinds": [...], "text": "<redacted text>"}. The JSON interface is stable: other checks parse it.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from watchkeeper.security.redaction import redact


class Command(BaseCommand):
    help = "Redact recovery phrases, private keys, one-time codes, passwords and card numbers from stdin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help='print {"kinds": [...], "text": ...} per line'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Bytes that are not UTF-8 become U+FFFD instead of stopping the stream halfway.
        lines = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline="")
        for line in lines:
            result = redact(line.rstrip("\r\n"))
            if options["json"]:
                output = json.dumps({"kinds": list(result.kinds), "text": result.text}, ensure_ascii=False)
            else:
                output = result.text
            self.stdout.write(output)
            # A caller piping one line at a time waits for each answer.
            self.stdout.flush()
