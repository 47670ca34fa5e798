"""The vendor-specific full-text structures: an FTS5 table on SQLite, a tsvector column on PostgreSQL."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def create(apps: Any, schema_editor: Any) -> None:
    from watchkeeper.search.backends import create_index_structures

    create_index_structures(schema_editor)


def drop(apps: Any, schema_editor: Any) -> None:
    from watchkeeper.search.backends import drop_index_structures

    drop_index_structures(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
