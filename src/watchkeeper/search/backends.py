"""Full-text storage and candidate ranking on SQLite (FTS5, bm25) and PostgreSQL (tsvector + GIN).

Both receive the analyser's terms, never raw text. Filters (search group, kind, category, level) are
indexed as terms of their own in a separate column/weight, so a filter is one more posting list to
intersect instead of a scan over every matching row.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db import connection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Title terms weigh this much more than body terms in every backend.
TITLE_WEIGHT = 2.5
# BM25 parameters (the usual defaults; FTS5 uses the same).
K1 = 1.2
B = 0.75
# A term held by more than this share of a group's documents (and by more than COMMON_TERM_MIN
# documents) does not select candidates. Without the cutoff a query holding "account" or the pair
# "ビッ" ranks every document that mentions it, and query time grows with the corpus; this is the
# "cutoff frequency" of Lucene's common-terms query. Such terms carry little weight anyway (low IDF).
# Small help centers (a few thousand documents) never reach the minimum, so nothing is cut there.
COMMON_TERM_SHARE = 0.05
COMMON_TERM_MIN = 500
# When every term is common, documents holding the rarest few together are the candidates.
ALL_COMMON_TERMS_USED = 3
CANDIDATES = 200


@dataclass(frozen=True)
class IndexRow:
    id: int
    filters: str
    title_terms: str
    body_terms: str


def filter_terms(group: str, kind: str, category: str, level: str) -> list[str]:
    terms = [f"g_{group}", f"k_{kind}"]
    if category:
        terms.append(f"c_{category.replace('-', '_')}")
    if level:
        terms.append(f"v_{level}")
    return terms


@dataclass(frozen=True)
class Selection:
    """Which query terms pick candidates, joined by OR (selective terms) or AND (all were common)."""

    terms: list[str]
    operator: str
    statistics: dict[str, int]
    total: int


def select_terms(group: str, terms: Sequence[str]) -> Selection | None:
    unique = list(dict.fromkeys(terms))
    statistics = _document_frequencies(group, unique)
    total = statistics.get("", 0)
    present = [term for term in unique if statistics.get(term, 0) > 0]
    if not present:
        return None
    cutoff = max(COMMON_TERM_SHARE * total, COMMON_TERM_MIN)
    selective = [term for term in present if statistics[term] <= cutoff]
    if selective:
        return Selection(selective, "OR", statistics, total)
    rarest = sorted(present, key=lambda term: statistics[term])[:ALL_COMMON_TERMS_USED]
    return Selection(rarest, "AND", statistics, total)


class Backend(Protocol):
    def write(self, rows: Sequence[IndexRow]) -> None: ...

    def delete(self, ids: Sequence[int]) -> None: ...

    def rank(
        self, group: str, terms: Sequence[str], filters: Sequence[str], limit: int
    ) -> list[tuple[int, float]]:
        """Document ids with a score, best first; higher scores are better."""
        ...


def _fts5_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class SqliteBackend:
    def write(self, rows: Sequence[IndexRow]) -> None:
        if not rows:
            return
        with connection.cursor() as cursor:
            self._delete(cursor, [row.id for row in rows])
            cursor.executemany(
                "INSERT INTO search_fts (rowid, filters, title, body) VALUES (%s, %s, %s, %s)",
                [(row.id, row.filters, row.title_terms, row.body_terms) for row in rows],
            )

    def delete(self, ids: Sequence[int]) -> None:
        with connection.cursor() as cursor:
            self._delete(cursor, ids)

    @staticmethod
    def _delete(cursor: object, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            placeholders = ", ".join(["%s"] * len(chunk))
            sql = f"DELETE FROM search_fts WHERE rowid IN ({placeholders})"  # noqa: S608 — placeholders only
            cursor.execute(sql, chunk)  # type: ignore[attr-defined]

    def rank(
        self, group: str, terms: Sequence[str], filters: Sequence[str], limit: int
    ) -> list[tuple[int, float]]:
        selection = select_terms(group, terms)
        if selection is None:
            return []
        filter_expression = " AND ".join(_fts5_quote(term) for term in filters)
        text_expression = f" {selection.operator} ".join(_fts5_quote(term) for term in selection.terms)
        expression = f"filters : ({filter_expression}) AND {{title body}} : ({text_expression})"
        # Ranking by bm25 scores every match. When even the rarest terms are common, that is most of
        # the group, so the newest CANDIDATES matches (FTS5 walks rowids in order and stops) are ranked
        # instead: such a query cannot single out a document anyway.
        order = "score" if selection.operator == "OR" else "rowid DESC"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid, bm25(search_fts, 0.0, %s, 1.0) AS score FROM search_fts "  # noqa: S608
                f"WHERE search_fts MATCH %s ORDER BY {order} LIMIT %s",  # `order` is one of two constants
                [TITLE_WEIGHT, expression, limit if selection.operator == "OR" else CANDIDATES],
            )
            # FTS5's bm25 is negative (lower is better); flip it so every backend says "higher is better".
            ranked = [(row_id, -score) for row_id, score in cursor.fetchall()]
        ranked.sort(key=lambda pair: pair[1], reverse=True)
        return ranked[:limit]


def _tsvector_literal(filters: str, title_terms: str, body_terms: str) -> str:
    """A tsvector in its input syntax: positions and weights (A title, B body, D filters).

    Building the literal ourselves keeps PostgreSQL's parser (and the database locale) out of the
    analysis: `'提币':1A,5B` means exactly that term.
    """
    positions: dict[str, list[str]] = {}
    position = 0
    for weight, text in (("D", filters), ("A", title_terms), ("B", body_terms)):
        for term in text.split():
            position = min(position + 1, 16383)  # tsvector positions stop at 16383
            entries = positions.setdefault(term, [])
            if len(entries) < 255:  # and keep at most 255 per term
                entries.append(f"{position}{weight}")
        position = min(position + 1, 16383)
    return " ".join(
        "'" + term.replace("'", "''") + "':" + ",".join(entries) for term, entries in positions.items()
    )


def _tsquery_quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


class PostgresBackend:
    def write(self, rows: Sequence[IndexRow]) -> None:
        if not rows:
            return
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE search_searchdocument SET tsv = %s::tsvector WHERE id = %s",
                [(_tsvector_literal(row.filters, row.title_terms, row.body_terms), row.id) for row in rows],
            )

    def delete(self, ids: Sequence[int]) -> None:
        # The vector lives in the document row and goes with it.
        return None

    def rank(
        self, group: str, terms: Sequence[str], filters: Sequence[str], limit: int
    ) -> list[tuple[int, float]]:
        selection = select_terms(group, terms)
        if selection is None:
            return []
        statistics, total = selection.statistics, max(selection.total, 1)
        term_counts = Counter(terms)
        joiner = " | " if selection.operator == "OR" else " & "
        query = " & ".join(f"{_tsquery_quote(term)}:D" for term in filters)
        query += " & (" + joiner.join(_tsquery_quote(term) for term in selection.terms) + ")"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, title_terms, body_terms FROM search_searchdocument, CAST(%s AS tsquery) AS q "
                "WHERE tsv @@ q ORDER BY ts_rank(tsv, q, 1) DESC LIMIT %s",
                [query, max(CANDIDATES, limit)],
            )
            candidates = cursor.fetchall()
        average_length = statistics.get(LENGTH_TERM, 0) / total
        scored = [
            (row_id, bm25(term_counts, title.split(), body.split(), statistics, total, average_length))
            for row_id, title, body in candidates
        ]
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored[:limit]


LENGTH_TERM = "#length"  # TermStatistic row holding the group's total document length


def _document_frequencies(group: str, terms: Iterable[str]) -> dict[str, int]:
    """Document counts of `terms`, plus the group's document count ("") and total length."""
    from watchkeeper.search.models import TermStatistic

    wanted = ["", LENGTH_TERM, *terms]
    return dict(
        TermStatistic.objects.filter(group=group, term__in=wanted).values_list("term", "document_count")
    )


