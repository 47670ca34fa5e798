"""Full-text storage and candidate ranking on SQLite (FTS5, bm25) and PostgreSQL (tsvector + GIN).

Both receive the analyser's terms, never raw text.

Filters narrow what the full-text index reads instead of being checked on every match: on SQLite the
search group and kind are a range of FTS5 rowids and category and level are terms (see SqliteBackend);
on PostgreSQL every group has a partial GIN index of its own (see create_index_structures).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from django.db import connection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.backends.utils import CursorWrapper

from watchkeeper.search.analysis import SEARCH_GROUPS

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
# See _rarest_within_budget: at most about this many documents are ranked by PostgreSQL per query.
POSTGRES_CANDIDATE_BUDGET = 2000


@dataclass(frozen=True)
class SearchFilters:
    """What a document is found under: its search group and kind, and its category and level if any."""

    group: str
    kind: str
    category: str = ""
    level: str = ""


@dataclass(frozen=True)
class IndexRow:
    id: int
    filters: SearchFilters
    title_terms: str
    body_terms: str


class Candidate(NamedTuple):
    """A ranked document, with what the search service orders and de-duplicates results by."""

    id: int
    score: float  # higher is better
    kind: str
    object_id: int
    language: str
    helpfulness: float
    published: float  # orders publication times, newest highest; 0 when never published


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

    def delete(self, documents: Sequence[tuple[int, str, str]]) -> None:
        """Remove documents, given as (document id, search group, kind), from the index."""
        ...

    def rank(self, terms: Sequence[str], filters: SearchFilters, limit: int) -> list[Candidate]:
        """The best `limit` matches, best first."""
        ...

    def optimize(self) -> None:
        """Compact the index after many writes (a bulk load, a day of edits) so queries read less."""
        ...


def _fts5_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


# On SQLite the documents of each (search group, kind) pair occupy their own range of FTS5 rowids: the
# pair's slot number (table search_fts_slot) above the document id. Restricting a search to a group and
# kind is then a rowid range, which FTS5 seeks to in every posting list. As a term that filter would
# cost more: FTS5's bm25() counts the documents of every phrase of the query, filters included, by
# reading its whole posting list, and most documents are articles. Category and level are terms of
# the filters column, named after the slot so their posting lists are no longer than the slot's.
_DOCUMENT_ID_BITS = 40
_NON_WORD = re.compile(r"\W")


# Both statements keep the best (or newest) matches first and only then read those documents' sort keys,
# from a narrow covering index (search_document_lookup): from the table they would cost a walk through
# each wide row, since helpfulness is stored after the body. FTS5's bm25 is negative (lower is better);
# it is flipped so that every backend says "higher is better".
_SQLITE_RANK = (
    "SELECT ranked.id, ranked.score, document.kind, document.object_id, document.language,"
    " document.helpfulness, COALESCE(julianday(document.published_at), 0) FROM ("
    "SELECT rowid - %s AS id, -bm25(search_fts, 0.0, %s, 1.0) AS score FROM search_fts"
    " WHERE search_fts MATCH %s AND rowid BETWEEN %s AND %s ORDER BY score DESC LIMIT %s"
    ") AS ranked CROSS JOIN search_searchdocument AS document INDEXED BY search_document_lookup"
    " ON document.id = ranked.id ORDER BY ranked.score DESC"
)
_SQLITE_NEWEST = (
    "SELECT newest.id, newest.title, newest.body, document.kind, document.object_id, document.language,"
    " document.helpfulness, COALESCE(julianday(document.published_at), 0) FROM ("
    "SELECT rowid - %s AS id, title, body FROM search_fts"
    " WHERE search_fts MATCH %s AND rowid BETWEEN %s AND %s ORDER BY rowid DESC LIMIT %s"
    ") AS newest CROSS JOIN search_searchdocument AS document INDEXED BY search_document_lookup"
    " ON document.id = newest.id"
)


class SqliteBackend:
    def write(self, rows: Sequence[IndexRow]) -> None:
        with connection.cursor() as cursor:
            write_sqlite_rows(cursor, rows)

    def delete(self, documents: Sequence[tuple[int, str, str]]) -> None:
        with connection.cursor() as cursor:
            slots = _sqlite_slots(cursor, {(group, kind) for _id, group, kind in documents})
            _delete_sqlite_rows(
                cursor,
                [
                    _sqlite_rowid(slots[(group, kind)], document_id)
                    for document_id, group, kind in documents
                    if (group, kind) in slots
                ],
            )

    def rank(self, terms: Sequence[str], filters: SearchFilters, limit: int) -> list[Candidate]:
        selection = select_terms(filters.group, terms)
        if selection is None:
            return []
        with connection.cursor() as cursor:
            slot = _sqlite_slots(cursor, {(filters.group, filters.kind)}).get((filters.group, filters.kind))
            if slot is None:
                return []
            first = _sqlite_rowid(slot, 0)
            text = f" {selection.operator} ".join(_fts5_quote(term) for term in selection.terms)
            expression = f"{{title body}} : ({text})"
            filter_terms = _sqlite_filter_terms(slot, filters.category, filters.level)
            if filter_terms:
                filter_expression = " AND ".join(_fts5_quote(term) for term in filter_terms)
                expression = f"filters : ({filter_expression}) AND {expression}"
            parameters: list[int | str] = [expression, first, first + (1 << _DOCUMENT_ID_BITS) - 1]
            if selection.operator == "OR":
                cursor.execute(_SQLITE_RANK, [first, TITLE_WEIGHT, *parameters, limit])
                return [Candidate(*row) for row in cursor.fetchall()]
            # Even the rarest terms are common: ranking every match would rank most of the group, so the
            # newest matches (FTS5 walks rowids in order and stops) are ranked instead; such a query cannot
            # single out a document anyway. They are scored here on the terms that selected them, as bm25()
            # would, because bm25() would first read the whole posting list of each of those common terms.
            cursor.execute(_SQLITE_NEWEST, [first, *parameters, limit])
            return score_candidates(selection.terms, cursor.fetchall(), selection)

    def optimize(self) -> None:
        # Each write batch adds an FTS5 segment and automerge only merges them a few at a time, so a
        # term's postings stay spread over many segments that every query opens; 'optimize' merges them
        # into one (on 100,000 documents, query p50 5.3 -> 3.7 ms). It rewrites the index under the
        # write lock, which is why it runs nightly and after bulk loads, not after every write.
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
            cursor.execute("PRAGMA optimize")


def write_sqlite_rows(cursor: CursorWrapper, rows: Sequence[IndexRow]) -> None:
    """Add or replace documents in the FTS5 table (also used by the migration that rebuilds it)."""
    if not rows:
        return
    pairs = {(row.filters.group, row.filters.kind) for row in rows}
    cursor.executemany('INSERT OR IGNORE INTO search_fts_slot ("group", kind) VALUES (%s, %s)', list(pairs))
    slots = _sqlite_slots(cursor, pairs)
    entries: list[tuple[int, str, str, str]] = []
    for row in rows:
        slot = slots[(row.filters.group, row.filters.kind)]
        filter_terms = _sqlite_filter_terms(slot, row.filters.category, row.filters.level)
        entries.append((_sqlite_rowid(slot, row.id), " ".join(filter_terms), row.title_terms, row.body_terms))
    _delete_sqlite_rows(cursor, [entry[0] for entry in entries])
    cursor.executemany(
        "INSERT INTO search_fts (rowid, filters, title, body) VALUES (%s, %s, %s, %s)", entries
    )


def _sqlite_slots(cursor: CursorWrapper, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    slots: dict[tuple[str, str], int] = {}
    for group, kind in pairs:
        cursor.execute('SELECT slot FROM search_fts_slot WHERE "group" = %s AND kind = %s', [group, kind])
        row = cursor.fetchone()
        if row is not None:
            slots[(group, kind)] = row[0]
    return slots


def _sqlite_rowid(slot: int, document_id: int) -> int:
    if not 0 <= document_id < 1 << _DOCUMENT_ID_BITS or not 0 < slot < 1 << (63 - _DOCUMENT_ID_BITS):
        raise ValueError(f"Slot {slot} and document {document_id} do not fit in an FTS5 rowid.")
    return slot << _DOCUMENT_ID_BITS | document_id


def _sqlite_filter_terms(slot: int, category: str, level: str) -> list[str]:
    # The tokenizer keeps letters, digits and "_" together; anything else would split the term.
    terms = []
    if category:
        terms.append(f"c{slot}_{_NON_WORD.sub('_', category)}")
    if level:
        terms.append(f"v{slot}_{_NON_WORD.sub('_', level)}")
    return terms


def _delete_sqlite_rows(cursor: CursorWrapper, rowids: Sequence[int]) -> None:
    for start in range(0, len(rowids), 500):
        chunk = rowids[start : start + 500]
        placeholders = ", ".join(["%s"] * len(chunk))
        cursor.execute(f"DELETE FROM search_fts WHERE rowid IN ({placeholders})", chunk)  # noqa: S608 — placeholders only


def _postgres_filter_terms(category: str, level: str) -> list[str]:
    """Category and level as terms of the vector (weight D), so GIN intersects them with the text terms.

    The group and the kind need none: each group has its own index, and kind rarely narrows anything.
    """
    terms = []
    if category:
        terms.append(f"c_{category.replace('-', '_')}")
    if level:
        terms.append(f"v_{level}")
    return terms


def _tsvector_literal(filter_terms: list[str], title_terms: str, body_terms: str) -> str:
    """A tsvector in its input syntax: positions and weights (D filters, A title, B body).

    Building the literal ourselves keeps PostgreSQL's parser (and the database locale) out of the
    analysis: `'提币':1A,5B` means exactly that term.
    """
    positions: dict[str, list[str]] = {}
    position = 0
    for weight, text in (("D", " ".join(filter_terms)), ("A", title_terms), ("B", body_terms)):
        for term in text.split():
            position = min(position + 1, 16383)  # tsvector positions stop at 16383
            entries = positions.setdefault(term, [])
            if len(entries) < 255:  # and keep at most 255 per term
                entries.append(f"{position}{weight}")
        position = min(position + 1, 16383)
    return " ".join(
        "'" + term.replace("'", "''") + "':" + ",".join(entries) for term, entries in positions.items()
    )


def _rarest_within_budget(selection: Selection) -> list[str]:
    """The rarest selective terms whose postings add up to at most POSTGRES_CANDIDATE_BUDGET (at least one).

    PostgreSQL ranks a match by reading its row, about one page per document here, so ranking costs
    what the candidates number. A long Chinese or Japanese question holds a dozen words and character
    pairs that are each below the common-term cutoff; together they matched up to a fifth of the group.
    On the 100,000-document benchmark the budget took query p99 from 23.7 to 15.5 ms and changed none of
    the 2,000 queries' first ten results: the rarest terms are the ones BM25 weighs most, and every
    selective term still counts in the ranking and the score of the candidates they select.
    """
    by_rarity = sorted(selection.terms, key=lambda term: selection.statistics.get(term, 0))
    chosen: list[str] = []
    postings = 0
    for term in by_rarity:
        postings += selection.statistics.get(term, 0)
        if chosen and postings > POSTGRES_CANDIDATE_BUDGET:
            break
        chosen.append(term)
    return chosen


def _tsquery_quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


class PostgresBackend:
    def write(self, rows: Sequence[IndexRow]) -> None:
        if not rows:
            return
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE search_searchdocument SET tsv = %s::tsvector WHERE id = %s",
                [
                    (
                        _tsvector_literal(
                            _postgres_filter_terms(row.filters.category, row.filters.level),
                            row.title_terms,
                            row.body_terms,
                        ),
                        row.id,
                    )
                    for row in rows
                ],
            )

    def delete(self, documents: Sequence[tuple[int, str, str]]) -> None:
        # The vector lives in the document row and goes with it.
        return None

    def rank(self, terms: Sequence[str], filters: SearchFilters, limit: int) -> list[Candidate]:
        selection = select_terms(filters.group, terms)
        if selection is None:
            return []
        joiner = " | " if selection.operator == "OR" else " & "
        text = joiner.join(_tsquery_quote(term) for term in selection.terms)
        selecting = text
        if selection.operator == "OR":
            selecting = " | ".join(_tsquery_quote(term) for term in _rarest_within_budget(selection))
        # Filter terms without their weight, which would make PostgreSQL recheck every match against its
        # vector; the conditions on the columns below still keep out a text word that looks like one.
        query = " & ".join(
            [*map(_tsquery_quote, _postgres_filter_terms(filters.category, filters.level)), f"({selecting})"]
        )
        # The group must reach the server as a literal, as Django's client-side parameter binding does,
        # for the planner to pick the group's partial index.
        conditions = ['"group" = %s', "kind = %s", "tsv @@ CAST(%s AS tsquery)"]
        parameters: list[int | str] = [filters.group, filters.kind, query]
        if filters.category:
            conditions.append("category = %s")
            parameters.append(filters.category)
        if filters.level:
            conditions.append("level = %s")
            parameters.append(filters.level)
        if selection.operator == "OR":
            # ts_rank of the text terms (cheap, but blind to how rare a term is) picks the candidates
            # that BM25 orders.
            order = " ORDER BY ts_rank(tsv, CAST(%s AS tsquery), 1) DESC"
            parameters.append(text)
        else:
            # Even the rarest terms are common, and such a query cannot single out a document: the first
            # matches the index yields are ranked instead of most of the group. Any order would have
            # PostgreSQL visit every match.
            order = ""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, title_terms, body_terms, kind, object_id, language, helpfulness,"  # noqa: S608
                " COALESCE(EXTRACT(EPOCH FROM published_at), 0) FROM search_searchdocument"
                f" WHERE {' AND '.join(conditions)}{order} LIMIT %s",  # constants of this method
                [*parameters, limit],
            )
            return score_candidates(selection.terms, cursor.fetchall(), selection)

    def optimize(self) -> None:
        # Autovacuum keeps GIN's pending list and the statistics current in the end; after a bulk load
        # the planner needs the new statistics now, to keep choosing the group's partial index.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_searchdocument, search_termstatistic, search_suggestion")


def suggestions(group: str, prefix: str, limit: int) -> list[tuple[str, str, float, int, str | None]]:
    """The first `limit` suggestions whose key starts with `prefix`, in key order: text, source,
    weight, position and the document's address.

    Plain SQL, because typing runs this on every keystroke and building the queryset cost more than
    answering it. The keys starting with `prefix` are a range in code-point order: SQLite's own, and on
    PostgreSQL the C collation of the search_suggestion_prefix_c index (the database's may differ).
    """
    parameters: list[str | int] = [group, prefix, prefix + "\U0010ffff", limit]
    if connection.vendor == "postgresql":
        return _prepared(_POSTGRES_SUGGESTIONS, parameters)
    with connection.cursor() as cursor:
        cursor.execute(_SQLITE_SUGGESTIONS, parameters)
        return cursor.fetchall()


_SUGGESTIONS = (
    "SELECT suggestion.text, suggestion.source, suggestion.weight, suggestion.position, document.url"
    " FROM search_suggestion AS suggestion LEFT JOIN {document}"
    ' ON document.id = suggestion.document_id WHERE suggestion."group" = %s'
    " AND {key} >= %s AND {key} < %s ORDER BY {key} LIMIT %s"
)
_POSTGRES_SUGGESTIONS = _SUGGESTIONS.format(
    key='suggestion.key COLLATE "C"', document="search_searchdocument AS document"
)
# The address from the narrow index, not from after the body in the row.
_SQLITE_SUGGESTIONS = _SUGGESTIONS.format(
    key="suggestion.key", document="search_searchdocument AS document INDEXED BY search_document_lookup"
)


def _prepared(sql: str, parameters: Sequence[object]) -> list[tuple[Any, ...]]:
    """Rows of a statement that PostgreSQL plans once per connection (a prepared statement).

    Django binds parameters on the client, so the server parses and plans every statement anew; for
    the autocomplete lookup planning took 1.5 ms of a 2 ms query. psycopg prepares a statement it is
    asked to and reuses it on that connection. Only for statements whose plan does not depend on the
    values: a generic plan cannot pick a search group's partial index (see PostgresBackend.rank).
    """
    import psycopg  # the PostgreSQL extra's driver; SQLite installs have none

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, parameters, prepare=True)
        return cursor.fetchall()


LENGTH_TERM = "#length"  # TermStatistic row holding the group's total document length
_POSTGRES_TERM_STATISTICS = (
    'SELECT term, document_count FROM search_termstatistic WHERE "group" = %s AND term = ANY(%s)'
)


def _document_frequencies(group: str, terms: Iterable[str]) -> dict[str, int]:
    """Document counts of `terms`, plus the group's document count ("") and total length."""
    # Plain SQL: building the equivalent queryset costs more than the lookup itself, on every search.
    wanted = ["", LENGTH_TERM, *terms]
    if connection.vendor == "postgresql":  # one statement whatever the number of terms, planned once
        return dict(_prepared(_POSTGRES_TERM_STATISTICS, [group, wanted]))
    placeholders = ", ".join(["%s"] * len(wanted))
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT term, document_count FROM search_termstatistic WHERE "group" = %s'  # noqa: S608
            f" AND term IN ({placeholders})",  # placeholders only
            [group, *wanted],
        )
        return dict(cursor.fetchall())


