"""Municipality isolation and safe saving for every staff admin page.

One place decides what a staff user may see and choose in the admin:
`Model.objects.for_user(user)` (reoffense_portal.machinery.scoping.querysets). The mixins here apply it to

- change lists, change/delete/history views and bulk actions (get_queryset;
  Django answers an object outside the queryset with a redirect to the admin
  index and 「見つかりませんでした」, the history views here answer 404),
- foreign-key and many-to-many choices (a choice outside the scope fails
  with a Japanese error) and the autocomplete endpoint (Django's
  AutocompleteJsonView asks the *related* model's admin for get_queryset and
  get_search_results, both scoped here),
- inlines (spreadsheet exports are scoped by reoffense_portal.machinery.spreadsheets.admin).

What a user may *read* (change lists, read-only change forms, history) is
`readable_by(user)`; what a user may *write* (change, delete, revert, bulk
actions, choices, a form's autocomplete) stays `for_user(user)`. The two differ
only for a prefecture's staff, who read every municipality of the prefecture
and write only the prefecture's own rows; the search boxes of the change
lists' filters find what the user reads (reoffense_portal.admin_site).

Every add, change and delete is also a line of the staff log (staff_log.StaffLogMixin,
reoffense_portal.machinery.audit), with the user and the row's municipality.

Forms also refuse a row of one municipality pointing at another
municipality's department, organisation or area (which matters for
superusers and staff of several municipalities), and refuse a stale form
(save_conflicts: a save that would overwrite what someone else saved after
the form was opened). Their dates, years and figures are read as staff type
them (typed_fields); new rows' numbers left blank are the next free ones.
"""

import datetime

from django import forms, http
from django.contrib import admin
from django.contrib.admin.utils import (
    NotRelationField,
    flatten_fieldsets,
    get_fields_from_path,
    unquote,
)
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models
from django.urls import NoReverseMatch
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin

from reoffense_portal.machinery import eras
from reoffense_portal.machinery.scoping.choices import choice_labeller
from reoffense_portal.machinery.scoping.filters import CappedPaginator, ScopedRelatedFilter, search_field_by_field
from reoffense_portal.machinery.scoping.querysets import (
    is_scoped,
    municipality_id_of,
    municipality_path,
    readable,
    scoped,
)
from reoffense_portal.machinery.scoping.save_conflicts import (
    CONFIRM_OVERWRITE,
    HIDDEN_FIELDS,
    OVERWRITE_FIELD,
    VERSION_FIELD,
    HistoryChangeLabels,
    SaveConflict,
    VersionField,
    has_save_conflict,
    latest_history_id,
    latest_history_ids,
)
from reoffense_portal.machinery.scoping.staff_log import StaffLogMixin
from reoffense_portal.machinery.scoping.typed_fields import (
    FIGURE_FIELDS,
    PRECISION_FIELD,
    JapaneseDateField,
    JapaneseYearField,
    figure_formfield,
    has_date_precision,
)
from reoffense_portal.machinery.text import PlainTextFormMixin
from reoffense_portal.machinery.widget_renderer import RowRenderer

# --- the next free number of a new row -------------------------------------------------------------

ROW_RENDERER = RowRenderer()
NEXT_NUMBER_HELP = "空欄のまま保存すると、いまある最後の番号の次の番号になります。"
NUMBER_FIELDS = ("order", "number")


def next_free_number(siblings, name: str) -> int:
    """One more than the highest `name` of the rows `siblings` (1 for the first row)."""
    return (siblings.aggregate(top=models.Max(name))["top"] or 0) + 1


# --- forms ---------------------------------------------------------------------------------------


