"""Secrets that customers paste — recovery phrases, private keys, one-time codes, passwords, card
numbers — found in inbound text and replaced before the text is stored or logged.

`redact(text)` returns the text with each secret replaced by a marker and the kinds it found, in the
order they appear. The marker is `[redacted:<kind>]`, e.g. `[redacted:recovery_phrase]`: the same in
every language, so a stored message reads the same to an agent in Tokyo and one in Madrid, and a page
can find it (`MARKER`) and render it in the reader's language. Everything around a secret is kept as
typed. `warning_for(kinds, language)` is the sentence that tells the customer what was removed.

What is caught, and what is deliberately left alone:

- recovery_phrase: a run of at least 12 words of one BIP39 word list (English, Chinese simplified and
  traditional, Japanese, Korean, Spanish, French, Italian, Portuguese, Czech), in any case, with or
  without accents, joined only by separators (spaces, ideographic spaces, commas, newlines, bullets,
  numbering such as "1." "2)" "3-"). Any count from 12 up counts, because customers paste partial
  phrases; the checksum is not required. Sentence punctuation (. ! ? :) breaks a run, which is what
  keeps ordinary prose out: the English list holds "you", "can", "this", "that", "have", but prose
  puts a word outside the list (the, a, my, is, to, I) or a full stop between them long before 12.
  Chinese words are single characters and the list holds the 2,048 most common ones, so ordinary
  Chinese sentences are mostly list characters; a Chinese run counts only when it does not read like
  Chinese: characters set apart by separators ("的 一 是", "1.的 2.一"), or an unbroken stretch of 12
  or more whose characters are rarer than Chinese text's and form no dictionary words
  (`han_phrase_score`, measured by benchmarks/redaction.py).
- private_key: 64 hex digits (optionally 0x) only when the nearest context word says key (private
  key, 私钥, 秘密鍵, 개인키, clave privada, закрытый ключ, ...). Without it, or when the nearest says
  transaction (txid, hash, 交易哈希, ...), it is a transaction hash that customers rightly paste.
- wif_private_key: Base58Check wallet-import-format keys (5/K/L mainnet, 9/c testnet) whose checksum
  holds; the checksum keeps other 51-52 character Base58 strings out.
- extended_private_key: xprv, yprv, zprv, tprv, uprv, vprv (and the multisig Y/Z/U/V forms) followed
  by Base58. The prefix alone decides, checksum or not: nothing public starts that way, and a key
  with one mistyped character is still a key. xpub/ypub/zpub and addresses are never touched.
- one_time_code: 6-8 digits (or 3+3, 4+4 groups) right next to a 2FA, OTP, authenticator,
  verification or SMS code phrase in the 13 languages; other numbers are amounts, orders or dates.
- password: the value after "password:" (any value but words like "reset" or "incorrect") or after
  "my password is" (a value that looks like a password: digits, symbols, capitals inside, or quoted)
  in the 13 languages; PINs ("my PIN is 1234") count as passwords. Only the value is replaced.
- card_number: 13-19 digits, optionally grouped by spaces or dashes, that pass the Luhn check and
  start like a card of that length (Visa, Mastercard, Amex, UnionPay, JCB, Diners, Discover, Maestro,
  Mir, Troy). Unbroken 13-14 and 17-19 digit strings need a card word nearby, because phone numbers
  with a country code and exchange order ids have those lengths.
"""

# ruff: noqa: RUF001, RUF003  (full-width punctuation and non-Latin letters in patterns are meant)
from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

RECOVERY_PHRASE = "recovery_phrase"
PRIVATE_KEY = "private_key"
EXTENDED_PRIVATE_KEY = "extended_private_key"
WIF_PRIVATE_KEY = "wif_private_key"
ONE_TIME_CODE = "one_time_code"
PASSWORD = "password"
CARD_NUMBER = "card_number"
KINDS = (
    RECOVERY_PHRASE,
    PRIVATE_KEY,
    EXTENDED_PRIVATE_KEY,
    WIF_PRIVATE_KEY,
    ONE_TIME_CODE,
    PASSWORD,
    CARD_NUMBER,
)

MARKER = re.compile(r"\[redacted:(?P<kind>[a-z_]+)\]")


def marker(kind: str) -> str:
    return f"[redacted:{kind}]"


@dataclass(frozen=True, slots=True)
class Redacted:
    text: str
    kinds: tuple[str, ...]  # each kind once, in the order its first secret appears


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    kind: str


