"""Secret redaction: time per inbound message, and how far apart ordinary Chinese and random Chinese
recovery phrases score (the one judgement in the module that rests on a measured threshold).

Time: `redact()` on every BANKING77 question as written (short chat messages), on ~200-character
messages made by joining consecutive questions, on every non-empty line of the demo help centre's
Chinese and Japanese articles, and on whole Bitcoin FAQ answers (long emails); mean and p99 in µs of
the median of three runs per message.

Chinese: the score of every unbroken run of 12 or more list characters in the demo help centre's
Chinese articles and the Bitcoin FAQ's Chinese answers (the lowest should sit well above the
threshold) against 20,000 random 12-word phrases from each Chinese list, written without spaces (the
highest should sit below it).

Usage: python benchmarks/redaction.py [--data ../shared/data] [--phrases 20000]
Prints JSON: {"banking77": {"n", "mean_us", "p99_us"}, "chat_200_chars": {...}, "cjk_lines": {...},
"faq_answers": {..., "mean_chars"}, "chinese": {"threshold", "natural_runs", "natural_min",
"natural_below_threshold", "random_phrases", "random_max", "random_at_or_above_threshold"}}.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _setup import percentile

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"
ARTICLES = ROOT / "src" / "watchkeeper" / "helpcenter" / "demo_content" / "articles"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--phrases", type=int, default=20_000, help="random phrases per Chinese list")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.settings")

    from watchkeeper.security import redaction

    with (args.data / "banking77" / "train.csv").open(encoding="utf-8", newline="") as file:
        questions = [row["text"] for row in csv.DictReader(file)]
    faq = [json.loads(line) for line in (args.data / "bitcoin_faq" / "faq.jsonl").open(encoding="utf-8")]
    cjk_articles = [
        path.read_text(encoding="utf-8")
        for path in sorted(ARTICLES.glob("*/*.md"))
        if path.stem in {"zh-hans", "zh-hant", "ja"}
    ]
    redaction.redact(
        "warm up: load the word lists, jieba and OpenCC 的一是在不了有和人这中大为上个国我以要他"
    )

    report = {
        "banking77": timing(redaction.redact, questions),
        "chat_200_chars": timing(redaction.redact, joined_to_length(questions, 200)),
        "cjk_lines": timing(
            redaction.redact, [line for text in cjk_articles for line in text.splitlines() if line.strip()]
        ),
        "faq_answers": timing(redaction.redact, [entry["answer_text"] for entry in faq]),
        "chinese": chinese_separation(
            redaction.han_phrase_score,
            redaction.HAN_PHRASE_THRESHOLD,
            cjk_articles + [entry["answer_text"] for entry in faq if entry["lang"] == "zh_CN"],
            args.phrases,
        ),
    }
    print(json.dumps(report))


def timing(function: Callable[[str], object], texts: list[str]) -> dict[str, float]:
    durations = []
    for text in texts:
        # The median of three runs, so that another process taking the core for a moment (two cores
        # are shared here) does not land on one message's figure.
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            function(text)
            runs.append((time.perf_counter() - started) * 1e6)
        durations.append(statistics.median(runs))
    return {
        "n": len(texts),
        "mean_chars": round(statistics.mean(len(text) for text in texts), 1),
        "mean_us": round(statistics.mean(durations), 1),
        "p99_us": round(percentile(durations, 0.99), 1),
    }


def joined_to_length(questions: list[str], length: int) -> list[str]:
    messages, current = [], ""
    for question in questions:
        current = f"{current} {question}".strip()
        if len(current) >= length:
            messages.append(current)
            current = ""
    return messages


def chinese_separation(
    score: Callable[[str], float], threshold: float, texts: list[str], count: int
) -> dict[str, float]:
    from mnemonic import Mnemonic

    natural: set[str] = set()
    for language in ("chinese_simplified", "chinese_traditional"):
        listed = re.escape("".join(Mnemonic(language).wordlist))
        natural.update(match.group() for text in texts for match in re.finditer(f"[{listed}]{{12,}}", text))
    natural_scores = [score(run) for run in sorted(natural)]
    random_scores = []
    for language in ("chinese_simplified", "chinese_traditional"):
        mnemonic, generator = Mnemonic(language), random.Random(language)
        random_scores += [
            score(mnemonic.to_mnemonic(generator.randbytes(16)).replace(" ", "")) for _ in range(count)
        ]
    return {
        "threshold": threshold,
        "natural_runs": len(natural_scores),
        "natural_min": round(min(natural_scores), 2),
        "natural_below_threshold": sum(value < threshold for value in natural_scores),
        "random_phrases": len(random_scores),
        "random_max": round(max(random_scores), 2),
        "random_at_or_above_threshold": sum(value >= threshold for value in random_scores),
    }


if __name__ == "__main__":
    main()
