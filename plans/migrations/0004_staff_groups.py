"""The two staff roles as permission groups: 編集者 (editor) and 公開責任者 (publisher).

The roles and their permissions are defined once, in plans/roles.py. A
StaffMembership puts its user into the group of its role (plans.signals).
Permissions are created here first because Django otherwise creates them
only after all migrations have run (post_migrate).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from plans.roles import ROLE_GROUPS, ensure_staff_groups


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_staff_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_GROUPS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0003_plan_publish_permission"),
        ("measures", "0001_initial"),
        ("councils", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
