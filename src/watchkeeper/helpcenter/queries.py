"""Reads of the knowledge base. Everything a customer can reach goes through `published()`."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation

from watchkeeper.helpcenter.models import Article, ArticleTranslation, Category, Workflow


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


def article_url(slug: str, language: str) -> str:
    with translation.override(language):
        return reverse("helpcenter:article", kwargs={"slug": slug})


def published_articles(
    article_ids: list[int], language: str
) -> dict[int, tuple[Article, ArticleTranslation, bool]]:
    """For each id with a published translation: (article, translation shown, is_fallback)."""
    found: dict[int, tuple[Article, ArticleTranslation, bool]] = {}
    for article in Article.objects.filter(pk__in=article_ids):
        item, is_fallback = published_translation(article, language)
        if item is not None and item.published_revision is not None:
            found[article.pk] = (article, item, is_fallback)
    return found
