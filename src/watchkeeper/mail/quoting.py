"""Fold the quoted history and the signature of an email reply, so an agent sees what is new.

`split_quoted(text)` returns (new part, folded part). Nothing is thrown away: the folded part is shown
collapsed under the new one. The rules follow what the usual reply strippers (github's
email_reply_parser, mailgun's talon) learned from real clients:

- an attribution line ("On <date>, X wrote:", in a dozen languages, possibly wrapped over three lines)
  or an Outlook header block ("-----Original Message-----", "From: ... Sent: ...") starts the history;
- ">" quoted lines at the end are history, and a quote at the very top followed by the reply is a
  bottom-posted reply; quotes with answers between them are an inline reply and stay visible;
- "-- " signatures, mailing-list footers and "Sent from my iPhone" lines at the end are folded;
- a forwarded message ("---------- Forwarded message ---------") is content, never history.
"""

# ruff: noqa: RUF001, RUF003  (Cyrillic, CJK and full-width punctuation in the patterns are meant)
from __future__ import annotations

import re
from dataclasses import dataclass

# The verb (and colon) that ends an attribution line: "wrote:", "a écrit :", "schrieb:", "写道："...
_ATTRIBUTION_END = re.compile(
    r"(wrote|writes|schrieb|a écrit|escribió|escribio|ha scritto|escreveu|schreef|napisał|napisała|"
    r"написал|написала|написал\(а\)|пишет|yazdı|đã viết|写道|寫道|書きました|のメッセージ|작성)\s*[:：]\s*$",
    re.IGNORECASE,
)
# How an attribution wrapped over several lines starts ("On Tue, ...", "Le 3 avr. 2012 ...").
_ATTRIBUTION_START = re.compile(r"^\s*(On|Am|Le|El|Il|Em|Op|W dniu|Dne|В|在|\d{1,4}[-./年])\b", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*[-_=*]{2,}\s*(original message|ursprüngliche nachricht|originalnachricht|message d'origine|"
    r"mensaje original|messaggio originale|mensagem original|исходное сообщение|原始邮件|原始郵件|"
    r"元のメッセージ|oorspronkelijk bericht|oryginalna wiadomość|orijinal mesaj|원본 메시지)"
    r"\s*[-_=*]{2,}\s*$",
    re.IGNORECASE,
)
# Outlook and webmail header blocks: a From line followed by Sent/To/Subject/Date lines.
_HEADER_FROM = re.compile(
    r"^\s*\*?(from|von|de|da|от|van|od|kimden|发件人|發件人|寄件者|差出人|보낸 사람|từ)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_HEADER_OTHER = re.compile(
    r"^\s*\*?(sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|à|objet|enviado|fecha|para|asunto|"
    r"inviato|data|oggetto|a|отправлено|дата|кому|тема|发送时间|时间|日期|收件人|主题|主旨|送信日時|宛先|件名|"
    r"날짜|받는 사람|제목)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_BARE_ATTRIBUTION = re.compile(
    r"(@[\w.-]+>?|\d{1,2}:\d{2}(:\d{2})?\s*([ap]\.?m\.?)?)\s*[:：]\s*$", re.IGNORECASE
)
# A forwarded message is the customer's content (a suspicious mail sent to us to check), not history.
_FORWARD_MARKER = re.compile(
    r"^\s*(-{2,}\s*(forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|"
    r"messaggio inoltrato|mensagem encaminhada|пересылаемое сообщение|"
    r"转发的邮件|轉寄的郵件|転送されたメッセージ)|"
    r"begin forwarded message\s*:)",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*[-_]{10,}\s*$")
# A signature delimiter: "-- " (RFC 3676), a bare "--", or a mailing-list footer rule of underscores.
_SIGNATURE_DELIMITER = re.compile(r"^(--\s*|_{5,}\s*)$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(sent from my(\s+[\w.'’-]+){1,4}|sent from (mail|outlook|yahoo mail)\b.{0,40}|get outlook for \w+|"
    r"envoyé de mon \w+|von meinem \w+ gesendet|enviado desde mi \w+|inviato da(l mio)? \w+|"
    r"отправлено с (моего )?\w+|发自我的\w+|從我的 ?\w+ ?傳送|\w+から送信)\.?\s*$",
    re.IGNORECASE,
)
# A signature is short: a "-- " more than this many lines above the end is part of the text.
MAX_SIGNATURE_LINES = 25


@dataclass(frozen=True)
class _Splitter:
    start: int
    end: int  # first line after the splitter
    attribution: bool  # "On ... wrote:" (a quote follows) rather than an Outlook header block


def split_quoted(text: str) -> tuple[str, str]:
    """(new part, folded part) of a reply's plain text; ("", "") for empty input."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kinds = [_kind(line) for line in lines]
    splitter = _find_splitter(lines, kinds)
    if splitter is None:
        cut = _trailing_cut(lines, kinds, len(lines))
        return _join(lines[:cut]), _join(lines[cut:])

    quote_end = splitter.end
    while quote_end < len(lines) and kinds[quote_end] == "e":
        quote_end += 1
    followed_by_quote = quote_end < len(lines) and kinds[quote_end] == "q"
    if not splitter.attribution or not followed_by_quote:
        # Outlook-style history is not ">"-quoted: everything from the header block down is history.
        cut = _trailing_cut(lines, kinds, splitter.start)
        return _join(lines[:cut]), _join(lines[cut:])

    while quote_end < len(lines) and kinds[quote_end] in "qe":
        quote_end += 1
    rest_cut = _trailing_cut(lines, kinds, len(lines), floor=quote_end)
    text_after = any(kind == "t" for kind in kinds[quote_end:rest_cut])
    text_before = any(kind == "t" for kind in kinds[: splitter.start])
    if not text_after:
        cut = _trailing_cut(lines, kinds, splitter.start)
        return _join(lines[:cut]), _join(lines[cut:])
    if not text_before and "q" not in kinds[quote_end:rest_cut]:
        # Bottom-posted reply under the quoted message: the answer is what follows the quote.
        return _join(lines[quote_end:rest_cut]), _join(lines[:quote_end] + lines[rest_cut:])
    # Inline answers between quoted passages need their context: fold only what trails.
    cut = _trailing_cut(lines, kinds, len(lines))
    return _join(lines[:cut]), _join(lines[cut:])


def _kind(line: str) -> str:
    stripped = line.strip()
    if not stripped:
        return "e"
    if stripped.startswith(">"):
        return "q"
    return "t"


def _find_splitter(lines: list[str], kinds: list[str]) -> _Splitter | None:
    for index, line in enumerate(lines):
        if kinds[index] != "t":
            continue
        if _FORWARD_MARKER.match(line):
            return None
        if _ORIGINAL_MESSAGE.match(line):
            return _Splitter(index, index + 1, attribution=False)
        if _SEPARATOR.match(line) and _header_block_at(lines, _next_text(lines, index + 1, limit=3)):
            return _Splitter(index, index + 1, attribution=False)
        if _header_block_at(lines, index):
            return _Splitter(index, index + 1, attribution=False)
        attribution_end = _attribution_at(lines, kinds, index)
        if attribution_end is not None:
            return _Splitter(index, attribution_end, attribution=True)
    return None


def _attribution_at(lines: list[str], kinds: list[str], index: int) -> int | None:
    """End (exclusive) of an attribution starting at `index`, which may wrap over up to three lines."""
    line = lines[index]
    if len(line) <= 400 and _ATTRIBUTION_END.search(line):
        return index + 1
    if len(line) <= 300 and _BARE_ATTRIBUTION.search(line):
        # "26.06.2014, 14:41, "Alexander L" <abc@example.com>:" (mail.ru, Yandex): no verb, so only
        # when a quote follows directly.
        following = _next_text(lines, index + 1, limit=3)
        if following is not None and kinds[following] == "q":
            return index + 1
    if not _ATTRIBUTION_START.match(line):
        return None
    joined = line
    for following in range(index + 1, min(index + 3, len(lines))):
        if kinds[following] != "t":
            return None
        joined += " " + lines[following].strip()
        if len(joined) > 400:
            return None
        if _ATTRIBUTION_END.search(joined):
            return following + 1
    return None


def _header_block_at(lines: list[str], index: int | None) -> bool:
    """A pasted header block starts here: at least three header lines in a row, one of them From
    (Outlook puts From first, Hotmail starts with Date or Subject)."""
    if index is None or index >= len(lines):
        return False
    has_from = False
    header_lines = 0
    for line in lines[index : index + 6]:
        if _HEADER_FROM.match(line):
            has_from = True
        elif not _HEADER_OTHER.match(line):
            break
        header_lines += 1
    return has_from and header_lines >= 3


def _next_text(lines: list[str], start: int, *, limit: int) -> int | None:
    for index in range(start, min(start + limit, len(lines))):
        if lines[index].strip():
            return index
    return None


def _trailing_cut(lines: list[str], kinds: list[str], stop: int, floor: int = 0) -> int:
    """Where the trailing history (quoted lines, blank lines, signatures) before `stop` begins."""
    cut = stop
    while True:
        while cut > floor and kinds[cut - 1] in "qe":
            cut -= 1
        signature = _signature_start(lines, kinds, cut, floor)
        if signature is None:
            return cut
        cut = signature


def _signature_start(lines: list[str], kinds: list[str], stop: int, floor: int) -> int | None:
    """Topmost signature delimiter among the last lines before `stop` that has only text below it."""
    found: int | None = None
    text_lines = 0
    for index in range(stop - 1, max(floor, stop - MAX_SIGNATURE_LINES) - 1, -1):
        if kinds[index] == "q":
            break
        if kinds[index] == "t":
            text_lines += 1
        if _SIGNATURE_DELIMITER.match(lines[index]) or (
            text_lines <= 3 and _MOBILE_SIGNATURE.match(lines[index])
        ):
            found = index
    return found


def _join(lines: list[str]) -> str:
    return "\n".join(line.rstrip() for line in lines).strip("\n")
