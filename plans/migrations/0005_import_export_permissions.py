"""Permissions to import and export spreadsheets, given to both staff groups.

django-import-export asks for `<app>.import_<model>` and `<app>.export_<model>`
(settings IMPORT_EXPORT_IMPORT_PERMISSION_CODE / EXPORT_PERMISSION_CODE).
Django does not create such permissions itself, so they are created here for
the models that have a spreadsheet resource, and granted to 編集者 and
公開責任者 (editors keep the yearly progress up to date in bulk). Which
municipalities a user may import into is still decided by for_user().
"""

from django.db import migrations

GROUPS = ["編集者", "公開責任者"]

SPREADSHEET_MODELS = {
    "plans": {"organization": "関係機関・団体", "indicatorvalue": "指標の値"},
    "measures": {"program": "取組・事業（計画の構成）", "programprogress": "年度の進捗"},
    "councils": {"meeting": "会議", "councilmember": "構成団体"},
}
ACTIONS = {"import": "をファイルから取り込める", "export": "をファイルに書き出せる"}


def create_permissions(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = []
    for app_label, models in SPREADSHEET_MODELS.items():
        for model, label in models.items():
            content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
            for action, text in ACTIONS.items():
                permission, _ = Permission.objects.get_or_create(
                    content_type=content_type,
                    codename=f"{action}_{model}",
                    defaults={"name": f"{label}{text}"},
                )
                permissions.append(permission)
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def remove_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for app_label, models in SPREADSHEET_MODELS.items():
        Permission.objects.filter(
            content_type__app_label=app_label,
            codename__in=[f"{action}_{model}" for model in models for action in ACTIONS],
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0004_staff_groups"),
        ("measures", "0001_initial"),
        ("councils", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_permissions, remove_permissions)]
