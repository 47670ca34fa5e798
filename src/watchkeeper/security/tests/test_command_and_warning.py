"""`watchkeeper redact` run as a real process, and the warning sentence the customer gets."""

# ruff: noqa: RUF001  (full-width punctuation is the point)
from __future__ import annotations

import json
import os
import subprocess
import sys

from django.utils import translation
from django.utils.translation import gettext

from watchkeeper.security.redaction import (
    _NEVER_SHARE,
    _WARNINGS,
    CARD_NUMBER,
    KINDS,
    MARKER,
    ONE_TIME_CODE,
    PASSWORD,
    PRIVATE_KEY,
    RECOVERY_PHRASE,
    marker,
    redact,
    warning_for,
)

PHRASE = "abandon ability able about above absent absorb abstract absurd abuse access accident"
KEY = "0c28fca386c7a227600b2fe50b7cae11ec86d3bf1fbe471be89827e19d72aa1d"


def run_cli(*arguments: str, stdin: bytes) -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "watchkeeper.cli", "redact", *arguments],
        input=stdin,
        capture_output=True,
        check=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "watchkeeper.settings", "PYTHONIOENCODING": "utf-8"},
    )
    return completed.stdout.decode("utf-8").splitlines()


def test_json_lines_one_per_input_line() -> None:
    lines = [
        f"my words: {PHRASE}. help!",
        "nothing secret here, order 12345678",
        f"私钥：{KEY}",
        "my 2FA code is 123456 and my password is hunter2",
        "",
    ]
    output = [json.loads(line) for line in run_cli("--json", stdin="\n".join(lines).encode() + b"\n")]
    assert output == [
        {"kinds": [RECOVERY_PHRASE], "text": f"my words: {marker(RECOVERY_PHRASE)}. help!"},
        {"kinds": [], "text": "nothing secret here, order 12345678"},
        {"kinds": [PRIVATE_KEY], "text": f"私钥：{marker(PRIVATE_KEY)}"},
        {
            "kinds": [ONE_TIME_CODE, PASSWORD],
            "text": f"my 2FA code is {marker(ONE_TIME_CODE)} and my password is {marker(PASSWORD)}",
        },
        {"kinds": [], "text": ""},
    ]


def test_plain_output_and_undecodable_bytes() -> None:
    stdin = b"card 4111 1111 1111 1111\r\nbad byte \xff here\n"
    assert run_cli(stdin=stdin) == [f"card {marker(CARD_NUMBER)}", "bad byte \ufffd here"]


def test_every_kind_has_a_warning_and_a_marker_pages_can_find() -> None:
    assert set(_WARNINGS) == set(KINDS)
    stored = redact(f"card 4111 1111 1111 1111, seed {PHRASE}. 2FA code: 123456").text
    found = [match["kind"] for match in MARKER.finditer(stored)]
    assert found == [CARD_NUMBER, RECOVERY_PHRASE, ONE_TIME_CODE]


def test_warning_names_each_kind_once_and_ends_with_the_reminder() -> None:
    warning = warning_for([RECOVERY_PHRASE, PASSWORD, RECOVERY_PHRASE], "en")
    assert warning.startswith("We removed what looked like a recovery phrase from your message. ")
    assert warning.count("recovery phrase") == 1
    assert "a password" in warning
    assert warning.endswith("our staff will never ask you for them.")
    assert warning_for([], "en") == ""


def test_warning_follows_the_language_and_leaves_the_active_one_alone() -> None:
    sentences = (_WARNINGS[CARD_NUMBER], _NEVER_SHARE)
    with translation.override("de"):
        chinese, french = warning_for([CARD_NUMBER], "zh-hans"), warning_for([CARD_NUMBER], "fr")
        assert translation.get_language() == "de"
    # Chinese sentences follow each other without a space, French ones with one.
    with translation.override("zh-hans"):
        assert chinese == "".join(gettext(sentence) for sentence in sentences)
    with translation.override("fr"):
        assert french == " ".join(gettext(sentence) for sentence in sentences)
