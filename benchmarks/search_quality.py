"""Multilingual retrieval quality of the search service on the aligned Bitcoin.org FAQ.

For each language in the file: index every answer as a document (no title), then search with every
question among that language's documents and see where its own answer ranks. Ties count against the
right document, and a question whose answer is not returned ranks last.

Usage: python benchmarks/search_quality.py --faq ../shared/data/bitcoin_faq/faq.jsonl [--database-url URL]
Prints one JSON line: {"per_language": {LANG: {"n", "hit_at_1", "mrr"}}}.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from _setup import start_django

# Language codes of the data set mapped to ours.
LANGUAGE_CODES = {"zh_CN": "zh-hans", "zh_TW": "zh-hant", "pt_BR": "pt"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faq", required=True, type=Path)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL; default a throwaway SQLite file"
    )
    args = parser.parse_args()
    start_django(args.database_url)

    from watchkeeper.search import actions, queries

    records_by_language: dict[str, list[dict[str, str]]] = defaultdict(list)
    for line in args.faq.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            records_by_language[record["lang"]].append(record)

    report: dict[str, dict[str, float | int]] = {}
    for source_language, records in sorted(records_by_language.items()):
        language = LANGUAGE_CODES.get(source_language, source_language)
        kind = f"faq-{language}"  # one kind per language keeps each language's documents apart
        documents = actions.index_documents(
            [
                actions.DocumentInput(
                    kind=kind,
                    object_id=index,
                    language=language,
                    title="",
                    body=record["answer_text"],
                    url="",
                )
                for index, record in enumerate(records)
            ]
        )
        object_of_record = {index: document.object_id for index, document in enumerate(documents)}
        hits_at_1 = 0
        reciprocal_ranks = 0.0
        for index, record in enumerate(records):
            results = queries.search(
                record["question"],
                language=language,
                kind=kind,
                per_page=len(records),
                with_snippets=False,
                suggest_corrections=False,
            )
            scores = {hit.document.object_id: hit.score for hit in results.hits}
            right = object_of_record[index]
            if right in scores:
                rank = sum(
                    1 for object_id, score in scores.items() if score >= scores[right] and object_id != right
                )
                rank += 1
            else:
                rank = len(records)
            hits_at_1 += rank == 1
            reciprocal_ranks += 1.0 / rank
        report[source_language] = {
            "n": len(records),
            "hit_at_1": round(hits_at_1 / len(records), 4),
            "mrr": round(reciprocal_ranks / len(records), 4),
        }
    print(json.dumps({"per_language": report}))


if __name__ == "__main__":
    main()
