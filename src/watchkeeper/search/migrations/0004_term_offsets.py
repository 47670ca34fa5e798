"""Term offsets stored with each document, so results are highlighted without analysing them again,
and an index of the columns read for many documents at once (see SearchDocument.Meta)."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def fill_offsets(apps: Any, schema_editor: Any) -> None:
    """Compute the offsets of documents indexed before this migration, as indexing now does."""
    from watchkeeper.search import analysis, highlight

    documents = apps.get_model("search", "SearchDocument").objects.using(schema_editor.connection.alias)
    batch = []
    for document in documents.only("title", "summary", "body", "language").iterator(chunk_size=500):
        document.title_offsets = highlight.term_offsets(analysis.tokenize(document.title, document.language))
        document.snippet_offsets = highlight.term_offsets(
            analysis.tokenize(highlight.snippet_source(document.summary or document.body), document.language)
        )
        batch.append(document)
        if len(batch) == 500:
            documents.bulk_update(batch, ["title_offsets", "snippet_offsets"])
            batch = []
    documents.bulk_update(batch, ["title_offsets", "snippet_offsets"])


class Migration(migrations.Migration):
    dependencies = [("search", "0003_fts_rowids_by_group")]
    operations = [
        migrations.AddField(
            model_name="searchdocument", name="title_offsets", field=models.TextField(blank=True)
        ),
        migrations.AddField(
            model_name="searchdocument", name="snippet_offsets", field=models.TextField(blank=True)
        ),
        migrations.RunPython(fill_offsets, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="searchdocument",
            index=models.Index(
                fields=["id", "kind", "object_id", "language", "helpfulness", "published_at", "url"],
                name="search_document_lookup",
            ),
        ),
    ]
