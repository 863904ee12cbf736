"""Plans published before versions existed get their first version from their current rows.

Residents see no change on upgrade. It runs before plans drops its status
column, and renders with the project's current code (the snapshot), which is
what residents read at the time of the upgrade.
"""

from django.db import migrations
from django.utils import timezone


def first_versions(apps, schema_editor):
    from plans.models import Plan as CurrentPlan
    from reoffense_portal.publishing.snapshot import build_version

    Plan = apps.get_model("plans", "Plan")
    for old in Plan.objects.filter(status__in=["published", "archived"]).order_by("pk"):
        build_version(
            CurrentPlan.objects.get(pk=old.pk), approved_by=None, summary="公開（承認の仕組みの導入前から公開）",
            live_from=old.published_at or timezone.now(),
        )


class Migration(migrations.Migration):
    dependencies = [("publishing", "0001_initial")]
    run_before = [("plans", "0007_publication_moves_to_versions")]

    operations = [migrations.RunPython(first_versions, migrations.RunPython.noop)]