def redact(text: str) -> Redacted:
    spans = [
        *_recovery_phrases(text),
        *_hex_private_keys(text),
        *_base58_keys(text),
        *_one_time_codes(text),
        *_passwords(text),
        *_card_numbers(text),
    ]
    if not spans:
        return Redacted(text, ())
    # Overlaps (a password value that is also a card number) keep the earliest, then the longest.
    spans.sort(key=lambda span: (span.start, -span.end))
    kept: list[_Span] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    parts: list[str] = []
    position = 0
    for span in kept:
        parts += [text[position : span.start], marker(span.kind)]
        position = span.end
    parts.append(text[position:])
    return Redacted("".join(parts), tuple(dict.fromkeys(span.kind for span in kept)))


# --- the customer's warning --------------------------------------------------------------------------

_WARNINGS = {
    RECOVERY_PHRASE: gettext_noop("We removed what looked like a recovery phrase from your message."),
    PRIVATE_KEY: gettext_noop("We removed what looked like a private key from your message."),
    EXTENDED_PRIVATE_KEY: gettext_noop(
        "We removed what looked like an extended private key from your message."
    ),
    WIF_PRIVATE_KEY: gettext_noop("We removed what looked like a private key from your message."),
    ONE_TIME_CODE: gettext_noop(
        "We removed what looked like a one-time security code (2FA or SMS) from your message."
    ),
    PASSWORD: gettext_noop("We removed what looked like a password from your message."),
    CARD_NUMBER: gettext_noop("We removed what looked like a card number from your message."),
}
_NEVER_SHARE = gettext_noop(
    "Never share secrets like these with anyone: our staff will never ask you for them."
)
# Languages whose sentences follow each other without a space.
_UNSPACED_LANGUAGES = ("zh", "ja")


def warning_for(kinds: Iterable[str], language: str) -> str:
    """One sentence per kind removed, then the reminder, in `language`; "" when nothing was removed."""
    sentences = list(dict.fromkeys(_WARNINGS[kind] for kind in kinds))
    if not sentences:
        return ""
    joiner = "" if language.lower().startswith(_UNSPACED_LANGUAGES) else " "
    with translation.override(language):
        return joiner.join(gettext(sentence) for sentence in [*sentences, _NEVER_SHARE])


# --- recovery phrases --------------------------------------------------------------------------------

MIN_PHRASE_WORDS = 12
BIP39_LANGUAGES = (
    "english",
    "chinese_simplified",
    "chinese_traditional",
    "japanese",
    "korean",
    "spanish",
    "french",
    "italian",
    "portuguese",
    "czech",
)
_LATIN_SCRIPT = frozenset({"english", "spanish", "french", "italian", "portuguese", "czech"})
_HAN_SCRIPT = frozenset({"chinese_simplified", "chinese_traditional"})

_HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A Han character is a word of its own; any other word is a run of letters, combining marks included
# (BIP39 text is often NFKD: "e" + U+0301, "か" + U+3099).
_TOKEN = re.compile(rf"[{_HAN_RANGES}]|(?:[^\W\d_{_HAN_RANGES}]|[\u0300-\u036f\u3099\u309a])+")
# What may stand between two words of a phrase: separators and numbering of one or two digits. A full
# stop, colon, question or exclamation mark only counts right after such a number ("1." "2:").
_SEPARATOR_GAP = re.compile(
    r"(?:[\s,，、;；|/\\·•・*+_\-‐‑–—~'\"“”‘’«»‹›()（）\[\]【】{}<>#№]|\d{1,2}(?!\d)[.．:：)）]?)*"
)
# Between Chinese characters only white space, commas, bullets and numbering: ordinary Chinese chains its
# sentences with quotes, brackets, colons and table bars, and those must not join them into a run.
_HAN_SEPARATOR_GAP = re.compile(r"(?:[\s,，、/•*\-]|\d{1,2}(?!\d)[.．:：)）\-]?)*")
_LINE_BREAK = re.compile(r"-?\r?\n")
_NUMBERING_BEFORE = re.compile(r"(?<!\d)(?:[•·・*]|(?:#|№)?\d{1,2}[.．:：)）\-]?)[ \t]*$")


