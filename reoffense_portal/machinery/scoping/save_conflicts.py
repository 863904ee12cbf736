"""Saving safely when two people edit the same row: each form carries the id of the row's latest history row
(django-simple-history), and a save that would overwrite what someone else saved after the form was opened is
refused, showing the saved value under each field in conflict, until 「他の人の変更を確認し、自分の入力で上書きする」
is ticked.
"""

import datetime
import re
from dataclasses import dataclass
from itertools import pairwise

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import formats, timezone
from django.utils.html import conditional_escape
from simple_history.template_utils import HistoricalRecordContextHelper

from reoffense_portal.machinery import eras
from reoffense_portal.machinery.scoping.typed_fields import PRECISION_FIELD

VERSION_FIELD = "edit_version"
# After a refused save: the version whose changes the user was shown, and the page's checkbox
# (admin/includes/overwrite_confirmation.html) that confirms overwriting it.
OVERWRITE_FIELD = "overwrite_version"
CONFIRM_OVERWRITE = "_confirm_overwrite"
CONFIRM_OVERWRITE_LABEL = "他の人の変更を確認し、自分の入力で上書きする"
HIDDEN_FIELDS = (VERSION_FIELD, OVERWRITE_FIELD)


def latest_history_ids(model, pks) -> dict:
    """latest_history_id for many rows of one model in one query."""
    pk_name = model._meta.pk.attname
    rows = (
        model.history.filter(**{f"{pk_name}__in": list(pks)})
        .order_by()
        .values(pk_name)
        .annotate(latest=models.Max("history_id"))
    )
    found = {row[pk_name]: str(row["latest"]) for row in rows}
    return {pk: found.get(pk, "") for pk in pks}


def latest_history_id(obj) -> str:
    """The id of the object's newest history row ("" if it has none, e.g. loaded from a fixture)."""
    if obj is None or obj.pk is None or not hasattr(type(obj), "history"):
        return ""
    history_id = (
        type(obj)
        .history.filter(**{obj._meta.pk.attname: obj.pk})
        .order_by("-history_id")
        .values_list("history_id", flat=True)
        .first()
    )
    return str(history_id) if history_id is not None else ""


