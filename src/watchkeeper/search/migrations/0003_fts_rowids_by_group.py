"""SQLite: the FTS5 table numbers its rows by search group and kind (table search_fts_slot, see
backends.SqliteBackend), so a search reads only its own group's and kind's postings, and keeps only
category and level as filter terms. PostgreSQL is unchanged."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    from watchkeeper.search.backends import rebuild_sqlite_index

    rebuild_sqlite_index(schema_editor)


def backward(apps: Any, schema_editor: Any) -> None:
    """The 0002 layout: rowid = document id and the filters as terms of a column of their own."""
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS search_fts")
    schema_editor.execute("DROP TABLE IF EXISTS search_fts_slot")
    schema_editor.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "filters, title, body, tokenize = \"unicode61 remove_diacritics 0 tokenchars '_#'\")"
    )
    schema_editor.execute(
        "INSERT INTO search_fts (rowid, filters, title, body) SELECT id,"
        " 'g_' || \"group\" || ' k_' || kind"
        " || CASE WHEN category != '' THEN ' c_' || replace(category, '-', '_') ELSE '' END"
        " || CASE WHEN level != '' THEN ' v_' || level ELSE '' END,"
        " title_terms, body_terms FROM search_searchdocument"
    )


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext_structures")]
    operations = [migrations.RunPython(forward, backward)]
