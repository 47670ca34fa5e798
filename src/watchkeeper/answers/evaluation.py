"""Measuring the FAQ matcher on labelled questions: loading, a deterministic split, and the metrics.

`evaluate` only needs a `match` callable, so the same figures come out for a matcher trained here on a
CSV file and for the live, database-backed knowledge base.
"""

from __future__ import annotations

import csv
import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from watchkeeper.answers.matcher import Decision, Matcher

LabelledRow = tuple[str, str]  # (text, category)
# The decision ("answer", "suggest" or "decline") and the article ids, best first.
MatchFunction = Callable[[str], tuple[str, Sequence[int]]]

METRIC_KEYS = (
    "n",
    "hit_at_1",
    "hit_at_3",
    "mrr",
    "answered_correct",
    "answered_wrong",
    "oos_declined",
    "p50_ms",
    "p99_ms",
)


def read_labelled_csv(path: str | Path) -> list[LabelledRow]:
    """(text, category) rows of a UTF-8 CSV file whose header is exactly `text,category`."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [column.strip() for column in header] != ["text", "category"]:
            raise ValueError(f"{path}: the first line must be the header 'text,category', found {header!r}")
        rows: list[LabelledRow] = []
        for line_number, record in enumerate(reader, start=2):
            if not record:
                continue
            if len(record) != 2 or not record[0].strip() or not record[1].strip():
                raise ValueError(f"{path}, line {line_number}: expected text and category, found {record!r}")
            rows.append((record[0], record[1].strip()))
    return rows


def split_per_category(
    rows: Sequence[LabelledRow], test_share: float = 0.2, seed: int = 0
) -> tuple[list[LabelledRow], list[LabelledRow]]:
    """(train, test): about `test_share` of every category held out, the same whatever the row order.

    Each category's texts are sorted, then shuffled with a generator seeded by (seed, category), so adding
    a category does not reshuffle the others. A category always keeps at least one training text.
    """
    if not 0 <= test_share < 1:
        raise ValueError("test_share must be in [0, 1)")
    by_category: dict[str, list[str]] = defaultdict(list)
    for text, category in rows:
        by_category[category].append(text)
    train: list[LabelledRow] = []
    test: list[LabelledRow] = []
    for category in sorted(by_category):
        texts = sorted(by_category[category])
        random.Random(f"{seed}:{category}").shuffle(texts)  # noqa: S311 - reproducible, not secret
        held_out = min(round(len(texts) * test_share), len(texts) - 1)
        test.extend((text, category) for text in texts[:held_out])
        train.extend((text, category) for text in texts[held_out:])
    return train, test


def examples_from_rows(
    rows: Sequence[LabelledRow], *, oos_label: str | None = None
) -> tuple[list[tuple[int, str]], dict[str, int]]:
    """Matcher training examples with one article per category (ids 1, 2, ... in category order), and
    the category -> article id map that `evaluate` needs. Rows labelled `oos_label` are left out."""
    categories = sorted({category for _, category in rows if category != oos_label})
    article_ids = {category: number for number, category in enumerate(categories, start=1)}
    examples = [(article_ids[category], text) for text, category in rows if category != oos_label]
    return examples, article_ids


def matcher_function(matcher: Matcher, *, limit: int = 10) -> MatchFunction:
    """`evaluate`'s view of a Matcher; ten candidates so the reciprocal rank is rarely cut short."""

    def match(question: str) -> tuple[Decision, list[int]]:
        result = matcher.match(question, limit=limit)
        return result.decision, [candidate.article_id for candidate in result.candidates]

    return match


def evaluate(
    match: MatchFunction,
    test_rows: Sequence[LabelledRow],
    category_to_article_id: Mapping[str, int],
    oos_label: str | None = None,
) -> dict[str, float | int | None]:
    """Metrics over `test_rows`, one question at a time as in production.

    hit_at_1/hit_at_3/mrr/answered_* are shares of the in-scope rows: answered_correct counts the rows
    answered with the right top article, answered_wrong those answered with another one. oos_declined is
    the share of rows labelled `oos_label` that were declined (a suggestion is not a decline); None when
    there are none. Latencies cover every call, in milliseconds.
    """
    unknown = sorted({c for _, c in test_rows if c != oos_label and c not in category_to_article_id})
    if unknown:
        raise ValueError(f"categories without an article: {', '.join(unknown[:10])}")
    reciprocal_ranks: list[float] = []
    hits_1 = hits_3 = correct = wrong = oos_rows = oos_declined = 0
    latencies: list[float] = []
    for text, category in test_rows:
        started = time.perf_counter()
        decision, article_ids = match(text)
        latencies.append((time.perf_counter() - started) * 1000)
        if category == oos_label:
            oos_rows += 1
            oos_declined += decision == "decline"
            continue
        expected = category_to_article_id[category]
        rank = article_ids.index(expected) + 1 if expected in article_ids else None
        reciprocal_ranks.append(1 / rank if rank else 0.0)
        hits_1 += rank == 1
        hits_3 += rank is not None and rank <= 3
        if decision == "answer" and article_ids:
            correct += article_ids[0] == expected
            wrong += article_ids[0] != expected
    n = len(reciprocal_ranks)

    def share(count: int, total: int) -> float | None:
        return count / total if total else None

    return {
        "n": n,
        "hit_at_1": share(hits_1, n),
        "hit_at_3": share(hits_3, n),
        "mrr": float(np.mean(reciprocal_ranks)) if n else None,
        "answered_correct": share(correct, n),
        "answered_wrong": share(wrong, n),
        "oos_declined": share(oos_declined, oos_rows),
        "p50_ms": float(np.percentile(latencies, 50)) if latencies else None,
        "p99_ms": float(np.percentile(latencies, 99)) if latencies else None,
    }