@dataclass(frozen=True, slots=True)
class _Lexicon:
    folded: dict[str, int]  # Latin-script word without accents, lower case -> languages (bits)
    exact: dict[str, int]  # NFC lower-case word of the other scripts -> languages
    han: dict[str, int]  # Chinese character -> languages
    han_rank: dict[str, int]  # Chinese character -> its position in the list (a frequency order)
    han_bits: int


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@cache
def _lexicon() -> _Lexicon:
    from mnemonic import Mnemonic

    bits = {language: 1 << index for index, language in enumerate(BIP39_LANGUAGES)}
    folded: dict[str, int] = {}
    exact: dict[str, int] = {}
    han: dict[str, int] = {}
    han_rank: dict[str, int] = {}
    for language, bit in bits.items():
        for position, word in enumerate(Mnemonic(language).wordlist):
            word = unicodedata.normalize("NFC", word).lower()
            if language in _HAN_SCRIPT:
                han[word] = han.get(word, 0) | bit
                han_rank[word] = min(position, han_rank.get(word, position))
            elif language in _LATIN_SCRIPT:
                folded[_fold(word)] = folded.get(_fold(word), 0) | bit
            else:
                exact[word] = exact.get(word, 0) | bit
    han_bits = bits["chinese_simplified"] | bits["chinese_traditional"]
    return _Lexicon(folded, exact, han, han_rank, han_bits)


def _languages_of(word: str, lexicon: _Lexicon) -> int:
    word = word.lower()
    if word.isascii():
        return lexicon.folded.get(word, 0)
    return lexicon.exact.get(unicodedata.normalize("NFC", word), 0) | lexicon.folded.get(_fold(word), 0)


@dataclass(slots=True)
class _Word:
    start: int
    end: int
    languages: int
    han: bool


def _recovery_phrases(text: str) -> list[_Span]:
    lexicon = _lexicon()
    if not _twelve_list_words_in_a_row(text, lexicon):
        return []
    words: list[_Word] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if len(token) == 1 and token in lexicon.han:
            words.append(_Word(match.start(), match.end(), lexicon.han[token], True))
        else:
            words.append(_Word(match.start(), match.end(), _languages_of(token, lexicon), False))
    words = _join_split_words(text, words, lexicon)
    spans = []
    for first, last, bit in _runs(text, words):
        if bit & lexicon.han_bits:
            parts = [
                (first + start, first + end) for start, end in _han_phrases(text, words[first : last + 1])
            ]
        else:
            parts = [(first, last)]
        for part_first, part_last in parts:
            start = words[part_first].start
            numbering = _NUMBERING_BEFORE.search(text, max(0, start - 6), start)
            spans.append(
                _Span(numbering.start() if numbering else start, words[part_last].end, RECOVERY_PHRASE)
            )
    return spans


def _twelve_list_words_in_a_row(text: str, lexicon: _Lexicon) -> bool:
    """The cheap first look that lets most messages skip the rest: twelve list words in a row, whatever
    stands between them (a line break may split a word, so text with one always gets the full look)."""
    if "\n" in text:
        return True
    in_a_row = 0
    for token in _TOKEN.findall(text):
        if token in lexicon.han or _languages_of(token, lexicon):
            in_a_row += 1
            if in_a_row == MIN_PHRASE_WORDS:
                return True
        else:
            in_a_row = 0
    return False


def _join_split_words(text: str, words: list[_Word], lexicon: _Lexicon) -> list[_Word]:
    """Rejoin a word a narrow display or a mail client broke across lines ("aban-\\ndon")."""
    joined: list[_Word] = []
    index = 0
    while index < len(words):
        word = words[index]
        if index + 1 < len(words):
            after = words[index + 1]
            if (
                not word.han
                and not after.han
                and (word.languages == 0 or after.languages == 0)
                and _LINE_BREAK.fullmatch(text, word.end, after.start)
            ):
                languages = _languages_of(
                    text[word.start : word.end] + text[after.start : after.end], lexicon
                )
                if languages:
                    joined.append(_Word(word.start, after.end, languages, False))
                    index += 2
                    continue
        joined.append(word)
        index += 1
    return joined


def _runs(text: str, words: list[_Word]) -> list[tuple[int, int, int]]:
    """(first, last, language bit) of each run of at least MIN_PHRASE_WORDS words of one list."""
    runs: list[tuple[int, int, int]] = []
    starts: dict[int, int] = {}
    alive = 0
    for index, word in enumerate(words):
        continuing = 0
        if alive & word.languages:
            before = words[index - 1]
            if before.end == word.start:
                joined = before.han and word.han
            else:
                gap = _HAN_SEPARATOR_GAP if word.han else _SEPARATOR_GAP
                joined = gap.fullmatch(text, before.end, word.start) is not None
            continuing = alive & word.languages if joined else 0
        _close(alive & ~continuing, starts, index - 1, runs)
        for bit in _bits(word.languages & ~continuing):
            starts[bit] = index
        alive = word.languages
    _close(alive, starts, len(words) - 1, runs)
    return runs


