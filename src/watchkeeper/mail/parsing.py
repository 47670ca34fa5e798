"""Inbound email parsing: raw RFC 5322 bytes in, one `ParsedMail` out, never an exception.

The standard library's `email` package (compat32 policy, which keeps going where the modern policy
gives up) does the MIME work. Around it sits the repair that real mail needs: header lines that end the
header block too early, raw 8-bit headers, charsets that are missing, wrong or unknown, broken
encoded words and transfer encodings, winmail.dat, uuencoded files inside text, nesting bombs.
Every problem found is written to `ParsedMail.defects` in words an operator can read; the caller keeps
the raw bytes, so nothing is lost when the parse is imperfect.

Body selection follows RFC 8621 section 4.1.4 (JMAP's textBody/htmlBody/attachments), so a message is
split into body and attachments the way a modern mail client would show it.
"""

from __future__ import annotations

import binascii
import codecs
import email
import email.message
import email.parser
import email.policy
import functools
import html
import mimetypes
import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import charset_normalizer

Message = email.message.Message

# Nesting deeper than this is a parser bomb, not correspondence (flanker's enclosed-endless.eml).
MAX_MIME_DEPTH = 24
# A message with more parts than this is not a support request either; the rest stays in the raw bytes.
MAX_MIME_PARTS = 1000

