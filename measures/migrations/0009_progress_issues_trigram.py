"""A trigram index for the progress list's search of 課題 on PostgreSQL (a no-op on SQLite).

The 課題 column came after the indexes of 0005; without its own index every
search of three characters or more still read all progress rows.
"""

from django.db import migrations

INDEX = "measures_programprogress_issues_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "measures_programprogress" USING gin ("issues" gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [("measures", "0008_program_support_category")]

    operations = [migrations.RunPython(create, drop)]
