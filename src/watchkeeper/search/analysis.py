"""Language analysis for search: text in, normalised tokens out, the same for documents and queries.

The database only ranks; every language decision is made here, so SQLite FTS5 and PostgreSQL index
exactly the same tokens (DESIGN.md §Search).

- Chinese: Traditional folded to Simplified with OpenCC (so 提幣 finds 提币), then jieba segmentation
  (rjieba, the jieba-rs binding) plus overlapping character pairs, which recover words the dictionary
  segments differently in question and answer.
- Japanese: MeCab through fugashi with UniDic-lite; particles, auxiliaries and symbols dropped, verbs and
  adjectives reduced to their dictionary form; plus character pairs as for Chinese. (jieba would split
  katakana into single characters.)
- Korean: Kiwi morphological analysis; particles and endings dropped.
- Vietnamese: syllables (the script puts spaces between syllables, not words) plus syllable pairs, so a
  two-syllable word such as "rút tiền" ranks above documents that merely hold both syllables.
- Everything else: Unicode word breaking, stop words removed, Snowball stemming, then accents folded so a
  query typed without accents ("deposito") matches ("depósito"). Each longer word also yields its first
  five or six letters as a second term: truncation catches what the stemmer misses in compounds and rich
  inflection (German, Russian, Turkish).

Measured on the Bitcoin.org FAQ (benchmarks/search_quality.py) each addition above raised MRR; the
figures are in the README.

Latin-script words inside CJK text (USDT, TRC20, API) go through the English pipeline.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Callable
from typing import Any, NamedTuple

import Stemmer

from watchkeeper.search.stopwords import STOPWORDS

# The 13 interface languages; documents and queries carry one of these codes.
LANGUAGES = ("en", "zh-hans", "zh-hant", "ja", "ko", "ru", "es", "pt", "vi", "tr", "fr", "de", "it")

# Simplified and Traditional Chinese share one index group: their tokens are folded to the same form.
SEARCH_GROUPS = {language: language for language in LANGUAGES} | {"zh-hans": "zh", "zh-hant": "zh"}

_SNOWBALL = {
    "en": "english",
    "ru": "russian",
    "es": "spanish",
    "pt": "portuguese",
    "tr": "turkish",
    "fr": "french",
    "de": "german",
    "it": "italian",
}

_WORD = re.compile(r"\w+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
# Letters only Vietnamese uses among our languages (horn and breve vowels, đ, and the stacked tone marks).
_VIETNAMESE = re.compile(r"[ơưăđƠƯĂĐạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")
_ASCII_WORD = re.compile(r"[0-9A-Za-z]+")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")

# Letters kept by the truncation term, per language (5 suits Russian and Turkish endings, 6 the rest).
_PREFIX_LENGTH = {"ru": 5, "tr": 5}
PREFIX_MARK = "_"  # suffix of truncation terms, so they never equal a stem
PAIR_MARK = "#"  # suffix of CJK character pairs, so they never equal a segmented word


class Token(NamedTuple):
    """A normalised token and where its source text lies in the analysed string (for highlighting)."""

    term: str
    start: int
    end: int


def search_group(language: str) -> str:
    """The index partition a language searches in (zh-hans and zh-hant share "zh")."""
    return SEARCH_GROUPS.get(language, "en")


def fold_accents(text: str) -> str:
    if text.isascii():  # the common case, and ten times cheaper than decomposing
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def normalise(text: str) -> str:
    """NFKC (full-width forms, ligatures) and case folding; the first step for every language."""
    return unicodedata.normalize("NFKC", text).casefold()


# PyStemmer objects are not thread-safe; the ASGI server runs sync views in threads.
_local = threading.local()


def _thread_stemmer(language: str) -> Any:
    cache: dict[str, Any] = _local.__dict__.setdefault("stemmers", {})
    if language not in cache:
        cache[language] = Stemmer.Stemmer(_SNOWBALL[language])
    return cache[language]


def _stem_words(words: list[str], language: str) -> list[str]:
    stems: list[str] = _thread_stemmer(language).stemWords(words)
    return [fold_accents(stem) for stem in stems]


def _analyze_alphabetic(text: str, language: str) -> list[Token]:
    folded = normalise(text)
    stop = STOPWORDS.get(language, frozenset())
    kept: list[tuple[str, int, int]] = []
    for match in _WORD.finditer(folded):
        word = match.group()
        # French and Italian elision: "l'adresse" is split by \w+ already; the article lands in stop words.
        if word in stop or fold_accents(word) in stop or (len(word) == 1 and not word.isdigit()):
            continue
        kept.append((word, match.start(), match.end()))
    if not kept:
        return []
    stems = _stem_words([word for word, _, _ in kept], language)
    tokens = [Token(stem, start, end) for stem, (_, start, end) in zip(stems, kept, strict=True)]
    length = _PREFIX_LENGTH.get(language, 6)
    tokens.extend(
        Token(fold_accents(word[:length]) + PREFIX_MARK, start, end)
        for word, start, end in kept
        if len(word) > length and not word.isdigit()
    )
    return tokens


_HIRAGANA_PAIR = re.compile(r"[\u3040-\u309f]{2}")


def _character_pairs(text: str) -> list[Token]:
    """Overlapping pairs of Han/kana characters; pairs of two hiragana (endings, particles) are noise."""
    return [
        Token(pair + PAIR_MARK, run.start() + offset, run.start() + offset + 2)
        for run in _CJK_RUN.finditer(text)
        for offset in range(len(run.group()) - 1)
        if not _HIRAGANA_PAIR.fullmatch(pair := run.group()[offset : offset + 2])
    ]


def _analyze_vietnamese(text: str) -> list[Token]:
    folded = normalise(text)
    stop = STOPWORDS["vi"]
    syllables = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]
    tokens: list[Token] = []
    for index, (syllable, start, end) in enumerate(syllables):
        if syllable not in stop:
            tokens.append(Token(syllable, start, end))
        if index + 1 < len(syllables):
            following, _, following_end = syllables[index + 1]
            if syllable not in stop or following not in stop:
                tokens.append(Token(f"{syllable}_{following}", start, following_end))
    return tokens


def _latin_inside_cjk(word: str, start: int, end: int) -> list[Token]:
    stems = _stem_words([word], "en")
    return [Token(stems[0], start, end)] if word not in STOPWORDS["en"] else []


@functools.lru_cache(maxsize=1)
def _opencc_t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s.json")


# Variants OpenCC leaves apart but support texts use interchangeably: 到帳 / 到賬 / 到账 (account credited).
_CHINESE_VARIANTS = str.maketrans({"帐": "账"})


def to_simplified(text: str) -> str:
    return str(_opencc_t2s().convert(text)).translate(_CHINESE_VARIANTS)


def _analyze_chinese(text: str) -> list[Token]:
    import rjieba

    folded = normalise(text)
    simplified = to_simplified(folded)
    if len(simplified) != len(folded):  # a phrase conversion changed the length: keep offsets honest
        folded = simplified
    stop = STOPWORDS["zh"]
    tokens: list[Token] = []
    for word, start, end in rjieba.tokenize(simplified):
        if not word.strip() or not _WORD.search(word):
            continue
        if _ASCII_WORD.fullmatch(word):
            tokens.extend(_latin_inside_cjk(word, start, end))
        elif word not in stop:
            tokens.append(Token(word, start, end))
    tokens.extend(_character_pairs(simplified))
    return tokens


_JA_DROPPED_POS = {"助詞", "助動詞", "補助記号", "記号", "空白"}


class _JapaneseTagger:
    """One fugashi tagger per thread: MeCab taggers keep per-call state."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self, text: str) -> Any:
        tagger = getattr(self._local, "tagger", None)
        if tagger is None:
            import fugashi

            tagger = self._local.tagger = fugashi.Tagger()
        return tagger(text)