def score_candidates(
    terms: Sequence[str],
    rows: Iterable[tuple[int, str, str, str, int, str, float, float]],
    selection: Selection,
) -> list[Candidate]:
    """BM25 of candidates for `terms`, best first; rows are an id, title and body terms, then sort keys.

    The title's term frequency counts TITLE_WEIGHT times (BM25F with one length norm).
    """
    total = max(selection.total, 1)
    average_length = max(selection.statistics.get(LENGTH_TERM, 0) / total, 1.0)
    idf_by_pattern: dict[str, float] = {}
    for term in dict.fromkeys(terms):
        document_frequency = selection.statistics.get(term, 0)
        idf = math.log(1 + (total - document_frequency + 0.5) / (document_frequency + 0.5))
        idf_by_pattern[f" {term} "] = idf
    scored: list[Candidate] = []
    for document_id, title, body, kind, object_id, language, helpfulness, published in rows:
        # Counting in the stored strings costs a fraction of splitting them into lists.
        padded_title, padded_body = f" {title} ", f" {body} "
        length = TITLE_WEIGHT * _term_count(title) + _term_count(body)
        norm = K1 * (1 - B + B * length / average_length)
        score = 0.0
        for pattern, idf in idf_by_pattern.items():
            frequency = TITLE_WEIGHT * _frequency(padded_title, pattern) + _frequency(padded_body, pattern)
            if frequency:
                score += idf * frequency * (K1 + 1) / (frequency + norm)
        scored.append(Candidate(document_id, score, kind, object_id, language, helpfulness, published))
    scored.sort(key=lambda candidate: candidate.score, reverse=True)
    return scored