class VersionField(forms.CharField):
    """Hidden: which version of the object the form was opened on. Never counts as a user change."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)

    def has_changed(self, initial, data):
        return False


def _by_whom_and_when(record) -> str:
    """「colleagueさんが12月1日 10:15に」 for a history row, 「他の職員が」 without one."""
    if record is None:
        return "他の職員が"
    user = record.history_user
    who = f"{user.get_full_name() or user.get_username()}さん" if user else "他の職員"
    local = timezone.localtime(record.history_date)
    return f"{who}が{local.month}月{local.day}日 {local:%H:%M}に"


def value_label(field, value, precision: str | None = None) -> str:
    """A field's value as staff read it: choices and related rows by name, はい／いいえ, an empty one as （空欄）.

    `precision`: the row's date_precision, so that a date typed 令和5年12月 reads so.
    """
    if field.many_to_many or isinstance(value, (list, tuple)):
        value = "、".join(str(item) for item in value or ())
    elif field.is_relation:
        pass  # the related row, named by its str()
    elif field.flatchoices and value not in (None, ""):
        value = dict(field.flatchoices).get(value, value)
    elif isinstance(field, models.BooleanField) and value is not None:
        value = "はい" if value else "いいえ"
    elif isinstance(field, models.FileField):
        value = getattr(value, "name", value)
    elif isinstance(value, datetime.date) and not isinstance(value, datetime.datetime) and precision:
        value = eras.date_label(value, precision)  # 令和5年12月
    else:
        value = formats.localize(value)
    return str(value) if value not in (None, "") else "（空欄）"


def saved_value_label(obj, name: str) -> str:
    """The saved value of a field of `obj` as staff read it (value_label)."""
    field = obj._meta.get_field(name)
    if field.many_to_many:
        value = list(getattr(obj, name).all())
    elif field.is_relation:
        value = getattr(obj, name)
    else:
        value = field.value_from_object(obj)
    return value_label(field, value, getattr(obj, PRECISION_FIELD, None))


class HistoryChangeLabels(HistoricalRecordContextHelper):
    """The change history's 「変更内容」 as staff read the form: 「種類：現状の統計 → 成果目標」, 「既存事業：いいえ → はい」,
    not the stored codes (statistic → target, False → True, None)."""

    def context_for_delta_changes(self, delta):
        self.delta = delta
        return super().context_for_delta_changes(delta)

    def stringify_delta_change_values(self, change, old, new):
        field = self.model._meta.get_field(change.field)
        # An empty foreign key comes as a DeletedObject of pk None (「Deleted … (pk=None)」): it was blank.
        old, new = (None if getattr(value, "pk", "") is None else value for value in (old, new))
        old = value_label(field, old, getattr(self.delta.old_record, PRECISION_FIELD, None))
        new = value_label(field, new, getattr(self.delta.new_record, PRECISION_FIELD, None))
        old, new = self.get_obj_diff_display().common_shorten_repr(old, new)
        return conditional_escape(old), conditional_escape(new)


@dataclass
class SaveConflict:
    """Others' saves of an object since a form was opened that the form's input would overwrite."""

    obj: models.Model
    version: str  # the object's newest history id: what a confirmed overwrite is based on
    newest: models.Model | None  # its newest history row
    changed_by: dict  # field name -> the history row that last changed it since the form was opened

    @classmethod
    def find(cls, obj, seen_version: str, input_fields) -> "SaveConflict | None":
        """None unless someone saved `obj` after `seen_version` and the input differs from their save.

        `input_fields` are the form's fields whose input differs from what is saved now. When the
        version the form was opened on is unknown (a row loaded without history, or recorded by
        someone else while the form was open), each of them is in conflict.
        """
        version = latest_history_id(obj)
        if version == (seen_version or ""):
            return None
        seen_id = int(seen_version) if re.fullmatch(r"[0-9]{1,18}", seen_version or "") else None
        rows = list(
            type(obj)
            .history.filter(**{obj._meta.pk.attname: obj.pk, "history_id__gte": seen_id or 0})
            .select_related("history_user")
            .order_by("history_id")
        )
        model_fields = {field.name for field in obj._meta.get_fields()}
        names = [name for name in input_fields if name in model_fields]
        newest = rows[-1] if rows else None
        if rows and rows[0].history_id == seen_id:
            changed_by = {}
            for older, newer in pairwise(rows):
                for change in newer.diff_against(older, included_fields=names).changes:
                    changed_by[change.field] = newer
        else:
            changed_by = dict.fromkeys(names, newest)
        if not changed_by:
            return None  # others changed only what this input leaves as they saved it
        ordered = {name: changed_by[name] for name in names if name in changed_by}
        return cls(obj, version, newest, ordered)

    def field_notes(self):
        """(field name, 「現在の保存内容：…（…さんが12月1日 10:15に変更）」) for each field in conflict."""
        saved = type(self.obj)._default_manager.get(pk=self.obj.pk)
        for name, record in self.changed_by.items():
            yield name, f"現在の保存内容：{saved_value_label(saved, name)}（{_by_whom_and_when(record)}変更）"

    def error(self) -> ValidationError:
        labels = [str(self.obj._meta.get_field(name).verbose_name) for name in self.changed_by]
        return ValidationError(
            "この%(name)sは、画面を開いた後に%(by)s更新したため、上書きせずに保存を中止しました。"
            "変更された項目：%(fields)s（各項目の下に現在の保存内容を示しています）。"
            "あなたの入力内容はこの画面に残っています。あなたの入力で上書きするときは、"
            "「%(confirm)s」にチェックを入れて、もう一度保存してください。",
            code="stale",
            params={
                "name": self.obj._meta.verbose_name,
                "by": _by_whom_and_when(self.newest),
                "fields": "、".join(labels),
                "confirm": CONFIRM_OVERWRITE_LABEL,
            },
        )


def has_save_conflict(forms_) -> bool:
    """Whether the page shows the checkbox 「他の人の変更を確認し、自分の入力で上書きする」."""
    return any(getattr(form, "save_conflict", None) for form in forms_)