_japanese_tagger = _JapaneseTagger()


_JA_INFLECTED_POS = {"動詞", "形容詞", "形状詞"}


def _analyze_japanese(text: str) -> list[Token]:
    folded = normalise(text)
    stop = STOPWORDS["ja"]
    tokens: list[Token] = []
    position = 0
    for node in _japanese_tagger(folded):
        surface = node.surface
        start = position + len(node.white_space)
        end = start + len(surface)
        position = end
        # The raw feature string's first field is pos1; `node.feature` would build a 29-field tuple per
        # word, which made analysis several times slower than the tagging itself.
        raw = node.feature_raw
        pos = raw[: raw.find(",")] if "," in raw else raw
        if pos in _JA_DROPPED_POS or not _WORD.search(surface):
            continue
        if _ASCII_WORD.fullmatch(surface):
            tokens.extend(_latin_inside_cjk(surface, start, end))
            continue
        term = surface
        if pos in _JA_INFLECTED_POS:
            base = node.feature.orthBase
            if base and base != "*":
                term = normalise(base)
        if term not in stop:
            tokens.append(Token(term, start, end))
    tokens.extend(_character_pairs(folded))
    return tokens


# Kiwi tags we keep: nouns, verb/adjective stems, adverbs, roots, foreign words, numbers, hanja.
_KO_KEPT_TAGS = ("NN", "NR", "NP", "VV", "VA", "MAG", "XR", "SL", "SN", "SH")