def _close(ended: int, starts: dict[int, int], last: int, runs: list[tuple[int, int, int]]) -> None:
    for bit in _bits(ended):
        if last - starts[bit] + 1 >= MIN_PHRASE_WORDS:
            runs.append((starts[bit], last, bit))


def _bits(mask: int) -> list[int]:
    found = []
    while mask:
        lowest = mask & -mask
        found.append(lowest)
        mask ^= lowest
    return found


# How much each character of a Chinese run says "ordinary text" (positive) or "random list words"
# (negative), as log-likelihood ratios. Estimated once from the 1,225 runs of 12 or more list-only
# characters in the help centre's Chinese articles, the Bitcoin FAQ and our zh catalogues, against
# 20,000 random 12-word phrases: by the character's frequency rank in the list (buckets of log2(rank+1);
# BIP39 orders the Chinese lists by frequency, while a phrase draws every rank alike), and by whether
# jieba puts the character inside a dictionary word of two or more characters. Those ordinary runs
# scored 13.8 and up, while about 1 in 13,000 random 12-word phrases scores 10 or more (longer phrases
# score lower still); benchmarks/redaction.py re-measures both sides.
_HAN_RANK_SCORE = (4.55, 3.08, 2.87, 2.45, 2.24, 1.88, 1.04, 1.08, 0.41, -0.74, -1.66)
_HAN_IN_WORD_SCORE = 3.18
_HAN_ALONE_SCORE = -1.42
HAN_PHRASE_THRESHOLD = 10.0


def _han_phrases(text: str, run: list[_Word]) -> list[tuple[int, int]]:
    """The parts of a run of Chinese list characters that are phrases, as (first, last) in the run.

    A phrase is written either with its characters set apart ("的 一 是 在", "1.的 2.一"; a pair that
    lost its space is allowed) or as one unbroken stretch of at least 12 characters that does not read
    as Chinese. Any other unbroken stretch of three or more characters ("助记词 的 一 是 ...") ends one.
    """
    phrases: list[tuple[int, int]] = []
    current: list[tuple[int, int]] = []
    for group in [*_unbroken_groups(run), None]:
        if group is not None and (
            _length(group) <= 2 or _reads_as_phrase(text, run[group[0] : group[1] + 1])
        ):
            current.append(group)
            continue
        # A pair at either end is more likely a word next to the phrase ("... 中 大 谢谢") than a
        # space the customer left out, when it is a dictionary word.
        while current and _length(current[0]) == 2 and _is_dictionary_word(text, run, current[0]):
            current.pop(0)
        while current and _length(current[-1]) == 2 and _is_dictionary_word(text, run, current[-1]):
            current.pop()
        if current and current[-1][1] - current[0][0] + 1 >= MIN_PHRASE_WORDS:
            phrases.append((current[0][0], current[-1][1]))
        current = []
    return phrases


def _length(group: tuple[int, int]) -> int:
    return group[1] - group[0] + 1


def _is_dictionary_word(text: str, run: list[_Word], group: tuple[int, int]) -> bool:
    import rjieba

    return bool(rjieba.has_word(_to_simplified(text[run[group[0]].start : run[group[1]].end])))


def _reads_as_phrase(text: str, characters: list[_Word]) -> bool:
    """Whether an unbroken stretch of Chinese list characters is a phrase rather than a sentence."""
    if len(characters) < MIN_PHRASE_WORDS:
        return False
    return han_phrase_score("".join(text[word.start] for word in characters)) < HAN_PHRASE_THRESHOLD


def han_phrase_score(characters: str) -> float:
    """How much an unbroken stretch of Chinese list characters reads as Chinese (high) rather than as
    words drawn at random from the list (low); below HAN_PHRASE_THRESHOLD it is taken for a phrase."""
    ranks = _lexicon().han_rank
    score = 0.0
    for character, inside in zip(characters, _in_dictionary_word(characters), strict=True):
        score += _HAN_RANK_SCORE[min(int(math.log2(ranks[character] + 1)), len(_HAN_RANK_SCORE) - 1)]
        score += _HAN_IN_WORD_SCORE if inside else _HAN_ALONE_SCORE
    return score


