"""Reads of the knowledge base. Everything a customer can reach goes through `published()`."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import translation

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


def editor_translations(
    *, workflow: str = "", language: str = "", outdated: bool | None = None, text: str = ""
) -> QuerySet[ArticleTranslation]:
    """Every translation in every state, for the editors' list and API, newest work first."""
    items = ArticleTranslation.objects.select_related(
        "article__section__category",
        "working_revision__author",
        "working_revision__approved_by",
        "published_revision",
    )
    if workflow:
        items = items.filter(workflow=workflow)
    if language:
        items = items.filter(language=language)
    if outdated is not None:
        items = items.filter(outdated=outdated)
    if text:
        items = items.filter(Q(article__slug__icontains=text) | Q(working_revision__title__icontains=text))
    return items.order_by("-working_revision__created_at", "article__slug", "language")


def review_queue() -> QuerySet[ArticleTranslation]:
    """Translations waiting for a reviewer, the longest-waiting first."""
    return (
        ArticleTranslation.objects.filter(workflow=Workflow.IN_REVIEW)
        .select_related("article", "working_revision__author", "published_revision")
        .order_by("working_revision__submitted_at", "pk")
    )


def editor_translation(slug: str, language: str) -> ArticleTranslation | None:
    return (
        ArticleTranslation.objects.select_related(
            "article__section__category",
            "working_revision__author",
            "working_revision__approved_by",
            "published_revision",
            "last_reviewed_by",
        )
        .filter(article__slug=slug, language=language)
        .first()
    )


def unhelpful_articles(*, min_votes: int = 3, limit: int = 50) -> list[ArticleTranslation]:
    """Published translations readers often marked "not helpful", with their latest comments attached
    as `recent_comments` so editors see why."""
    items = list(
        published()
        .filter(unhelpful_votes__gte=min_votes)
        # At least a third of the votes say "not helpful": a popular article collects some anyway.
        .filter(helpful_votes__lte=F("unhelpful_votes") * 2)
        .select_related("article", "published_revision")
        .order_by("-unhelpful_votes", "article__slug")[:limit]
    )
    comments: dict[int, list[Feedback]] = {}
    for feedback in Feedback.objects.filter(translation__in=items, helpful=False).exclude(comment=""):
        comments.setdefault(feedback.translation_id, [])
        if len(comments[feedback.translation_id]) < 3:
            comments[feedback.translation_id].append(feedback)
    for item in items:
        item.recent_comments = comments.get(item.pk, [])  # type: ignore[attr-defined]
    return items


def category_slug_of_article(article_id: int) -> str | None:
    """The slug of the help-center category an article is filed under (1 query)."""
    return Article.objects.filter(pk=article_id).values_list("section__category__slug", flat=True).first()
