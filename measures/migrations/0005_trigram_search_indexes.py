"""Trigram indexes for the admin's searches on PostgreSQL (a no-op on SQLite).

The admin searches with column ILIKE '%term%' (reoffense_portal.machinery.scoping.filters); a GIN
index of pg_trgm on the column answers it without reading every row, in
Japanese too (pg_trgm takes kanji and kana as word characters under a UTF-8
ctype). A term of fewer than three characters still reads the rows: trigrams
need three.
"""

from django.db import migrations

# (table, column) searched by the change lists of programmes, progress, indicator values and plans.
SEARCHED = [
    ("measures_program", "name"),
    ("measures_program", "description"),
    ("measures_programprogress", "results"),
    ("plans_department", "name"),
    ("plans_organization", "name"),
    ("plans_indicator", "name"),
    ("plans_plan", "title"),
]


def index_name(table, column):
    return f"{table}_{column}_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in SEARCHED:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index_name(table, column)}" ON "{table}" '
            f'USING gin ("{column}" gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index_name(table, column)}"')


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0004_list_indexes"),
        ("plans", "0011_list_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