def field_label(model, name: str) -> str:
    """A model field's Japanese name (its verbose_name), or the name itself for what is no field."""
    try:
        return str(capfirst(model._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:
        return name


def shown_fields_only(form, error_dict: dict) -> dict:
    """`error_dict` with the errors of fields `form` does not show moved to the form's own errors,
    each prefixed with the field's label: 「望ましい方向：成果目標には望ましい方向を選んでください。」"""
    kept = {}
    for name, errors in error_dict.items():
        if name == NON_FIELD_ERRORS or name in form.fields:
            kept.setdefault(name, []).extend(errors)
            continue
        label = field_label(form._meta.model, name)
        kept.setdefault(NON_FIELD_ERRORS, []).extend(
            ValidationError(f"{label}：{message}") for message in ValidationError(errors).messages
        )
    return kept


class ScopedModelForm(PlainTextFormMixin, forms.ModelForm):
    """Every staff form: plain text, version check and no references across municipalities."""

    def __init_subclass__(cls, **kwargs):
        """Forms declared in code (the yearly screen's rows) type figures as the admin's do.

        The admin builds its forms with its own callback, which reads formfield_overrides; Django reads a
        declared form's callback from its own Meta only, so each Meta gets figure_formfield unless it has one.
        """
        super().__init_subclass__(**kwargs)
        meta = cls.__dict__.get("Meta")
        if meta is not None and not hasattr(meta, "formfield_callback"):
            meta.formfield_callback = staticmethod(figure_formfield)

    edit_version = VersionField(label="版")
    overwrite_version = VersionField(label="上書きを確認した版")
    save_conflict: SaveConflict | None = None  # set by clean() when others saved meanwhile
    # A new row's 番号・順番 (set by the admin, see NextNumberAdminMixin): left blank, it is the next free number
    # among `next_number_within` (the add form), or among the inline's rows (NextNumberFormSet).
    next_number_field: str | None = None
    next_number_within: tuple[str, ...] = ()

    def __init__(self, *args, version: str | None = None, **kwargs):
        """`version`: the latest history id when the caller loaded it already (saves a query per row)."""
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial[VERSION_FIELD] = (
                latest_history_id(self.instance) if version is None else version
            )
        self._offer_next_number()
        precision = getattr(self.instance, PRECISION_FIELD, eras.DatePrecision.DAY)
        for name in self._precise_dates():
            value = self.initial.get(name)
            if isinstance(value, datetime.date) and precision != eras.DatePrecision.DAY:
                self.initial[name] = eras.written_date(value, precision)  # 2023年12月, not 2023-12-01

    def add_error(self, field, error):
        """A model's check of a field this form does not show is the row's own error, named by the field.

        A compact inline shows a few of a model's fields (the plan page's indicators); Django would
        answer a model error keyed to a hidden field with a server error.
        """
        if field is None and hasattr(error, "error_dict"):
            error = ValidationError(shown_fields_only(self, error.error_dict))
        super().add_error(field, error)

    def clean(self):
        cleaned_data = super().clean()
        self._store_date_precision(cleaned_data)
        self._fill_next_number(cleaned_data)
        self._check_version()
        self._check_same_municipality(cleaned_data)
        return cleaned_data

    def _numbers_new_row(self) -> bool:
        name = self.next_number_field
        return bool(name) and name in self.fields and self.instance.pk is None

    def _offer_next_number(self):
        """A new row's number starts blank (not the model's default 1, which collides with the first row)."""
        if not self._numbers_new_row():
            return
        field = self.fields[self.next_number_field]
        field.required = False
        field.help_text = NEXT_NUMBER_HELP
        field.widget.attrs["data-next-number"] = ""  # static/js/next-number.js fills it on an inline's new row
        if not self.is_bound:
            self.initial[self.next_number_field] = None

    def _fill_next_number(self, cleaned_data):
        """The add form: a number left blank is the next free one among the rows sharing `next_number_within`."""
        name = self.next_number_field
        if not self._numbers_new_row() or not self.next_number_within or cleaned_data.get(name) is not None:
            return
        if name in self.errors:
            return
        siblings = {
            within: cleaned_data[within] if within in cleaned_data else getattr(self.instance, within, None)
            for within in self.next_number_within
        }
        if siblings[self.next_number_within[0]] is None:
            return  # no parent chosen: its own error says so
        cleaned_data[name] = next_free_number(self._meta.model._default_manager.filter(**siblings), name)

    def has_changed(self):
        """A new inline row whose only entry is the number the page filled in is an empty row, not a row to save."""
        if self._numbers_new_row():
            return any(name != self.next_number_field for name in self.changed_data)
        return super().has_changed()

    def _precise_dates(self) -> list[str]:
        return [
            name for name, field in self.fields.items()
            if isinstance(field, JapaneseDateField) and field.precise
        ]

    def _store_date_precision(self, cleaned_data):
        """The precision the dates were typed with (日, 月 or 年度), one for all the row's dates."""
        names = self._precise_dates()
        if not names or any(name in self.errors for name in names):
            return
        typed = {
            name: self.fields[name].typed(self[name].data) for name in names if cleaned_data.get(name)
        }
        precisions = {value.precision for value in typed.values()}
        if len(precisions) > 1:
            labels = "と".join(str(self.fields[name].label) for name in typed)
            self.add_error(
                names[-1],
                f"{labels}は同じ書き方（日まで、月まで、年度のどれか）で入力してください。",
            )
            return
        setattr(self.instance, PRECISION_FIELD, precisions.pop() if precisions else eras.DatePrecision.DAY)

    def _check_version(self):
        """Refuse to overwrite what others saved since the form was opened, unless confirmed.

        The refusal shows the saved value under each field in conflict and keeps the version the
        form was opened on, so saving again unchanged is refused again. Ticking the page's
        checkbox confirms the overwrite of the version shown (OVERWRITE_FIELD); a save by someone
        else after that is refused anew.
        """
        if self.instance.pk is None or not self.has_changed():
            return  # nothing of this row would be written
        seen = self.data.get(self.add_prefix(VERSION_FIELD), "") or ""
        conflict = SaveConflict.find(self.instance, seen, self.changed_data)
        if conflict is None:
            return
        self.save_conflict = conflict
        confirmed = self.data.get(self.add_prefix(OVERWRITE_FIELD)) == conflict.version
        if self.data.get(CONFIRM_OVERWRITE) and confirmed:
            return
        self.data = self.data.copy()
        self.data[self.add_prefix(OVERWRITE_FIELD)] = conflict.version
        for name, note in conflict.field_notes():
            self.add_error(name, note)
        raise conflict.error()

    def _owner_municipality(self, cleaned_data):
        path = municipality_path(self._meta.model)
        if path is None:
            return None
        if path == "pk":
            return None  # a municipality refers to its prefecture, another municipality by design
        first = path.split("__")[0]
        if first == "municipality":
            value = cleaned_data.get("municipality") or getattr(self.instance, "municipality", None)
            return getattr(value, "pk", None)
        parent = cleaned_data.get(first)
        if parent is None:
            try:
                parent = getattr(self.instance, first)
            except ObjectDoesNotExist:
                return None
        return municipality_id_of(parent)

    def _check_same_municipality(self, cleaned_data):
        path = municipality_path(self._meta.model)
        if path is None:
            return
        first_hop = path.split("__")[0]
        references = [
            (name, value)
            for name, value in cleaned_data.items()
            if name != first_hop
            and name in self.fields
            and isinstance(self.fields[name], forms.ModelChoiceField)
            and is_scoped(self.fields[name].queryset.model)
        ]
        owner = self._owner_municipality(cleaned_data) if references else None
        if owner is None:
            return
        for name, value in references:
            field = self.fields[name]
            chosen = list(value) if isinstance(field, forms.ModelMultipleChoiceField) else [value]
            foreign = [
                obj
                for obj in chosen
                if obj is not None and municipality_id_of(obj) not in (None, owner)
            ]
            if foreign:
                self.add_error(
                    name,
                    ValidationError(
                        "他の自治体の%(kind)sは選べません：%(names)s。この%(model)sと同じ自治体のものを選んでください。",
                        code="other_municipality",
                        params={
                            "kind": field.queryset.model._meta.verbose_name,
                            "names": "、".join(f"「{obj}」" for obj in foreign),
                            "model": self._meta.model._meta.verbose_name,
                        },
                    ),
                )


# --- admin mixins ------------------------------------------------------------------------------


class ScopedFieldsMixin:
    """Choices of foreign keys and many-to-many fields limited to the user's municipalities."""

    form = ScopedModelForm
    formfield_overrides = {
        # Web addresses typed without a scheme are read as https (Django 6's default, today).
        models.URLField: {"assume_scheme": "https"},
        # Dates typed as Japanese staff type them (date-and-time fields keep Django's own).
        models.DateField: {"form_class": JapaneseDateField},
        # Figures as staff type them: 「49,653」「49,653件」「４９，６５３」.
        **FIGURE_FIELDS,
    }

    def _limit_choices(self, db_field, request, kwargs):
        related = db_field.related_model
        if "queryset" not in kwargs and is_scoped(related):
            queryset = self.get_field_queryset(None, db_field, request)
            if queryset is None:
                queryset = related._default_manager.complex_filter(db_field.get_limit_choices_to())
            kwargs["queryset"] = scoped(queryset, request.user)

    def _japanese_invalid_choice(self, formfield, db_field):
        if formfield is not None:
            kind = db_field.related_model._meta.verbose_name
            if kind == "自治体":
                message = "選んだ自治体は選べません。担当する自治体を選んでください。"
            else:
                message = f"選んだ{kind}は選べません。担当する自治体の{kind}を選んでください。"
            formfield.error_messages["invalid_choice"] = message
            if isinstance(formfield, forms.ModelMultipleChoiceField):
                formfield.error_messages["invalid_pk_value"] = message
        return formfield

    FISCAL_YEAR_FIELDS = ("fiscal_year", "reviewed_fiscal_year")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Fiscal years are chosen as 「令和6年度（2024年度）」; other years and dates are typed as staff write them."""
        if db_field.name in self.FISCAL_YEAR_FIELDS and isinstance(
            db_field, models.PositiveSmallIntegerField
        ):
            empty = [("", "---------")]
            return forms.TypedChoiceField(
                choices=empty + eras.fiscal_year_choices(first=2010),
                coerce=int,
                empty_value=None,
                required=not db_field.blank,
                label=capfirst(db_field.verbose_name),
            )
        if isinstance(db_field, models.PositiveSmallIntegerField) and (
            db_field.name == "year" or db_field.name.endswith("_year")
        ):
            return db_field.formfield(form_class=JapaneseYearField, **kwargs)
        if isinstance(db_field, models.DateField) and not isinstance(db_field, models.DateTimeField):
            kwargs.setdefault("precise", has_date_precision(db_field.model))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        self._limit_choices(db_field, request, kwargs)
        return self._labelled(
            request, self._japanese_invalid_choice(super().formfield_for_foreignkey(db_field, request, **kwargs), db_field)
        )

    def _labelled(self, request, formfield):
        if formfield is not None and is_scoped(formfield.queryset.model):
            formfield.label_from_instance = choice_labeller(request.user)
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        self._limit_choices(db_field, request, kwargs)
        return self._labelled(
            request, self._japanese_invalid_choice(super().formfield_for_manytomany(db_field, request, **kwargs), db_field)
        )

    def get_queryset(self, request):
        return readable(super().get_queryset(request), request.user)

    def get_fields(self, request, obj=None):
        return [name for name in super().get_fields(request, obj) if name not in HIDDEN_FIELDS]

    def get_fieldsets(self, request, obj=None):
        """The hidden version fields ride in the first fieldset of every editable form."""
        fieldsets = super().get_fieldsets(request, obj)
        names = flatten_fieldsets(fieldsets)
        editable = obj is None or self.has_change_permission(request, obj)
        if editable and VERSION_FIELD not in names and issubclass(self.form, ScopedModelForm):
            first_name, first_options = fieldsets[0]
            fieldsets = [
                (
                    first_name,
                    {**first_options, "fields": [*first_options["fields"], *HIDDEN_FIELDS]},
                ),
                *fieldsets[1:],
            ]
        return fieldsets

    def in_scope(self, request, obj) -> bool:
        """Whether the user may write `obj` (for_user). Asked by every permission check of a page (9 on a
        plan's form): one query per row and request."""
        if obj is None or request.user.is_superuser or not is_scoped(self.model):
            return True
        answers = request.__dict__.setdefault("_portal_in_scope", {})
        key = (self.model._meta.label, obj.pk)
        if key not in answers:
            answers[key] = self.model._default_manager.for_user(request.user).filter(pk=obj.pk).exists()
        return answers[key]

    def in_read_scope(self, request, obj) -> bool:
        """Whether the user may read `obj` (readable_by): what they may write, or else asked once per row and request."""
        if self.in_scope(request, obj):
            return True
        answers = request.__dict__.setdefault("_portal_in_read_scope", {})
        key = (self.model._meta.label, obj.pk)
        if key not in answers:
            answers[key] = self.model._default_manager.readable_by(request.user).filter(pk=obj.pk).exists()
        return answers[key]


class ScopedAdminMixin(StaffLogMixin, ScopedFieldsMixin):
    """For every staff ModelAdmin (through StaffHistoryAdmin; SpreadsheetAdminMixin goes before it)."""

    # (field, the fields its rows are numbered within): on the add form the number starts blank and, left
    # blank, is the next free one (ScopedModelForm), e.g. ("number", ("plan",)) for a plan's areas.
    next_number: tuple[str, tuple[str, ...]] | None = None

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if self.next_number and issubclass(form, ScopedModelForm):
            form.next_number_field, form.next_number_within = self.next_number
        return form

    def get_search_results(self, request, queryset, search_term):
        """`queryset` comes from get_queryset (the change list, the autocomplete): already the user's rows,
        so the scope is not written into the query a second time (PostgreSQL then misjudged how few rows
        a prefecture's staff read: 2 plans instead of 60)."""
        fields = self.get_search_fields(request)
        if search_term and fields and all(field[0] not in "^=@" for field in fields):
            queryset, request.search_found_more_than_cap = search_field_by_field(
                queryset, fields, search_term, nationwide=request.user.is_superuser
            )
            return queryset, False
        return super().get_search_results(request, queryset, search_term)

    def action_checkbox(self, obj):
        """Django's checkbox of each listed row, written in Python (RowRenderer): through the widget
        templates the 100 checkboxes of a page were a fifth of a change list's time."""
        from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME  # it imports the admin site, which imports this

        attrs = {"class": "action-select", "aria-label": format_html(gettext("Select this object for an action - {}"), str(obj))}
        checkbox = forms.CheckboxInput(attrs, lambda value: False)
        return checkbox.render(ACTION_CHECKBOX_NAME, str(obj.pk), renderer=ROW_RENDERER)

    def response_action(self, request, queryset):
        """Bulk actions (delete, set status) act only on rows the user may write, whatever was ticked."""
        return super().response_action(request, scoped(queryset, request.user))

    # The change list counts the rows found, not all of the user's rows too (a second COUNT(*)),
    # and those only up to 1,000.
    show_full_result_count = False

    def get_paginator(self, request, queryset, per_page, **kwargs):
        known = getattr(request, "search_found_more_than_cap", False)
        return CappedPaginator(queryset, per_page, known_capped=known, **kwargs)

    def _is_relation_filter(self, item) -> bool:
        if not isinstance(item, str):
            return False
        try:
            return get_fields_from_path(self.model, item)[-1].is_relation
        except (FieldDoesNotExist, NotRelationField):
            return False

    def get_list_filter(self, request):
        """Relation filters offer only the user's own rows, as links or a search box (reoffense_portal.machinery.scoping.filters)."""
        return [
            (item, ScopedRelatedFilter) if self._is_relation_filter(item) else item
            for item in super().get_list_filter(request)
        ]

    @property
    def media(self):
        """The autocomplete's scripts for the search boxes of the relation filters."""
        media = super().media
        if any(self._is_relation_filter(item) for item in self.list_filter):
            media += AutocompleteSelect(None, self.admin_site).media
        return media

    def render_change_form(self, request, context, *args, **kwargs):
        inline_forms = [
            form for inline in context["inline_admin_formsets"] for form in inline.formset.forms
        ]
        context["save_conflict"] = has_save_conflict([context["adminform"].form, *inline_forms])
        return super().render_change_form(request, context, *args, **kwargs)

    def get_changeform_initial_data(self, request):
        """A staff member of one municipality gets it preset on new rows."""
        initial = super().get_changeform_initial_data(request)
        try:
            field = self.model._meta.get_field("municipality")
        except FieldDoesNotExist:
            return initial
        if isinstance(field, models.ForeignKey) and "municipality" not in initial:
            codes = list(request.user.memberships.values_list("municipality_id", flat=True)[:2])
            if len(codes) == 1:
                initial["municipality"] = codes[0]
        return initial

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.in_read_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)

    def view_on_site(self, obj):
        """「サイト上で表示」: the staff preview of the public page, showing the working rows (承認前の内容)."""
        try:
            return f"{obj.get_absolute_url()}?preview=1"
        except (AttributeError, NoReverseMatch):
            return None


class StaffHistoryAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Change history (who, when, a diff of the fields, revert) limited to the user's municipalities.

    SimpleHistoryAdmin would show the history of an object outside the
    queryset from its history rows, and its revert view looks rows up by id
    alone; both answer 404 here unless the object is in the user's scope.
    """

    object_history_template = "admin/simple_history/object_history.html"
    object_history_list_template = "admin/simple_history/object_history_list.html"
    object_history_form_template = "admin/simple_history/object_history_form.html"

    def _get_scoped_or_404(self, request, object_id):
        obj = self.get_queryset(request).filter(pk=unquote(object_id)).first()
        if obj is None:
            raise http.Http404("指定されたデータは存在しないか、閲覧する権限がありません。")
        return obj

    def history_view(self, request, object_id, extra_context=None):
        if not request.user.is_superuser:  # a superuser may also read a deleted object's history
            self._get_scoped_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not request.user.is_superuser:
            obj = self._get_scoped_or_404(request, object_id)
            # simple-history saves a revert for anyone who may view the object: only writers revert.
            if request.method == "POST" and not self.has_change_permission(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def render_history_view(self, request, template, context, **kwargs):
        if "adminform" in context:  # the revert form
            context["save_conflict"] = has_save_conflict([context["adminform"].form])
        return super().render_history_view(request, template, context, **kwargs)

    def get_historical_record_context_helper(self, request, historical_record):
        return HistoryChangeLabels(self.model, historical_record)

    def history_view_title(self, request, obj):
        return f"変更履歴：{obj}"

    def history_form_view_title(self, request, obj):
        if self.revert_disabled(request, obj):
            return f"過去の版を表示：{obj}"
        return f"過去の版に戻す：{obj}"


class NextNumberFormSet(forms.BaseInlineFormSet):
    """New rows whose number was left blank are numbered after the highest number of the inline's rows, in order."""

    def clean(self):
        self._fill_next_numbers()
        super().clean()

    def _fill_next_numbers(self):
        name = self.form.next_number_field
        if not name or name not in self.form.base_fields:
            return
        kept = [form for form in self.forms if hasattr(form, "cleaned_data") and not self._should_delete_form(form)]
        blank = [
            form for form in kept
            if form.instance.pk is None and form.has_changed() and form.cleaned_data.get(name) is None
            and name not in form.errors
        ]
        if not blank:
            return
        taken = [form.cleaned_data.get(name) for form in kept]
        if self.instance.pk is not None:
            taken += list(self.get_queryset().values_list(name, flat=True))
        highest = max((number for number in taken if number is not None), default=0)
        for number, form in enumerate(blank, start=highest + 1):
            form.cleaned_data[name] = number
            setattr(form.instance, name, number)


class VersionedInlineFormSet(NextNumberFormSet):
    """An inline's forms get their rows' versions from one query (latest_history_ids), not one query a row."""

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if not self.is_bound and index is not None and index < self.initial_form_count():
            if not hasattr(self, "_versions"):
                model = self.get_queryset().model
                pks = [obj.pk for obj in self.get_queryset()]
                self._versions = latest_history_ids(model, pks) if hasattr(model, "history") else {}
            kwargs["version"] = self._versions.get(self.get_queryset()[index].pk, "")
        return kwargs

    # Set by StaffTabularInline: a table row's boxes have no <label> of their own, only the column's header.
    name_cells = False

    def get_unique_error_message(self, unique_check):
        """Two rows that may not be the same (two areas numbered 1), named by the fields' Japanese labels."""
        labels = "と".join(field_label(self.model, name) for name in unique_check if name != self.fk.name)
        return f"{labels}が同じ行があります。行ごとに違う{labels}にしてください。"

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.name_cells:
            self._name_cells(form, f"{i + 1}行目")
        return form

    @property
    def empty_form(self):
        form = super().empty_form
        if self.name_cells:
            self._name_cells(form, "追加する行")  # the row 「追加」 copies keeps this name
        return form

    def _name_cells(self, form, row: str) -> None:
        """Each box of a table row named for screen readers: 「指標（2行目）の種類」."""
        kind = self.model._meta.verbose_name
        for field in form.fields.values():
            widget = getattr(field.widget, "widget", field.widget)  # inside the admin's related-object wrapper
            if not widget.is_hidden:
                widget.attrs["aria-label"] = f"{kind}（{row}）の{field.label}"


class NextNumberInlineMixin:
    """An inline showing a 順番 or 番号 (`order`, `number`) numbers its new rows after the last one.

    On the page static/js/next-number.js fills the number of a row added with 「追加」; a number left
    blank is filled in when saving (NextNumberFormSet), never the model's default 1.
    """

    class Media:
        js = ["js/next-number.js"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if issubclass(formset.form, ScopedModelForm) and issubclass(formset, NextNumberFormSet):
            fields = formset.form.base_fields  # what the page shows and the user may write
            formset.form.next_number_field = next((name for name in NUMBER_FIELDS if name in fields), None)
        return formset


class StaffTabularInline(NextNumberInlineMixin, ScopedFieldsMixin, admin.TabularInline):
    """For every inline: its rows, choices and version field are scoped like the page around it.

    Below a row the user may only read, Django shows the inline read-only too.
    """

    extra = 0
    formset = VersionedInlineFormSet

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.name_cells = True
        return formset
