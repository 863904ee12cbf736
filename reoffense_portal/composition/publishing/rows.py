"""The working rows of a plan as plain data, and the difference between two such snapshots.

A version keeps `plan_rows(plan)` as approved; the admin compares it with the
rows as they are now to show staff what approval would change (未公開の変更),
field by field, with added and removed rows. Every model below a plan takes
part without being named here: the ones whose municipality path runs through
a plan (reoffense_portal.machinery.scoping.plan_paths).
"""

import datetime
import functools
from dataclasses import dataclass

from django.apps import apps
from django.db import models

from reoffense_portal.machinery import eras
from reoffense_portal.machinery.scoping.plan_paths import plan_path

from .models import PlanVersion

APPS = ("plans", "measures", "councils")
# Bookkeeping that residents never read and that changes on every save; a date's precision is
# shown in the date it qualifies (2023年12月).
SKIPPED_FIELDS = {"id", "created_at", "updated_at", "document_size", "file_size", "date_precision"}


def models_below_plan() -> list[tuple[type[models.Model], str]]:
    """(model, lookup to its plan) for every model whose rows belong to one plan."""
    found = []
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            path = plan_path(model)
            if path is not None and not model._meta.model_name.startswith("historical"):
                found.append((model, "__".join(path)))
    return found


YES_NO = {True: "はい", False: "いいえ"}
# Versions approved before yes/no fields were labelled hold Python's words for them.
STORED_YES_NO = {"True": YES_NO[True], "False": YES_NO[False]}


def _display(obj, field) -> str:
    if field.many_to_many:
        return "、".join(sorted(str(related) for related in getattr(obj, field.name).all()))
    if field.is_relation:
        related = getattr(obj, field.name)
        return "" if related is None else str(related)
    if field.choices:
        return str(getattr(obj, f"get_{field.name}_display")())
    value = field.value_from_object(obj)
    if isinstance(field, models.BooleanField) and value is not None:
        return YES_NO[bool(value)]
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    if isinstance(value, datetime.date) and hasattr(obj, "date_precision"):
        return eras.written_date(value, obj.date_precision)  # 2024-04-01, 2023年12月, 2023年度
    return "" if value is None else str(value)


def _fields(model) -> list:
    return [
        field for field in [*model._meta.concrete_fields, *model._meta.many_to_many]
        if field.name not in SKIPPED_FIELDS
    ]


def _row(obj) -> dict:
    return {
        "model": str(obj._meta.verbose_name),
        "label": str(obj),
        "fields": {str(field.verbose_name): _display(obj, field) for field in _fields(type(obj))},
    }


def plan_rows(plan) -> dict:
    """{"<app.model>:<pk>": {"model", "label", "fields"}} for the plan and every row below it."""
    rows = {f"plans.plan:{plan.pk}": _row(plan)}
    for model, lookup in models_below_plan():
        fields = _fields(model)
        related = [f.name for f in fields if f.many_to_one]
        queryset = (
            model._default_manager.filter(**{lookup: plan.pk})
            .select_related(*related)
            .prefetch_related(*(f.name for f in fields if f.many_to_many))
        )
        for obj in queryset:
            rows[f"{model._meta.label_lower}:{obj.pk}"] = _row(obj)
    return rows


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: str
    after: str


@dataclass(frozen=True)
class RowChange:
    """A row added (before is None), removed (after is None) or changed, with its changed fields."""

    kind: str  # 追加 / 削除 / 変更
    model: str
    label: str
    fields: tuple[FieldChange, ...]


@functools.cache
def _yes_no_names(label: str) -> frozenset[str]:
    """The names (verbose) of the yes/no fields of the model `label` ("measures.program")."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return frozenset()
    return frozenset(str(f.verbose_name) for f in model._meta.concrete_fields if isinstance(f, models.BooleanField))


def _as_labelled_now(key: str, row: dict) -> dict:
    """A row a version stored, its yes/no fields read as はい／いいえ (versions before the labels say True/False)."""
    names = _yes_no_names(key.rsplit(":", 1)[0])
    if not names:
        return row
    fields = {name: STORED_YES_NO.get(value, value) if name in names else value for name, value in row["fields"].items()}
    return {**row, "fields": fields}


def diff(before: dict, after: dict) -> list[RowChange]:
    """What changed from `before` to `after`, in the order the rows were listed."""
    before = {key: _as_labelled_now(key, row) for key, row in before.items()}
    changes = []
    for key, row in after.items():
        old = before.get(key)
        if old is None:
            changes.append(RowChange("追加", row["model"], row["label"], tuple(
                FieldChange(name, "", value) for name, value in row["fields"].items() if value
            )))
        else:
            # Only fields the version recorded: one added to the model since (a programme's 重点施策) is no change.
            changed = tuple(
                FieldChange(name, old["fields"][name], value)
                for name, value in row["fields"].items() if name in old["fields"] and old["fields"][name] != value
            )
            if changed:
                changes.append(RowChange("変更", row["model"], row["label"], changed))
    for key, row in before.items():
        if key not in after:
            changes.append(RowChange("削除", row["model"], row["label"], tuple(
                FieldChange(name, value, "") for name, value in row["fields"].items() if value
            )))
    return changes


def unpublished_changes(plan) -> list[RowChange]:
    """What approval would change for residents: the working rows against the live version (all, if none)."""
    live = PlanVersion.objects.current(plan)
    return diff(live.rows if live else {}, plan_rows(plan))


def is_published_as_is(plan) -> bool:
    """Residents read exactly the plan's working rows: it is live and nothing changed since approval."""
    live = PlanVersion.objects.current(plan)
    return live is not None and not diff(live.rows, plan_rows(plan))
