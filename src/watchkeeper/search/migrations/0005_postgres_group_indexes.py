"""PostgreSQL: a GIN index per search group instead of one for all, the vector and the terms kept in
the row (and rows up to a page long kept whole), the vector without group and kind terms (each group
has its index, kind is a column of the row), and autocomplete's prefix index in code-point order.
SQLite is unchanged."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    from watchkeeper.search.backends import create_index_structures

    schema_editor.execute("DROP INDEX IF EXISTS search_document_tsv")
    schema_editor.execute("DROP INDEX IF EXISTS search_suggestion_pattern")
    create_index_structures(schema_editor)  # the storage settings, then the new indexes
    # New values are stored as the table now says (inline, lz4), so every row is rewritten, its vector
    # without the group and kind terms.
    schema_editor.execute(
        "UPDATE search_searchdocument SET tsv = ts_delete(tsv, ARRAY['g_' || \"group\", 'k_' || kind]),"
        " title_terms = title_terms || '', body_terms = body_terms || '', summary = summary || '',"
        " title_offsets = title_offsets || '', snippet_offsets = snippet_offsets || ''"
    )


def backward(apps: Any, schema_editor: Any) -> None:
    """The 0002 layout: one GIN index, pattern-ops prefixes, group and kind terms in the vector."""
    if schema_editor.connection.vendor != "postgresql":
        return
    from watchkeeper.search.analysis import SEARCH_GROUPS

    for group in sorted(set(SEARCH_GROUPS.values())):
        schema_editor.execute(f"DROP INDEX IF EXISTS search_document_tsv_{group}")
    schema_editor.execute("DROP INDEX IF EXISTS search_suggestion_prefix_c")
    for column in ("tsv", "title_terms", "body_terms"):
        schema_editor.execute(f"ALTER TABLE search_searchdocument ALTER COLUMN {column} SET STORAGE EXTENDED")
    schema_editor.execute("ALTER TABLE search_searchdocument RESET (toast_tuple_target)")
    with schema_editor.connection.cursor() as reader, schema_editor.connection.cursor() as writer:
        reader.execute(
            'SELECT id, "group", kind, category, level, title_terms, body_terms FROM search_searchdocument'
            " WHERE tsv IS NOT NULL"
        )
        while rows := reader.fetchmany(1000):
            writer.executemany(
                "UPDATE search_searchdocument SET tsv = %s::tsvector WHERE id = %s",
                [(_0002_tsvector_literal(*row[1:]), row[0]) for row in rows],
            )
    schema_editor.execute("CREATE INDEX search_document_tsv ON search_searchdocument USING GIN (tsv)")
    schema_editor.execute(
        'CREATE INDEX search_suggestion_pattern ON search_suggestion ("group", key varchar_pattern_ops)'
    )


def _0002_tsvector_literal(group: str, kind: str, category: str, level: str, title: str, body: str) -> str:
    filters = [f"g_{group}", f"k_{kind}"]
    if category:
        filters.append(f"c_{category.replace('-', '_')}")
    if level:
        filters.append(f"v_{level}")
    positions: dict[str, list[str]] = {}
    position = 0
    for weight, text in (("D", " ".join(filters)), ("A", title), ("B", body)):
        for term in text.split():
            position = min(position + 1, 16383)
            entries = positions.setdefault(term, [])
            if len(entries) < 255:
                entries.append(f"{position}{weight}")
        position = min(position + 1, 16383)
    return " ".join(
        "'" + term.replace("'", "''") + "':" + ",".join(entries) for term, entries in positions.items()
    )


class Migration(migrations.Migration):
    dependencies = [("search", "0004_term_offsets")]
    operations = [migrations.RunPython(forward, backward)]
