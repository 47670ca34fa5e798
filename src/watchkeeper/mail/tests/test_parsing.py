"""The inbound-email parser on ~520 real messages from eight mail projects' test suites
(../shared/data/emails, read by path) and on hand-built messages for the cases the corpus lacks."""

# ruff: noqa: RUF001  (Cyrillic and CJK text with full-width punctuation is the point)
from __future__ import annotations

import base64
import binascii
import json
import os
import random
import re
import struct
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchkeeper.mail.parsing import ParsedMail, html_to_text, iter_message_files, parse_message

EMAILS = Path(__file__).resolve().parents[5] / "shared" / "data" / "emails"


def emails_dir() -> Path:
    """The shared corpus; its absence fails under CI and skips (saying why) on a developer machine."""
    if EMAILS.is_dir():
        return EMAILS
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the email test corpus is missing at {EMAILS} (required when CI=true)")
    pytest.skip(f"the email test corpus is not present at {EMAILS} (../shared/data/emails)")


def parse_file(relative: str) -> ParsedMail:
    return parse_message((emails_dir() / relative).read_bytes())


def message(headers: str, body: bytes | str = b"Hello\r\n") -> bytes:
    """A raw message from readable header lines ("\n" separated) and a body."""
    head = "\r\n".join(line for line in headers.strip().splitlines()).encode("ascii")
    return head + b"\r\n\r\n" + (body.encode("ascii") if isinstance(body, str) else body)


# --- 1. every file -------------------------------------------------------------------------------


def test_every_file_in_the_corpus_parses_without_exception() -> None:
    root = emails_dir()
    every_file = sorted(path for path in root.rglob("*") if path.is_file())
    for path in every_file:  # licences and JSON too: "never raises" is for any bytes at all
        assert isinstance(parse_message(path.read_bytes()), ParsedMail), path

    messages = list(iter_message_files([root]))
    results = {path: parse_message(path.read_bytes()) for path in messages}
    with_defects = [path for path, parsed in results.items() if parsed.defects]
    not_understood = [str(path.relative_to(root)) for path, parsed in results.items() if not parsed.ok]
    kinds = Counter(
        re.sub(r"[:'(].*", "", defect) for parsed in results.values() for defect in parsed.defects
    )
    print(
        f"\n{len(every_file)} files, {len(messages)} messages, {len(with_defects)} with defects, "
        f"{len(not_understood)} not understood; commonest defects: {kinds.most_common(8)}"
    )
    assert len(messages) > 500
    assert not_understood == []
    for path, parsed in results.items():
        assert all(isinstance(address, str) for address in parsed.to + parsed.cc + parsed.reply_to), path
        assert parsed.date is None or parsed.date.tzinfo is not None, path
        assert "<" not in parsed.message_id and ">" not in parsed.message_id, path
        assert parsed.from_email == parsed.from_email.lower(), path


