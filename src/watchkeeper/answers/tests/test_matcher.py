"""The FAQ matcher and its evaluation helpers on small hand-written knowledge bases (no database)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from watchkeeper.answers.evaluation import (
    METRIC_KEYS,
    evaluate,
    examples_from_rows,
    matcher_function,
    read_labelled_csv,
    split_per_category,
)
from watchkeeper.answers.matcher import Matcher, MatchResult, _analyse
from watchkeeper.search import analysis

DEPOSIT, WITHDRAWAL, TWO_FACTOR, KYC, FEES = 1, 2, 3, 4, 5

EXCHANGE_KB = {
    DEPOSIT: [
        "How do I deposit crypto?",
        "Where can I find my deposit address?",
        "My deposit has not arrived yet",
        "How long does a bitcoin deposit take to be credited?",
    ],
    WITHDRAWAL: [
        "How do I withdraw funds?",
        "Why is my withdrawal still pending?",
        "What is the minimum withdrawal amount?",
        "Can I cancel a withdrawal?",
    ],
    TWO_FACTOR: [
        "I lost my phone and need to reset 2FA",
        "How do I reset two-factor authentication?",
        "My authenticator app codes are not working",
        "Disable Google Authenticator on my account",
    ],
    KYC: [
        "How do I verify my identity?",
        "Why was my KYC verification rejected?",
        "What documents do I need for KYC?",
        "How long does identity verification take?",
    ],
    FEES: [
        "What are the trading fees?",
        "How much does a trade cost?",
        "How are maker and taker fees calculated?",
        "Is there a fee for deposits?",
    ],
}

OFF_TOPIC = [
    "what's the weather in Paris",
    "asdf qwerty",
    "who won the football match yesterday",
    "tell me a joke",
    "how do I bake a chocolate cake",
    "I want to book a flight to London",
    "recommend a good pizza place",
    "how tall is mount everest",
    "can you sing a song",
    "hello",
]

PARAPHRASES = [
    ("my btc deposit still isn't showing in my balance", DEPOSIT),
    ("withdrawal pending for hours", WITHDRAWAL),
    ("reset my authenticator", TWO_FACTOR),
    ("I got a new phone, how do I move my 2fa", TWO_FACTOR),
    ("what ID documents are accepted for verification", KYC),
    ("how much do you charge per trade", FEES),
]


def english(text: str) -> list[str]:
    """The search app's analyser, as the worker passes it (module level, so a stored matcher finds it)."""
    return analysis.analyze(text, "en")


def chinese(text: str) -> list[str]:
    return analysis.analyze(text, "zh-hans")


def exchange_examples() -> list[tuple[int, str]]:
    return [(article, text) for article, texts in EXCHANGE_KB.items() for text in texts]


@pytest.fixture(scope="module")
def exchange() -> Matcher:
    return Matcher.train(exchange_examples(), tokenize=english)


def top(result: MatchResult) -> int | None:
    return result.candidates[0].article_id if result.candidates else None


@pytest.mark.parametrize(("question", "article"), PARAPHRASES)
def test_on_topic_paraphrases_are_answered_with_their_article(
    exchange: Matcher, question: str, article: int
) -> None:
    result = exchange.match(question)
    assert top(result) == article
    assert result.decision == "answer"


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_are_declined(exchange: Matcher, question: str) -> None:
    assert exchange.match(question).decision == "decline"


def test_a_shared_question_template_alone_is_not_answered(exchange: Matcher) -> None:
    # Only "what is the" matches ("What is the minimum withdrawal amount?"): a suggestion at most.
    assert exchange.match("what is the capital of France").decision != "answer"


def test_candidates_are_ranked_and_limited(exchange: Matcher) -> None:
    result = exchange.match("Is there a fee to withdraw bitcoin?", limit=3)
    assert len(result.candidates) == 3
    assert len({candidate.article_id for candidate in result.candidates}) == 3
    assert {top(result)} <= {FEES, WITHDRAWAL}
    assert {FEES, WITHDRAWAL} <= {candidate.article_id for candidate in result.candidates}
    assert all(0.0 <= candidate.confidence <= 1.0 for candidate in result.candidates)
    assert len(exchange.match("reset 2FA", limit=1).candidates) == 1
    assert len(exchange.match("reset 2FA", limit=50).candidates) == len(EXCHANGE_KB)
    with pytest.raises(ValueError, match="limit"):
        exchange.match("reset 2FA", limit=0)


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "???", "!!! ..."])
def test_empty_questions_are_declined_without_candidates(exchange: Matcher, question: str) -> None:
    assert exchange.match(question) == MatchResult(decision="decline", candidates=[])


