"""The search index, owned by this app. Other apps never write here; they call `search.actions`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
    """One indexed text in one language: an article translation, a forum topic, a solved ticket.

    The analysed terms are kept beside the text so that re-indexing can update term statistics by
    difference and so every backend indexes the same tokens. The full-text structure itself (an FTS5
    table on SQLite, a tsvector column with a GIN index on PostgreSQL) is maintained by `backends`.
    """

    kind = models.CharField(_("kind"), max_length=32)
    object_id = models.PositiveBigIntegerField(_("object id"))
    language = models.CharField(_("language"), max_length=10)
    group = models.CharField(_("search group"), max_length=10)
    title = models.CharField(_("title"), max_length=300, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("address"), max_length=500, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    level = models.CharField(_("level"), max_length=16, blank=True)
    title_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)
    # Where each term occurs in the title and in the snippet source (highlight.term_offsets), so that
    # results are highlighted without analysing their text again.
    title_offsets = models.TextField(blank=True)
    snippet_offsets = models.TextField(blank=True)
    helpfulness = models.FloatField(_("helpfulness"), default=0.0)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "language"], name="search_document_unique")
        ]
        indexes = [
            # The columns read for many documents at once, the sort keys of ranked documents and the
            # addresses of suggested titles: SQLite reads them from here (see backends) because its rows
            # store them after the body. Declared here so that Django keeps the index when it remakes
            # the table on SQLite for a migration.
            models.Index(
                fields=["id", "kind", "object_id", "language", "helpfulness", "published_at", "url"],
                name="search_document_lookup",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}:{self.language}"


class TermStatistic(models.Model):
    """How many documents of a search group hold a term. The empty term counts the documents.

    SQLite's FTS5 keeps its own statistics; PostgreSQL has none usable for BM25, so its ranking reads
    document frequencies from here.
    """

    group = models.CharField(max_length=10)
    term = models.CharField(max_length=100)
    document_count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "term"], name="search_term_unique")]

    def __str__(self) -> str:
        return f"{self.group}:{self.term}"


class VocabularyWord(models.Model):
    """Words as written (case-folded, unstemmed) in Latin-script documents: "did you mean" picks from them."""

    group = models.CharField(max_length=10)
    word = models.CharField(max_length=60)
    document_count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "word"], name="search_word_unique")]

    def __str__(self) -> str:
        return f"{self.group}:{self.word}"


class Suggestion(models.Model):
    """An autocomplete entry. A title is entered under every word it holds, so "withdr" finds
    "Why hasn't my withdrawal arrived?"; `key` is the folded text from that word on."""

    class Source(models.TextChoices):
        TITLE = "title", _("Title")
        QUERY = "query", _("Popular search")

    group = models.CharField(max_length=10)
    key = models.CharField(max_length=120)
    text = models.CharField(max_length=300)
    source = models.CharField(max_length=8, choices=Source.choices)
    weight = models.FloatField(default=0.0)
    # 0 when the key is the text from its start: such matches rank above matches inside a title.
    position = models.PositiveSmallIntegerField(default=0)
    document = models.ForeignKey(SearchDocument, null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        indexes = [models.Index(fields=["group", "key"], name="search_suggestion_prefix")]

    def __str__(self) -> str:
        return self.text


class QueryLog(models.Model):
    """Every search: the source of search history (while `user` is set) and of content-gap analytics.

    Removing a query from someone's history unlinks it from them (user and session cleared) instead of
    deleting it, so the analytics keep the anonymous count.
    """

    created_at = models.DateTimeField(_("searched at"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("user")
    )
    session_key = models.CharField(max_length=40, blank=True)
    query = models.CharField(_("query"), max_length=300)
    normalised = models.CharField(max_length=300, db_index=True)
    language = models.CharField(_("language"), max_length=10)
    result_count = models.PositiveIntegerField(_("results"), default=0)
    clicked_document = models.ForeignKey(
        SearchDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clicked_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=16, default="page")  # page, api, ticket-form, bot

    class Meta:
        verbose_name = _("search query")
        verbose_name_plural = _("search queries")
        indexes = [models.Index(fields=["user", "-created_at"], name="search_history")]

    def __str__(self) -> str:
        return self.query
