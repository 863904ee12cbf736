"""The two staff roles as permission groups: 編集者 (editor) and 公開責任者 (publisher).

Which municipality's rows a member writes is decided by for_user(), which rows
they read by readable_by() (a prefecture's members also read its
municipalities'); whether a user may publish a given plan by
Plan.may_be_published_by(). The groups are
created by the data migration plans/0004_staff_groups and kept complete after
every migrate or flush by ensure_staff_groups() (post_migrate), so a database
emptied by `flush` (as Django's transactional tests do) still has them.
"""

from django.db.models import Q

EDITOR_GROUP = "編集者"
PUBLISHER_GROUP = "公開責任者"

# Models staff edit in full (add, change, delete, view).
EDITABLE = {
    "plans": [
        "department",
        "organization",
        "formulationstep",
        "challenge",
        "indicator",
        "indicatorvalue",
        "indicatorcomparison",
    ],
    "measures": [
        "priorityarea", "measure", "program", "programprogress", "evaluationscale", "regionalduty", "practice",
    ],
    "councils": ["council", "councilmember", "meeting", "agendaitem", "meetingdocument"],
    # パブリックコメント: any staff of the municipality handles the comments and writes the answers.
    "consultation": ["comment", "commentresponse"],
}
# Models with a spreadsheet resource: staff import and export them (django-import-export asks
# for `<app>.import_<model>` and `<app>.export_<model>`).
SPREADSHEETS = {
    "plans": ["organization", "formulationstep", "indicatorvalue"],
    "measures": ["program", "programprogress"],
    "councils": ["meeting", "councilmember"],
}
# Models staff export but never import (residents' comments arrive by the form or are typed in).
EXPORT_ONLY = {"consultation": ["comment"]}
# Models staff only read: their municipality, the national priorities, residents' feedback; the
# comment periods, which publishers open and close (PUBLISHER_PERMISSIONS).
VIEW_ONLY = {
    "plans": ["municipality", "nationalpriority", "feedback"],
    "measures": ["supportkind"],  # the Ministry's kinds of direct support, which superusers revise
    "consultation": ["commentperiod"],
}

EDITOR_PERMISSIONS = (
    [
        (app, f"{action}_{model}")
        for app, models in EDITABLE.items()
        for model in models
        for action in ("add", "change", "delete", "view")
    ]
    + [(app, f"view_{model}") for app, models in VIEW_ONLY.items() for model in models]
    + [
        (app, f"{action}_{model}")
        for app, models in SPREADSHEETS.items()
        for model in models
        for action in ("import", "export")
    ]
    + [(app, f"export_{model}") for app, models in EXPORT_ONLY.items() for model in models]
    # Editors write drafts of plans but neither delete nor publish them.
    + [("plans", "add_plan"), ("plans", "change_plan"), ("plans", "view_plan")]
)
PUBLISHER_PERMISSIONS = EDITOR_PERMISSIONS + [
    ("plans", "delete_plan"),
    ("plans", "publish_plan"),
    # Opening a comment period on a draft (and extending it) and publishing its result.
    ("consultation", "add_commentperiod"),
    ("consultation", "change_commentperiod"),
    ("consultation", "publish_commentresult"),
]
ROLE_GROUPS = {EDITOR_GROUP: EDITOR_PERMISSIONS, PUBLISHER_GROUP: PUBLISHER_PERMISSIONS}


def spreadsheet_permissions(model_name: str, label: str) -> list[tuple[str, str]]:
    """Meta.permissions of a model staff import and export as spreadsheets."""
    return [
        (f"import_{model_name}", f"{label}をファイルから取り込める"),
        (f"export_{model_name}", f"{label}をファイルに書き出せる"),
    ]


def ensure_staff_groups(Group, Permission) -> None:
    """Create the groups if missing and grant them every role permission that exists (never removes any)."""
    for name, wanted in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        match = Q()
        for app_label, codename in wanted:
            match |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.add(*Permission.objects.filter(match))


def ensure_staff_groups_after_migrate(sender, **kwargs) -> None:
    if sender.label not in EDITABLE:
        return
    from django.contrib.auth.models import Group, Permission

    ensure_staff_groups(Group, Permission)
