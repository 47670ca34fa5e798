"""Search latency on a generated multilingual corpus, through the app's own search service in-process
(analysis, ranking, tie-breaks, highlighted snippets and filters included).

Documents are built from the sentences of the Bitcoin.org FAQ in seven languages (en, de, es, fr, ja,
ru, zh-hans), recombined at random so term statistics stay natural; titles are the FAQ's questions.
Queries are those questions, some with a category or level filter; autocomplete takes 1–6 character
prefixes of title words.

Usage: python benchmarks/search_latency.py --docs 100000 [--queries 2000] [--database-url URL]
Prints JSON: {"docs", "db", "index_s", "query_p50_ms", "query_p99_ms", "autocomplete_p99_ms"}.
"""

# ruff: noqa: RUF001, RUF002  (sentence ends in CJK scripts are meant)
from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path

from _setup import percentile, start_django

DEFAULT_FAQ = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "bitcoin_faq" / "faq.jsonl"
LANGUAGE_CODES = {"zh_CN": "zh-hans"}
CATEGORIES = [
    "getting-started",
    "account-security",
    "kyc",
    "deposits-withdrawals",
    "spot",
    "futures",
    "fees",
    "api",
]
LEVELS = ["beginner", "intermediate", "advanced"]
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--faq", type=Path, default=DEFAULT_FAQ)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL; default a throwaway SQLite file"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    vendor = start_django(args.database_url)

    from django.db import connection

    from watchkeeper.search import actions, analysis, queries

    random_source = random.Random(args.seed)
    sentences: dict[str, list[str]] = defaultdict(list)
    questions: dict[str, list[str]] = defaultdict(list)
    for line in args.faq.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        language = LANGUAGE_CODES.get(record["lang"], record["lang"])
        sentences[language].extend(part for part in _SENTENCE.split(record["answer_text"]) if len(part) > 20)
        questions[language].append(record["question"])
    languages = sorted(sentences)

    from watchkeeper.search.models import SearchDocument

    started = time.perf_counter()
    batch: list[actions.DocumentInput] = []
    already = SearchDocument.objects.count()  # a kept index (BENCHMARK_DATA_DIR) is reused
    for number in range(already, args.docs):
        language = languages[number % len(languages)]
        body = " ".join(random_source.sample(sentences[language], k=random_source.randint(3, 8)))
        batch.append(
            actions.DocumentInput(
                kind="article",
                object_id=number,
                language=language,
                title=f"{random_source.choice(questions[language])} ({number})",
                body=body,
                summary=body[:160],
                url=f"/doc/{number}",
                category=random_source.choice(CATEGORIES),
                level=random_source.choice(LEVELS),
                helpfulness=random_source.random(),
            )
        )
        if len(batch) == 2000:
            actions.index_documents(batch)
            batch = []
    actions.index_documents(batch)
    actions.optimize_index()  # as the nightly job does, and as anyone should after a bulk load
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE search_searchdocument")
            cursor.execute("VACUUM ANALYZE search_suggestion")
            cursor.execute("VACUUM ANALYZE search_termstatistic")
    index_seconds = time.perf_counter() - started
    analysis.warm_up()  # as `watchkeeper serve` does at start

    # Queries draw from a stream of their own: a run that reuses a kept index (and so skips generating
    # documents) times the same queries as a run that builds it.
    query_source = random.Random(args.seed + 1)
    query_times: list[float] = []
    for number in range(args.queries):
        language = languages[number % len(languages)]
        query = query_source.choice(questions[language])
        filters = {}
        if number % 3 == 1:
            filters["category"] = query_source.choice(CATEGORIES)
        if number % 5 == 2:
            filters["level"] = query_source.choice(LEVELS)
        begin = time.perf_counter()
        queries.search(query, language=language, **filters)
        query_times.append((time.perf_counter() - begin) * 1000)

    completion_times: list[float] = []
    for number in range(args.queries):
        language = languages[number % len(languages)]
        words = query_source.choice(questions[language]).split()
        word = query_source.choice(words)
        prefix = word[: query_source.randint(1, min(6, len(word)))]
        begin = time.perf_counter()
        queries.autocomplete(prefix, language=language)
        completion_times.append((time.perf_counter() - begin) * 1000)

    print(
        json.dumps(
            {
                "docs": args.docs,
                "db": vendor,
                "index_s": round(index_seconds, 1),
                "query_p50_ms": round(statistics.median(query_times), 2),
                "query_p99_ms": round(percentile(query_times, 0.99), 2),
                "autocomplete_p99_ms": round(percentile(completion_times, 0.99), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
