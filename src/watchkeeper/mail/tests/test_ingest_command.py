"""`watchkeeper ingest-mail --dry-run`: one JSON line per file, no database (these tests carry no
django_db mark, so pytest-django fails any query they would make)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from watchkeeper.mail.parsing import iter_message_files
from watchkeeper.mail.tests.test_parsing import emails_dir

REPORT_KEYS = {
    "file",
    "ok",
    "error",
    "subject",
    "from_email",
    "from_name",
    "to",
    "cc",
    "content_type",
    "body_chars",
    "attachments",
    "is_auto_reply",
    "thread_key",
}


def run_dry(capsys: pytest.CaptureFixture[str], *paths: Path) -> list[dict[str, Any]]:
    call_command("ingest-mail", "--dry-run", *[str(path) for path in paths])
    lines = capsys.readouterr().out.splitlines()
    reports = [json.loads(line) for line in lines]
    for report in reports:
        assert set(report) == REPORT_KEYS
    return reports


def test_dry_run_reports_every_message_in_the_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    root = emails_dir()
    reports = run_dry(capsys, root)
    assert [report["file"] for report in reports] == [str(path) for path in iter_message_files([root])]
    assert len(reports) > 500
    names = {Path(report["file"]).name for report in reports}
    assert not any(name.startswith(("LICENSE", "SOURCE", "COPYING")) for name in names)
    assert not any(name.endswith((".json", ".jsonl", ".txt", ".html")) for name in names)
    assert not names & {"iphone_reply_text", "sparrow_reply_text", "sample_output_multipart"}
    assert "m0001" in names  # php-mime-mail-parser's messages have no extension
    assert all(report["ok"] for report in reports)
    assert all(report["error"] is None or isinstance(report["error"], str) for report in reports)


def test_dry_run_record_of_one_message(capsys: pytest.CaptureFixture[str]) -> None:
    path = emails_dir() / "chatwoot" / "eml" / "auto_reply.eml"
    [report] = run_dry(capsys, path)
    assert report == {
        "file": str(path),
        "ok": True,
        "error": None,
        "subject": "Discussion: Let's debate these attachments",
        "from_email": "sony@chatwoot.com",
        "from_name": "Sony Mathew",
        "to": ["replies@example.com"],
        "cc": [],
        "content_type": "multipart/alternative",
        "body_chars": report["body_chars"],
        "attachments": [
            {"filename": "avatar2.jpg", "content_type": "image/jpg", "size": 12686},
            {"filename": "avatar1.jpeg", "content_type": "image/jpg", "size": 20535},
        ],
        "is_auto_reply": True,
        "thread_key": "4e6e35f5a38b4_479f13bb90078178@small-app-01.mail",
    }
    assert report["body_chars"] > 0


def test_directories_files_and_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "a.eml").write_bytes(b"From: a@example.com\r\nSubject: first\r\n\r\nhello\r\n")
    (tmp_path / "nested" / "m0002").write_bytes(b"Subject: second\r\nFrom: b@example.com\r\n\r\nhi\r\n")
    (tmp_path / "nested" / "expected_text").write_text("Hello\n\nSent from my iPhone\n")
    (tmp_path / "LICENSE").write_text("MIT License: anything\n")
    (tmp_path / "SOURCE.txt").write_text("Source: somewhere\n")
    (tmp_path / "a.json").write_text('{"subject": "first"}')
    (tmp_path / "rules.yaml").write_text("subject: first\n")
    missing = tmp_path / "missing.eml"
    reports = run_dry(capsys, tmp_path, missing)
    assert [(Path(report["file"]).name, report["subject"]) for report in reports] == [
        ("a.eml", "first"),
        ("m0002", "second"),
        ("missing.eml", ""),
    ]
    assert reports[0]["error"] == "missing Date header" and reports[0]["ok"]
    assert not reports[2]["ok"] and reports[2]["error"].startswith("FileNotFoundError")
    not_mail = tmp_path / "notes.txt"  # named explicitly, so parsed even though directories skip it
    not_mail.write_text("just some notes")
    [report] = run_dry(capsys, not_mail)
    assert not report["ok"] and "no headers found" in report["error"]


@pytest.mark.django_db
def test_without_dry_run_messages_become_tickets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    message = tmp_path / "question.eml"
    message.write_bytes(
        b"From: Ana <ana@example.org>\r\nTo: support@watchkeeper.localhost\r\nSubject: Deposit missing\r\n"
        b"Message-ID: <q1@example.org>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\n"
        b"My BTC deposit is missing.\r\n"
    )
    call_command("ingest-mail", str(message))
    [line] = capsys.readouterr().out.splitlines()
    record = json.loads(line)
    assert record["status"] == "opened" and record["ticket"].startswith("WK-")
    call_command("ingest-mail", str(message))  # the same message again is recognised
    assert json.loads(capsys.readouterr().out)["status"] == "duplicate"


def test_no_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No message files"):
        call_command("ingest-mail", str(tmp_path))
