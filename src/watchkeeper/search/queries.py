"""The search service: ranked, filtered, highlighted results; autocomplete; "did you mean"; history."""

from __future__ import annotations

import difflib
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.utils.safestring import SafeString

from watchkeeper.search import analysis
from watchkeeper.search.actions import VOCABULARY_VERSION_KEY
from watchkeeper.search.backends import Candidate, SearchFilters, current_backend, suggestions
from watchkeeper.search.highlight import Highlighter
from watchkeeper.search.models import QueryLog, SearchDocument, VocabularyWord
from watchkeeper.search.text import fold_for_suggestions

MAX_RESULTS = 100  # ten pages; nobody reads further, and it bounds the ranking cost
AUTOCOMPLETE_SCAN = 60
_SCRIPT_GROUPS = {"zh": "han", "ja": "kana", "ko": "hangul", "ru": "cyrillic"}


@dataclass
class SearchHit:
    document: SearchDocument
    score: float
    title_html: SafeString
    snippet_html: SafeString


@dataclass
class SearchResults:
    query: str
    language: str
    group: str
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0  # matches found, capped at MAX_RESULTS
    page: int = 1
    per_page: int = 10
    did_you_mean: str | None = None

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def query_language(query: str, requested: str | None) -> str:
    """The language to analyse a query in.

    The page's language wins unless the query is plainly written in another script (Chinese typed on
    the English page); with no language given the query's own language is detected.
    """
    if not requested or requested not in analysis.LANGUAGES:
        return analysis.detect_language(query)
    non_latin = _SCRIPT_GROUPS.keys()
    requested_group = analysis.search_group(requested)
    if requested_group in non_latin:
        detected = analysis.detect_language(query, default=requested)
    else:
        # Only a script can override a Latin-script page language below, so the statistical guess
        # among Latin-script languages (the costly part of detection) would not change the answer.
        detected = analysis.script_language(query) or requested
    detected_group = analysis.search_group(detected)
    if requested_group == detected_group:
        return requested
    if detected_group in non_latin or (requested_group in non_latin and analysis.is_latin_script(query)):
        return detected
    return requested


def search(
    query: str,
    *,
    language: str | None = None,
    kind: str = "article",
    category: str = "",
    level: str = "",
    page: int = 1,
    per_page: int = 10,
    with_snippets: bool = True,
    suggest_corrections: bool = True,
) -> SearchResults:
    query = query.strip()[:300]
    language = query_language(query, language)
    group = analysis.search_group(language)
    results = SearchResults(query=query, language=language, group=group, page=max(page, 1), per_page=per_page)
    terms = analysis.analyze(query, language)
    if not terms:
        return results
    ranked = current_backend().rank(terms, SearchFilters(group, kind, category, level), MAX_RESULTS)
    if ranked:
        candidates = _prefer_requested_variant(ranked, language)
        # Freshness and helpfulness only break (near-)ties: relevance comes first.
        candidates.sort(
            key=lambda candidate: (-round(candidate.score, 2), -candidate.helpfulness, -candidate.published)
        )
        results.total = len(candidates)
        first = (results.page - 1) * per_page
        shown = candidates[first : first + per_page]
        # Rows only for the page shown, without the analysed terms (long, and only ranking reads them).
        documents = SearchDocument.objects.defer("title_terms", "body_terms").in_bulk(
            [candidate.id for candidate in shown]
        )
        highlighter = Highlighter(terms)
        for candidate in shown:
            document = documents[candidate.id]
            results.hits.append(
                SearchHit(
                    document=document,
                    score=candidate.score,
                    title_html=highlighter.title(document.title, document.title_offsets)
                    if with_snippets
                    else SafeString(""),
                    snippet_html=highlighter.snippet(
                        document.summary or document.body, document.snippet_offsets
                    )
                    if with_snippets
                    else SafeString(""),
                )
            )
    if suggest_corrections and results.total < 3 and analysis.is_latin_script(query):
        corrected = correct_spelling(query, group)
        if corrected and corrected != analysis.normalise(query):
            retry = search(
                corrected,
                language=language,
                kind=kind,
                category=category,
                level=level,
                with_snippets=False,
                suggest_corrections=False,
                per_page=1,
            )
            if retry.total >= max(results.total, 1):
                results.did_you_mean = corrected
    return results


def _prefer_requested_variant(candidates: list[Candidate], language: str) -> list[Candidate]:
    """One hit per object: a zh-hant reader gets the zh-hant translation when both variants match."""
    best: dict[tuple[str, int], Candidate] = {}
    for candidate in candidates:
        current = best.get((candidate.kind, candidate.object_id))
        if current is None or (candidate.language == language and current.language != language):
            best[(candidate.kind, candidate.object_id)] = candidate
    return list(best.values())


_WORD = re.compile(r"\w+", re.UNICODE)


