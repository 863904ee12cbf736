"""The Japanese admin of municipalities, plans and indicators.

Every staff page goes through reoffense_portal.machinery.scoping.admin (a user sees and chooses
only their municipalities' rows). The plan's page is composed with what the apps above plans add
to it (measures' and councils' inlines, the 公開 and パブリックコメント panels) in
reoffense_portal.composition.plan_admin, so plans never imports them.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from reoffense_portal.machinery import eras
from reoffense_portal.machinery.jobs.queue import start_job
from reoffense_portal.machinery.scoping.admin import ScopedAdminMixin, StaffHistoryAdmin, StaffTabularInline
from reoffense_portal.machinery.scoping.staff_log import StaffLogMixin
from reoffense_portal.machinery.scoping.year_filters import YearListFilter
from reoffense_portal.machinery.spreadsheets.admin import SpreadsheetAdminMixin
from reoffense_portal.machinery.spreadsheets.files import ImportFileError, check_file_size
from reoffense_portal.machinery.spreadsheets.import_jobs import store_upload

from . import municipal_codes
from .models import (
    Challenge,
    Department,
    Feedback,
    FormulationStep,
    Indicator,
    IndicatorComparison,
    IndicatorValue,
    Municipality,
    NationalPriority,
    Organization,
    StaffMembership,
)
from .resources import FormulationStepResource, IndicatorValueResource, OrganizationResource


class PlanFiscalYearFilter(YearListFilter):
    """Plans whose period includes a fiscal year, labelled 「令和6年度（2024年度）」."""

    title = "計画期間に含む年度"
    parameter_name = "fiscal_year"

    def lookups(self, request, model_admin):
        years = set()
        for start, end in model_admin.get_queryset(request).values_list(
            "period_start", "period_end"
        ):
            years.update(range(eras.fiscal_year_of(start), eras.fiscal_year_of(end) + 1))
        return [(year, eras.fiscal_year_full_label(year)) for year in sorted(years, reverse=True)]

    def queryset(self, request, queryset):
        fiscal_year = self.year()
        if fiscal_year is None:
            return queryset
        return queryset.filter(
            period_start__lte=datetime.date(fiscal_year + 1, 3, 31),
            period_end__gte=datetime.date(fiscal_year, 4, 1),
        )


# --- municipalities and people ------------------------------------------------------------------


class DepartmentInline(StaffTabularInline):
    model = Department
    fields = ["name", "bureau", "telephone", "email"]
    show_change_link = True


class CodeListForm(forms.Form):
    file = forms.FileField(
        label="団体コードの一覧",
        help_text="総務省「全国地方公共団体コード」の「都道府県コード及び市区町村コード」（.xlsx、またはそのCSV）。",
    )


@admin.register(Municipality)
class MunicipalityAdmin(StaffHistoryAdmin):
    list_display = ["name", "code", "kind", "prefecture", "parent"]
    list_filter = ["kind", "prefecture"]
    search_fields = ["name", "kana", "code"]
    autocomplete_fields = ["prefecture", "parent"]
    inlines = [DepartmentInline]

    def get_urls(self):
        return [
            path("import-code-list/", self.admin_site.admin_view(self.import_code_list),
                 name="plans_municipality_import_code_list"),
            *super().get_urls(),
        ]

    def import_code_list(self, request):
        """Superusers load every municipality from the Ministry's code list (plans.municipal_codes).

        The request only checks the size and stores the file; the worker reads and loads it as a job, whose
        page follows with its progress, its summary or every bad row.
        """
        if not request.user.is_superuser:
            raise PermissionDenied
        form = CodeListForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                check_file_size(upload.size)
            except ImportFileError as error:
                form.add_error("file", str(error))
            else:
                extension = "xlsx" if upload.name.lower().endswith(".xlsx") else "csv"
                with transaction.atomic():
                    job = start_job(
                        municipal_codes.load_code_list_job, store_upload(upload, extension), upload.name,
                        kind=municipal_codes.JOB_KIND, title=f"団体コードの一覧の取り込み（{Truncator(upload.name).chars(80)}）",
                        owner=request.user,
                    )
                return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))
        return TemplateResponse(request, "admin/plans/municipality/import_code_list.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "title": "団体コードの一覧から取り込む", "import_max_mb": settings.IMPORT_MAX_MB,
        })


@admin.register(StaffMembership)
class StaffMembershipAdmin(StaffHistoryAdmin):
    list_display = ["user", "municipality", "role"]
    list_filter = ["role", "municipality"]
    search_fields = ["user__username", "user__last_name", "user__first_name", "municipality__name"]
    autocomplete_fields = ["user", "municipality"]


class MembershipInline(StaffTabularInline):
    model = StaffMembership
    autocomplete_fields = ["municipality"]
    verbose_name = "所属自治体と役割"
    verbose_name_plural = "所属自治体と役割"


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(StaffLogMixin, UserAdmin):
    """Users with their municipalities and roles; only superusers manage accounts (each change in the staff log)."""

    inlines = [MembershipInline]
    list_display = ["username", "last_name", "first_name", "is_staff", "is_superuser", "is_active"]


@admin.register(Department)
class DepartmentAdmin(StaffHistoryAdmin):
    list_display = ["name", "bureau", "municipality", "telephone", "fax", "email"]
    list_filter = ["municipality"]
    search_fields = ["name", "bureau", "section", "municipality__name"]
    autocomplete_fields = ["municipality"]
    fieldsets = [
        (None, {"fields": ["municipality", "name", "bureau", "section"]}),
        (
            "問い合わせ先",
            {
                "fields": ["postal_code", "address", "telephone", "fax", "email"],
                "description": "計画のページの末尾に問い合わせ先として表示されます。",
            },
        ),
    ]


@admin.register(Organization)
class OrganizationAdmin(SpreadsheetAdminMixin, StaffHistoryAdmin):
    resource_classes = [OrganizationResource]
    list_display = ["name", "sector", "municipality"]
    list_filter = ["sector", "municipality"]
    search_fields = ["name", "municipality__name"]
    autocomplete_fields = ["municipality"]


@admin.register(NationalPriority)
class NationalPriorityAdmin(StaffHistoryAdmin):
    """National data: every municipality reads it, only superusers change it."""

    list_display = ["number", "title", "national_plan"]
    list_filter = ["national_plan"]
    search_fields = ["title"]


# --- plans ------------------------------------------------------------------------------------


GROWING_TEXT = {
    **StaffTabularInline.formfield_overrides,
    # Multi-line text kept as written (line breaks, ・ and ○ items), in a box that grows with it.
    models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "class": "grows"})},
}


class FormulationStepInline(StaffTabularInline):
    model = FormulationStep
    fields = ["order", "date", "end_date", "kind", "description"]
    formfield_overrides = GROWING_TEXT


class ChallengeInline(StaffTabularInline):
    model = Challenge
    fields = ["order", "text"]
    formfield_overrides = GROWING_TEXT


class IndicatorInline(StaffTabularInline):
    """Compact on the plan page: the rest of an indicator, and its values, are edited on its own page."""

    model = Indicator
    # 望ましい方向 too: a 成果目標 (the default kind) needs one, so a new row saves as staff fill it.
    fields = ["name", "kind", "unit", "direction", "values_link"]
    readonly_fields = ["values_link"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(value_count=Count("values"))

    @admin.display(description="基準値・目標・値")
    def values_link(self, indicator):
        if indicator.pk is None:
            return "保存すると入力できます"
        url = reverse("admin:plans_indicator_change", args=[indicator.pk])
        return format_html('<a href="{}#values-group">値を入力・確認（{}件）</a>', url, indicator.value_count)


class PlanAdmin(StaffHistoryAdmin):
    """The plan's own fields and inlines. Registered composed with what measures, councils, publishing and
    consultation add to its page (reoffense_portal.composition.plan_admin)."""

    list_display = ["title", "municipality", "period_label", "updated_at"]
    list_filter = ["municipality", PlanFiscalYearFilter]
    search_fields = ["title", "municipality__name", "municipality__kana", "department__name"]
    autocomplete_fields = ["municipality", "department"]
    readonly_fields = ["created_at", "updated_at"]
    view_on_site = (
        False  # the change form has its own 「公開ページを見る」 / 「プレビュー（案）」 link
    )
    inlines = [FormulationStepInline, ChallengeInline, IndicatorInline]
    fieldsets = [
        (
            "基本情報",
            {
                "fields": [
                    "municipality",
                    "title",
                    "edition",
                    ("period_start", "period_end"),
                    "department",
                    "embedded_in",
                    "legal_basis",
                    "document",
                ],
            },
        ),
        (
            "計画の内容",
            {
                "fields": [
                    "position",
                    "purpose",
                    "target_persons",
                    "basic_philosophy",
                    "basic_policy",
                ],
                "description": "住民向けの計画ページにそのまま表示されます。段落は空行で区切ります。",
            },
        ),
        (
            "現状・推進体制・進捗管理",
            {"fields": ["current_situation", "promotion_system", "progress_management"]},
        ),
        (
            "記録",
            {
                "fields": ["created_at", "updated_at"],
                "description": "「更新日時」は計画の下の施策・進捗・会議などを変更したときにも更新されます。"
                "住民に見えるのは公開責任者が承認した版だけです（画面上部の「承認申請」から）。",
            },
        ),
    ]

    # 計画期間 as plans state it: 「令和6年度」 as the start is its 4月1日, 「令和8年度」 as the end its 3月31日.
    PERIOD_BOUNDS = {"period_start": eras.PeriodBound.START, "period_end": eras.PeriodBound.END}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.PERIOD_BOUNDS:
            kwargs["bound"] = self.PERIOD_BOUNDS[db_field.name]
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="計画期間", ordering="period_start")
    def period_label(self, plan):
        return plan.period_label

    def has_delete_permission(self, request, obj=None):
        """Deleting a plan is a publisher's decision, in the plan's own municipality."""
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.may_be_published_by(request.user))


@admin.register(FormulationStep)
class FormulationStepAdmin(SpreadsheetAdminMixin, StaffHistoryAdmin):
    resource_classes = [FormulationStepResource]
    list_display = ["order", "date_label", "kind", "description", "plan"]
    list_filter = ["kind", "plan__municipality", "plan"]
    search_fields = ["description", "plan__title"]
    autocomplete_fields = ["plan"]

    @admin.display(description="日付", ordering="date")
    def date_label(self, step):
        return step.date_label or "（記載なし）"


@admin.register(Challenge)
class ChallengeAdmin(StaffHistoryAdmin):
    list_display = ["order", "text", "plan"]
    list_filter = ["plan__municipality", "plan"]
    search_fields = ["text", "plan__title"]
    autocomplete_fields = ["plan"]
    next_number = ("order", ("plan",))


# Where a prefecture's or the nation's figure goes: the yearly row, or 比較の値 (a figure without a year).
YEARLY_COMPARISON_HELP = (
    "{subject}の同じ年の値です。市の値と並べて年ごとの表に載ります。年の記載がない値や時点の違う値は"
    "「比較の値」に入力します（両方に同じ値を入力しても、表示は1回です）。"
)


class YearlyComparisonHelpMixin:
    """都道府県の値 and 全国の値 of a yearly value say when to use them rather than 比較の値 (IndicatorComparison)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        subject = {"prefecture_value": "都道府県", "national_value": "全国"}.get(db_field.name)
        if field is not None and subject:
            field.help_text = YEARLY_COMPARISON_HELP.format(subject=subject)
        return field