def _unbroken_groups(run: list[_Word]) -> list[tuple[int, int]]:
    """(first, last) of each stretch of characters written with nothing between them."""
    groups: list[tuple[int, int]] = []
    first = 0
    for index in range(1, len(run) + 1):
        if index == len(run) or run[index - 1].end != run[index].start:
            groups.append((first, index - 1))
            first = index
    return groups


def _in_dictionary_word(characters: str) -> list[bool]:
    import rjieba

    simplified = _to_simplified(characters)
    if len(simplified) != len(characters):  # a phrase-level conversion: convert one by one instead
        simplified = "".join(_to_simplified(character)[:1] or character for character in characters)
    inside: list[bool] = []
    for word in rjieba.cut(simplified, False):  # no HMM: it would invent words from random characters
        inside += [len(word) > 1] * len(word)
    return inside


@cache
def _opencc() -> Any:
    import opencc

    return opencc.OpenCC("t2s.json")


def _to_simplified(text: str) -> str:
    return str(_opencc().convert(text))


# --- private keys ------------------------------------------------------------------------------------

_HEX_KEY = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
# The nearest of these words, before the hex (up to 80 characters) or after it (up to 40), decides.
_KEY_CONTEXT = re.compile(
    # Latin-script words are whole words ("key" is not in "keyboard", "hash" not in "hashtag").
    r"(?<![^\W\d_])(?:(?P<public>public[\s_-]*key|pub[\s_-]*key|tx[\s_-]*(?:id|hash)|transactions?|hash(?:es)?"
    r"|blocks?|address(?:es)?|transacci[oó]n|transa[cç][aã]o|transazione|transaktion\w*|giao\s+d[iị]ch"
    r"|i[sş]lem\w*|транзакци\w*|хэш\w*|хеш\w*|адрес\w*)"
    r"|(?P<secret>priv(?:ate)?[\s_-]*keys?|privkey|secret|seed|wif|keys?|clave|llave|chave|cl[eé]|chiave"
    r"|\w*schl[uü]ssel\w*|ключ\w*|kh[oó][aá]|anahtar\w*))(?![^\W\d_])"
    r"|(?P<public_cjk>交易|哈希|区块|區塊|地址|公钥|公鑰|トランザクション|ハッシュ|公開鍵|アドレス|트랜잭션|거래|해시"
    r"|공개\s*키|주소)"
    r"|(?P<secret_cjk>私钥|私鑰|密钥|密鑰|秘钥|秘鑰|秘密鍵|秘密キー|プライベートキー|개인\s*키|비밀\s*키|프라이빗\s*키)",
    re.IGNORECASE,
)


def _hex_private_keys(text: str) -> list[_Span]:
    spans = []
    for match in _HEX_KEY.finditer(text):
        nearest: tuple[int, str] | None = None
        window_start = max(0, match.start() - 80)
        for context in _KEY_CONTEXT.finditer(text, window_start, min(len(text), match.end() + 40)):
            if match.start() <= context.start() < match.end():
                continue
            if context.end() <= match.start():
                distance = match.start() - context.end()
            else:
                distance = context.start() - match.end()
            if nearest is None or distance <= nearest[0]:
                nearest = (distance, context.lastgroup or "")
        if nearest is not None and nearest[1].startswith("secret"):
            spans.append(_Span(match.start(), match.end(), PRIVATE_KEY))
    return spans


_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_RUN = re.compile(rf"(?<![{_BASE58}])[{_BASE58}]{{51,}}(?![{_BASE58}])")
_EXTENDED_PRIVATE = re.compile(rf"[xyztuvXYZUV]prv[{_BASE58}]{{100,108}}")
_BASE58_VALUES = {character: value for value, character in enumerate(_BASE58)}
# A WIF key is a version byte (mainnet 0x80, testnet 0xef), 32 key bytes, 0x01 when the public key is
# compressed, and a 4-byte checksum: 37 or 38 bytes.
_WIF_VERSIONS = (0x80, 0xEF)
_WIF_MAX_BYTES = 38


def _base58_keys(text: str) -> list[_Span]:
    spans = []
    for match in _BASE58_RUN.finditer(text):
        candidate = match.group()
        if _EXTENDED_PRIVATE.fullmatch(candidate):
            spans.append(_Span(match.start(), match.end(), EXTENDED_PRIVATE_KEY))
        elif len(candidate) in (51, 52) and candidate[0] in "5KL9c" and _is_wif(candidate):
            spans.append(_Span(match.start(), match.end(), WIF_PRIVATE_KEY))
    return spans