def test_works_without_a_tokenizer() -> None:
    matcher = Matcher.train(exchange_examples())
    assert top(matcher.match("withdrawal pending for hours")) == WITHDRAWAL
    assert top(matcher.match("reset my two-factor authentication")) == TWO_FACTOR
    assert matcher.match("asdf qwerty").decision == "decline"


def test_chinese_and_japanese_need_no_spaces() -> None:
    matcher = Matcher.train(
        [
            (DEPOSIT, "如何充值比特币"),
            (DEPOSIT, "我的充值还没有到账"),
            (WITHDRAWAL, "如何提币"),
            (WITHDRAWAL, "提币手续费是多少"),
            (TWO_FACTOR, "二段階認証をリセットしたい"),
            (TWO_FACTOR, "認証アプリのコードが使えません"),
            (KYC, "本人確認の書類は何が必要ですか"),
            (KYC, "本人確認が承認されません"),
        ]
    )
    assert top(matcher.match("我的比特币充值还没到账")) == DEPOSIT
    assert top(matcher.match("提币要多少手续费")) == WITHDRAWAL
    assert top(matcher.match("二段階認証をリセットする方法")) == TWO_FACTOR
    assert top(matcher.match("本人確認に必要な書類")) == KYC
    assert matcher.match("我的比特币充值还没到账").decision == "answer"
    assert matcher.match("東京の天気は").decision != "answer"


def test_the_analyser_matches_traditional_chinese_to_simplified_articles() -> None:
    matcher = Matcher.train(
        [
            (DEPOSIT, "我的充值还没有到账"),
            (DEPOSIT, "充值地址在哪里"),
            (WITHDRAWAL, "如何提币"),
            (WITHDRAWAL, "提币手续费是多少"),
        ],
        tokenize=chinese,
    )
    result = matcher.match("提幣手續費多少")  # Traditional characters throughout
    assert top(result) == WITHDRAWAL
    assert result.decision == "answer"


def test_a_single_article_answers_its_questions_and_declines_others() -> None:
    matcher = Matcher.train([(42, "How do I reset my two-factor authentication?")], tokenize=english)
    result = matcher.match("reset two-factor authentication", limit=3)
    assert result.decision == "answer"
    assert [candidate.article_id for candidate in result.candidates] == [42]
    assert matcher.match("what's the weather in Paris").decision == "decline"


def test_two_articles_with_one_example_each() -> None:
    matcher = Matcher.train(
        [(7, "How do I reset my two-factor authentication?"), (9, "What are the withdrawal fees?")],
        tokenize=english,
    )
    assert top(matcher.match("reset 2FA authentication")) == 7
    assert top(matcher.match("how much is a withdrawal")) == 9
    assert matcher.match("withdrawal fees").decision == "answer"
    # Stop words alone ("what", "the") must not make an answer out of an unrelated question.
    assert matcher.match("what's the weather in Paris").decision != "answer"


def test_articles_sharing_a_text_do_not_break_training() -> None:
    matcher = Matcher.train([(1, "Same question"), (2, "Same question"), (3, "Trading fees")])
    assert {candidate.article_id for candidate in matcher.match("same question").candidates[:2]} == {1, 2}
    assert top(matcher.match("trading fees")) == 3


def test_the_first_and_last_terms_pair_with_marks_that_text_cannot_forge() -> None:
    words = _analyse("Why $ was my card declined ^", english).views[0]
    # The analyser's extra terms (here the truncation "declin_") come last, so the end mark follows them.
    # The text's own "$" and "^" are not words: no other pair involves a mark.
    assert [word for word in words if "^" in word or "$" in word] == ["^ why", "declin_ $"]


def test_training_needs_a_text() -> None:
    with pytest.raises(ValueError, match="no non-empty examples"):
        Matcher.train([])
    with pytest.raises(ValueError, match="no non-empty examples"):
        Matcher.train([(1, "  "), (2, "")])


QUESTIONS = [question for question, _ in PARAPHRASES] + OFF_TOPIC[:3] + ["", "提币"]


