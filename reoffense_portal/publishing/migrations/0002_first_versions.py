"""Plans published before versions existed get their first version from their current rows.

Residents see no change on upgrade. It runs before plans drops its status
column, and renders with the project's current code (the snapshot), which is
what residents read at the time of the upgrade.
"""

from contextlib import contextmanager

from django.apps import apps as current_apps
from django.db import migrations
from django.utils import timezone


@contextmanager
def current_columns(schema_editor):
    """The columns that later migrations add to existing tables, there while the current code renders
    (it selects every field it knows), and removed again so that those migrations add them as usual."""
    connection, added = schema_editor.connection, []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in current_apps.get_models():
            if model._meta.db_table not in tables:
                continue
            columns = {c.name for c in connection.introspection.get_table_description(cursor, model._meta.db_table)}
            for field in model._meta.local_concrete_fields:
                if field.column not in columns:
                    schema_editor.add_field(model, field)
                    added.append((model, field))
    yield
    for model, field in reversed(added):
        schema_editor.remove_field(model, field)


def first_versions(apps, schema_editor):
    from plans.models import Plan as CurrentPlan
    from reoffense_portal.publishing.snapshot import build_version

    Plan = apps.get_model("plans", "Plan")
    old_plans = list(Plan.objects.filter(status__in=["published", "archived"]).order_by("pk"))
    if not old_plans:
        return
    with current_columns(schema_editor):
        for old in old_plans:
            build_version(
                CurrentPlan.objects.get(pk=old.pk), approved_by=None, summary="公開（承認の仕組みの導入前から公開）",
                live_from=old.published_at or timezone.now(),
            )


class Migration(migrations.Migration):
    dependencies = [("publishing", "0001_initial")]
    run_before = [("plans", "0007_publication_moves_to_versions")]

    operations = [migrations.RunPython(first_versions, migrations.RunPython.noop)]
