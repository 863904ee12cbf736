"""Plans published before versions existed get their first version, so residents see no change on upgrade.

This migration only records them (the old status column goes in plans.0007);
their versions are built after every migration has run, by the post_migrate
handler in publishing.apps, with the code of the installed release.
"""

import django.db.models.deletion
from django.db import migrations, models


def record_published_plans(apps, schema_editor):
    Plan = apps.get_model("plans", "Plan")
    LegacyPublication = apps.get_model("publishing", "LegacyPublication")
    LegacyPublication.objects.bulk_create(
        LegacyPublication(plan_id=plan.pk, published_at=plan.published_at)
        for plan in Plan.objects.filter(status__in=["published", "archived"]).order_by("pk")
    )


class Migration(migrations.Migration):
    dependencies = [("publishing", "0001_initial")]
    run_before = [("plans", "0007_publication_moves_to_versions")]

    operations = [
        migrations.CreateModel(
            name="LegacyPublication",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("published_at", models.DateTimeField(null=True)),
                ("plan", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                              to="plans.plan")),
            ],
            options={"verbose_name": "承認の仕組みの導入前からの公開",
                     "verbose_name_plural": "承認の仕組みの導入前からの公開"},
        ),
        migrations.RunPython(record_published_plans, migrations.RunPython.noop),
    ]
