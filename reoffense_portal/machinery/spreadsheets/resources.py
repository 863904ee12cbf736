"""The base resource of every sheet: Japanese columns, natural keys, the user's municipalities only.

It overrides django-import-export's workflow so that a value that cannot be
read becomes a Japanese message naming the row and the column, and one bad
row means that nothing at all is written.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections import Counter

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Model, TextField
from django.utils.html import format_html
from import_export import resources, widgets
from import_export.fields import Field
from import_export.results import Error, Result, RowResult
from simple_history.utils import bulk_create_with_history

from reoffense_portal.machinery.text import normalised, shown

from .bulk import record_history, rows_saved_in_bulk, save_relations, update_rows
from .files import ImportFileError
from .widgets import NameListWidget, TextWidget


class RowFailure(Exception):
    """An unexpected failure while saving a row, already described in Japanese."""


# The stages of an import job's progress bar while the resource goes through the rows.
CHECKING = "確認"  # the preview's dry run
WRITING = "書き込み"  # the confirmed import (bulk resources save every Meta.batch_size rows)


# The changed rows a preview lists (the counts cover every row): only these keep their cells.
PREVIEW_ROWS = 1_000


# --------------------------------------------------------------------------
# Related items a row would create or rename: shown in the preview, done only when ticked

CREATION = "creation"
RENAME = "rename"
# The preview's checkboxes (admin/jobs/result_import_preview.html), posted with its confirmation and
# given to the apply's resource as keyword arguments: the keys of the items the user ticked.
CONFIRMED = {CREATION: "confirmed_creations", RENAME: "confirmed_renames"}
CLOSE_NAMES = 3  # registered names offered for one that matches none
LISTED_LINES = 10  # rows the preview names for an item to be ticked (then 「ほか」 and how many)


def close_names(name: str, candidates) -> list[str]:
    """The registered names nearest a typed one (“契約か” → 契約課), for the message that refuses it.

    `candidates`: names, or a mapping of names to how the message shows each (“重点施策1 就労の確保”);
    a mapping of names to objects (the import's lookups) offers the names.
    """
    if isinstance(candidates, dict):
        shown_as = {c: label if isinstance(label, str) else c for c, label in candidates.items()}
    else:
        shown_as = {c: c for c in candidates}
    return [shown_as[c] for c in difflib.get_close_matches(name, list(shown_as), n=CLOSE_NAMES, cutoff=0.5)]


def nearest(name: str, candidates) -> str:
    """「。近い名前：“契約課”」 to end a message refusing `name`, or "" when no registered name is near."""
    near = close_names(name, candidates)
    return "。近い名前：" + "、".join(shown(n) for n in near) if near else ""


def not_registered(subject: str, where: str, name: str, candidates) -> str:
    """「“契約か”は担当課に登録されていません。近い名前：“契約課”」: a name matching nothing, with the nearest."""
    return f"{subject}は{where}に登録されていません" + nearest(name, candidates)


@dataclasses.dataclass
class Confirmation:
    """A related item (a department, an area, a measure, an organisation) that rows would create or rename.

    Not the rows' own objects, but shared by other rows: a typo in a name must never quietly make one
    or rename one. The preview lists each with a checkbox whose value is `key`; the apply does only
    what was ticked. `key` is built from what the item would become (and for a rename, what it was),
    so a tick confirms exactly what the preview showed.
    """

    kind: str  # CREATION or RENAME
    key: str
    label: str  # 担当課“契約か”（熊本市）, 重点施策1（熊本市再犯防止推進計画）の名前
    column: str
    problem: str = ""  # a creation: why the name matched nothing, with the nearest registered names
    old: str = ""  # a rename: the registered name …
    new: str = ""  # … and the file's
    lines: list[int] = dataclasses.field(default_factory=list)

    def refusal(self) -> str:
        if self.kind == CREATION:
            return f"{self.problem}（新しく作るときは、プレビューの「新しく作られる関連項目」でチェックを入れてください）"
        return (
            f"{self.label}が{shown(self.old)}から{shown(self.new)}に変わります"
            "（変えるときは、プレビューの「名前が変わる項目」でチェックを入れてください）"
        )

    def as_json(self) -> dict:
        """For the preview's page: the rows that need it, the first LISTED_LINES of them."""
        return {"kind": self.kind, "key": self.key, "label": self.label, "column": self.column,
                "problem": self.problem, "old": self.old, "new": self.new,
                "lines": self.lines[:LISTED_LINES], "line_count": len(self.lines)}


# --------------------------------------------------------------------------
# Import results with messages for staff


class SlimRow:
    """What a result keeps of a valid row past the first PREVIEW_ROWS: its kind, and for the staff log
    (LogEntry) its id and name; a RowResult with its cells and object would take a kilobyte and more."""

    __slots__ = ("import_type", "object_id", "object_repr", "instance")
    errors = ()
    validation_error = diff = original = row_values = None

    def __init__(self, row_result):
        self.import_type = row_result.import_type
        self.instance = row_result.instance  # kept (an apply) until its batch is saved: see settle()
        self.object_id = row_result.object_id
        self.object_repr = row_result.object_repr if self.instance is not None else None

    def settle(self):
        self.object_id, self.object_repr, self.instance = self.instance.pk, str(self.instance), None

    is_update, is_new, is_delete, is_skip = RowResult.is_update, RowResult.is_new, RowResult.is_delete, RowResult.is_skip
    is_error, is_invalid, is_valid = RowResult.is_error, RowResult.is_invalid, RowResult.is_valid


class PortalResult(Result):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._unsettled = []

    def append_row_result(self, row_result):
        """The first PREVIEW_ROWS rows and rows with cells to show as they are; other valid rows slim."""
        if len(self.rows) < PREVIEW_ROWS or row_result.diff is not None or not row_result.is_valid():
            self.rows.append(row_result)
            return
        slim = SlimRow(row_result)
        self.rows.append(slim)
        if slim.instance is not None:
            self._unsettled.append(slim)

    def settle(self):
        """Rows saved since: their ids (known once their batch is saved) instead of their objects."""
        waiting = []
        for slim in self._unsettled:
            if slim.instance.pk is None:
                waiting.append(slim)
            else:
                slim.settle()
        self._unsettled = waiting

    def messages(self) -> list[str]:
        """Every problem, in Japanese, in file order."""
        found = [str(error.error) for error in self.base_errors]
        for row in self.invalid_rows:
            for messages in row.error_dict.values():
                found.extend(messages)
        for row in self.error_rows:
            found.extend(str(error.error) for error in row.errors)
        return found

    def has_problems(self) -> bool:
        return bool(self.base_errors or self.invalid_rows or self.error_rows)

    def summary(self) -> str:
        t = self.totals
        return (
            f"新規 {t[RowResult.IMPORT_TYPE_NEW]}件、変更 {t[RowResult.IMPORT_TYPE_UPDATE]}件、"
            f"変更なし {t[RowResult.IMPORT_TYPE_SKIP]}件"
        )


def column(attribute, name, widget=None, readonly=False):
    """A sheet column: the model attribute it reads and writes, its Japanese header, its cell parser."""
    return Field(attribute=attribute, column_name=name, widget=widget or TextWidget(), readonly=readonly)


def is_text_field(model, attribute: str) -> bool | None:
    """Whether the column's model field takes several lines (a TextField); None when it is no model field."""
    *path, name = attribute.split("__")
    try:
        for step in path:
            model = model._meta.get_field(step).related_model
        return isinstance(model._meta.get_field(name), TextField)
    except (FieldDoesNotExist, AttributeError):
        return None


def as_list(value) -> list:
    """A posted option as its list of values (one value posted alone is a list of one)."""
    if value in (None, ""):
        return []
    return [value] if isinstance(value, str) else list(value)


# --------------------------------------------------------------------------
# The base resource


class PortalResource(resources.ModelResource):
    """Japanese columns, natural keys, the user's municipalities only, all or nothing.

    A concrete resource declares its columns (`column(...)`), names the
    ones that identify a row in `key_fields` and the ones it resolves itself
    (parents) in `resolved_fields`, and implements `find_or_build(row)`.
    Everything an import reads goes through `for_user(user)`: a row for another
    municipality is an error, never a write. An export holds what the user
    reads (`readable_by(user)`).
    """

    key_fields: tuple[str, ...] = ()
    resolved_fields: tuple[str, ...] = ()
    display_name = ""
    #: an example row for the blank template: column name → value
    example: dict = {}

    class Meta:
        skip_unchanged = True
        # No deep copy of every row's object graph: snapshot() and skip_row() tell unchanged rows.
        skip_diff = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, user=None, open_data=False, confirmed_creations=(), confirmed_renames=(), **kwargs):
        super().__init__()
        self.user = user
        # The keys of the related items the user ticked in the preview (Confirmation).
        self.confirmed = {
            CREATION: set(as_list(confirmed_creations)),
            RENAME: set(as_list(confirmed_renames)),
        }
        # Open data: every row of the queryset given (one plan's, for its published version),
        # instead of a staff user's municipalities.
        self.open_data = open_data
        self.file_name = ""
        self._own_fields = None
        self._reset()
        for field in self.fields.values():
            if isinstance(field.widget, NameListWidget):
                field.widget.resource = self
            if isinstance(field.widget, TextWidget) and field.widget.multiline is None:
                field.widget.multiline = is_text_field(self._meta.model, field.attribute)

    def _reset(self):
        self._seen_keys = {}
        self._line = None
        self._touched = False
        self._instance = self._before = None
        self._renamed_cells = {}
        self._m2m = {}
        self._shown = Counter()  # rows of each kind (new, changed, deleted) given their preview cells
        self.line_numbers = []
        self.cache = {}
        self._report = None
        self._stage = ""
        self._dry_run = False
        #: key → Confirmation: what the rows would create or rename, in file order
        self.confirmations = {}

    @classmethod
    def get_display_name(cls):
        return cls.display_name or cls.__name__

    @classmethod
    def get_result_class(cls):
        return PortalResult

    # -- columns ----------------------------------------------------------

    def column_names(self) -> list[str]:
        return [f.column_name for f in self.get_export_fields()]

    def required_columns(self) -> list[str]:
        return [self.fields[name].column_name for name in self.key_fields]

    def column_for(self, key: str) -> str | None:
        """The column a validation error belongs to (a column, a field or a model field name)."""
        if key == NON_FIELD_ERRORS:
            return None
        for name, field in self.fields.items():
            if key in (field.column_name, name, field.attribute):
                return field.column_name
        try:
            return str(self._meta.model._meta.get_field(key).verbose_name)
        except Exception:
            return None

    def normalise_headers(self, dataset):
        """Match headers typed with half-width brackets or stray spaces to the columns."""
        known = {normalised(name): name for name in self.column_names()}
        # The open data's column (自治体標準オープンデータセット) names the code as 全国地方公共団体コード: a downloaded
        # CSV is imported as it is.
        if "団体コード" in self.column_names():
            known.setdefault(normalised("全国地方公共団体コード"), "団体コード")
        headers = [known.get(normalised(h), h) for h in dataset.headers or []]
        seen = set()
        for h in headers:
            if h and h in seen:
                raise ImportFileError(f"見出し『{h}』が2回あります。1つにしてください。")
            seen.add(h)
        missing = [c for c in self.required_columns() if c not in headers]
        if missing:
            raise ImportFileError(
                "必要な列がありません：" + "".join(f"『{c}』" for c in missing)
                + "。ひな形（テンプレート）の1行目の見出しをそのまま使ってください。"
            )
        dataset.headers = headers

    # -- scoping ----------------------------------------------------------

    def get_queryset(self):
        return self._meta.model.objects.for_user(self.user)

    def filter_export(self, queryset, **kwargs):
        """What the user reads (readable_by): a prefecture's staff export their municipalities' rows too,
        as their change lists show them; what an import may write stays for_user (get_queryset)."""
        if not self.open_data:
            queryset = queryset.filter(pk__in=self._meta.model.objects.readable_by(self.user).values("pk"))
        return self.export_queryset(queryset)

    def export_queryset(self, queryset):
        """Related rows fetched up front; the export's order."""
        return queryset

    def export_field(self, field, instance, **kwargs):
        """Open data writes a small count about people as 「3人未満」 (reoffense_portal.machinery.disclosure); staff exports
        keep every number exact."""
        if self.open_data:
            masked = self.open_data_mask(self.get_field_name(field), instance)
            if masked:
                return masked
        return super().export_field(field, instance, **kwargs)

    def open_data_mask(self, field_name: str, instance) -> str:
        """What open data writes instead of this column's value, or '' to write the value."""
        return ""

    def problem(self, field_name: str, message: str) -> ValidationError:
        return ValidationError({self.fields[field_name].column_name: message})

    def value(self, row, field_name: str):
        """The cleaned value of a column in this row (ValidationError naming the column)."""
        field = self.fields[field_name]
        if field.column_name not in row:
            return None
        try:
            return field.clean(row)
        except ValueError as e:
            raise ValidationError({field.column_name: str(e)}) from None

    def required(self, row, field_name: str):
        value = self.value(row, field_name)
        if value in (None, ""):
            raise self.problem(field_name, "入力してください")
        return value

    def confirm(self, field_name: str, item: Confirmation) -> None:
        """This row creates or renames a related item: list it (with the row), and refuse it unless ticked.

        The preview's dry run goes on as if it were ticked, so that the rest of the row is checked and
        the row shows as it would be stored; the apply creates or renames only what the user ticked.
        """
        item = self.confirmations.setdefault(item.key, item)
        if self._line not in item.lines:
            item.lines.append(self._line)
        if item.kind == RENAME:
            self._renamed_cells[item.column] = item.old  # the preview shows the row's cell old → new
        if not self._dry_run and item.key not in self.confirmed[item.kind]:
            raise self.problem(field_name, item.refusal())

    def listed_again(self, key) -> None:
        """A later row naming an item that an earlier row creates or renames: its line is listed too."""
        item = self.confirmations.get(key)
        if item is not None and self._line not in item.lines:
            item.lines.append(self._line)

    def named(self, model, municipality) -> dict:
        """A municipality's rows of `model` (departments, partners) by name, read once per import."""
        key = ("named", model, municipality.pk)
        if key not in self.cache:
            self.cache[key] = {o.name: o for o in model._default_manager.filter(municipality=municipality)}
        return self.cache[key]

    def claim_key(self, key, description: str):
        """Refuse a second row for the same object within one file."""
        previous = self._seen_keys.get(key)
        if previous is not None:
            raise ValidationError(f"{description}の行が{previous}行目にもあります。1行にまとめてください")
        self._seen_keys[key] = self._line

    def change_reason(self) -> str:
        return f"ファイルから取り込み（{self.file_name}）" if self.file_name else "ファイルから取り込み"

    def stamp(self, instance):
        """Record who imported, for django-simple-history."""
        instance._history_user = self.user
        instance._change_reason = self.change_reason()
        return instance

    def save_parent(self, instance):
        """Save a created or changed parent row (area, measure, organisation) of this row."""
        self.stamp(instance)
        instance.save()
        self._touched = True

    # -- the import workflow ---------------------------------------------

    def find_or_build(self, row) -> tuple[Model, bool]:
        raise NotImplementedError

    def own_fields(self):
        """The columns this row sets on its own object (not keys, not parents)."""
        if self._own_fields is None:
            skip = set(self.key_fields) | set(self.resolved_fields)
            self._own_fields = [(name, f) for name, f in self.fields.items() if name not in skip and not f.readonly]
        return self._own_fields

    def m2m_attributes(self) -> list[str]:
        """The many-to-many fields the sheet sets (担当課, 連携団体): prefetched with the rows an import updates."""
        return [f.attribute for _, f in self.own_fields() if isinstance(f.widget, widgets.ManyToManyWidget)]

    def snapshot(self, instance, row) -> dict:
        """The values of the row's own columns, to tell an unchanged row without a deep copy."""
        values = {}
        for name, field in self.own_fields():
            if field.column_name not in row:
                continue
            if isinstance(field.widget, widgets.ManyToManyWidget):
                related = field.get_value(instance) if instance.pk else None
                values[name] = sorted(o.pk for o in related.all()) if related is not None else []
            else:
                values[name] = field.get_value(instance)
        return values

    def get_or_init_instance(self, instance_loader, row):
        instance, new = self.find_or_build(row)
        self._instance = instance
        self._before = None if new else self.snapshot(instance, row)
        return instance, new

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        for _name, field in self.own_fields():
            if field.column_name not in row:
                continue
            try:
                if isinstance(field.widget, widgets.ManyToManyWidget):
                    # Read once: compared by skip_row, shown by the preview, saved after the row itself.
                    self._m2m[field.attribute] = list(field.clean(row))
                else:
                    self.import_field(field, instance, row, **kwargs)
            except ValueError as e:
                # Keyed by the model field, so that full_clean does not repeat the complaint.
                key = field.attribute if "__" not in field.attribute else field.column_name
                errors[key] = ValidationError(str(e), code="invalid")
        if errors:
            raise ValidationError(errors)

    def get_import_fields(self):
        return [f for f in super().get_import_fields() if not f.readonly]

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """Unchanged: an existing row whose own columns and parents are as stored."""
        if import_validation_errors or self._touched or self._before is None:
            return False
        after = {}
        for name, field in self.own_fields():
            if name not in self._before:
                continue
            if isinstance(field.widget, widgets.ManyToManyWidget):
                after[name] = sorted(o.pk for o in self._m2m[field.attribute])
            else:
                after[name] = field.get_value(instance)
        return after == self._before

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's own validation, without a query per row.

        Uniqueness follows from the file's keys (rows are looked up by them and
        a key may appear once per file); the check constraints repeat what the
        models' clean() and validators already say, and the database enforces
        them anyway inside the import's transaction.
        """
        errors = dict(import_validation_errors or {})
        # Parents were loaded through for_user() (or saved) by find_or_build: no query to re-check them.
        resolved = [
            f.name for f in instance._meta.concrete_fields
            if f.is_relation and f.is_cached(instance) and getattr(f.get_cached_value(instance), "pk", None)
        ]
        try:
            instance.full_clean(exclude=list(errors) + resolved, validate_unique=False, validate_constraints=False)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def preview_cells(self, row_result):
        """The preview's cells: the row as it will be stored, changed cells marked."""
        instance = self._instance
        changed = None
        if row_result.import_type == RowResult.IMPORT_TYPE_UPDATE and self._before is not None:
            changed = {
                self.fields[name].column_name for name, value in self._before.items()
                if not isinstance(self.fields[name].widget, widgets.ManyToManyWidget)
                and self.fields[name].get_value(instance) != value
            }
        cells = []
        for field in self.get_import_fields():
            try:
                if field.attribute in self._m2m:  # as the file sets it (rows are saved in batches)
                    value = field.widget.render(self._m2m[field.attribute])
                else:
                    value = field.export(instance)
            except ValueError:  # a many-to-many of an unsaved row
                value = ""
            value = "" if value is None else value
            if field.column_name in self._renamed_cells:
                value = format_html("<del>{}</del> → <ins>{}</ins>", self._renamed_cells[field.column_name], value)
            elif changed and field.column_name in changed:
                value = format_html("<ins>{}</ins>", value)
            cells.append(value)
        return cells

    def before_save_instance(self, instance, row, **kwargs):
        self.stamp(instance)
        instance._import_m2m = self._m2m  # saved with its batch (bulk) or just after the row

    def save_m2m(self, instance, row, **kwargs):
        """The row's many-to-many columns as read by import_instance (resources without Meta.use_bulk)."""
        if self._meta.use_bulk:
            return
        for attribute, related in self._m2m.items():
            getattr(instance, attribute).set(related)

    # -- bulk saving (Meta.use_bulk; rows with many-to-many columns through spreadsheets.bulk) --

    def _bulk(self, instances, save, result, raise_errors):
        """Save a batch with its history rows (user and reason as for single saves), and say so (更新日 moves)."""
        if not instances:
            return
        try:
            # A failed statement marks the import's transaction for rollback (PostgreSQL refuses
            # anything more in it), as bulk_update_with_history did.
            with transaction.atomic(using=self.get_db_connection_name(), savepoint=False):
                save(instances)
        except Exception as e:
            self.handle_import_error(result, RowFailure(f"保存できませんでした（{type(e).__name__}: {e}）。何も保存されていません。"), raise_errors)
        else:
            rows_saved_in_bulk.send(sender=self._meta.model, instances=list(instances))
        finally:
            instances.clear()
            if isinstance(result, PortalResult):
                result.settle()

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.m2m_attributes():
            save = lambda objs: self._save_with_relations(objs, created=True, batch_size=batch_size)  # noqa: E731
        else:
            save = lambda objs: bulk_create_with_history(  # noqa: E731
                objs, self._meta.model, batch_size=batch_size, default_user=self.user,
                default_change_reason=self.change_reason(),
            )
        self._bulk(self.create_instances, save, result, raise_errors)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.m2m_attributes():
            save = lambda objs: self._save_with_relations(objs, created=False, batch_size=batch_size)  # noqa: E731
        else:
            save = lambda objs: self._update_with_history(objs, batch_size=batch_size)  # noqa: E731
        self._bulk(self.update_instances, save, result, raise_errors)

    def bulk_update_fields(self) -> list[str]:
        return [attribute for _, f in self.own_fields()
                if "__" not in f.attribute and not isinstance(f.widget, widgets.ManyToManyWidget)
                for attribute in (f.attribute, *getattr(f, "also_writes", ()))]

    def _update_with_history(self, instances, batch_size=None):
        """What bulk_update_with_history does, with a faster UPDATE (spreadsheets.bulk.update_rows)."""
        update_rows(self._meta.model, instances, self.bulk_update_fields())
        self._meta.model.history.bulk_history_create(
            instances, batch_size=batch_size, update=True, default_user=self.user,
            default_change_reason=self.change_reason(),
        )

    def _save_with_relations(self, instances, created: bool, batch_size=None):
        """A batch of rows with many-to-many columns: the rows, their relations, then their history with them."""
        model = self._meta.model
        if created:
            model._default_manager.bulk_create(instances, batch_size=batch_size)
        else:
            update_rows(model, instances, self.bulk_update_fields())
        relations = save_relations(model, instances, created)
        record_history(model, instances, created, relations, self.user, self.change_reason())

    def describe(self, line: int, error: ValidationError) -> ValidationError:
        """「3行目『年度』: “R6年” を年度として読めません」 for every message of a row."""
        described = {}
        if hasattr(error, "error_dict"):
            items = error.error_dict.items()
        else:
            items = [(NON_FIELD_ERRORS, error.error_list)]
        for key, errors in items:
            column_name = self.column_for(key)
            prefix = f"{line}行目『{column_name}』: " if column_name else f"{line}行目: "
            for error in ValidationError(errors).error_list:
                # A model's words for an empty cell (「… NULL を指定できません」) in the sheet's words.
                message = "入力してください" if error.code in ("null", "blank") else "".join(error)
                described.setdefault(column_name or NON_FIELD_ERRORS, []).append(prefix + message)
        return ValidationError(described)

    def import_row(self, row, instance_loader, **kwargs):
        number = kwargs.get("row_number") or 0
        self._line = self.line_numbers[number - 1] if 0 < number <= len(self.line_numbers) else number + 1
        self._touched = False
        self._instance = self._before = None
        self._renamed_cells = {}
        self._m2m = {}
        row_result = super().import_row(row, instance_loader, **kwargs)
        if row_result.is_valid() and self._instance is not None:
            # Cells for the rows the preview lists, up to PREVIEW_ROWS of each kind (and the first rows).
            kind = row_result.import_type
            if kind != RowResult.IMPORT_TYPE_SKIP and self._shown[kind] < PREVIEW_ROWS:
                self._shown[kind] += 1
                row_result.diff = self.preview_cells(row_result)
            elif number <= PREVIEW_ROWS:
                row_result.diff = self.preview_cells(row_result)
        if row_result.validation_error is not None:
            row_result.validation_error = self.describe(self._line, row_result.validation_error)
        if row_result.errors:
            first = row_result.errors[0].error
            row_result.errors = [
                Error(RowFailure(f"{self._line}行目: 保存できませんでした（{type(first).__name__}: {first}）"), row=row, number=number)
            ]
        if self._report is not None:
            self._report(number, len(self.line_numbers), self._stage)
        return row_result

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        """All or nothing, always: one bad row rolls the whole file back.

        `report`, if given (an import job's `job.report`), hears after every row how many rows of
        the file have been checked (dry run) or written.
        """
        report = kwargs.pop("report", None)
        self._reset()
        self._dry_run = dry_run
        self._report, self._stage = report, CHECKING if dry_run else WRITING
        self.user = kwargs.get("user") or self.user
        self.file_name = kwargs.get("file_name") or ""
        result = self.get_result_class()()
        if self.user is None or not self.user.is_authenticated or not self.user.is_active:
            result.append_base_error(Error(ImportFileError("ログインした職員だけが取り込めます。")))
            return result
        try:
            self.normalise_headers(dataset)
        except ImportFileError as e:
            result.append_base_error(Error(e))
            return result
        self.line_numbers = getattr(dataset, "line_numbers", None) or range(2, len(dataset) + 2)
        result = super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=True,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=True,
            **kwargs,
        )
        result.settle()
        result.model = self._meta.model  # a page's second sheet (必須事務 on the progress page) logs its own rows
        return result

    # -- templates --------------------------------------------------------

    def template_dataset(self) -> tablib.Dataset:
        """The blank template: the headers and one example row."""
        headers = self.column_names()
        dataset = tablib.Dataset(headers=headers)
        dataset.append([self.example.get(h) for h in headers])
        return dataset