def test_garbage_and_truncated_input_never_raises() -> None:
    sample = parse_file("chatwoot/eml/auto_reply.eml")
    raw = (emails_dir() / "chatwoot/eml/auto_reply.eml").read_bytes()
    noise = random.Random(20).randbytes(4000)
    inputs = [
        b"",
        b"\r\n\r\n",
        b"\x00" * 100,
        noise,
        b"Subject: =?utf-8?B?####?=\r\n\r\n",
        raw[:1],
        raw[:200],
    ]
    inputs += [raw[:cut] for cut in range(0, len(raw), max(1, len(raw) // 40))]
    inputs += [raw[:cut] + noise[:50] + raw[cut:] for cut in (50, 500, 5000)]
    for data in inputs:
        parsed = parse_message(data)
        assert isinstance(parsed, ParsedMail)
    assert sample.ok and sample.subject == "Discussion: Let's debate these attachments"
    empty = parse_message(b"")
    assert not empty.ok and empty.defects
    not_mail = parse_message(b'{"json": "is not mail"}')
    assert not not_mail.ok
    assert parse_message("not bytes" * 3).ok is False  # a str, despite the annotation


# --- 2. agreement with the corpora that state expected results -----------------------------------

# Where imap_tools' expected values record a failure of the parser that produced them (the stdlib as
# imap_tools drives it) rather than the message: each is checked against the value a reader sees.
IMAP_TOOLS_REFERENCE_ERRORS = {
    "messages/plain_emails/raw_email_incorrect_header.eml": (
        "Stop adware/spyware once and for all.",
        "xxx@xxx.xxx",
        "a garbage line ('quite Delivered-To:') ends the stdlib's header block: all headers lost",
    ),
    "messages/rfc2822/example13.eml": (
        "Saying Hello",
        "jdoe@machine.example",
        "RFC 2822 obsolete syntax 'From  : ...' (space before the colon) is not read by the stdlib",
    ),
    "messages/error_emails/invalid_subject_characters.eml": (
        "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro",
        "info@formacaofrenetik.info",
        "raw latin-1 subject; imap_tools decodes it as UTF-8 with errors='ignore' and drops ç and ã",
    ),
    "messages/plain_emails/mix_caps_content_type.eml": (
        "undef method parameter bug",
        "bb@bug.com",
        "'From: Big Bug bb@bug.com' lacks angle brackets; the stdlib returns the whole phrase as address",
    ),
}


def same_text(expected: str, ours: str) -> bool:
    """Equal up to representation: whitespace (folding, and the space RFC 2047 keeps or drops next to
    an encoded word) is ignored, and U+FFFD in the expected value (the reference's mark for a byte it
    could not decode) stands for any one character."""
    expected, ours = "".join(expected.split()), "".join(ours.split())
    if "\ufffd" not in expected:
        return expected == ours
    pattern = ".".join(re.escape(piece) for piece in expected.split("\ufffd"))
    return re.fullmatch(pattern, ours) is not None


def agreement(cases: list[tuple[str, str, str, str, str]]) -> tuple[float, list[str]]:
    disagreements = [
        f"{name}: subject {expected_subject!r} vs {subject!r}, from {expected_from!r} vs {from_email!r}"
        for name, expected_subject, subject, expected_from, from_email in cases
        if not (same_text(expected_subject, subject) and expected_from.lower() == from_email)
    ]
    return 1 - len(disagreements) / len(cases), disagreements


def imap_tools_cases(*, corrected: bool) -> list[tuple[str, str, str, str, str]]:
    root = emails_dir() / "imap_tools"
    cases = []
    for line in (root / "expected_parse.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        parsed = parse_message((root / record["eml"]).read_bytes())
        subject, sender = record["expected"]["subject"], record["expected"]["from_"]
        if corrected and record["eml"] in IMAP_TOOLS_REFERENCE_ERRORS:
            subject, sender, _ = IMAP_TOOLS_REFERENCE_ERRORS[record["eml"]]
        cases.append((record["eml"], subject, parsed.subject, sender, parsed.from_email))
    return cases


def stalwart_cases() -> list[tuple[str, str, str, str, str]]:
    """stalwart's NNN.json next to each NNN.eml holds the full parse tree; part 0 is the message."""
    cases = []
    for expected_file in sorted((emails_dir() / "stalwart_mailparser" / "eml").rglob("*.json")):
        headers = json.loads(expected_file.read_text(encoding="utf-8"))["parts"][0]["headers"]
        subjects = [header["value"]["Text"] for header in headers if header["name"] == "subject"]
        senders = [header["value"]["Address"] for header in headers if header["name"] == "from"]
        sender = ""
        if senders:
            listed = senders[0].get("List") or [
                address for group in senders[0].get("Group", []) for address in group.get("addresses", [])
            ]
            sender = (listed[0]["address"] or "") if listed else ""
        parsed = parse_message(expected_file.with_suffix(".eml").read_bytes())
        name = str(expected_file.relative_to(emails_dir()))
        cases.append((name, subjects[0] if subjects else "", parsed.subject, sender, parsed.from_email))
    return cases


def test_subject_and_sender_agree_with_expected_results() -> None:
    raw_ratio, raw_disagreements = agreement(imap_tools_cases(corrected=False))
    imap_ratio, imap_disagreements = agreement(imap_tools_cases(corrected=True))
    stalwart = stalwart_cases()
    stalwart_ratio, stalwart_disagreements = agreement(stalwart)
    print(
        f"\nimap_tools: {imap_ratio:.4f} of 113 against the corrected reference "
        f"({raw_ratio:.4f} against the reference as published; its {len(raw_disagreements)} differences:"
        + "".join(f"\n  {line}" for line in raw_disagreements)
        + f")\nstalwart_mailparser: {stalwart_ratio:.4f} of {len(stalwart)}"
        + "".join(f"\n  {line}" for line in stalwart_disagreements)
    )
    assert len(raw_disagreements) == len(IMAP_TOOLS_REFERENCE_ERRORS), raw_disagreements
    assert imap_ratio >= 0.98, imap_disagreements
    assert stalwart_ratio >= 0.98, stalwart_disagreements
    assert len(stalwart) >= 100


@pytest.mark.parametrize("name", sorted(IMAP_TOOLS_REFERENCE_ERRORS))
def test_messages_the_reference_parser_got_wrong(name: str) -> None:
    subject, sender, _why = IMAP_TOOLS_REFERENCE_ERRORS[name]
    parsed = parse_file(f"imap_tools/{name}")
    assert (parsed.subject, parsed.from_email) == (subject, sender)


def test_addresses_and_dates_agree_with_imap_tools() -> None:
    """To/Cc and Date are not in the 98% figure; they are checked too, outside the reference errors
    above. Our recipient lists hold each address once and only real addresses (imap_tools keeps
    duplicates and an empty entry for an unparsable item)."""
    root = emails_dir() / "imap_tools"
    checked = 0
    for line in (root / "expected_parse.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["eml"] in IMAP_TOOLS_REFERENCE_ERRORS:
            continue
        expected = record["expected"]
        parsed = parse_message((root / record["eml"]).read_bytes())
        if record["eml"] == "messages/plain_emails/raw_email_with_at_display_name.eml":
            # "Mikel@Lindsaar <raasdnil@gmail.com>": the stdlib lists the display name as an address.
            assert parsed.to == ["smith@gmail.com", "raasdnil@gmail.com", "tom@gmail.com"]
            continue
        expected_to = list(dict.fromkeys(address.lower() for address in expected["to"] if "@" in address))
        assert expected_to == [address for address in parsed.to if "@" in address], record["eml"]
        assert [address.lower() for address in expected["cc"]] == parsed.cc, record["eml"]
        if expected["date"] and not expected["date"].startswith("1900"):
            expected_date = datetime.fromisoformat(expected["date"])
            if expected_date.tzinfo is None:  # imap_tools leaves "-0000" naive; we read it as UTC
                expected_date = expected_date.replace(tzinfo=UTC)
            assert parsed.date == expected_date, record["eml"]
        checked += 1
    assert checked > 100


# --- 3. auto replies -----------------------------------------------------------------------------

# Chatwoot's MailPresenter#auto_reply? (X-Autoreply: yes, or Auto-Submitted other than "no") flags the
# first three; the two bounces are caught by Chatwoot's bounce handling and are auto replies here.
CHATWOOT_AUTO_REPLIES = {
    "auto_reply.eml": "x-autoreply",
    "auto_reply_with_auto_submitted.eml": "auto-submitted",
    "non_utf_encoded_mail.eml": "auto-submitted",
    "bounced_gmail.eml": "delivery-status",
    "bounced_with_no_from.eml": "delivery-status",
}


def test_chatwoot_auto_replies_are_detected_and_ordinary_mail_is_not() -> None:
    folder = emails_dir() / "chatwoot" / "eml"
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 40
    for path in files:
        parsed = parse_message(path.read_bytes())
        expected_reason = CHATWOOT_AUTO_REPLIES.get(path.name, "")
        assert (parsed.is_auto_reply, parsed.auto_reply_reason) == (bool(expected_reason), expected_reason), (
            path.name
        )


def test_other_machine_mail_in_the_corpus_is_detected() -> None:
    root = emails_dir() / "flanker"
    for path in sorted((root / "bounce").glob("*.eml")):
        assert parse_message(path.read_bytes()).is_auto_reply, path.name
    for path in sorted((root / "complaints").glob("*.eml")):
        assert parse_message(path.read_bytes()).auto_reply_reason == "feedback-report", path.name
    assert parse_file("flanker/disposition-notification.eml").auto_reply_reason == "disposition-notification"
    report = parse_file("imap_tools/messages/multipart_report_emails/report_530.eml")
    assert (report.content_type, report.auto_reply_reason) == ("multipart/report", "delivery-status")


def test_outlook_auto_response_suppress_does_not_make_an_auto_reply() -> None:
    # A real Outlook message carrying "X-Auto-Response-Suppress: All": a person's mail.
    outlook = parse_file("stalwart_mailparser/eml/thirdparty/015.eml")
    assert "X-Auto-Response-Suppress: All" in (
        emails_dir() / "stalwart_mailparser/eml/thirdparty/015.eml"
    ).read_text(errors="replace")
    assert not outlook.is_auto_reply
    suppressed = parse_message(
        message(
            "From: Customer <c@example.com>\nSubject: Withdrawal stuck\n"
            "X-Auto-Response-Suppress: All\nAuto-Submitted: no"
        )
    )
    assert not suppressed.is_auto_reply


def test_a_bounce_forwarded_by_a_customer_is_not_an_auto_reply() -> None:
    bounce = (emails_dir() / "imap_tools/messages/multipart_report_emails/report_530.eml").read_bytes()
    raw = message(
        "From: Customer <c@example.com>\nSubject: Fwd: my mail to you bounced\n"
        "Content-Type: multipart/mixed; boundary=XX",
        b"--XX\r\nContent-Type: text/plain\r\n\r\nWhy?\r\n--XX\r\nContent-Type: message/rfc822\r\n\r\n"
        + bounce
        + b"\r\n--XX--\r\n",
    )
    parsed = parse_message(raw)
    assert not parsed.is_auto_reply
    assert [item.content_type for item in parsed.attachments] == ["message/rfc822"]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-generated (failure)", "auto-submitted"),
        ("Auto-Submitted: auto-replied", "auto-submitted"),
        ("Precedence: bulk", "precedence"),
        ("Precedence: junk", "precedence"),
        ("Precedence: list", "precedence"),
        ("Precedence: auto_reply", "precedence"),
        ("X-Autoreply: yes", "x-autoreply"),
        ("X-Autorespond: Out of office", "x-autorespond"),
        ("X-Loop: support@example.com", "loop"),
        ("Sender: MAILER-DAEMON@example.com\nFrom: MAILER-DAEMON@example.com", "mailer-daemon"),
        ("From: Mail Delivery Subsystem <postmaster@example.com>", "mailer-daemon"),
        ("Subject: Undeliverable: withdrawal request", "subject"),
        ("Subject: Delivery Status Notification (Failure)", "subject"),
        ("Subject: Automatic reply: withdrawal request", "subject"),
    ],
)
def test_auto_reply_headers(headers: str, reason: str) -> None:
    lines = headers.splitlines()
    if not any(line.startswith("From:") for line in lines):
        lines.append("From: someone@example.com")
    if not any(line.startswith("Subject:") for line in lines):
        lines.append("Subject: hello")
    parsed = parse_message(message("\n".join(lines)))
    assert (parsed.is_auto_reply, parsed.auto_reply_reason) == (True, reason)


# --- 4. specific cases ---------------------------------------------------------------------------


def test_gb2312_declared_text_that_is_really_gbk() -> None:
    # 镕 and 喆 are GBK characters outside GB2312: a strict gb2312 decoder fails on this mail.
    text = "您好，朱镕基先生和张喆女士的提币申请已处理。"
    subject = "=?gb2312?B?" + base64.b64encode("提币申请 镕".encode("gbk")).decode() + "?="
    parsed = parse_message(
        message(
            f"From: support@example.cn\nSubject: {subject}\nContent-Type: text/plain; charset=gb2312\n"
            "Content-Transfer-Encoding: 8bit",
            text.encode("gbk"),
        )
    )
    assert parsed.text == text
    assert parsed.subject == "提币申请 镕"
    assert not [defect for defect in parsed.defects if "gb2312" in defect]
    x_gbk = parse_file("php_imap/messages/gbk_charset.eml")
    assert x_gbk.ok and x_gbk.text.strip() == "Hi"


@pytest.mark.parametrize(
    ("encoding", "subject"),
    [
        ("utf-8", "Привет, мой вывод средств заблокирован"),
        ("shift_jis", "出金申請についてのお問い合わせ"),
        ("big5", "您的帳戶提幣申請已被凍結，請儘快聯繫客服"),
        ("gbk", "提币请求被冻结了怎么办"),
        ("euc-kr", "출금 요청이 동결되었습니다"),
        ("cp1251", "Вывод средств заблокирован"),
        ("latin-1", "Auszahlung für Jürgen Müller"),
    ],
)
def test_raw_8bit_headers_without_rfc2047(encoding: str, subject: str) -> None:
    raw = b"From: Kunde <kunde@example.com>\r\nSubject: " + subject.encode(encoding) + b"\r\n\r\nhello\r\n"
    parsed = parse_message(raw)
    assert parsed.subject == subject
    assert parsed.from_email == "kunde@example.com"


def test_raw_8bit_header_follows_the_charset_the_body_declares() -> None:
    name = "山田太郎"
    raw = (
        b"From: " + name.encode("shift_jis") + b" <yamada@example.jp>\r\nSubject: test\r\n"
        b"Content-Type: text/plain; charset=Shift_JIS\r\n\r\n" + "よろしくお願いします".encode("shift_jis")
    )
    parsed = parse_message(raw)
    assert (parsed.from_name, parsed.text) == (name, "よろしくお願いします")
    utf8_headers = parse_file("imap_tools/messages/rfc6532/utf8_headers.eml")
    assert utf8_headers.subject == "Säying Hello"


def test_charsets_that_are_wrong_unknown_or_exotic() -> None:
    utf7 = parse_message(
        message(
            "From: a@example.com\nSubject: =?utf-7?Q?Fr+APY-sche?=\nContent-Type: text/plain; charset=utf-7",
            "Fr+APY-sche",
        )
    )
    assert (utf7.subject, utf7.text) == ("Frösche", "Frösche")
    unknown = parse_message(
        message(
            "From: a@example.com\nSubject: x\nContent-Type: text/plain; charset=x-made-up", "Grüße".encode()
        )
    )
    assert unknown.text == "Grüße"
    assert any("unknown charset 'x-made-up'" in defect for defect in unknown.defects)
    mislabelled = parse_message(
        message(
            "From: a@example.com\nSubject: x\nContent-Type: text/plain; charset=iso-8859-1", "Grüße".encode()
        )
    )
    assert mislabelled.text == "Grüße"
    undeclared = parse_message(
        message(
            "From: a@example.com\nSubject: x", "Ваша заявка на вывод средств обработана.".encode("cp1251")
        )
    )
    assert undeclared.text == "Ваша заявка на вывод средств обработана."
    # ISO-2022-JP with NEC extensions (here №) as Outlook writes it.
    outlook_jis = parse_file("php_mime_mail_parser/mails/issue116")
    assert outlook_jis.subject == "ЖД№41 от 28.09.2016"


def build_tnef(body: bytes, files: dict[str, bytes]) -> bytes:
    """A minimal winmail.dat: TNEF version, message body, then one attachment block per file."""

    def tnef_object(level: int, name: int, kind: int, data: bytes) -> bytes:
        return (
            struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)
        )

    blob = struct.pack("<IH", 0x223E9F78, 1)
    blob += tnef_object(1, 0x9006, 8, struct.pack("<I", 0x10000))  # TNEF version
    blob += tnef_object(1, 0x800C, 2, body + b"\x00")  # message body
    for filename, data in files.items():
        blob += tnef_object(2, 0x9002, 6, b"\x00" * 14)  # rendering data: starts an attachment
        blob += tnef_object(2, 0x8010, 1, filename.encode() + b"\x00")  # title
        blob += tnef_object(2, 0x800F, 6, data)  # data
    return blob


def test_winmail_dat_is_unpacked() -> None:
    blob = build_tnef(b"Please see the attached statement.", {"statement.csv": b"asset,amount\nBTC,1.5\n"})
    raw = message(
        "From: Alice <alice@example.com>\nSubject: statement\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=XX",
        b"--XX\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename=winmail.dat\r\n\r\n"
        + base64.encodebytes(blob)
        + b"--XX--\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.text == "Please see the attached statement."
    assert [(item.filename, item.content_type, item.data) for item in parsed.attachments] == [
        ("statement.csv", "text/csv", b"asset,amount\nBTC,1.5\n")
    ]
    broken = parse_message(raw.replace(base64.encodebytes(blob)[:8], b"AAAAAAAA"))
    assert [item.filename for item in broken.attachments] == ["winmail.dat"]
    assert any("winmail.dat could not be unpacked" in defect for defect in broken.defects)


def test_uuencoded_files_are_extracted() -> None:
    payload = bytes(range(256)) * 3
    lines = [binascii.b2a_uu(payload[start : start + 45]).decode() for start in range(0, len(payload), 45)]
    body = "Here is the screenshot.\r\n\r\nbegin 644 screen.png\r\n" + "".join(lines).replace("\n", "\r\n")
    body += "`\r\nend\r\n\r\nThanks\r\n"
    parsed = parse_message(message("From: a@example.com\nSubject: uu", body))
    assert [(item.filename, item.data) for item in parsed.attachments] == [("screen.png", payload)]
    assert parsed.text == "Here is the screenshot.\n\n\nThanks"
    # Content-Transfer-Encoding: x-uuencode on a part (the fixture's payload itself is empty).
    declared = parse_file("imap_tools/messages/error_emails/content_transfer_encoding_x_uuencode.eml")
    assert [(item.filename, item.content_type) for item in declared.attachments] == [
        ("PGP_Cmts_on_12-14-01_Pkg.doc", "application/msword")
    ]
    part = parse_message(
        message(
            "From: a@example.com\nSubject: uu\nContent-Type: multipart/mixed; boundary=XX",
            "--XX\r\nContent-Type: application/octet-stream; name=screen.png\r\n"
            "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 screen.png\r\n"
            + "".join(lines).replace("\n", "\r\n")
            + "`\r\nend\r\n--XX--\r\n",
        )
    )
    assert [(item.filename, item.data) for item in part.attachments] == [("screen.png", payload)]


def test_missing_date_and_subject_are_defects_not_failures() -> None:
    parsed = parse_message(message("From: Customer <customer@example.com>\nTo: support@example.com"))
    assert parsed.ok
    assert (parsed.subject, parsed.date, parsed.text) == ("", None, "Hello")
    assert "missing Date header" in parsed.defects and "missing Subject header" in parsed.defects
    no_date = parse_file("chatwoot/eml/mail_with_no_date.eml")
    assert no_date.ok and no_date.date is None and "missing Date header" in no_date.defects
    bad_date = parse_message(message("From: a@example.com\nSubject: x\nDate: someday soon"))
    assert bad_date.date is None and any("unreadable Date" in defect for defect in bad_date.defects)


def test_thread_key_and_ticket_token() -> None:
    base = "From: a@example.com\nMessage-ID: <own@example.com>\n"
    references = parse_message(
        message(
            base + "Subject: Re: help\nIn-Reply-To: <parent@example.com>\n"
            "References: <root@example.com>\n <parent@example.com>"
        )
    )
    assert references.references == ["root@example.com", "parent@example.com"]
    assert (references.thread_key, references.in_reply_to) == ("root@example.com", "parent@example.com")
    reply = parse_message(
        message(base + "Subject: Re: help\nIn-Reply-To: <parent@example.com> (sent by Bob)")
    )
    assert reply.thread_key == "parent@example.com"
    token = parse_message(
        message(base + "Subject: Re: [wk-000123] withdrawal\nReferences: <root@example.com>")
    )
    assert (token.ticket_token, token.thread_key) == ("WK-000123", "WK-000123")
    first = parse_message(message(base + "Subject: new question"))
    assert (first.message_id, first.thread_key, first.ticket_token) == (
        "own@example.com",
        "own@example.com",
        "",
    )
    assert parse_message(message("From: a@example.com\nSubject: x")).thread_key == ""
    chatwoot = parse_file("chatwoot/eml/multiple_in_reply_to.eml")
    assert chatwoot.thread_key and chatwoot.in_reply_to and " " not in chatwoot.in_reply_to


def test_mbox_from_line_is_accepted() -> None:
    raw = b"From alice@example.com Mon Jan  1 00:00:00 2024\n" + message(
        "From: Alice <alice@example.com>\nSubject: from an mbox\nDate: Mon, 1 Jan 2024 00:00:00 +0000"
    )
    parsed = parse_message(raw)
    assert (parsed.from_email, parsed.subject) == ("alice@example.com", "from an mbox")
    assert parsed.date == datetime(2024, 1, 1, tzinfo=UTC)
    assert parsed.defects == []


def test_display_name_that_looks_like_an_address() -> None:
    # A classic spoof: the address-like text is only the display name; replies go to the real address.
    parsed = parse_message(message("From: support@exchange.example <attacker@evil.example>\nSubject: x"))
    assert (parsed.from_name, parsed.from_email) == ("support@exchange.example", "attacker@evil.example")
    same = parse_message(
        message("From: phil@example.com <phil@example.com>\nTo: a@example.com, a@example.com")
    )
    assert (same.from_email, same.to) == ("phil@example.com", ["a@example.com"])


def test_broken_header_blocks_are_repaired() -> None:
    lost = parse_file("imap_tools/messages/plain_emails/raw_email_incorrect_header.eml")
    assert any("malformed header line set aside: 'quite Delivered-To" in defect for defect in lost.defects)
    stray = parse_message(message("From: a@example.com\nTo: test@test.com\ninvalid@address.com\nSubject: x"))
    assert (stray.to, stray.subject) == (["test@test.com"], "x")
    assert lost.text.startswith("You are infected with:")
    obsolete = parse_file("imap_tools/messages/rfc2822/example13.eml")
    assert obsolete.to == ["mary@example.net"] and obsolete.message_id
    folded = parse_message(message("From: a@example.com\nSubject: one\n two\n\tthree"))
    assert folded.subject == "one two three"


def nested_multipart(depth: int) -> bytes:
    raw = "From: a@example.com\r\nSubject: nested\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for level in range(1, depth):
        raw += f"--b{level - 1}\r\nContent-Type: multipart/mixed; boundary=b{level}\r\n\r\n"
    raw += f"--b{depth - 1}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n"
    for level in range(depth - 1, -1, -1):
        raw += f"--b{level}--\r\n"
    return raw.encode()


def test_deep_nesting_is_capped() -> None:
    parsed = parse_message(nested_multipart(200))
    assert parsed.ok and parsed.text == ""
    assert any("nesting deeper than" in defect for defect in parsed.defects)
    # Deeper than the stdlib parser's recursion can go: the headers are still read.
    bomb = parse_message(nested_multipart(3000))
    assert (bomb.ok, bomb.subject, bomb.from_email) == (True, "nested", "a@example.com")
    assert any("only the headers were read" in defect for defect in bomb.defects)
    shallow = parse_message(nested_multipart(10))
    assert shallow.text == "deep" and not [defect for defect in shallow.defects if "nesting" in defect]
    endless = parse_file("flanker/enclosed-endless.eml")
    assert endless.ok and [item.content_type for item in endless.attachments] == ["message/rfc822"]


def test_attached_messages_become_eml_files() -> None:
    inner = message("From: scam@example.net\nSubject: Verify your wallet now", "Click here")
    raw = message(
        "From: Customer <c@example.com>\nSubject: Fwd: is this you?\n"
        "Content-Type: multipart/mixed; boundary=XX",
        b"--XX\r\nContent-Type: text/plain\r\n\r\nIs this email from you?\r\n"
        b"--XX\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--XX--\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.text == "Is this email from you?"
    [attached] = parsed.attachments
    assert (attached.filename, attached.content_type) == ("Verify your wallet now.eml", "message/rfc822")
    assert parse_message(attached.data).subject == "Verify your wallet now"


def test_body_selection_and_attachments() -> None:
    only_html = parse_file("chatwoot/eml/only_html.eml")
    assert only_html.text and "<" not in only_html.text and only_html.html
    alternative = parse_file("chatwoot/eml/reply_cc.eml")
    assert alternative.text and alternative.html and alternative.cc
    inline = parse_file("chatwoot/eml/auto_reply.eml")
    assert sorted(item.filename for item in inline.attachments) == ["avatar1.jpeg", "avatar2.jpg"]
    assert all(item.inline and item.content_id for item in inline.attachments)
    pdf = parse_file("chatwoot/eml/email_with_inline_pdf.eml")
    assert [(item.filename, item.content_type) for item in pdf.attachments] == [
        ("dummy.pdf", "application/pdf")
    ]
    assert pdf.attachments[0].data.startswith(b"%PDF")
    nameless = parse_file("chatwoot/eml/attachments_without_filename.eml")
    assert [item.filename for item in nameless.attachments] == ["attachment-1.png", "attachment-2.png"]
    path_name = parse_message(
        message(
            "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=XX",
            b"--XX\r\nContent-Type: application/pdf\r\n"
            b'Content-Disposition: attachment; filename="..\\\\..\\\\id.pdf"\r\n\r\n%PDF\r\n--XX--\r\n',
        )
    )
    assert [item.filename for item in path_name.attachments] == ["id.pdf"]


def test_html_to_text() -> None:
    markup = (
        "<html><head><style>p {color: red}</style><title>t</title></head><body>"
        "<p>Hello&nbsp;there,</p><div>your <b>withdrawal</b> is<br>on its way.</div>"
        "<script>alert(1)</script><ul><li>BTC</li><li>ETH</li></ul>"
        "<blockquote><p>old message</p></blockquote><pre>  kept   spacing</pre></body></html>"
    )
    assert html_to_text(markup) == (
        "Hello there,\nyour withdrawal is\non its way.\n- BTC\n- ETH\n> old message\n  kept   spacing"
    )
    assert html_to_text("") == ""
