"""Answering a question from the knowledge base with the latest trained matcher."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from watchkeeper.answers.models import MatcherModel

if TYPE_CHECKING:
    from watchkeeper.answers.matcher import Matcher

Decision = Literal["answer", "suggest", "decline"]


@dataclass(frozen=True)
class SuggestedArticle:
    article_id: int
    slug: str
    language: str
    title: str
    summary: str
    url: str
    confidence: float
    is_fallback: bool


@dataclass(frozen=True)
class Answer:
    decision: Decision
    articles: list[SuggestedArticle]


class _LoadedMatcher:
    """The newest stored model, loaded once per process and replaced when a newer one appears."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: tuple[int, Matcher] | None = None

    def get(self) -> Matcher | None:
        newest = MatcherModel.objects.order_by("-pk").values_list("pk", flat=True).first()
        if newest is None:
            return None
        with self._lock:
            if self._loaded and self._loaded[0] == newest:
                return self._loaded[1]
        from watchkeeper.answers.matcher import Matcher

        data = MatcherModel.objects.values_list("data", flat=True).get(pk=newest)
        matcher = Matcher.from_bytes(bytes(data))
        with self._lock:
            self._loaded = (newest, matcher)
        return matcher


_matcher = _LoadedMatcher()


def match_question(question: str, *, language: str = "en", limit: int = 3) -> Answer:
    from watchkeeper.helpcenter.queries import article_url, published_articles

    matcher = _matcher.get()
    if matcher is None or not question.strip():
        return Answer(decision="decline", articles=[])
    result = matcher.match(question, limit=limit)
    found = published_articles([candidate.article_id for candidate in result.candidates], language)
    suggested: list[SuggestedArticle] = []
    for candidate in result.candidates:
        if candidate.article_id not in found:
            continue
        article, item, is_fallback = found[candidate.article_id]
        revision = item.published_revision
        assert revision is not None  # published_articles only returns published translations
        suggested.append(
            SuggestedArticle(
                article_id=article.pk,
                slug=article.slug,
                language=item.language,
                title=revision.title,
                summary=revision.summary,
                url=article_url(article.slug, item.language),
                confidence=round(candidate.confidence, 4),
                is_fallback=is_fallback,
            )
        )
    decision: Decision = result.decision if suggested else "decline"
    return Answer(decision=decision, articles=suggested)
