"""Two-character searches by index on PostgreSQL (a no-op on SQLite).

Japanese search words are often two characters (「就労」「住居」), which have no
trigram: pg_trgm's indexes (0005, 0009) cannot answer them and each field's
rows were read whole, three sequential scans of 536,400 progress rows for a
superuser's word that matches nothing. Here each searched column gets a GIN
index of its distinct two-character pieces, lower-cased, as a text array
(portal_bigrams); a two-character word is in a value exactly when it is one
of those pieces, so `portal_bigrams(column) @> ARRAY[lower(word)]` finds the
rows with no recheck (reoffense_portal.machinery.scoping.filters.ContainsAnyCase). Its cost is declared
high (about 50 µs a value) so that PostgreSQL asks the cheap LIKE beside it first of rows it
reads without the index.
A SQL function rather than the pg_bigm extension, which Debian's PostgreSQL
does not ship: nothing to install on the server.
"""

from django.db import migrations

# (table, column): the same columns as the trigram indexes of 0005 and 0009. Kept here as they were
# when this migration was written; reoffense_portal.machinery.scoping.filters.BIGRAM_INDEXED lists them for searches.
INDEXED = [
    ("measures_program", "name"),
    ("measures_program", "description"),
    ("measures_programprogress", "results"),
    ("measures_programprogress", "issues"),
    ("plans_department", "name"),
    ("plans_organization", "name"),
    ("plans_indicator", "name"),
    ("plans_plan", "title"),
]

FUNCTION = """
CREATE OR REPLACE FUNCTION portal_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(value), i, 2)), '{}'::text[])
    FROM generate_series(1, char_length(value) - 1) AS i
$$
"""


def index_name(table, column):
    return f"{table}_{column}_bigram"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table, column in INDEXED:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index_name(table, column)}" ON "{table}" USING gin (portal_bigrams("{column}"))'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in INDEXED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index_name(table, column)}"')
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0010_subsidy_rate_not_negative"),
        ("plans", "0016_indicator_comparison_figures"),
    ]

    operations = [migrations.RunPython(create, drop)]