def _term_count(terms: str) -> int:
    # The index joins terms, which are never empty, with single spaces.
    return terms.count(" ") + 1 if terms else 0


def _frequency(padded: str, pattern: str) -> int:
    """Occurrences of `pattern` (" term ") in space-separated terms with a space added at both ends."""
    count = padded.count(pattern)
    # `count` does not see the second of two adjacent repeats ("a a"): they share the space between.
    if count and pattern + pattern[1:] in padded:
        return padded.replace(" ", "  ").count(pattern)
    return count


def current_backend() -> Backend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()


def create_index_structures(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Called from the migration: the vendor-specific part of the index."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        # Terms arrive analysed and space-separated; the tokenizer only splits them apart again.
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
            "filters, title, body, tokenize = \"unicode61 remove_diacritics 0 tokenchars '_#'\")"
        )
        schema_editor.execute(
            "CREATE TABLE IF NOT EXISTS search_fts_slot (slot INTEGER PRIMARY KEY,"
            ' "group" TEXT NOT NULL, kind TEXT NOT NULL, UNIQUE ("group", kind))'
        )

    elif vendor == "postgresql":
        schema_editor.execute("ALTER TABLE search_searchdocument ADD COLUMN IF NOT EXISTS tsv tsvector")
        # Ranking reads the vector of every match and the terms of the best ones. Stored inline (MAIN:
        # PostgreSQL moves the body and the other long texts out of the row first) they cost no TOAST
        # lookup, and lz4 decompresses several times faster than pglz.
        for column in ("tsv", "title_terms", "body_terms"):
            schema_editor.execute(
                f"ALTER TABLE search_searchdocument ALTER COLUMN {column} SET STORAGE MAIN,"
                f" ALTER COLUMN {column} SET COMPRESSION lz4"
            )
        # And rows up to a page long stay whole (the default moves every long text out of a row over
        # 2 kB): a result's summary and offsets are read with its row, not looked up one by one.
        schema_editor.execute("ALTER TABLE search_searchdocument SET (toast_tuple_target = 8160)")
        # One GIN index per search group: a search reads only its group's postings. A group added to
        # analysis.SEARCH_GROUPS needs a migration that calls this again.
        for group in sorted(set(SEARCH_GROUPS.values())):
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS search_document_tsv_{group} ON search_searchdocument"
                f" USING GIN (tsv) WHERE \"group\" = '{group}'"  # groups are constants of analysis
            )
        # Autocomplete reads a prefix as a key range in code-point order, SQLite's order, which the
        # database's collation need not follow; a C-collated index serves both range and order.
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_suggestion_prefix_c"
            ' ON search_suggestion ("group", key COLLATE "C")'
        )
    else:
        raise NotImplementedError(f"Search supports SQLite and PostgreSQL, not {vendor}.")


def rebuild_sqlite_index(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Recreate the FTS5 table and fill it from the documents' stored terms (no re-analysis)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS search_fts")
    create_index_structures(schema_editor)
    with schema_editor.connection.cursor() as reader, schema_editor.connection.cursor() as writer:
        reader.execute(
            'SELECT id, "group", kind, category, level, title_terms, body_terms FROM search_searchdocument'
        )
        while rows := reader.fetchmany(2000):
            write_sqlite_rows(
                writer,
                [
                    IndexRow(document_id, SearchFilters(group, kind, category, level), title, body)
                    for document_id, group, kind, category, level, title, body in rows
                ],
            )


def drop_index_structures(schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS search_fts")
        schema_editor.execute("DROP TABLE IF EXISTS search_fts_slot")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv")
        schema_editor.execute("DROP INDEX IF EXISTS search_suggestion_prefix_c")
