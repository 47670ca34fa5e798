from __future__ import annotations

import os
import subprocess
import sys

import pytest

from watchkeeper.settings import email_settings


def test_email_url_parsing() -> None:
    assert email_settings("")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    smtp = email_settings("smtp://user%40x:p%3Ass@mail.example.com:587?tls=1")
    assert smtp["EMAIL_HOST"] == "mail.example.com"
    assert smtp["EMAIL_PORT"] == 587
    assert smtp["EMAIL_HOST_USER"] == "user@x"
    assert smtp["EMAIL_HOST_PASSWORD"] == "p:ss"
    assert smtp["EMAIL_USE_TLS"] is True and smtp["EMAIL_USE_SSL"] is False
    assert email_settings("smtps://mail.example.com")["EMAIL_PORT"] == 465
    with pytest.raises(ValueError, match="scheme 'ftp'"):
        email_settings("ftp://example.com")


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "watchkeeper.cli", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_start_without_secret_key_refuses(tmp_path) -> None:
    result = run_cli("serve", "--port", "0", WATCHKEEPER_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY is not set and DEBUG is off" in result.stderr


def test_serve_refuses_an_unmigrated_database(tmp_path) -> None:
    result = run_cli("serve", "--port", "0", WATCHKEEPER_DATA_DIR=str(tmp_path), SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "run `watchkeeper migrate` first" in result.stderr


def test_cli_help_lists_the_commands() -> None:
    result = run_cli()
    assert result.returncode == 0
    for command in ("serve", "worker", "demo", "migrate", "createadmin"):
        assert command in result.stdout