class IndicatorValueInline(YearlyComparisonHelpMixin, StaffTabularInline):
    model = IndicatorValue
    fields = ["year", "value", "prefecture_value", "national_value", "note"]


class IndicatorComparisonInline(StaffTabularInline):
    """The prefecture's, the nation's or another body's figure printed beside the city's, with or without a year."""

    model = IndicatorComparison
    fields = ["scope", "label", "value", "as_of_text", "year"]
    verbose_name = "比較の値（都道府県・全国など）"
    verbose_name_plural = "比較の値（都道府県・全国など。年の記載がない値も）"


@admin.register(Indicator)
class IndicatorAdmin(StaffHistoryAdmin):
    list_display = ["name", "kind", "plan", "baseline_label", "target_label", "progress_text"]
    list_filter = ["kind", "direction", "period_kind", "plan__municipality", "plan"]
    search_fields = ["name", "source", "plan__title"]
    autocomplete_fields = ["plan"]
    inlines = [IndicatorValueInline, IndicatorComparisonInline]
    fieldsets = [
        (None, {"fields": ["plan", "kind", "order", "name", "unit", "direction"]}),
        ("集計期間", {"fields": ["period_kind", "average_years"]}),
        (
            "基準値と目標",
            {
                "fields": [
                    ("baseline_year", "baseline_value"),
                    "as_of_text",
                    ("target_year", "target_period_kind", "target_value"),
                    "target_text",
                ],
                "description": "年は「2019」「令和元年」「R1」のように入力します。年度の指標なら年度の開始年です。",
            },
        ),
        ("出典・備考", {"fields": ["source", "note", "staff_note"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("values")

    @admin.display(description="基準値")
    def baseline_label(self, indicator):
        return indicator.baseline_label

    @admin.display(description="目標値")
    def target_label(self, indicator):
        return indicator.target_label

    @admin.display(description="進捗")
    def progress_text(self, indicator):
        return indicator.progress_text()


class IndicatorYearFilter(YearListFilter):
    title = "年（年度）"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        return [
            (year, f"{eras.era_year(year)}（{year}）")
            for year in self.year_range(request, model_admin, "year")
        ]

    def queryset(self, request, queryset):
        year = self.year()
        return queryset if year is None else queryset.filter(year=year)


@admin.register(IndicatorValue)
class IndicatorValueAdmin(YearlyComparisonHelpMixin, SpreadsheetAdminMixin, StaffHistoryAdmin):
    resource_classes = [IndicatorValueResource]
    list_display = [
        "indicator",
        "period_label",
        "value_label",
        "prefecture_value",
        "national_value",
    ]
    list_filter = [IndicatorYearFilter, "indicator__plan__municipality", "indicator__plan"]
    search_fields = ["indicator__name", "indicator__plan__title"]
    autocomplete_fields = ["indicator"]
    list_select_related = ["indicator"]
    ordering = ["indicator_id", "year"]  # the unique index's order: no join up to the municipality

    @admin.display(description="年（年度）", ordering="year")
    def period_label(self, value):
        return value.period_label

    @admin.display(description="値", ordering="value")
    def value_label(self, value):
        return value.value_label


@admin.register(Feedback)
class FeedbackAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Residents' answers: staff read those of their municipality; nobody edits them."""

    list_display = [
        "page_title",
        "municipality",
        "sufficiency",
        "clarity",
        "findability",
        "created_at",
    ]
    list_filter = ["sufficiency", "clarity", "findability", "municipality"]
    search_fields = ["page_title", "page_path", "comment"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