def test_round_trip_gives_identical_results_and_finds_its_tokenizer(exchange: Matcher) -> None:
    loaded = Matcher.from_bytes(exchange.to_bytes())  # the tokenizer is imported by its recorded name
    for question in QUESTIONS:
        assert loaded.match(question, limit=5) == exchange.match(question, limit=5)


def test_round_trip_without_a_tokenizer() -> None:
    matcher = Matcher.train(exchange_examples())
    loaded = Matcher.from_bytes(matcher.to_bytes())
    for question in QUESTIONS:
        assert loaded.match(question) == matcher.match(question)


def test_an_unnamed_tokenizer_must_be_passed_again() -> None:
    def lower_words(text: str) -> list[str]:
        return text.lower().split()

    data = Matcher.train(exchange_examples(), tokenize=lower_words).to_bytes()
    with pytest.raises(ValueError, match="pass tokenize"):
        Matcher.from_bytes(data)
    loaded = Matcher.from_bytes(data, tokenize=lower_words)
    assert top(loaded.match("withdrawal pending for hours")) == WITHDRAWAL


def test_a_stored_tokenizer_outside_the_project_is_not_imported() -> None:
    data = Matcher.train(exchange_examples(), tokenize=shlex.split).to_bytes()
    with pytest.raises(ValueError, match="refusing"):
        Matcher.from_bytes(data)


def test_garbage_is_not_a_matcher() -> None:
    with pytest.raises(ValueError):
        Matcher.from_bytes(b"not a matcher")


# --- evaluation helpers ---


def test_read_labelled_csv(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text('text,category\n"Hello, world",greeting\n\nWhere is my card?,card_arrival\n', "utf-8")
    assert read_labelled_csv(path) == [("Hello, world", "greeting"), ("Where is my card?", "card_arrival")]


@pytest.mark.parametrize(
    "content",
    ["question,label\nhi,greeting\n", "", "text,category\nonly one column\n", "text,category\n,x\n"],
)
def test_read_labelled_csv_rejects_bad_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, "utf-8")
    with pytest.raises(ValueError, match=r"bad\.csv"):
        read_labelled_csv(path)


def test_split_per_category_is_deterministic_and_per_category() -> None:
    rows = [(f"a{i}", "a") for i in range(10)] + [(f"b{i}", "b") for i in range(5)] + [("c0", "c")]
    train, test = split_per_category(rows, test_share=0.2, seed=3)
    assert sorted(train + test) == sorted(rows)
    assert sum(category == "a" for _, category in test) == 2
    assert sum(category == "b" for _, category in test) == 1
    assert ("c0", "c") in train  # a category always keeps a training text
    assert split_per_category(list(reversed(rows)), test_share=0.2, seed=3) == (train, test)
    assert split_per_category(rows, test_share=0.2, seed=4) != (train, test)


def test_evaluate_computes_every_metric() -> None:
    answers = {
        "q1": ("answer", [1, 2]),  # right, answered
        "q2": ("suggest", [2, 1]),  # right article second
        "q3": ("answer", [3]),  # wrong, answered
        "q4": ("decline", []),  # nothing
        "o1": ("decline", [1]),
        "o2": ("suggest", [2]),  # a suggestion is not a decline
    }
    rows = [("q1", "a"), ("q2", "a"), ("q3", "b"), ("q4", "b"), ("o1", "oos"), ("o2", "oos")]
    report = evaluate(lambda question: answers[question], rows, {"a": 1, "b": 2}, oos_label="oos")
    assert tuple(report) == METRIC_KEYS
    assert report["n"] == 4
    assert report["hit_at_1"] == 0.25
    assert report["hit_at_3"] == 0.5
    assert report["mrr"] == pytest.approx((1 + 0.5) / 4)
    assert report["answered_correct"] == 0.25
    assert report["answered_wrong"] == 0.25
    assert report["oos_declined"] == 0.5
    assert report["p50_ms"] is not None and report["p99_ms"] is not None


def test_evaluate_a_trained_matcher_end_to_end() -> None:
    rows = [(text, f"cat{article}") for article, texts in EXCHANGE_KB.items() for text in texts]
    train, test = split_per_category(rows, test_share=0.25, seed=0)
    examples, article_ids = examples_from_rows(train)
    report = evaluate(matcher_function(Matcher.train(examples, tokenize=english)), test, article_ids)
    assert report["n"] == len(test)
    assert report["oos_declined"] is None
    with pytest.raises(ValueError, match="without an article"):
        evaluate(lambda question: ("decline", []), [("x", "unknown")], article_ids)