TICKET_TOKEN = re.compile(r"\[\s*(WK-\d+)\s*\]", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class ParsedMail:
    subject: str = ""
    from_email: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    date: datetime | None = None
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    content_type: str = ""
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    is_auto_reply: bool = False
    auto_reply_reason: str = ""
    thread_key: str = ""
    ticket_token: str = ""
    defects: list[str] = field(default_factory=list)
    ok: bool = True


def parse_message(raw: bytes) -> ParsedMail:
    """Parse one message. Never raises: a failure inside the parser gives `ok=False` with the reason
    in `defects`, and the caller stores the raw bytes flagged for a human."""
    defects: list[str] = []
    try:
        return _MessageParser(raw, defects).parse()
    except Exception as error:  # the contract is "never raises": anything left is recorded, not thrown
        defects.append(f"parser failure: {type(error).__name__}: {error}")
        return ParsedMail(ok=False, defects=defects)


# --- files ---------------------------------------------------------------------------------------

_NOT_MESSAGE_SUFFIXES = {".json", ".jsonl", ".yaml", ".yml", ".txt", ".md", ".html", ".py", ".php", ".rb"}
_NOT_MESSAGE_PREFIXES = ("license", "copying", "source", "readme")


def iter_message_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files to parse under `paths`: files given by name are always taken; inside directories, *.eml
    and extension-less files that start like a message header (so upstream expectation files such as
    talon's `iphone_reply_text`, licences and notes are skipped), in sorted order."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for candidate in sorted(path.rglob("*")):
            if candidate.is_file() and _looks_like_message_file(candidate):
                yield candidate


_HEADER_START = re.compile(rb"^(From |[!-9;-~]+[ \t]*:)")


def _looks_like_message_file(path: Path) -> bool:
    name = path.name.lower()
    if (
        name.startswith(".")
        or name.startswith(_NOT_MESSAGE_PREFIXES)
        or path.suffix.lower() in _NOT_MESSAGE_SUFFIXES
    ):
        return False
    if path.suffix.lower() == ".eml":
        return True
    if path.suffix:
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(1024).lstrip(b"\r\n")
    except OSError:
        return True  # let the caller report the read error
    return bool(_HEADER_START.match(head))


# --- charsets ------------------------------------------------------------------------------------

# Labels seen in real mail mapped to the Python codec that decodes what senders actually wrote:
# supersets for the CJK legacy charsets (GB2312 mail is GBK in practice, Shift_JIS is Windows-932,
# EUC-KR is Windows-949) and windows-1252 for latin-1 (as browsers do, for the 0x80-0x9F quotes).
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "big-5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "euc-kr": "cp949",
    "korean": "cp949",
    "x-windows-949": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "x-ms-cp932": "cp932",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode-2-0-utf-7": "utf-7",
    "utf8": "utf-8",
    "x-utf-8": "utf-8",
}
# Labels that say "I don't know": decode by detection, without reporting an unknown charset.
_UNDECLARED = {"", "unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default", "charset", "none"}
# Single-byte codecs: text declared in one of them that is valid UTF-8 (beyond ASCII) is UTF-8 that was
# mis-labelled, since real single-byte text almost never forms valid multi-byte UTF-8 sequences.
_SINGLE_BYTE_CODEC = re.compile(r"^(ascii|cp\d{3,4}|iso8859-\d+|koi8-\w+|mac-\w+|latin-1|hp-roman8|tis-620)$")
# Wider codecs to try when text is not valid in the declared (already widened) one.
_WIDER_CODECS = {
    "iso2022_jp": ("iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3"),
    "euc_jp": ("euc_jis_2004", "cp932"),
    "cp932": ("shift_jis_2004",),
    "iso2022_kr": ("cp949",),
}


def _clean_charset_label(label: str | None) -> str:
    if not label:
        return ""
    return label.strip().strip("\"'").strip().rstrip(";").split("*", 1)[0].strip().lower()


def resolve_codec(label: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when the label means nothing known."""
    cleaned = _clean_charset_label(label)
    if cleaned in _UNDECLARED:
        return None
    try:
        return codecs.lookup(_CHARSET_ALIASES.get(cleaned, cleaned)).name
    except LookupError:
        return None


def decode_text(data: bytes, label: str | None, defects: list[str], context: str) -> str:
    """Bytes to text under a declared charset that may be wrong, unknown or missing; what had to be
    guessed is recorded in `defects` (prefixed with `context`)."""
    if not data:
        return ""
    cleaned = _clean_charset_label(label)
    codec = resolve_codec(cleaned)
    if cleaned and codec is None and cleaned not in _UNDECLARED:
        defects.append(f"{context}: unknown charset {cleaned!r}")
    if codec is not None:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            pass
        else:
            if _SINGLE_BYTE_CODEC.match(codec) and not data.isascii() and _is_utf8(data):
                defects.append(f"{context}: declared {cleaned} but is UTF-8")
                return data.decode("utf-8")
            return text
        for wider in _WIDER_CODECS.get(codec, ()):
            try:
                return data.decode(wider)
            except UnicodeDecodeError:
                continue
        if codec == "iso2022_jp":
            converted = _iso2022jp_as_cp932(data)
            if converted is not None:
                return converted
        defects.append(f"{context}: not valid {cleaned}")
    if data.isascii():
        return data.decode("ascii")
    if _is_utf8(data):
        return data.decode("utf-8")
    if _is_mostly_utf8(data):
        defects.append(f"{context}: damaged UTF-8, bad bytes replaced")
        return data.decode("utf-8", errors="replace")
    guessed = _detect_codec(data)
    if guessed is not None:
        if codec is None:
            defects.append(f"{context}: 8-bit text without a usable charset, decoded as {guessed}")
        else:
            defects.append(f"{context}: decoded as {guessed} instead")
        return data.decode(guessed, errors="replace")
    fallback = codec or "cp1252"
    defects.append(f"{context}: undecodable bytes replaced ({fallback})")
    return data.decode(fallback, errors="replace")


def _iso2022jp_as_cp932(data: bytes) -> str | None:
    """ISO-2022-JP as Outlook writes it (CP50220): with the NEC and IBM extensions (circled numbers,
    ㈱, №) that no Python iso2022 codec knows. The JIS codes are re-encoded as Shift_JIS and decoded
    as Windows-932, which has those extensions."""
    out = bytearray()
    mode = "ascii"
    index = 0
    while index < len(data):
        byte = data[index]
        if byte == 0x1B:
            sequence = data[index + 1 : index + 3]
            if sequence in (b"$B", b"$@"):
                mode = "double"
            elif sequence in (b"(B", b"(J"):
                mode = "ascii"
            elif sequence == b"(I":
                mode = "kana"
            else:
                return None
            index += 3
            continue
        if byte in (0x0A, 0x0D):
            out.append(byte)
            index += 1
            continue
        if mode == "double":
            if index + 1 >= len(data):
                return None
            first, second = byte, data[index + 1]
            if not (0x21 <= first <= 0x7E and 0x21 <= second <= 0x7E):
                return None
            out.append((first + 1) // 2 + (0x70 if first <= 0x5E else 0xB0))
            out.append(second + (0x7E if first % 2 == 0 else (0x1F if second <= 0x5F else 0x20)))
            index += 2
            continue
        out.append(byte + 0x80 if mode == "kana" and 0x21 <= byte <= 0x5F else byte)
        index += 1
    try:
        return bytes(out).decode("cp932")
    except UnicodeDecodeError:
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_NON_ASCII_DECODED = re.compile("[^\x00-\x7f\ufffd]")


def _is_mostly_utf8(data: bytes) -> bool:
    """UTF-8 with a few damaged sequences (a truncated header, one stray latin-1 byte): still UTF-8."""
    decoded = data.decode("utf-8", errors="replace")
    damaged = decoded.count("\ufffd")
    valid = len(_NON_ASCII_DECODED.findall(decoded))
    return valid > 0 and valid >= 2 * damaged


# Undeclared legacy text is guessed among the charsets of the languages we serve (DESIGN.md's 13
# locales) and Central European: a wider list lets Thai or Greek code pages "explain" Chinese or
# Russian bytes as well as the right one does.
_GUESSABLE_CODECS = [
    "utf_8", "gb18030", "big5", "cp932", "euc_jp", "cp949", "cp1251", "koi8_r",
    "cp1252", "cp1250", "cp1254", "cp1258", "iso8859_15",
]  # fmt: skip
_HANGUL = re.compile("[\uac00-\ud7a3]")
_HAN = re.compile("[\u4e00-\u9fff]")
_KOREAN_RUN = re.compile("[\uac00-\ud7a3\u4e00-\u9fff]+")


def _detect_codec(data: bytes) -> str | None:
    """charset-normalizer's guess; when several decodings are equally clean (short samples: a subject,
    a name), the one that reads most like a language (py3langid) wins, and among equivalent Western
    readings windows-1252, by far the most common in mail (and what latin-1 labels mean anyway)."""
    matches = charset_normalizer.from_bytes(data[:65536], cp_isolation=_GUESSABLE_CODECS)
    best = matches.best()
    if best is None:
        return None
    close = [match for match in matches if match.chaos <= best.chaos + 0.05]
    chosen = (
        max(close, key=lambda match: _plausibility(str(match), match.encoding)) if len(close) > 1 else best
    )
    if "cp1252" in chosen.could_be_from_charset:
        return "cp1252"
    try:
        return codecs.lookup(chosen.encoding).name
    except LookupError:
        return None


def _plausibility(text: str, encoding: str) -> float:
    _language, probability = _language_identifier().classify(text)
    if encoding == "cp949":
        # GB2312 bytes read as EUC-KR come out as Hangul mixed with Hanja, with no spaces (Chinese has
        # none); Korean is nearly all Hangul, with a space every few syllables.
        hangul, han = len(_HANGUL.findall(text)), len(_HAN.findall(text))
        longest_run = max((len(run) for run in _KOREAN_RUN.findall(text)), default=0)
        if han > 0.1 * (hangul + han) or longest_run >= 8:
            probability *= 0.1
    return float(probability)


@functools.lru_cache(maxsize=1)
def _language_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


_SURROGATES = re.compile("[\udc80-\udcff]")


def _to_bytes(value: str) -> bytes:
    """The original bytes of a string the bytes parser decoded as ASCII + surrogateescape."""
    try:
        return value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


# --- headers -------------------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


def decode_encoded_words(value: str, defects: list[str], context: str) -> str:
    """RFC 2047 encoded words, decoded leniently: words in any position, whitespace between adjacent
    words dropped (RFC 2047 section 6.2), and adjacent words in one charset joined before decoding so
    a character split across two words (a common encoder bug) survives."""
    if "=?" not in value:
        return value
    pieces: list[str] = []
    pending: bytearray | None = None
    pending_charset = ""
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        charset = match.group(1).split("*", 1)[0]
        data = _decode_word_payload(match.group(2), match.group(3), defects, context)
        if data is None:  # not decodable: keep it literally, as a reader would see it
            if pending is not None:
                pieces.append(decode_text(bytes(pending), pending_charset, defects, context))
                pending = None
            pieces.append(between + match.group(0))
            position = match.end()
            continue
        if pending is not None and between.strip() == "" and charset.lower() == pending_charset.lower():
            pending.extend(data)
        else:
            if pending is not None:
                pieces.append(decode_text(bytes(pending), pending_charset, defects, context))
            if pending is None or between.strip() != "":
                pieces.append(between)
            pending = bytearray(data)
            pending_charset = charset
        position = match.end()
    if pending is not None:
        pieces.append(decode_text(bytes(pending), pending_charset, defects, context))
    pieces.append(value[position:])
    return "".join(pieces)


def _decode_word_payload(encoding: str, text: str, defects: list[str], context: str) -> bytes | None:
    data = text.encode("utf-8", "surrogateescape")
    if encoding in "qQ":
        # Literal spaces (broken encoders, or folding inside the word) stay spaces; the subject's
        # whitespace is collapsed later.
        return binascii.a2b_qp(data, header=True)
    cleaned = _BASE64_JUNK.sub(b"", data)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))
    except binascii.Error:
        defects.append(f"{context}: undecodable base64 encoded word")
        return None


def _decode_base64(data: bytes) -> tuple[bytes, str]:
    """Base64 under a label the stdlib does not recognise, repaired as the stdlib repairs its own:
    missing padding added, junk dropped. Returns the bytes and a problem description ("" when clean)."""
    try:
        return binascii.a2b_base64(data), ""
    except binascii.Error:
        pass
    cleaned = _BASE64_JUNK.sub(b"", data.split(b"=", 1)[0])
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4)), "damaged base64 repaired"
    except binascii.Error:
        return data, "undecodable base64, kept as is"


def _unfold(value: str) -> str:
    return _FOLD.sub("", value).replace("\r", "").replace("\n", " ")


def _single_line(value: str) -> str:
    return " ".join(value.split())


_UNQUOTED_ADDRESS_NAME = re.compile(r'(^|,)(\s*)([^,<>"()]*@[^,<>"()]*?)(\s*<[^<>]*>)')
_MESSAGE_ID = re.compile(r"<([^<>]*)>")
_COMMENT = re.compile(r"\([^()]*\)")


def _message_ids(value: str) -> list[str]:
    found = [_clean_id(item) for item in _MESSAGE_ID.findall(value)]
    if not found:  # bare ids without angle brackets are common in broken mailers
        found = [_clean_id(item) for item in value.split()]
    return [item for item in found if item]


def _clean_id(value: str) -> str:
    return "".join(_COMMENT.sub("", value).split()).strip("<>\"'")


# Header lines the stdlib would take as the end of the header block: obsolete "Name :" syntax
# (RFC 5322 section 4.5) and garbage lines in the middle of real headers.
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_OBSOLETE_HEADER_LINE = re.compile(rb"^([!-9;-~]+)[ \t]+:")
_KNOWN_HEADER_LINE = re.compile(
    rb"^(from|to|cc|bcc|subject|date|message-id|content-type|content-transfer-encoding|mime-version|"
    rb"received|reply-to|return-path|references|in-reply-to|sender|delivered-to|x-[!-9;-~]*)[ \t]*:",
    re.IGNORECASE,
)
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_MBOX_FROM_LINE = re.compile(rb"^From (?![ \t]*:)")


def _repair_header_block(raw: bytes, defects: list[str]) -> bytes:
    """Mend the header block so the stdlib parser sees every header; returns `raw` itself when it
    needed nothing."""
    start = len(raw) - len(raw.lstrip(b"\r\n"))
    if start and _HEADER_LINE.match(raw[start : start + 1000]):
        defects.append("blank lines before the headers were skipped")
    else:
        start = 0
    separator = _BLANK_LINE.search(raw, start)
    end = separator.start() + 1 if separator else len(raw)
    block = raw[start:end].splitlines(keepends=True)
    # Whether a well-known header still follows each line: garbage before it is set aside, not a body.
    known_after = [False] * (len(block) + 1)
    for index in range(len(block) - 1, -1, -1):
        known_after[index] = known_after[index + 1] or bool(_KNOWN_HEADER_LINE.match(block[index]))
    changed = start > 0
    for index, line in enumerate(block):
        if _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t"):
            continue
        if index == 0 and _MBOX_FROM_LINE.match(line):
            continue  # an mbox envelope line: the stdlib keeps it as the unixfrom
        obsolete = _OBSOLETE_HEADER_LINE.match(line)
        if obsolete:
            block[index] = obsolete.group(1) + b":" + line[obsolete.end() :]
            defects.append(f"header {obsolete.group(1).decode('ascii')!r} had spaces before its colon")
            changed = True
        elif index > 0 and known_after[index + 1]:
            shown = line.strip()[:60].decode("ascii", "replace")
            following = block[index + 1][:1] if index + 1 < len(block) else b""
            if following in (b" ", b"\t") or line.startswith(b"\\t"):
                # Part of a multi-line value (continued below it, or a "\t" written out literally).
                block[index] = b" " + line
                defects.append(f"malformed header line folded into the previous header: {shown!r}")
            else:
                # Kept under a name of its own: folding a stray line would corrupt its neighbour.
                block[index] = b"X-Malformed-Header: " + line
                defects.append(f"malformed header line set aside: {shown!r}")
            changed = True
        else:
            break  # from here on it is a body that lost its blank separator line; the stdlib copes
    if not changed:
        return raw
    return b"".join(block) + raw[end:]


# --- the parser ----------------------------------------------------------------------------------

_INLINE_MEDIA = ("image/", "audio/", "video/")
_TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
_QUOTED_PRINTABLE = {"quoted-printable", "quoted_printable", "quotedprintable", "qp"}
_BASE64 = {"base64", "base-64", "b64"}
_UUENCODE = {"x-uuencode", "uuencode", "uue", "x-uue"}
# What compat32's get_payload(decode=True) decodes itself (it compares the lowercased header as is).
_STDLIB_ENCODINGS = {"base64", "quoted-printable", "x-uuencode", "uuencode", "uue", "x-uue"}
_IDENTITY = {"", "7bit", "8bit", "8bits", "7bits", "binary", "7-bit", "8-bit", "plain", "none", "text"}


@dataclass
class _Bodies:
    text: list[Message] | None
    html: list[Message] | None
    attachments: list[Message]


class _MessageParser:
    def __init__(self, raw: bytes, defects: list[str]) -> None:
        self.raw = raw if isinstance(raw, bytes) else bytes(raw)
        self.defects = defects
        self.header_codec: str | None = None
        self.parts_seen = 0
        self.depth_warned = False
        self.parts_truncated = False

    def parse(self) -> ParsedMail:
        repaired = _repair_header_block(self.raw, self.defects)
        headers_only = False
        try:
            message = email.message_from_bytes(repaired)
        except RecursionError:
            # The stdlib parser recurses once per nesting level; a nesting bomb of a thousand levels
            # exhausts the stack. The headers still identify the sender and the thread.
            self.defects.append("MIME nesting too deep to parse: only the headers were read")
            message = email.parser.BytesParser().parsebytes(repaired, headersonly=True)
            headers_only = True
        self.message = message
        if not any(_FIELD_NAME.fullmatch(name) for name in message):
            # '{"json": 1}' is a syntactically valid header line; no mailer writes such a field name.
            self.defects.append("no headers found: this is not an email message")
            return ParsedMail(ok=False, defects=self.defects, text=self._plain_fallback(message))

        subject = _single_line(self._decoded_header("subject"))
        if "subject" not in self._raw_headers(message):
            self.defects.append("missing Subject header")
        senders = self._addresses("from")
        if not senders:
            self.defects.append("missing or unreadable From header")
        from_name, from_email = senders[0] if senders else ("", "")
        date = self._date()
        message_id = next(iter(_message_ids(self._header("message-id"))), "")
        in_reply_to = next(iter(_message_ids(self._header("in-reply-to"))), "")
        references = _message_ids(self._header("references"))

        bodies = _Bodies(text=[], html=[], attachments=[])
        if not headers_only:
            self._structure([message], "mixed", False, bodies, depth=0)
        text, html_body, attachments = self._render(bodies)
        self._record_mime_defects(message)

        token_match = TICKET_TOKEN.search(subject)
        ticket_token = token_match.group(1).upper() if token_match else ""
        reason = self._auto_reply_reason(message, subject, from_name, from_email)
        thread_key = ticket_token or (references[0] if references else "") or in_reply_to or message_id
        return ParsedMail(
            subject=subject,
            from_email=from_email,
            from_name=from_name,
            to=[address for _, address in self._addresses("to") if address],
            cc=[address for _, address in self._addresses("cc") if address],
            reply_to=[address for _, address in self._addresses("reply-to") if address],
            date=date,
            message_id=message_id,
            in_reply_to=in_reply_to,
            references=references,
            content_type=message.get_content_type(),
            text=text,
            html=html_body,
            attachments=attachments,
            is_auto_reply=bool(reason),
            auto_reply_reason=reason,
            thread_key=thread_key,
            ticket_token=ticket_token,
            defects=self.defects,
            ok=True,
        )

    # headers

    @staticmethod
    def _raw_headers(part: Message) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name, value in part.raw_items():
            found.setdefault(name.strip().lower(), []).append(value)
        return found

    def _header(self, name: str, part: Message | None = None) -> str:
        """First value of a header, unfolded, with raw 8-bit bytes decoded; "" when absent."""
        values = self._raw_headers(part if part is not None else self.message).get(name)
        if not values:
            return ""
        return self._text_of_raw(_unfold(values[0])).strip()

    def _decoded_header(self, name: str) -> str:
        return decode_encoded_words(self._header(name), self.defects, name.capitalize())

    def _text_of_raw(self, value: str) -> str:
        if not _SURROGATES.search(value):
            return value
        data = _to_bytes(value)
        return data.decode(self._guess_header_codec(data), errors="replace")

    def _guess_header_codec(self, sample: bytes) -> str:
        """One charset for all raw 8-bit header bytes of the message: UTF-8 when they are valid UTF-8,
        else a charset the message declares for its text when the bytes fit it, else detection over
        all such bytes at once (short strings alone detect badly)."""
        if self.header_codec is not None:
            return self.header_codec
        eight_bit = b" ".join(
            _to_bytes(value) for _, value in self.message.raw_items() if _SURROGATES.search(value)
        )
        eight_bit = eight_bit or sample
        codec: str | None = None
        if _is_utf8(eight_bit) or _is_mostly_utf8(eight_bit):
            codec = "utf-8"
        else:
            for label in self._declared_charsets():
                candidate = resolve_codec(label)
                if candidate:
                    try:
                        eight_bit.decode(candidate)
                    except UnicodeDecodeError:
                        continue
                    codec = candidate
                    break
            codec = codec or _detect_codec(eight_bit) or "cp1252"
            self.defects.append(f"raw 8-bit bytes in headers decoded as {codec}")
        self.header_codec = codec
        return codec

    def _declared_charsets(self) -> list[str]:
        labels: list[str] = []
        for part in _iter_parts(self.message, limit=50):
            charset = part.get_param("charset")
            if isinstance(charset, str) and charset not in labels:
                labels.append(charset)
        return labels

    def _addresses(self, name: str) -> list[tuple[str, str]]:
        values = [
            self._text_of_raw(_unfold(value)) for value in self._raw_headers(self.message).get(name, [])
        ]
        if not values:
            return []
        # "support@exchange.example <attacker@evil.example>": the unquoted address-like text is the
        # display name; getaddresses would return it as a second, first-listed address.
        values = [_UNQUOTED_ADDRESS_NAME.sub(r'\1\2"\3"\4', value) for value in values]
        result: list[tuple[str, str]] = []
        seen: set[str] = set()
        for display, address in getaddresses(values):
            words = address.split()
            if len(words) > 1 and "@" in words[-1]:
                # "Big Bug bb@bug.com": a name without the angle brackets around the address.
                display = display or " ".join(words[:-1])
                words = words[-1:]
            if not display and "@" not in address:
                # "From: Whomever": a bare word is a name (RFC 2822 examples); "<moderator>" stays an address.
                display, words = address, []
            display_name = _single_line(decode_encoded_words(display, self.defects, name.capitalize()))
            # Obsolete syntax allows spaces inside an address ("jdoe@machine.  example").
            address = "".join(words).lower()
            if (display_name or address) and (not address or address not in seen):
                seen.add(address)
                result.append((display_name, address))
        return result

    def _date(self) -> datetime | None:
        value = _single_line(self._header("date"))
        if not value:
            self.defects.append("missing Date header")
            return None
        parsed: datetime | None = None
        for candidate in (value, _COMMENT.sub(" ", value).replace(" :", ":").replace(": ", ":")):
            try:
                parsed = parsedate_to_datetime(candidate)
            except (TypeError, ValueError, IndexError, OverflowError):
                continue
            break
        if parsed is None:
            self.defects.append(f"unreadable Date header: {value[:60]!r}")
            return None
        if parsed.tzinfo is None:
            self.defects.append("Date header without time zone, UTC assumed")
            parsed = parsed.replace(tzinfo=UTC)
        return parsed

    # structure (RFC 8621 section 4.1.4)

    def _structure(
        self, parts: list[Message], multipart_type: str, in_alternative: bool, bodies: _Bodies, depth: int
    ) -> None:
        text_body, html_body = bodies.text, bodies.html
        text_length = len(text_body) if text_body is not None else -1
        html_length = len(html_body) if html_body is not None else -1
        for index, part in enumerate(parts):
            self.parts_seen += 1
            if self.parts_seen > MAX_MIME_PARTS:
                if not self.parts_truncated:
                    self.defects.append(f"more than {MAX_MIME_PARTS} MIME parts: the rest was not read")
                    self.parts_truncated = True
                return
            content_type = part.get_content_type()
            if content_type.startswith("multipart/") and part.is_multipart():
                if depth >= MAX_MIME_DEPTH:
                    if not self.depth_warned:
                        self.defects.append(
                            f"MIME nesting deeper than {MAX_MIME_DEPTH} levels: inner parts ignored"
                        )
                        self.depth_warned = True
                    continue
                sub_type = content_type.split("/", 1)[1]
                inner = [child for child in part.get_payload() if isinstance(child, Message)]
                self._structure(
                    inner,
                    sub_type,
                    in_alternative or sub_type == "alternative",
                    _Bodies(text_body, html_body, bodies.attachments),
                    depth + 1,
                )
                continue
            if content_type.startswith("multipart/"):
                # Boundary missing or wrong: what is there is shown as text rather than lost.
                content_type = "text/plain"
            disposition = part.get_content_disposition()
            is_inline = (
                disposition != "attachment"
                and (content_type in ("text/plain", "text/html") or content_type.startswith(_INLINE_MEDIA))
                and (
                    index == 0
                    or (
                        multipart_type != "related"
                        and (content_type.startswith(_INLINE_MEDIA) or not self._filename(part))
                    )
                )
            )
            if not is_inline:
                bodies.attachments.append(part)
                continue
            if multipart_type == "alternative":
                if content_type == "text/plain" and text_body is not None:
                    text_body.append(part)
                elif content_type == "text/html" and html_body is not None:
                    html_body.append(part)
                else:  # media, or a body kind this branch no longer collects: kept as a file
                    bodies.attachments.append(part)
                continue
            if in_alternative:
                if content_type == "text/plain":
                    html_body = None
                if content_type == "text/html":
                    text_body = None
            if text_body is not None:
                text_body.append(part)
            if html_body is not None:
                html_body.append(part)
            if (text_body is None or html_body is None) and content_type.startswith(_INLINE_MEDIA):
                bodies.attachments.append(part)
        if multipart_type == "alternative" and text_body is not None and html_body is not None:
            if text_length == len(text_body) and html_length != len(html_body):
                text_body.extend(html_body[html_length:])
            if html_length == len(html_body) and text_length != len(text_body):
                html_body.extend(text_body[text_length:])

    # rendering

    def _render(self, bodies: _Bodies) -> tuple[str, str, list[ParsedAttachment]]:
        attachments: list[ParsedAttachment] = []
        text_pieces: list[str] = []
        for part in bodies.text or []:
            kind = self._effective_type(part)
            if kind == "text/plain":
                content, found = extract_uuencoded(self._part_text(part))
                for name, data in found:
                    attachments.append(ParsedAttachment(name, _guess_type(name), data))
                text_pieces.append(content)
            elif kind == "text/html":
                text_pieces.append(html_to_text(self._part_text(part)))
        html_pieces: list[str] = []
        html_parts = bodies.html or []
        if any(self._effective_type(part) == "text/html" for part in html_parts):
            for part in html_parts:
                kind = self._effective_type(part)
                if kind == "text/html":
                    html_pieces.append(self._part_text(part))
                elif kind == "text/plain":
                    html_pieces.append(f"<pre>{html.escape(self._part_text(part))}</pre>")
        text = "\n".join(piece.strip("\n") for piece in text_pieces if piece.strip())
        html_body = "\n".join(html_pieces)
        if not text.strip() and html_body.strip():
            text = html_to_text(html_body)  # an empty text/plain alternative next to a real HTML body

        # Inline images that RFC 8621 counts as part of the body are still files the agent needs.
        listed = {id(part) for part in bodies.attachments}
        for part in [*(bodies.text or []), *(bodies.html or [])]:
            if self._effective_type(part) not in ("text/plain", "text/html") and id(part) not in listed:
                listed.add(id(part))
                bodies.attachments.append(part)

        for part in bodies.attachments:
            kind = part.get_content_type()
            filename = self._filename(part)
            if kind in _TNEF_TYPES or filename.lower() == "winmail.dat":
                unpacked = self._unpack_tnef(part)
                if unpacked is not None:
                    tnef_attachments, tnef_text, tnef_html = unpacked
                    attachments.extend(tnef_attachments)
                    if not text.strip() and tnef_text.strip():
                        text = tnef_text
                    if not html_body.strip() and tnef_html.strip():
                        html_body = tnef_html
                        if not text.strip():
                            text = html_to_text(tnef_html)
                    continue
            attachments.append(self._attachment(part, len(attachments) + 1))
        return text.strip("\n"), html_body, attachments

    def _effective_type(self, part: Message) -> str:
        kind = part.get_content_type()
        return "text/plain" if kind.startswith("multipart/") else kind

    def _part_bytes(self, part: Message) -> bytes:
        """The decoded content of a leaf part. The stdlib decodes the standard transfer encodings (and
        repairs base64 padding, recording defects on the part); spellings it does not recognise
        ("quoted printable", "Base64;", "8bits") are mapped here, since the intent is clear."""
        decoded = part.get_payload(decode=True)
        if not isinstance(decoded, bytes):
            return b""
        declared = self._header("content-transfer-encoding", part)
        if declared.lower() in _STDLIB_ENCODINGS:
            return decoded
        encoding = re.sub(r"[^a-z0-9-]", "", declared.lower())
        if encoding in _BASE64:
            data, problem = _decode_base64(decoded)
            if problem:
                self.defects.append(f"{part.get_content_type()}: {problem}")
            return data
        if encoding in _QUOTED_PRINTABLE:
            return quopri.decodestring(decoded)
        if encoding in _UUENCODE:
            files = _uudecode(decoded.decode("latin-1").splitlines())
            return files[0][1] if files else decoded
        if encoding not in _IDENTITY:
            self.defects.append(
                f"{part.get_content_type()}: unknown transfer encoding {declared!r}, read as is"
            )
        return decoded

    def _part_text(self, part: Message) -> str:
        data = self._part_bytes(part)
        kind = self._effective_type(part)
        charset = part.get_param("charset")
        label = charset if isinstance(charset, str) else None
        if label is None and isinstance(charset, tuple):
            label = charset[0] or None
        if label is None and kind == "text/html":
            declared = _HTML_META_CHARSET.search(data[:4096])
            label = declared.group(1).decode("ascii") if declared else None
        text = decode_text(data, label, self.defects, f"{kind} body")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if kind == "text/plain" and str(part.get_param("format", "")).lower() == "flowed":
            text = unflow(text, delete_space=str(part.get_param("delsp", "")).lower() == "yes")
        return text

    def _plain_fallback(self, message: Message) -> str:
        if message.is_multipart():
            return ""
        return decode_text(self._part_bytes(message), None, self.defects, "body")

    def _filename(self, part: Message) -> str:
        try:
            name = part.get_filename() or part.get_param("name")
        except Exception:  # a broken RFC 2231 parameter must not cost the message
            self.defects.append(f"{part.get_content_type()}: unreadable file name")
            return ""
        if isinstance(name, tuple):
            name = email.utils.collapse_rfc2231_value(name)
        if not isinstance(name, str) or not name.strip():
            return ""
        name = decode_encoded_words(self._text_of_raw(_unfold(name)), self.defects, "file name")
        # Only the last path component: "C:\Users\x\report.pdf" and "../../etc/passwd" are names, not paths.
        name = re.split(r"[\\/]", name)[-1]
        return "".join(char for char in name if char.isprintable()).strip()[:255]

    def _attachment(self, part: Message, number: int) -> ParsedAttachment:
        kind = part.get_content_type()
        filename = self._filename(part)
        if kind == "message/rfc822" or kind == "message/global":
            data = self._embedded_message_bytes(part)
            if not filename:
                inner = part.get_payload()
                subject = ""
                if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                    subject = _single_line(decode_encoded_words(self._header("subject", inner[0]), [], ""))
                filename = re.sub(r'[\\/:*?"<>|]+', " ", subject).strip()[:80] or "message"
            if not filename.lower().endswith(".eml"):
                filename += ".eml"
        else:
            data = self._part_bytes(part)
            if not filename:
                filename = f"attachment-{number}{_extension_for(kind)}"
        content_id = self._header("content-id", part).strip().strip("<>").strip()
        disposition = part.get_content_disposition()
        inline = disposition == "inline" or (disposition is None and bool(content_id))
        return ParsedAttachment(filename, kind, data, content_id, inline)

    def _embedded_message_bytes(self, part: Message) -> bytes:
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            try:
                return inner[0].as_bytes(policy=email.policy.compat32)
            except (RecursionError, ValueError, TypeError, LookupError, UnicodeError) as error:
                self.defects.append(f"embedded message could not be re-serialised ({type(error).__name__})")
                return b""
        return self._part_bytes(part)

    def _unpack_tnef(self, part: Message) -> tuple[list[ParsedAttachment], str, str] | None:
        """winmail.dat: Outlook's own container. Its files become ordinary attachments and its body
        the text when the message has none; a blob we cannot open stays attached as it is."""
        from tnefparse import TNEF

        data = self._part_bytes(part)
        try:
            container = TNEF(data, do_checksum=False)
        except Exception as error:  # tnefparse raises bare ValueError/struct errors on damaged input
            self.defects.append(f"winmail.dat could not be unpacked ({type(error).__name__}: {error})")
            return None
        attachments: list[ParsedAttachment] = []
        for number, item in enumerate(container.attachments, start=1):
            try:
                name = item.long_filename()
            except Exception:  # names in an undeclared code page
                name = ""
            if isinstance(name, bytes):
                name = decode_text(name.rstrip(b"\x00"), None, self.defects, "winmail.dat file name")
            name = re.split(r"[\\/]", (name or "").strip("\x00").strip())[-1] or f"winmail-{number}"
            attachments.append(ParsedAttachment(name, _guess_type(name), bytes(item.data or b"")))
        text = _tnef_text(container.body, self.defects)
        html_body = _tnef_text(container.htmlbody, self.defects)
        return attachments, text, html_body

    def _record_mime_defects(self, message: Message) -> None:
        seen: set[str] = set()
        for part in _iter_parts(message, limit=MAX_MIME_PARTS):
            for defect in getattr(part, "defects", []):
                summary = (type(defect).__doc__ or type(defect).__name__).strip().splitlines()[0]
                if summary not in seen:
                    seen.add(summary)
                    self.defects.append(f"MIME: {summary}")

    # auto replies

    def _auto_reply_reason(self, message: Message, subject: str, from_name: str, from_email: str) -> str:
        """Why this message is machine-generated, or "" for a person's mail. Answering a machine starts
        mail loops, so the ticket side must not send acknowledgements to these."""
        headers = self._raw_headers(message)

        def first(name: str) -> str:
            values = headers.get(name)
            return _single_line(_unfold(values[0])).lower() if values else ""

        report_type = str(message.get_param("report-type", "") or "").lower()
        if report_type in ("delivery-status", "disposition-notification", "feedback-report"):
            return report_type
        for part in [message, *_shallow_parts(message)]:
            kind = part.get_content_type()
            if kind in ("message/delivery-status", "message/global-delivery-status"):
                return "delivery-status"
            if kind == "message/disposition-notification":
                return "disposition-notification"
            if kind == "message/feedback-report":
                return "feedback-report"
        auto_submitted = re.split(r"[\s;(]", first("auto-submitted"), maxsplit=1)[0]
        if auto_submitted and auto_submitted != "no":
            return "auto-submitted"
        for name in ("x-autoreply", "x-autorespond", "x-autoreply-from", "x-mail-autoreply"):
            value = first(name)
            if name in headers and value not in ("no", "false", "0"):
                return "x-autoreply" if name != "x-autorespond" else "x-autorespond"
        precedence = re.split(r"[\s;(]", first("precedence"), maxsplit=1)[0]
        if precedence in ("bulk", "junk", "list", "auto_reply", "auto-reply"):
            return "precedence"
        if "x-loop" in headers:
            return "loop"
        # X-Auto-Response-Suppress is deliberately not here: Outlook puts it on ordinary mail to ask
        # *us* not to auto-reply; it says nothing about whether the message itself is automatic.
        local_part = from_email.split("@", 1)[0]
        if local_part in ("mailer-daemon", "mailer_daemon") or _DAEMON_NAMES.search(from_name):
            return "mailer-daemon"
        if "<>" in (first("return-path"), first("x-envelope-from")):
            # A null envelope sender is what RFC 3464 and RFC 3834 require of bounces and auto replies.
            return "null-sender"
        if _AUTO_SUBJECT.search(subject):
            return "subject"
        return ""


_DAEMON_NAMES = re.compile(r"^(mail delivery (subsystem|system)|mailer[- ]daemon|mail administrator)$", re.I)
_AUTO_SUBJECT = re.compile(
    r"^\s*(delivery status notification|undeliverable( mail| message)?:?\s|"
    r"undelivered mail returned to sender|returned mail:|mail delivery failed|delivery failure|"
    r"failure notice|"
    r"auto(matic)?[- ]?(reply|response)\b|out of (the )?office( reply| autoreply)?:|"
    r"automatische antwort|abwesenheitsnotiz|réponse automatique|respuesta automática|"
    r"автоматический ответ|自动回复|自動回覆|自動応答)",
    re.IGNORECASE,
)


def _iter_parts(message: Message, *, limit: int) -> Iterator[Message]:
    """The message and its MIME parts, depth first, without recursion (Message.walk() recurses and a
    nesting bomb exhausts the stack) and without entering attached messages, which are files."""
    stack = [message]
    seen = 0
    while stack and seen < limit:
        part = stack.pop()
        seen += 1
        yield part
        if part.get_content_maintype() == "multipart" and part.is_multipart():
            stack.extend(reversed([child for child in part.get_payload() if isinstance(child, Message)]))


def _shallow_parts(message: Message) -> Iterator[Message]:
    """The parts of the first two MIME levels, where a report's machine-readable part lives; an
    attached message (a bounce a customer forwards to us) is not entered."""
    if message.get_content_maintype() != "multipart" or not message.is_multipart():
        return
    for child in message.get_payload():
        if isinstance(child, Message):
            yield child
            if child.get_content_maintype() == "multipart" and child.is_multipart():
                yield from (grand for grand in child.get_payload() if isinstance(grand, Message))


def _tnef_text(value: object, defects: list[str]) -> str:
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip("\x00")
    if isinstance(value, bytes):
        return decode_text(value.rstrip(b"\x00"), None, defects, "winmail.dat body").replace("\r\n", "\n")
    return ""


def _guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _extension_for(content_type: str) -> str:
    if content_type in ("text/plain", "text/rfc822-headers") or content_type.startswith("message/"):
        return ".txt"  # delivery reports are text a person may want to open
    return mimetypes.guess_extension(content_type) or ".bin"


_HTML_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


# --- text helpers --------------------------------------------------------------------------------


def unflow(text: str, *, delete_space: bool) -> str:
    """Undo format=flowed (RFC 3676): lines ending in a space continue on the next line. Quoted lines
    are left as they are; the quote folding works on lines."""
    out: list[str] = []
    paragraph = ""
    for line in text.split("\n"):
        if line.startswith(">") or line == "-- ":
            if paragraph:
                out.append(paragraph)
                paragraph = ""
            out.append(line)
            continue
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if line.endswith(" "):
            paragraph += line[:-1] if delete_space else line
        else:
            out.append(paragraph + line)
            paragraph = ""
    if paragraph:
        out.append(paragraph)
    return "\n".join(out)


_UU_BEGIN = re.compile(r"^begin [0-7]{3,4} +(\S.*?)\s*$")


def extract_uuencoded(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Files uuencoded inside a text body (`begin 644 name` ... `end`), taken out of the text."""
    if "begin " not in text:
        return text, []
    lines = text.split("\n")
    kept: list[str] = []
    files: list[tuple[str, bytes]] = []
    index = 0
    while index < len(lines):
        match = _UU_BEGIN.match(lines[index])
        if match:
            end = index + 1
            while end < len(lines) and lines[end].strip() != "end":
                end += 1
            if end < len(lines):
                decoded = _uudecode(lines[index : end + 1])
                if decoded and decoded[0][1]:
                    files.append(decoded[0])
                    index = end + 1
                    continue
        kept.append(lines[index])
        index += 1
    return "\n".join(kept), files


def _uudecode(lines: list[str]) -> list[tuple[str, bytes]]:
    name = "attachment"
    data = bytearray()
    started = False
    for line in lines:
        stripped = line.rstrip("\r\n")
        if not started:
            match = _UU_BEGIN.match(stripped)
            if match:
                name = re.split(r"[\\/]", match.group(1))[-1]
                started = True
            continue
        if stripped.strip() == "end":
            break
        if not stripped:
            continue
        encoded = stripped.encode("latin-1", "replace")
        try:
            data.extend(binascii.a2b_uu(encoded))
        except binascii.Error:
            # Trailing garbage from encoders that pad lines; keep the bytes the length byte announces.
            length = (((encoded[0] - 32) & 63) * 4 + 5) // 3
            try:
                data.extend(binascii.a2b_uu(encoded[:length]))
            except binascii.Error:
                continue
    return [(name, bytes(data))] if started else []


class _HtmlToText(HTMLParser):
    """HTML to readable text: blocks become lines, blockquotes become "> " quoting (so the quote
    folding works on HTML mail too), scripts and styles vanish, whitespace collapses as a browser
    collapses it."""

    _SKIP = frozenset({"script", "style", "title", "template", "noscript"})
    _BLOCKS = frozenset(
        {
            "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset",
            "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
            "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, bool, str]] = []
        self.buffer: list[str] = []
        self.quote_depth = 0
        self.skip_depth = 0
        self.pre_depth = 0

    def _flush(self, *, hard: bool) -> None:
        if self.buffer or hard:
            self.lines.append((self.quote_depth, self.pre_depth > 0, "".join(self.buffer)))
            self.buffer = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip_depth += 1
        elif tag == "br":
            self._flush(hard=True)
        elif tag in self._BLOCKS:
            self._flush(hard=False)
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre_depth += 1
            elif tag == "li":
                self.buffer.append("- ")
        elif tag in ("td", "th") and self.buffer:
            self.buffer.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in self._BLOCKS:
            self._flush(hard=False)
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            first, *rest = data.split("\n")
            self.buffer.append(first)
            for line in rest:
                self._flush(hard=True)
                self.buffer.append(line)
            return
        collapsed = re.sub(r"[ \t\r\n\f]+", " ", data)
        if not self.buffer or "".join(self.buffer).endswith(" "):
            collapsed = collapsed.lstrip(" ")
        if collapsed:
            self.buffer.append(collapsed)

    def text(self) -> str:
        self._flush(hard=False)
        rendered: list[str] = []
        for depth, preformatted, line in self.lines:
            line = line.replace("\xa0", " ")
            line = line.rstrip() if preformatted else line.strip()
            rendered.append(("> " * depth + line).rstrip() if depth else line)
        joined = "\n".join(rendered)
        return re.sub(r"\n(?:[ >]*\n){2,}", "\n\n", joined).strip("\n")


def html_to_text(markup: str) -> str:
    """Readable plain text of an HTML body (standard library only)."""
    if not markup:
        return ""
    parser = _HtmlToText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # html.parser is lenient, but a crash here must not lose the rest of the mail
        return re.sub(r"<[^>]*>", " ", markup)
    return parser.text()