def bm25(
    query_terms: Counter[str],
    title: list[str],
    body: list[str],
    statistics: dict[str, int],
    total_documents: int,
    average_length: float,
) -> float:
    """BM25 with the title's term frequency counted TITLE_WEIGHT times (BM25F with one length norm)."""
    title_counts = Counter(title)
    body_counts = Counter(body)
    length = TITLE_WEIGHT * len(title) + len(body)
    norm = K1 * (1 - B + B * length / max(average_length, 1.0))
    score = 0.0
    for term in query_terms:
        frequency = TITLE_WEIGHT * title_counts.get(term, 0) + body_counts.get(term, 0)
        if not frequency:
            continue
        document_frequency = statistics.get(term, 0)
        idf = math.log(1 + (total_documents - document_frequency + 0.5) / (document_frequency + 0.5))
        score += idf * frequency * (K1 + 1) / (frequency + norm)
    return score


def current_backend() -> Backend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()


def create_index_structures(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Called from the migration: the vendor-specific part of the index."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
            "filters, title, body, tokenize = \"unicode61 remove_diacritics 0 tokenchars '_#'\")"
        )
    elif vendor == "postgresql":
        schema_editor.execute("ALTER TABLE search_searchdocument ADD COLUMN IF NOT EXISTS tsv tsvector")
        # lz4 decompresses several times faster than pglz, and ranking detoasts every candidate's vector.
        schema_editor.execute("ALTER TABLE search_searchdocument ALTER COLUMN tsv SET COMPRESSION lz4")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_document_tsv ON search_searchdocument USING GIN (tsv)"
        )
        # Autocomplete's LIKE 'prefix%' can use a B-tree only with pattern ops under non-C collations.
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_suggestion_pattern"
            ' ON search_suggestion ("group", key varchar_pattern_ops)'
        )
    else:
        raise NotImplementedError(f"Search supports SQLite and PostgreSQL, not {vendor}.")


def drop_index_structures(schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS search_fts")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv")
        schema_editor.execute("DROP INDEX IF EXISTS search_suggestion_pattern")
