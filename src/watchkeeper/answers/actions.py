"""Training the FAQ matcher from the published knowledge base."""

from __future__ import annotations

import time

from django.db import transaction

from watchkeeper.answers.models import MatcherModel
from watchkeeper.search import analysis


def analyse_any_language(text: str) -> list[str]:
    """The matcher's word features: the search analyser of the text's own language."""
    return analysis.analyze(text, analysis.detect_language(text))


def training_examples() -> list[tuple[int, str]]:
    """(article id, text) for every published translation's title and sample questions."""
    from watchkeeper.helpcenter.queries import published

    examples: list[tuple[int, str]] = []
    for article_id, title, questions in published().values_list(
        "article_id", "published_revision__title", "published_revision__sample_questions"
    ):
        examples.append((article_id, title))
        examples.extend((article_id, question) for question in questions or [])
    return examples


def retrain_matcher() -> MatcherModel | None:
    examples = training_examples()
    if not examples:
        MatcherModel.objects.all().delete()
        return None
    # scikit-learn loads in about half a second; only processes that train or match pay for it.
    from watchkeeper.answers.matcher import Matcher

    started = time.perf_counter()
    matcher = Matcher.train(examples, tokenize=analyse_any_language)
    elapsed = time.perf_counter() - started
    with transaction.atomic():
        model = MatcherModel.objects.create(
            data=matcher.to_bytes(),
            article_count=len({article_id for article_id, _ in examples}),
            example_count=len(examples),
            training_seconds=elapsed,
        )
        MatcherModel.objects.exclude(pk=model.pk).delete()
    return model
