"""The Japanese admin of priority areas, measures, programmes and their yearly progress."""

from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.urls import path

from reoffense_portal.machinery import eras
from reoffense_portal.machinery.scoping.admin import (
    ScopedFieldsMixin,
    ScopedModelForm,
    StaffHistoryAdmin,
    StaffTabularInline,
    VersionedInlineFormSet,
)
from reoffense_portal.machinery.scoping.year_filters import FiscalYearFilter
from reoffense_portal.machinery.spreadsheets.admin import SpreadsheetAdminMixin

from .admin_progress import ProgressEntry
from .models import (
    EvaluationScale,
    Measure,
    Practice,
    PriorityArea,
    Program,
    ProgramProgress,
    RegionalDuty,
    SupportKind,
)
from .resources import PlanStructureResource, ProgramProgressResource, RegionalDutyResource


class PriorityAreaInline(StaffTabularInline):
    model = PriorityArea
    fields = ["number", "title", "page_from", "page_to"]
    show_change_link = True


class EvaluationScaleInline(StaffTabularInline):
    """The city's own wording of the self-evaluation grades A–D, on the plan page."""

    model = EvaluationScale
    fields = ["label_a", "label_b", "label_c", "label_d"]
    max_num = 1
    can_delete = False


# What measures adds to the plan's page (reoffense_portal.composition.plan_admin): its areas, then its grades.
PLAN_INLINES = [PriorityAreaInline, EvaluationScaleInline]


class MeasureInline(StaffTabularInline):
    model = Measure
    fields = ["number", "title"]
    show_change_link = True


class ProgramForm(ScopedModelForm):
    """A programme given a measure is in the measure's area before its choices are checked.

    On a measure's page the measure is the page's own, not yet saved on its add page.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("support_kind")
        if field is not None:  # a retired kind stays offered only on the programmes that have it
            field.queryset = SupportKind.objects.selectable(current=self.instance.support_kind_id)

    def clean(self):
        program, data = self.instance, self.cleaned_data
        if "area" in self.fields:
            if data.get("area") is None and data.get("measure") is not None:
                data["area"] = data["measure"].area
        elif program.area_id is None and data.get("measure") is not None:
            program.area_id = data["measure"].area_id
        elif program.area_id is None and program.measure_id is not None:
            program.area_id = Measure.objects.values_list("area_id", flat=True).get(pk=program.measure_id)
        return super().clean()


class ProgramInline(StaffTabularInline):
    """Each programme's description is written here, in a box that grows with the text (static/css/admin.css)."""

    model = Program
    form = ProgramForm
    fk_name = "measure"
    fields = ["order", "name", "description", "departments", "is_existing", "support_kind"]
    autocomplete_fields = ["departments"]
    show_change_link = True
    formfield_overrides = {
        **StaffTabularInline.formfield_overrides,
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "class": "grows"})},
    }


class DirectProgramInline(ProgramInline):
    """Programmes of an area without a measure level: entered on the area's page, no measure to invent."""

    fk_name = "area"
    verbose_name = "取組・事業（施策なし）"
    verbose_name_plural = "取組・事業（施策なし）"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(measure__isnull=True)


@admin.register(PriorityArea)
class PriorityAreaAdmin(StaffHistoryAdmin):
    list_display = ["__str__", "plan", "page_reference", "national_priority_list"]
    list_filter = ["plan__municipality", "plan", "national_priorities"]
    search_fields = ["title", "description", "plan__title"]
    autocomplete_fields = ["plan", "national_priorities"]
    inlines = [MeasureInline, DirectProgramInline]
    next_number = ("number", ("plan",))
    fieldsets = [
        (None, {"fields": ["plan", "number", "title", "description"]}),
        (
            "本編の該当ページ",
            {
                "fields": [("page_from", "page_to")],
                "description": "概要版に「本編P27～P33」と表示されます。1ページだけなら開始ページのみ入力します。",
            },
        ),
        ("国の計画との対応", {"fields": ["national_priorities"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("plan")
            .prefetch_related("national_priorities")
        )

    @admin.display(description="本編の該当ページ")
    def page_reference(self, area):
        return area.page_reference

    @admin.display(description="国の重点課題")
    def national_priority_list(self, area):
        return "、".join(str(priority) for priority in area.national_priorities.all())


@admin.register(Measure)
class MeasureAdmin(StaffHistoryAdmin):
    list_display = ["__str__", "area", "plan"]
    list_filter = ["area__plan__municipality", "area__plan", "area"]
    search_fields = ["title", "description", "area__title", "programs__name"]
    autocomplete_fields = ["area"]
    inlines = [ProgramInline]
    next_number = ("number", ("area",))
    list_select_related = ["area__plan"]

    @admin.display(description="計画", ordering="area__plan")
    def plan(self, measure):
        return measure.area.plan


class ProgramProgressInline(ScopedFieldsMixin, admin.StackedInline):
    """A programme's recorded years, each a block of its own: nine fields, two of them texts and the grade's
    meaning, fit no table row beside the menu (年度の進捗入力 is the screen for a whole year)."""

    model = ProgramProgress
    formset = VersionedInlineFormSet
    extra = 0
    fields = [
        ("fiscal_year", "status", "rating"),
        "results",
        ("support_count", "budget", "actual_cost", "subsidy_rate"),
        "issues",
    ]
    formfield_overrides = {
        **ScopedFieldsMixin.formfield_overrides,
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "class": "grows"})},
    }