def _is_wif(candidate: str) -> bool:
    number = 0
    for character in candidate:
        number = number * 58 + _BASE58_VALUES[character]
    if number.bit_length() > _WIF_MAX_BYTES * 8:
        return False
    raw = number.to_bytes(_WIF_MAX_BYTES, "big").lstrip(b"\0")
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return False
    compressed = len(payload) == 34 and payload[-1] == 1
    return payload[0] in _WIF_VERSIONS and (len(payload) == 33 or compressed)


# --- one-time codes ----------------------------------------------------------------------------------

# A keyword starts a word: "pin" is not in "spin". Chinese, Japanese and Korean put no space before a
# word, so after their characters a keyword may start anywhere ("我的密码", "簡訊驗證碼").
_WORD_START = r"(?<![^\W\d_\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])"
_CODE_WORD = r"(?:codes?|kod(?:u|um)?|код(?:ом|а)?|c[oó]digo|codice|m[aã]|コード|코드|码|碼)"
_OTP_PHRASE = (
    r"(?:2-?fa|mfa|t?otp|two[\s-]*factor|2[\s-]*step|one[\s-]*time[\s-]*(?:pass(?:word|code)?|code|pin)"
    r"|google[\s-]*auth(?:enticator)?|authenticator|ga[\s-]*code|(?:verification|verify|security|confirmation"
    r"|auth(?:entication)?|login|sign[\s-]*in|sms|text|email|withdrawal)[\s-]*code"
    # zh-hans, zh-hant
    r"|验证码|驗證碼|校验码|校驗碼|动态码|動態碼|动态密码|動態密碼|短信码|簡訊碼|安全码|安全碼|确认码|確認碼"
    r"|认证码|認證碼|一次性密码|一次性密碼|谷歌验证|谷歌驗證|二次验证码|双重验证码"
    # ja, ko
    r"|認証コード|確認コード|認証番号|確認番号|ワンタイムパスワード|ワンタイムコード|セキュリティコード|二段階認証|2段階認証"
    r"|인증\s*번호|인증\s*코드|확인\s*코드|보안\s*코드|일회용\s*비밀번호|2단계\s*인증"
    # ru, es, pt, vi, tr, fr, de, it
    r"|код\s+(?:подтверждения|верификации|аутентификации|из\s+смс|из\s+sms|из\s+приложения)"
    r"|проверочный\s+код|одноразовый\s+(?:код|пароль)|смс[\s-]*код|sms[\s-]*код"
    r"|c[oó]digo\s+(?:de\s+)?(?:verificaci[oó]n|verifica[cç][aã]o|seguridad|seguran[cç]a|confirmaci[oó]n"
    r"|confirma[cç][aã]o|autenticaci[oó]n|autentica[cç][aã]o|sms|de\s+un\s+solo\s+uso)"
    r"|contrase[ñn]a\s+de\s+un\s+solo\s+uso"
    r"|m[aã]\s+(?:x[aá]c\s+(?:minh|th[uự]c|nh[aậ]n)|otp|b[aả]o\s+m[aậ]t|sms)"
    r"|do[gğ]rulama\s+kod(?:u|um)?|onay\s+kod(?:u|um)?|g[uü]venlik\s+kod(?:u|um)?|sms\s+kod(?:u|um)?"
    r"|tek\s+kullan[iı]ml[iı]k\s+(?:[sş]ifre|kod)"
    r"|code\s+(?:de\s+)?(?:v[eé]rification|s[eé]curit[eé]|confirmation|validation|authentification)"
    r"|code\s+d['’]authentification|code\s+[aà]\s+usage\s+unique"
    r"|best[aä]tigungs[\s-]*code|verifizierungs[\s-]*code|sicherheits[\s-]*code|authentifizierungs[\s-]*code"
    r"|einmal(?:code|passwort|[\s-]*code)|pr[uü]f[\s-]*code"
    r"|codice\s+(?:di\s+)?(?:verifica|sicurezza|conferma|autenticazione)|codice\s+monouso)"
)
_OTP_FILLER = (
    rf"(?:[\s:：=>\-–—'\"“”‘’「」『』()（）\[\]#№.]|{_CODE_WORD}"
    r"|(?:is|was|are|it's|its|it|here|now|new|my|the|number|no|es|era|fue|mi|el|é|meu|o|est|était|mon"
    r"|le|ist|war|lautet|mein|der|è|il|mio|là|của|tôi|это|был|мой|kodum|kodu)(?![^\W\d_])"
    r"|[是为為はがの는은이가])"
)
_OTP_CODE = r"(?<![\d.,/-])(?P<code>\d{6,8}|\d{3}[ -]\d{3}|\d{4}[ -]\d{4})(?!\d|[.,:/-]\d)"
_CODE_AFTER_PHRASE = re.compile(
    rf"{_WORD_START}{_OTP_PHRASE}{_OTP_FILLER}{{0,12}}?{_OTP_CODE}", re.IGNORECASE
)
_CODE_BEFORE_PHRASE = re.compile(
    rf"{_OTP_CODE}\s*(?:is|was|=|—|-|:|是|为)?\s*(?:(?:my|the|your|mi|el|mon|le|mein|der|il|mio|мой)\s+)?"
    rf"{_OTP_PHRASE}",
    re.IGNORECASE,
)
_HAS_THREE_DIGITS = re.compile(r"\d{3}")


