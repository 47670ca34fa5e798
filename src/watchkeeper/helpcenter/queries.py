"""Reads of the knowledge base. Everything a customer can reach goes through `published()`."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from watchkeeper.helpcenter.models import Article, ArticleTranslation, Category, Feedback, Workflow


def published() -> QuerySet[ArticleTranslation]:
    """Translations customers may read: a published revision that a reviewer approved, not archived."""
    return ArticleTranslation.objects.filter(
        published_revision__isnull=False, published_revision__approved_at__isnull=False
    ).exclude(workflow=Workflow.ARCHIVED)


def published_translation(article: Article, language: str) -> tuple[ArticleTranslation | None, bool]:
    """The translation to show in `language`, or the source-language one as a fallback.

    Returns (translation, is_fallback).
    """
    translations = {
        item.language: item
        for item in published()
        .filter(article=article, language__in=[language, article.source_language, "en"])
        .select_related("published_revision", "last_reviewed_by")
    }
    if language in translations:
        return translations[language], False
    fallback = translations.get(article.source_language) or translations.get("en")
    return fallback, fallback is not None


def articles_for_listing(language: str, *, category: Category | None = None, level: str = "") -> list[dict]:
    """Rows for category pages and the API: title in the reader's language or the fallback."""
    rows: dict[int, dict] = {}
    translations = (
        published()
        .filter(language__in=[language, "en"])
        .select_related("published_revision", "article__section__category")
    )
    if category is not None:
        translations = translations.filter(article__section__category=category)
    if level:
        translations = translations.filter(article__level=level)
    for item in translations.order_by("article__section__order", "article__order", "article__slug"):
        article = item.article
        existing = rows.get(article.pk)
        if existing is not None and existing["language"] == language:
            continue
        revision = item.published_revision
        rows[article.pk] = {
            "article": article,
            "slug": article.slug,
            "section": article.section,
            "level": article.level,
            "language": item.language,
            "title": revision.title if revision else article.slug,
            "summary": revision.summary if revision else "",
            "is_fallback": item.language != language,
        }
    return list(rows.values())


def content_gaps_unhelpful(limit: int = 20) -> QuerySet[ArticleTranslation]:
    return (
        published()
        .filter(unhelpful_votes__gt=0)
        .select_related("article", "published_revision")
        .order_by("-unhelpful_votes", "helpful_votes")[:limit]
    )


def recent_feedback_comments(limit: int = 50) -> QuerySet[Feedback]:
    return (
        Feedback.objects.exclude(comment="")
        .select_related("translation__article")
        .order_by("-created_at")[:limit]
    )


def review_queue() -> QuerySet[ArticleTranslation]:
    return (
        ArticleTranslation.objects.filter(workflow=Workflow.IN_REVIEW)
        .select_related("article", "working_revision__author")
        .order_by("working_revision__submitted_at")
    )


def workflow_counts() -> dict[str, int]:
    return dict(
        ArticleTranslation.objects.values_list("workflow")
        .annotate(count=Count("pk"))
        .values_list("workflow", "count")
    )