@admin.register(Program)
class ProgramAdmin(SpreadsheetAdminMixin, StaffHistoryAdmin):
    form = ProgramForm
    resource_classes = [PlanStructureResource]
    list_display = ["name", "area", "measure", "department_list", "is_existing"]
    list_filter = [
        "is_existing",
        "support_kind",
        "area__plan__municipality",
        "area__plan",
        "area",
        "departments",
    ]
    search_fields = ["name", "description", "departments__name", "partners__name"]
    fields = [
        "area", "measure", "order", "name", "description", "departments", "partners", "is_existing", "support_kind",
    ]
    next_number = ("order", ("area", "measure"))
    autocomplete_fields = ["area", "measure", "departments", "partners"]
    inlines = [ProgramProgressInline]
    list_select_related = ["area", "measure"]
    # By area, then measure, as the plan lists them, without joining up to the municipality (program_list_order_idx).
    ordering = ["area_id", "measure_id", "order", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("departments")

    @admin.display(description="担当課")
    def department_list(self, program):
        return "、".join(department.name for department in program.departments.all())


def yen(amount) -> str:
    """1500000 → 1,500,000円 (blank stays blank)."""
    return "" if amount is None else f"{amount:,}円"


def set_status_action(status):
    """A bulk action per status; each row is saved on its own so its history records the change."""

    def action(modeladmin, request, queryset):
        with transaction.atomic():
            changed = 0
            # Locked by id and ordered by id: PostgreSQL refuses FOR UPDATE on the changelist's DISTINCT
            # queryset, and on the outer join to the optional measure that the model's ordering adds.
            rows = ProgramProgress.objects.select_for_update().filter(pk__in=queryset.values("pk")).order_by("pk")
            for progress in rows:
                if progress.status != status:
                    progress.status = status
                    progress._history_user = request.user
                    progress.save()
                    changed += 1
        modeladmin.message_user(
            request, f"{changed}件の実施状況を「{status.label}」にしました。", messages.SUCCESS
        )

    action.__name__ = f"set_status_{status.value}"
    return admin.action(
        description=f"選択した進捗の実施状況を「{status.label}」にする", permissions=["change"]
    )(action)


@admin.register(ProgramProgress)
class ProgramProgressAdmin(SpreadsheetAdminMixin, StaffHistoryAdmin):
    resource_classes = [ProgramProgressResource, RegionalDutyResource]  # 必須事務: a second sheet of the page
    list_display = [
        "program",
        "fiscal_year_label",
        "status",
        "rating_letter",
        "support_count",
        "budget_label",
        "actual_cost_label",
    ]
    list_filter = [
        FiscalYearFilter,
        "status",
        "rating",
        "program__area__plan__municipality",
        "program__area__plan",
        "program__area",
    ]
    search_fields = ["program__name", "results", "issues", "program__departments__name"]
    autocomplete_fields = ["program"]
    list_select_related = ["program"]
    # Newest year first, then by programme, without joining up to the municipality (progress_list_order_idx).
    ordering = ["-fiscal_year", "program_id"]
    actions = [set_status_action(status) for status in ProgramProgress.Status]

    @admin.display(description="年度", ordering="fiscal_year")
    def fiscal_year_label(self, progress):
        return progress.fiscal_year_label

    @admin.display(description="評価", ordering="rating")
    def rating_letter(self, progress):
        """The letter alone: what it means is worded per plan (EvaluationScale)."""
        return progress.rating or "－"

    @admin.display(description="予算額", ordering="budget")
    def budget_label(self, progress):
        return yen(progress.budget)

    @admin.display(description="決算額", ordering="actual_cost")
    def actual_cost_label(self, progress):
        return yen(progress.actual_cost)

    def get_urls(self):
        entry = ProgressEntry(self)
        view = self.admin_site.admin_view
        return [
            path("entry/", view(entry.pick), name="measures_programprogress_entry_pick"),
            path(
                "entry/<bigint:plan_id>/",
                view(entry.default_year),
                name="measures_programprogress_entry_plan",
            ),
            path(
                "entry/<bigint:plan_id>/<bigint:fiscal_year>/",
                view(entry.edit),
                name="measures_programprogress_entry",
            ),
            *super().get_urls(),
        ]


@admin.register(SupportKind)
class SupportKindAdmin(StaffHistoryAdmin):
    """法務省's kinds of direct support: national data every staff member reads and only superusers revise."""

    list_display = ["name", "group", "counts_support", "selectable", "order"]
    list_filter = ["group", "counts_support", "selectable"]
    search_fields = ["name", "group", "code"]
    fields = ["order", "group", "name", "code", "counts_support", "selectable", "note"]


@admin.register(RegionalDuty)
class RegionalDutyAdmin(StaffHistoryAdmin):
    """必須事務 of a prefecture's 地域再犯防止推進事業, also entered on the yearly screen."""

    list_display = ["title", "kind", "fiscal_year_label", "held_on", "municipalities", "plan"]
    list_filter = [FiscalYearFilter, "kind", "plan__municipality", "plan"]
    search_fields = ["title", "note", "plan__title"]
    autocomplete_fields = ["plan"]
    fields = ["plan", "fiscal_year", "kind", "title", "held_on", "municipalities", "note"]

    @admin.display(description="年度", ordering="fiscal_year")
    def fiscal_year_label(self, duty):
        return eras.fiscal_year_full_label(duty.fiscal_year)


@admin.register(Practice)
class PracticeAdmin(StaffHistoryAdmin):
    """取組事例: published with the plan's next approved version, like everything else of the plan."""

    list_display = ["title", "program", "plan"]
    list_filter = ["plan__municipality", "plan"]
    search_fields = ["title", "content", "plan__title"]
    autocomplete_fields = ["plan", "program"]
    next_number = ("order", ("plan",))
    fields = ["plan", "program", "order", "title", "target", "content", "ingenuity", "results", "contact"]
    formfield_overrides = {
        **StaffHistoryAdmin.formfield_overrides,
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 4, "class": "grows"})},
    }
