"""Every write to the search index and the query log goes through here."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from watchkeeper.search import analysis, highlight
from watchkeeper.search.backends import LENGTH_TERM, IndexRow, SearchFilters, current_backend
from watchkeeper.search.models import QueryLog, SearchDocument, Suggestion
from watchkeeper.search.text import fold_for_suggestions, normalise_query

VOCABULARY_VERSION_KEY = "search:vocabulary-version"
_WORD = re.compile(r"[^\W\d_]{2,40}", re.UNICODE)
# A popular search becomes a suggestion only after this many different people made it, so nobody's
# private query (an address, a transaction id) is shown to others.
POPULAR_QUERY_MIN_PEOPLE = 3
POPULAR_QUERY_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class DocumentInput:
    """What an app hands to the index: plain text (Markdown already rendered and stripped)."""

    kind: str
    object_id: int
    language: str
    title: str
    body: str
    url: str
    summary: str = ""
    category: str = ""
    level: str = ""
    helpfulness: float = 0.0
    published_at: datetime | None = None


def _title_suggestion_keys(title: str, language: str) -> list[tuple[int, str]]:
    """Folded title text from its start and from every indexed word on (see Suggestion), with offsets."""
    folded = fold_for_suggestions(title)
    keys = {folded[:120]: 0}
    if len(folded) == len(title):
        for token in analysis.tokenize(title, language):
            keys.setdefault(folded[token.start :][:120], token.start)
    return [(position, key) for key, position in keys.items() if key.strip()]


def _latin_words(text: str) -> set[str]:
    return {word for word in _WORD.findall(analysis.normalise(text)) if analysis.is_latin_script(word)}


def _bump(table: str, column: str, group_counts: Counter[tuple[str, str]]) -> None:
    """Add to (group, key) counters in one statement per batch; the same SQL on SQLite and PostgreSQL."""
    changes = [(group, key, delta) for (group, key), delta in group_counts.items() if delta]
    if not changes:
        return
    with connection.cursor() as cursor:
        for start in range(0, len(changes), 500):
            batch = changes[start : start + 500]
            values = ", ".join(["(%s, %s, %s)"] * len(batch))
            # Table and column are constants of this module; the values are parameters.
            sql = (
                f'INSERT INTO {table} ("group", {column}, document_count) VALUES {values} '  # noqa: S608
                f'ON CONFLICT ("group", {column}) DO UPDATE SET document_count = '
                f"{table}.document_count + excluded.document_count"
            )
            cursor.execute(sql, [value for change in batch for value in change])


def _statistics_delta(
    documents: Iterable[tuple[str, str, str, str, str]], sign: int
) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """Term and vocabulary count changes; documents are (group, title_terms, body_terms, title, body)."""
    terms: Counter[tuple[str, str]] = Counter()
    words: Counter[tuple[str, str]] = Counter()
    for group, title_terms, body_terms, title, body in documents:
        title_list, body_list = title_terms.split(), body_terms.split()
        terms[(group, "")] += sign
        terms[(group, LENGTH_TERM)] += sign * (len(title_list) + len(body_list))
        for term in set(title_list) | set(body_list):
            terms[(group, term[:100])] += sign
        if group not in ("zh", "ja", "ko", "ru"):
            for word in _latin_words(f"{title}\n{body}"):
                words[(group, word)] += sign
    return terms, words


@transaction.atomic
def index_documents(inputs: Sequence[DocumentInput]) -> list[SearchDocument]:
    """Add or replace documents in the index, with their statistics and title suggestions."""
    if not inputs:
        return []
    existing: dict[tuple[str, int, str], SearchDocument] = {}
    for kind in {item.kind for item in inputs}:
        ids = [item.object_id for item in inputs if item.kind == kind]
        for start in range(0, len(ids), 500):
            for document in SearchDocument.objects.filter(kind=kind, object_id__in=ids[start : start + 500]):
                existing[(document.kind, document.object_id, document.language)] = document

    removed = [
        (doc.group, doc.title_terms, doc.body_terms, doc.title, doc.body)
        for item in inputs
        if (doc := existing.get((item.kind, item.object_id, item.language)))
    ]
    documents: list[SearchDocument] = []
    for item in inputs:
        document = existing.get((item.kind, item.object_id, item.language)) or SearchDocument(
            kind=item.kind, object_id=item.object_id, language=item.language
        )
        document.group = analysis.search_group(item.language)
        document.title = item.title[:300]
        document.summary = item.summary
        document.body = item.body
        document.url = item.url
        document.category = item.category
        document.level = item.level
        document.helpfulness = item.helpfulness
        document.published_at = item.published_at
        title_tokens = analysis.tokenize(document.title, item.language)
        document.title_terms = " ".join(token.term for token in title_tokens)
        document.title_offsets = highlight.term_offsets(title_tokens)
        document.body_terms = " ".join(analysis.analyze(f"{item.summary}\n{item.body}", item.language))
        document.snippet_offsets = highlight.term_offsets(
            analysis.tokenize(highlight.snippet_source(item.summary or item.body), item.language)
        )
        documents.append(document)

    new = [document for document in documents if document.pk is None]
    old = [document for document in documents if document.pk is not None]
    now = timezone.now()
    for document in documents:
        document.updated_at = now
    SearchDocument.objects.bulk_create(new, batch_size=500)
    if old:
        SearchDocument.objects.bulk_update(
            old,
            [
                "group",
                "title",
                "summary",
                "body",
                "url",
                "category",
                "level",
                "title_terms",
                "body_terms",
                "title_offsets",
                "snippet_offsets",
                "helpfulness",
                "published_at",
                "updated_at",
            ],
            batch_size=500,
        )

    removed_terms, removed_words = _statistics_delta(removed, -1)
    added_terms, added_words = _statistics_delta(
        ((d.group, d.title_terms, d.body_terms, d.title, d.body) for d in documents), +1
    )
    _bump("search_termstatistic", "term", _net(removed_terms, added_terms))
    _bump("search_vocabularyword", "word", _net(removed_words, added_words))
    if removed_words or added_words:
        _bump_vocabulary_version()

    Suggestion.objects.filter(document__in=old, source=Suggestion.Source.TITLE).delete()
    Suggestion.objects.bulk_create(
        [
            Suggestion(
                group=document.group,
                key=key,
                text=document.title,
                source=Suggestion.Source.TITLE,
                weight=1.0 + document.helpfulness,
                position=min(position, 32767),
                document=document,
            )
            for document in documents
            for position, key in _title_suggestion_keys(document.title, document.language)
        ],
        batch_size=1000,
    )
    current_backend().write(
        [
            IndexRow(
                id=document.pk,
                filters=SearchFilters(document.group, document.kind, document.category, document.level),
                title_terms=document.title_terms,
                body_terms=document.body_terms,
            )
            for document in documents
        ]
    )
    return documents


def _net(removed: Counter[tuple[str, str]], added: Counter[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """Sum two signed counters keeping zero and negative entries (Counter's + drops them)."""
    net: Counter[tuple[str, str]] = Counter()
    for counter in (removed, added):
        for key, value in counter.items():
            net[key] = net.get(key, 0) + value
    return net


@transaction.atomic
def remove_documents(kind: str, object_id: int, languages: Iterable[str] | None = None) -> int:
    documents = SearchDocument.objects.filter(kind=kind, object_id=object_id)
    if languages is not None:
        documents = documents.filter(language__in=list(languages))
    doomed = list(documents)
    if not doomed:
        return 0
    terms, words = _statistics_delta(
        ((d.group, d.title_terms, d.body_terms, d.title, d.body) for d in doomed), -1
    )
    _bump("search_termstatistic", "term", terms)
    _bump("search_vocabularyword", "word", words)
    _bump_vocabulary_version()
    current_backend().delete([(document.pk, document.group, document.kind) for document in doomed])
    SearchDocument.objects.filter(pk__in=[document.pk for document in doomed]).delete()
    return len(doomed)


def set_helpfulness(kind: str, object_id: int, language: str, helpfulness: float) -> None:
    """Helpfulness is a tie-breaker and a suggestion weight; it needs no re-analysis."""
    documents = SearchDocument.objects.filter(kind=kind, object_id=object_id, language=language)
    documents.update(helpfulness=helpfulness)
    Suggestion.objects.filter(document__in=documents).update(weight=1.0 + helpfulness)


def _bump_vocabulary_version() -> None:
    """Tell every process to reload its vocabulary copy (a fresh token, so a cleared cache never
    matches an old copy)."""
    cache.set(VOCABULARY_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def log_query(
    *,
    query: str,
    language: str,
    result_count: int,
    user_id: int | None,
    session_key: str,
    source: str = "page",
) -> QueryLog:
    return QueryLog.objects.create(
        query=query[:300],
        normalised=normalise_query(query)[:300],
        language=language,
        result_count=result_count,
        user_id=user_id,
        session_key=session_key[:40],
        source=source,
    )


def record_click(log_id: int, document_id: int, *, user_id: int | None, session_key: str) -> bool:
    """Mark which result a search led to; only the person who searched can record it."""
    if not session_key and not user_id:
        return False
    owner = Q(user_id=user_id) if user_id else Q(session_key=session_key, user__isnull=True)
    now = timezone.now()
    updated = QueryLog.objects.filter(
        owner, pk=log_id, clicked_document__isnull=True, created_at__gte=now - timedelta(days=1)
    ).update(clicked_document_id=document_id, clicked_at=now)
    return bool(updated)


def forget_search(user_id: int, normalised: str) -> int:
    """Remove one query from a person's history: every time they searched it."""
    return QueryLog.objects.filter(user_id=user_id, normalised=normalised).update(user=None, session_key="")


def clear_search_history(user_id: int) -> int:
    return QueryLog.objects.filter(user_id=user_id).update(user=None, session_key="")


def optimize_index() -> None:
    """Compact the full-text index and refresh the planner's statistics (nightly, and after bulk loads)."""
    current_backend().optimize()


@transaction.atomic
def refresh_popular_suggestions(now: datetime | None = None) -> int:
    """Rebuild the "popular search" suggestions from the query log (queries that found something)."""
    since = (now or timezone.now()) - POPULAR_QUERY_WINDOW
    rows = (
        QueryLog.objects.filter(created_at__gte=since, result_count__gt=0)
        .exclude(normalised="")
        .values("language", "normalised")
        .annotate(
            people=Count("user", distinct=True)
            + Count("session_key", distinct=True, filter=Q(user__isnull=True)),
            last=Max("created_at"),
            text=Max("query"),
        )
        .filter(people__gte=POPULAR_QUERY_MIN_PEOPLE)
    )
    Suggestion.objects.filter(source=Suggestion.Source.QUERY).delete()
    suggestions = [
        Suggestion(
            group=analysis.search_group(row["language"]),
            key=fold_for_suggestions(row["normalised"])[:120],
            text=row["text"][:300],
            source=Suggestion.Source.QUERY,
            weight=float(row["people"]),
        )
        for row in rows
    ]
    Suggestion.objects.bulk_create(suggestions, batch_size=1000)
    return len(suggestions)