class _Vocabulary:
    """Per-process copy of a group's vocabulary, reloaded when the index bumps its version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._words: dict[str, tuple[str, dict[str, dict[str, int]]]] = {}

    def get(self, group: str) -> dict[str, dict[str, int]]:
        version = cache.get(VOCABULARY_VERSION_KEY)
        if version is None:  # cache cleared or never set: start a new generation
            version = uuid.uuid4().hex
            cache.set(VOCABULARY_VERSION_KEY, version, timeout=None)
        with self._lock:
            cached = self._words.get(group)
            if cached and cached[0] == version:
                return cached[1]
        by_initial: dict[str, dict[str, int]] = {}
        for word, count in VocabularyWord.objects.filter(group=group, document_count__gt=0).values_list(
            "word", "document_count"
        ):
            by_initial.setdefault(word[0], {})[word] = count
        with self._lock:
            self._words[group] = (version, by_initial)
        return by_initial


_vocabulary = _Vocabulary()


def correct_spelling(query: str, group: str) -> str | None:
    """The query with unknown words replaced by the closest frequent word of the index, if any."""
    vocabulary = _vocabulary.get(group)
    if not vocabulary:
        return None
    words = _WORD.findall(analysis.normalise(query))
    changed = False
    corrected: list[str] = []
    for word in words:
        known = vocabulary.get(word[0], {})
        if word in known or len(word) < 4 or word.isdigit():
            corrected.append(word)
            continue
        candidates = [
            candidate
            for initial in {word[0], analysis.fold_accents(word[0])}
            for candidate in vocabulary.get(initial, {})
            if abs(len(candidate) - len(word)) <= 2
        ]
        close = difflib.get_close_matches(word, candidates, n=5, cutoff=0.8)
        if close:
            best = max(
                close,
                key=lambda candidate: (
                    difflib.SequenceMatcher(None, word, candidate).ratio(),
                    vocabulary[candidate[0]][candidate],
                ),
            )
            corrected.append(best)
            changed = True
        else:
            corrected.append(word)
    return " ".join(corrected) if changed else None


@dataclass(frozen=True)
class Completion:
    text: str
    source: str
    url: str


def autocomplete(prefix: str, *, language: str | None = None, limit: int = 8) -> list[Completion]:
    """Titles and popular searches that start with, or have a word starting with, what was typed."""
    prefix = prefix.strip()[:120]
    if not prefix:
        return []
    group = analysis.search_group(query_language(prefix, language))
    candidates = suggestions(group, fold_for_suggestions(prefix), AUTOCOMPLETE_SCAN)
    # Whole-title matches from the first word rank above matches inside a title; then by weight.
    candidates.sort(key=lambda row: (row[3] > 0, -row[2]))
    completions: list[Completion] = []
    seen: set[str] = set()
    for text, source, _weight, _position, url in candidates:
        if text in seen:
            continue
        seen.add(text)
        completions.append(Completion(text=text, source=source, url=url or ""))
        if len(completions) == limit:
            break
    return completions


def document_url(document_id: int) -> str | None:
    return SearchDocument.objects.filter(pk=document_id).values_list("url", flat=True).first()


@dataclass(frozen=True)
class HistoryEntry:
    query: str
    normalised: str
    language: str
    last_searched: object


def search_history(user_id: int, limit: int = 50) -> list[HistoryEntry]:
    rows = (
        QueryLog.objects.filter(user_id=user_id)
        .values("normalised")
        .annotate(last=Max("created_at"), query=Max("query"), language=Max("language"))
        .order_by("-last")[:limit]
    )
    return [
        HistoryEntry(
            query=row["query"],
            normalised=row["normalised"],
            language=row["language"],
            last_searched=row["last"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class SearchGap:
    """A search customers keep making that the help center does not answer well."""

    query: str
    language: str
    searches: int
    people: int
    with_results: int
    clicked: int
    last_searched: Any

    @property
    def click_rate(self) -> float:
        return self.clicked / self.with_results if self.with_results else 0.0


def content_gaps(
    *, since: Any, min_searches: int = 3, max_click_rate: float = 0.2, limit: int = 50
) -> tuple[list[SearchGap], list[SearchGap]]:
    """Frequent searches since `since` that found nothing, and ones whose results nobody opened.

    Grouped by normalised query and language so "Deposit?" and "deposit" count together; history that
    a person deleted still counts here, anonymously.
    """
    rows = (
        QueryLog.objects.filter(created_at__gte=since)
        .exclude(normalised="")
        .values("normalised", "language")
        .annotate(
            searches=Count("id"),
            people=Count("user", distinct=True)
            + Count("session_key", distinct=True, filter=Q(user__isnull=True) & ~Q(session_key="")),
            with_results=Count("id", filter=Q(result_count__gt=0)),
            clicked=Count("id", filter=Q(clicked_document__isnull=False)),
            last=Max("created_at"),
            text=Max("query"),
        )
        .filter(searches__gte=min_searches)
        .order_by("-searches", "normalised")
    )
    unanswered: list[SearchGap] = []
    unclicked: list[SearchGap] = []
    for row in rows:
        gap = SearchGap(
            query=row["text"],
            language=row["language"],
            searches=row["searches"],
            people=row["people"],
            with_results=row["with_results"],
            clicked=row["clicked"],
            last_searched=row["last"],
        )
        if gap.with_results == 0:
            if len(unanswered) < limit:
                unanswered.append(gap)
        elif gap.click_rate <= max_click_rate and len(unclicked) < limit:
            unclicked.append(gap)
        if len(unanswered) >= limit and len(unclicked) >= limit:
            break
    return unanswered, unclicked
