"""Trigram search (docs/architecture.md §9): the pg_trgm extension and GIN trigram
indexes for the header search, on PostgreSQL only; SQLite searches with a plain scan.

The indexes are on ``UPPER(column::text)`` because that is what Django's ``icontains``
compares on PostgreSQL; the plain one on ``name`` serves the word-similarity match.
"""

from django.db import migrations

INDEXES = [
    ("search_school_name_trgm", "clusters_school", "name gin_trgm_ops"),
    ("search_school_name_upper_trgm", "clusters_school", "(UPPER(name::text)) gin_trgm_ops"),
    (
        "search_request_reference_trgm",
        "funding_fundingrequest",
        "(UPPER(reference::text)) gin_trgm_ops",
    ),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("clusters", "0001_initial"),
        ("funding", "0005_request_continues"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
