"""The two staff roles as permission groups: 編集者 (editor) and 公開責任者 (publisher).

A StaffMembership puts its user into the group of its role (plans.signals);
which municipality's rows the user then sees is decided by for_user(), and
whether the user may publish a given plan by Plan.may_be_published_by().
Permissions are created here first because Django otherwise creates them
only after all migrations have run (post_migrate).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR = "編集者"
PUBLISHER = "公開責任者"

# Models staff edit in full (add, change, delete, view).
EDITABLE = {
    "plans": ["department", "organization", "formulationstep", "challenge", "indicator", "indicatorvalue"],
    "measures": ["priorityarea", "measure", "program", "programprogress"],
    "councils": ["council", "councilmember", "meeting", "agendaitem", "meetingdocument"],
}
# Models staff only read: their municipality, the national priorities, residents' feedback.
VIEW_ONLY = {"plans": ["municipality", "nationalpriority", "feedback"]}

EDITOR_PERMISSIONS = (
    [(app, f"{action}_{model}") for app, models in EDITABLE.items() for model in models
     for action in ("add", "change", "delete", "view")]
    + [(app, f"view_{model}") for app, models in VIEW_ONLY.items() for model in models]
    # Editors write drafts of plans but do not delete plans.
    + [("plans", "add_plan"), ("plans", "change_plan"), ("plans", "view_plan")]
)
PUBLISHER_PERMISSIONS = EDITOR_PERMISSIONS + [("plans", "delete_plan"), ("plans", "publish_plan")]


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in ((EDITOR, EDITOR_PERMISSIONS), (PUBLISHER, PUBLISHER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for app_label, codename in wanted:
            # Models added by later migrations (e.g. feedback) are granted when present.
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission:
                permissions.append(permission)
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[EDITOR, PUBLISHER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0003_plan_publish_permission"),
        ("measures", "0001_initial"),
        ("councils", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