def _one_time_codes(text: str) -> list[_Span]:
    if not _HAS_THREE_DIGITS.search(text):
        return []
    return [
        _Span(match.start("code"), match.end("code"), ONE_TIME_CODE)
        for pattern in (_CODE_AFTER_PHRASE, _CODE_BEFORE_PHRASE)
        for match in pattern.finditer(text)
    ]


# --- passwords ---------------------------------------------------------------------------------------

_PASSWORD_WORD = (
    r"(?:pass(?:word|wort|code)s?|kennwort|pwd|пароль|密码|密碼|パスワード|비밀번호|비번|패스워드"
    r"|contrase[ñn]a|senha|m[aậ]t\s+kh[aẩ]u|[şs]ifre(?:m|miz)?|parola(?:m)?|mot\s+de\s+passe)"
)
_PIN_WORD = r"(?:pin(?:[\s-]*(?:code|код|код\w*|kodu|码|碼))?|暗証番号|핀\s*번호)"
_QUOTED = r"(?P<quote>[\"'“‘「『])(?P<quoted>[^\"'”’」』\n]{1,64})[\"'”’」』]"
# A bare value ends at white space or where CJK text resumes ("密码是abc123请帮我").
_BARE = r"(?P<bare>[^\s\"'“”‘’「」『』\u3000-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]{1,64})"
# Korean and Japanese topic and subject particles between the word and its value ("비밀번호는", "暗証番号は").
_PARTICLE = r"(?:[는은이가はが])?"
_PASSWORD_EXPLICIT = re.compile(
    rf"{_WORD_START}{_PASSWORD_WORD}{_PARTICLE}\s*[:：=]\s*(?:{_QUOTED}|{_BARE})", re.IGNORECASE
)
_PASSWORD_STATED = re.compile(
    rf"{_WORD_START}{_PASSWORD_WORD}\s*(?P<copula>(?:is|was|ist|war|lautet|est|était|es|era|é|è|là|это)"
    rf"(?![^\W\d_])|[是为為]|[는은이가はが]|[—–-]|=>|->)?\s*(?:{_QUOTED}|{_BARE})",
    re.IGNORECASE,
)
_PIN = re.compile(
    rf"{_WORD_START}{_PIN_WORD}{_PARTICLE}\s*(?:(?:is|was|ist|est|es|era|é|è|là|это)(?![^\W\d_])"
    r"|[:：=是为為]|[—–-])?\s*(?P<bare>\d{4,6})(?!\d|[.,]\d)",
    re.IGNORECASE,
)
# What follows "password:" or "password is" in a sentence about a password rather than in one giving it.
_NOT_A_PASSWORD = frozenset(
    {
        *("not", "wrong", "incorrect", "correct", "invalid", "valid", "expired", "forgotten", "forgot"),
        *("reset", "resetting", "changed", "change", "blocked", "locked", "same", "too", "still"),
        *("required", "empty", "weak", "strong", "safe", "secure", "ok", "okay", "fine", "working"),
        *("being", "now", "also", "already", "different", "new", "old", "missing", "lost", "stolen"),
        *("compromised", "hacked", "leaked", "needed", "it", "this", "that", "my", "your", "the", "a"),
        *("an", "and", "or", "of", "for", "to", "in", "on", "at", "by", "with", "from", "when", "what"),
        *("how", "why", "which", "no", "none", "unknown", "n/a", "na"),
    }
)
_TRAILING_PUNCTUATION = ".,;!?)]}>"