@functools.lru_cache(maxsize=1)
def _kiwi() -> Any:
    from kiwipiepy import Kiwi

    return Kiwi()


_kiwi_lock = threading.Lock()


def _analyze_korean(text: str) -> list[Token]:
    folded = normalise(text)
    kiwi = _kiwi()
    with _kiwi_lock:  # Kiwi instances are not documented as thread-safe
        morphemes = kiwi.tokenize(folded)
    stop = STOPWORDS["ko"]
    tokens: list[Token] = []
    for morpheme in morphemes:
        if not morpheme.tag.startswith(_KO_KEPT_TAGS):
            continue
        start, end = morpheme.start, morpheme.start + morpheme.len
        form = morpheme.form
        if morpheme.tag == "SL":
            tokens.extend(_latin_inside_cjk(form, start, end))
        elif form not in stop:
            tokens.append(Token(form, start, end))
    return tokens


def _analyzer_for(language: str) -> Callable[[str], list[Token]]:
    if language in ("zh-hans", "zh-hant", "zh"):
        return _analyze_chinese
    if language == "ja":
        return _analyze_japanese
    if language == "ko":
        return _analyze_korean
    if language == "vi":
        return _analyze_vietnamese
    snowball = language if language in _SNOWBALL else "en"
    return functools.partial(_analyze_alphabetic, language=snowball)


def tokenize(text: str, language: str) -> list[Token]:
    """Tokens with their offsets in `text` (offsets are into the NFKC-folded text where that differs)."""
    if not text:
        return []
    return _analyzer_for(language)(text)


def analyze(text: str, language: str) -> list[str]:
    """The index terms of `text` in `language`, in order, repeats kept (BM25 counts them)."""
    return [token.term for token in tokenize(text, language)]


@functools.lru_cache(maxsize=1)
def _latin_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(["en", "es", "pt", "tr", "fr", "de", "it", "vi"])
    return identifier


def detect_language(text: str, default: str = "en") -> str:
    """Best guess of the language of a (possibly very short) text among the 13 we serve.

    Scripts decide first because they are unambiguous: kana means Japanese even among kanji, Hangul
    Korean, Cyrillic Russian. Han-only text is Chinese; it is Traditional when folding to Simplified
    changes it. Latin script goes to langid restricted to our Latin-script languages, and stays with
    `default` when the text is too short to tell (a single word such as "USDT").
    """
    by_script = script_language(text)
    if by_script:
        return by_script
    sample = text[:1000]
    letters = _LATIN_LETTER.findall(sample)
    if len(letters) < 4 or len(_WORD.findall(sample)) < 2:
        return default if default in LANGUAGES else "en"
    language, probability = _latin_identifier().classify(sample)
    if probability < 0.5:
        return default if default in LANGUAGES else "en"
    return str(language)


def script_language(text: str) -> str | None:
    """The language that the script of `text` gives away, if it does (see `detect_language`)."""
    sample = text[:1000]
    if _KANA.search(sample):
        return "ja"
    if _HANGUL.search(sample):
        return "ko"
    if _HAN.search(sample):
        han = "".join(_HAN.findall(sample))
        return "zh-hant" if to_simplified(han) != han else "zh-hans"
    if _CYRILLIC.search(sample):
        return "ru"
    if _VIETNAMESE.search(sample):
        return "vi"
    return None


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def is_latin_script(text: str) -> bool:
    return bool(_LATIN_LETTER.search(text)) and not (_HAN.search(text) or _KANA.search(text))


def warm_up() -> None:
    """Load every dictionary and model now (about a second, mostly Kiwi's) instead of on some
    customer's first search in that language. The server calls it at start."""
    for language, sample in (("zh-hans", "提币"), ("ja", "出金"), ("ko", "출금"), ("en", "deposit")):
        analyze(sample, language)
    detect_language("where is my deposit")
