"""Recovery phrases generated in every BIP39 list and every strength, in the formattings customers paste
them in: each one is replaced whole, and the text around it is kept as typed."""

# ruff: noqa: RUF001  (ideographic spaces and full-width punctuation are the point)
from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable

import pytest
from mnemonic import Mnemonic

from watchkeeper.security.redaction import BIP39_LANGUAGES, RECOVERY_PHRASE, Redacted, marker, redact

REMOVED = marker(RECOVERY_PHRASE)
STRENGTHS = (128, 160, 192, 224, 256)  # 12, 15, 18, 21 and 24 words
SEEDS = range(4)
CASED = {"english", "spanish", "french", "italian", "portuguese", "czech", "korean"}
ACCENTED = {"spanish", "french"}
HAN = {"chinese_simplified", "chinese_traditional"}

# A sentence in the customer's language around the phrase, bounded by punctuation as people write it.
SENTENCES = {
    "english": "Support asked me for this, here it is: {}. Is that normal?",
    "chinese_simplified": "客服让我发一下，我的助记词是：{}。这样安全吗？",
    "chinese_traditional": "客服要我提供，我的助記詞是：{}。這樣安全嗎？",
    "japanese": "サポートに言われたので送ります：{}。大丈夫ですか？",
    "korean": "상담원이 요청해서 보냅니다: {}. 괜찮을까요?",
    "spanish": "El agente me lo pidió, mi frase de recuperación es: {}. ¿Está bien?",
    "french": "Le support me l'a demandée, voici ma phrase de récupération : {}. Est-ce normal ?",
    "italian": "Il supporto me l'ha chiesta, la mia frase di recupero è: {}. Va bene?",
    "portuguese": "O suporte pediu, minha frase de recuperação é: {}. Está certo?",
    "czech": "Podpora o ni požádala, moje obnovovací fráze je: {}. Je to v pořádku?",
}


def phrases(language: str) -> list[list[str]]:
    """Phrases from fixed entropy (Mnemonic.generate reads os.urandom), so a failure can be replayed."""
    mnemonic = Mnemonic(language)
    generated = []
    for strength in STRENGTHS:
        for seed in SEEDS:
            entropy = random.Random(f"{language}-{strength}-{seed}").randbytes(strength // 8)
            generated.append(mnemonic.to_mnemonic(entropy).split())
    return generated


def as_generated(words: list[str], language: str) -> str:
    return Mnemonic(language).delimiter.join(words)


FORMATS: dict[str, Callable[[list[str]], str]] = {
    "spaces": " ".join,
    "newlines": "\n".join,
    "commas": ", ".join,
    "bare commas": ",".join,
    "numbered lines": lambda words: "\n".join(f"{i}. {word}" for i, word in enumerate(words, 1)),
    "numbered parentheses": lambda words: " ".join(f"{i}) {word}" for i, word in enumerate(words, 1)),
    "numbered dashes": lambda words: " ".join(f"{i}-{word}" for i, word in enumerate(words, 1)),
    "grid of four": lambda words: "\n".join(" ".join(words[i : i + 4]) for i in range(0, len(words), 4)),
    "crlf": "\r\n".join,
    "ideographic spaces": "\u3000".join,
    "bullets": lambda words: "\n".join(f"• {word}" for word in words),
}


@pytest.mark.parametrize("language", BIP39_LANGUAGES)
def test_every_generated_phrase_is_removed_in_every_formatting(language: str) -> None:
    for words in phrases(language):
        texts = {"as generated": as_generated(words, language)}
        # The form BIP39 itself specifies: Korean becomes jamo, kana and accents come apart.
        texts["NFKD"] = unicodedata.normalize("NFKD", as_generated(words, language))
        texts.update({name: join(words) for name, join in FORMATS.items()})
        if language in CASED:
            texts["upper case"] = " ".join(words).upper()
            texts["title case"] = " ".join(word.title() for word in words)
            texts["first word capitalised"] = " ".join(words).capitalize()
        if language in ACCENTED:
            texts["accents stripped"] = " ".join(strip_accents(word) for word in words)
        if language in HAN:
            texts["unbroken"] = "".join(words)
            texts["numbered without spaces"] = "".join(f"{i}.{word}" for i, word in enumerate(words, 1))
        for name, text in texts.items():
            result = redact(text)
            assert result.text == REMOVED, f"{language}, {name}: {text!r} -> {result.text!r}"
            assert result.kinds == (RECOVERY_PHRASE,)


@pytest.mark.parametrize("language", BIP39_LANGUAGES)
def test_a_phrase_in_a_sentence_leaves_the_sentence(language: str) -> None:
    sentence = SENTENCES[language]
    for words in phrases(language):
        for text in {as_generated(words, language), " ".join(words), ", ".join(words)}:
            result = redact(sentence.format(text))
            assert result.text == sentence.format(REMOVED), f"{language}: {text!r}"
        if language in HAN:
            result = redact(sentence.format("".join(words)))
            assert result.text == sentence.format(REMOVED), f"{language} unbroken: {''.join(words)!r}"


@pytest.mark.parametrize("language", BIP39_LANGUAGES)
def test_partial_phrases_of_twelve_words_or_more_count(language: str) -> None:
    words = phrases(language)[-1]  # 24 words
    for count in (12, 13, 14, 17, 23):
        joined = as_generated(words[:count], language)
        assert redact(joined).text == REMOVED, f"{count} words: {joined!r}"
    # Eleven words is below the line the module documents; they are left alone.
    assert redact(as_generated(words[:11], language)).kinds == ()


def test_two_phrases_in_one_message_are_both_removed() -> None:
    english, korean = phrases("english")[0], phrases("korean")[5]
    text = f"old wallet: {' '.join(english)}\nnew wallet: {' '.join(korean)}"
    assert redact(text).text == f"old wallet: {REMOVED}\nnew wallet: {REMOVED}"


def test_a_word_broken_across_lines_is_joined_again() -> None:
    words = Mnemonic("english").wordlist[:12]  # abandon ... absent ... abstract ... accident
    assert words[5] == "absent" and words[7] == "abstract"
    wrapped = " ".join(words[:5]) + " abs-\nent " + " ".join(words[6:])
    assert redact(f"My words: {wrapped}. Thanks").text == f"My words: {REMOVED}. Thanks"
    wrapped = " ".join(words[:7]) + " abst\nract " + " ".join(words[8:])
    assert redact(wrapped).text == REMOVED


def test_a_separated_chinese_phrase_keeps_the_words_around_it() -> None:
    words = phrases("chinese_simplified")[0]
    result = redact(f"助记词 {' '.join(words)} 谢谢")
    assert result.text == f"助记词 {REMOVED} 谢谢"


def test_an_unbroken_chinese_phrase_glued_to_a_label_is_still_removed() -> None:
    # Without any break the label goes too: over-removing a word beats leaving the phrase.
    words = phrases("chinese_simplified")[-1]
    result = redact("助记词" + "".join(words))
    assert result.kinds == (RECOVERY_PHRASE,)
    assert not any(word in result.text for word in words if word not in "助记词")


def test_the_numbering_before_the_first_word_goes_with_the_phrase() -> None:
    words = phrases("english")[0]
    numbered = " ".join(f"{i}. {word}" for i, word in enumerate(words, 1))
    assert redact(f"Here:\n{numbered}\nThanks").text == f"Here:\n{REMOVED}\nThanks"


def strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def test_redacting_twice_changes_nothing_more() -> None:
    for language in BIP39_LANGUAGES:
        once = redact(SENTENCES[language].format(as_generated(phrases(language)[0], language)))
        assert redact(once.text) == Redacted(once.text, ())