# Every password and PIN word above contains one of these; most messages contain none and skip the
# three patterns, which cost far more than these substring searches.
_PASSWORD_HINTS = (
    *("pass", "pwd", "kennwort", "пароль", "密码", "密碼", "パスワード", "暗証", "비밀번호", "비번"),
    # "i\u0307fre": what "ŞİFRE".lower() gives.
    *("패스워드", "핀", "contrase", "senha", "kh", "ifre", "i\u0307fre", "parola", "pin"),
)


def _passwords(text: str) -> list[_Span]:
    lowered = text.lower()
    if not any(hint in lowered for hint in _PASSWORD_HINTS):
        return []
    spans = []
    for match in _PASSWORD_EXPLICIT.finditer(text):
        spans.extend(_password_value(match, stated=False))
    for match in _PASSWORD_STATED.finditer(text):
        spans.extend(_password_value(match, stated=True))
    for match in _PIN.finditer(text):
        spans.append(_Span(match.start("bare"), match.end("bare"), PASSWORD))
    return spans


def _password_value(match: re.Match[str], *, stated: bool) -> list[_Span]:
    if match.group("quoted") is not None:
        return [_Span(match.start("quoted"), match.end("quoted"), PASSWORD)]
    value = match.group("bare").rstrip(_TRAILING_PUNCTUATION)
    if not value or value.lower() in _NOT_A_PASSWORD:
        return []
    if stated and not _looks_like_password(value, linked=match.group("copula") is not None):
        return []
    start = match.start("bare")
    return [_Span(start, start + len(value), PASSWORD)]


def _looks_like_password(value: str, *, linked: bool) -> bool:
    """A stated value is only taken when it cannot be an ordinary word: "my password is hunter2" but
    not "my password is incorrect"; with no verb between ("мой пароль qwerty123", "password sign-in
    pauses") it must mix letters and digits."""
    if len(value) < 6:
        return False
    has_digit = any(character.isdigit() for character in value)
    has_letter = any(character.isalpha() for character in value)
    if not linked:
        return has_digit and has_letter
    has_symbol = any(not character.isalnum() for character in value)
    inner_capital = any(character.isupper() for character in value[1:]) and not value.isupper()
    return has_digit or (has_symbol and has_letter) or inner_capital


# --- card numbers ------------------------------------------------------------------------------------

_CARD = re.compile(
    r"(?<![\d.,/-])(?<!\d[ -])"
    r"(?P<number>\d{13,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{3})?|\d{4}[ -]\d{6}[ -]\d{4,5})"
    r"(?!\d|[ -]\d|[.,/]\d)"
)
_CARD_CONTEXT = re.compile(
    # Word starts, so that inflected forms count (cards, kartım, карту) but "the" is not "thẻ".
    r"(?<![^\W\d_])(?:card|visa|master\s*card|amex|american\s+express|union\s*pay|maestro|discover|jcb"
    r"|diners|carte|carta|cart[aã]o|karte|kart|tarjeta|карт|thẻ)|卡|カード|카드|银联|銀聯",
    re.IGNORECASE,
)


_HAS_FOUR_DIGITS = re.compile(r"\d{4}")


def _card_numbers(text: str) -> list[_Span]:
    if not _HAS_FOUR_DIGITS.search(text):
        return []
    spans = []
    for match in _CARD.finditer(text):
        number = match.group("number")
        digits = number.replace(" ", "").replace("-", "")
        if not (_luhn_valid(digits) and _card_prefix_fits(digits)):
            continue
        grouped = len(digits) != len(number)
        if not grouped and len(digits) not in (15, 16):
            context = text[max(0, match.start() - 40) : match.end() + 20]
            if not _CARD_CONTEXT.search(context):
                continue
        spans.append(_Span(match.start(), match.end(), CARD_NUMBER))
    return spans


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_prefix_fits(digits: str) -> bool:
    """Whether the number starts like a card of its length, from the card networks' published ranges."""
    length, two, four = len(digits), int(digits[:2]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return length in (13, 16, 19)
    if two in (34, 37):  # American Express
        return length == 15
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return length == 16
    if 2200 <= four <= 2204:  # Mir
        return 16 <= length <= 19
    if two in (30, 35, 36, 38, 39):  # Diners Club, JCB
        return 14 <= length <= 19
    if two == 50 or 56 <= two <= 69:  # Maestro, Discover, UnionPay, RuPay, Verve
        return 13 <= length <= 19
    return four == 9792 and length == 16  # Troy
