"""The yearly progress screen: one page per plan and fiscal year.

An editor records, for every programme of the plan grouped by area and
measure, its status, results, support count, budget and actual cost, and
for every indicator its value for the year. Everything is saved in one
transaction or not at all; each row carries its version, so a row someone
else saved meanwhile is refused instead of overwritten.
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from plans.models import Indicator, IndicatorValue, Organization, Plan
from reoffense_portal.machinery import eras
from reoffense_portal.machinery.audit import log_staff_action
from reoffense_portal.machinery.scoping.admin import ScopedModelForm
from reoffense_portal.machinery.scoping.save_conflicts import has_save_conflict, latest_history_ids
from reoffense_portal.machinery.scoping.typed_fields import JapaneseDateField
from reoffense_portal.machinery.widget_renderer import RowRenderer

from .models import EvaluationScale, Program, ProgramProgress, RegionalDuty
from .tree import plan_tree, programs_of

EMPTY_STATUS = [("", "（未入力）")]
EMPTY_RATING = [("", "（未評価）")]
STATUS_CHOICES = EMPTY_STATUS + list(ProgramProgress.Status.choices)


def rating_choices(meanings: dict[str, str]) -> list[tuple[str, str]]:
    """The grades by their letter, A–D. What each means, in the plan's wording of up to 40 characters, is the
    screen's legend (#rating-legend, which each select names as its description): no select in a row of
    eight columns could show such a text whole, and a cut one (「（未記」, 「A：計画ど」) reads as nothing."""
    return EMPTY_RATING + [(letter, letter) for letter in meanings]


class YearRowForm(ScopedModelForm):
    """A row of the yearly screen: recorded once its key field is filled.

    An existing row's key cannot be emptied here, details without the key are
    an error, and a row another user recorded since the screen opened is
    refused rather than overwritten.
    """

    key_field: str
    error_texts: dict[str, str]  # "cleared", "missing", "stale"
    default_renderer = RowRenderer()  # a large plan's screen has over a thousand widgets

    def __init__(self, *args, previous=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.previous = previous
        self.fields[self.key_field].required = False

    def recorded_meanwhile(self) -> bool:
        raise NotImplementedError

    def has_details(self, cleaned_data) -> bool:
        return any(cleaned_data.get(name) not in (None, "") for name in self._meta.fields if name != self.key_field)

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get(self.key_field) in (None, ""):
            if self.instance.pk is not None:
                self.add_error(self.key_field, self.error_texts["cleared"])
            elif self.has_details(cleaned_data):
                self.add_error(self.key_field, self.error_texts["missing"])
        elif self.instance.pk is None and self.recorded_meanwhile():
            raise ValidationError(self.error_texts["stale"], code="stale")
        return cleaned_data

    @property
    def to_save(self) -> bool:
        if self.instance.pk is not None:
            return self.has_changed()
        return self.cleaned_data.get(self.key_field) not in (None, "")


class ProgressRowForm(YearRowForm):
    """One programme's progress for the year; a row left without a status is not recorded."""

    key_field = "status"
    error_texts = {
        "cleared": "登録済みの進捗の実施状況は空にできません。",
        "missing": "実施状況を選んでください。",
        "stale": "この画面を開いた後に、他の職員がこの年度の進捗を登録しました。上書きを防ぐため保存していません。"
        "画面を開き直して最新の内容を確認してください。",
    }

    class Meta:
        model = ProgramProgress
        fields = ["status", "results", "support_count", "budget", "actual_cost", "rating", "issues"]
        widgets = {
            "results": forms.Textarea(attrs={"rows": 2, "cols": 40}),
            "issues": forms.Textarea(attrs={"rows": 2, "cols": 30}),
        }

    def __init__(self, *args, previous=None, ratings=None, **kwargs):
        """`ratings`: the plan's rating_choices, built once for all the rows of the screen."""
        super().__init__(*args, previous=previous, **kwargs)
        self.fields["status"].choices = STATUS_CHOICES
        self.fields["rating"].choices = ratings or rating_choices(
            {rating.value: rating.meaning for rating in ProgramProgress.Rating}
        )
        self.fields["rating"].widget.attrs["aria-describedby"] = "rating-legend"
        self.prefilled = False
        if self.instance.pk is None and previous is not None and not self.is_bound:
            # Status and budget usually carry over; results, counts and costs are the year's own.
            self.initial.update(status=previous.status, budget=previous.budget)
            self.prefilled = True

    def has_details(self, cleaned_data) -> bool:
        # A prefilled budget the editor cleared counts as an entry too.
        return super().has_details(cleaned_data) or any(
            name in self.changed_data for name in self._meta.fields if name != self.key_field
        )

    def recorded_meanwhile(self) -> bool:
        return ProgramProgress.objects.filter(
            program=self.instance.program, fiscal_year=self.instance.fiscal_year
        ).exists()


class RegionalProgressRowForm(ProgressRowForm):
    """A direct-support programme of a prefecture's 地域再犯防止推進事業: its year's row with how its support is
    counted, its 委託先 and the subsidy (補助率, 上限, 申請額, 交付額), entered on a second line."""

    REGIONAL_FIELDS = [
        "support_unit", "contractor", "subsidy_rate", "subsidy_cap", "subsidy_requested", "subsidy_granted",
    ]

    class Meta(ProgressRowForm.Meta):
        fields = ProgressRowForm.Meta.fields + [
            "support_unit", "contractor", "subsidy_rate", "subsidy_cap", "subsidy_requested", "subsidy_granted",
        ]

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is not None:  # the plan's municipality's, read once for the screen
            self.fields["contractor"].queryset = organizations
        if self.instance.pk is None and self.previous is not None and not self.is_bound:
            # A contract and its subsidy usually run for years; the counts are the year's own.
            self.initial.update({
                name: getattr(self.previous, name)
                for name in ("support_unit", "contractor", "subsidy_rate", "subsidy_cap")
            })
            self.initial["contractor"] = self.previous.contractor_id

    @property
    def regional_fields(self):
        return [self[name] for name in self.REGIONAL_FIELDS]


class RegionalDutyForm(ScopedModelForm):
    """A 必須事務 of the year on the yearly screen: a row left blank is not recorded."""

    held_on = JapaneseDateField(label="開催日", required=False)

    class Meta:
        model = RegionalDuty
        fields = ["kind", "title", "held_on", "municipalities", "note"]
        widgets = {"title": forms.TextInput(attrs={"size": 30}), "note": forms.TextInput(attrs={"size": 20})}

    def clean(self):
        cleaned_data = super().clean()
        if self.has_changed() and not cleaned_data.get("DELETE") and not cleaned_data.get("title"):
            self.add_error("title", "名称を入力してください。")
        return cleaned_data


RegionalDutyFormSet = forms.modelformset_factory(
    RegionalDuty, form=RegionalDutyForm, extra=2, can_delete=True
)


def duty_formset(plan, fiscal_year: int, data) -> forms.BaseModelFormSet | None:
    """The 必須事務 of a prefecture's plan for the year (None for a municipality's plan, which has none)."""
    if plan.municipality.kind != plan.municipality.Kind.PREFECTURE:
        return None
    formset = RegionalDutyFormSet(
        data, prefix="duty", queryset=RegionalDuty.objects.filter(plan=plan, fiscal_year=fiscal_year)
    )
    for form in formset.forms:
        form.instance.plan, form.instance.fiscal_year = plan, fiscal_year
    return formset


# Each form sets its own choices (the plan's rating texts): left empty here, since every form
# deep-copies its fields, choices and all, and a large plan's screen has over a hundred forms.
for _name in ("status", "rating"):
    ProgressRowForm.base_fields[_name].choices = []


class IndicatorValueRowForm(YearRowForm):
    """One indicator's value for the year; left empty, nothing is recorded."""

    key_field = "value"
    error_texts = {
        "cleared": "登録済みの値は空にできません（削除は指標の画面から行ってください）。",
        "missing": "値を入力してください。",
        "stale": "この画面を開いた後に、他の職員がこの年の値を登録しました。上書きを防ぐため保存していません。"
        "画面を開き直して最新の内容を確認してください。",
    }

    class Meta:
        model = IndicatorValue
        fields = ["value", "prefecture_value", "national_value", "note"]
        widgets = {"note": forms.TextInput(attrs={"size": 20})}

    def recorded_meanwhile(self) -> bool:
        return IndicatorValue.objects.filter(indicator=self.instance.indicator, year=self.instance.year).exists()


class PickForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.none(), label="計画", empty_label="計画を選んでください"
    )
    fiscal_year = forms.TypedChoiceField(label="年度", coerce=int)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        plans = Plan.objects.for_user(user).select_related("municipality")
        self.fields["plan"].queryset = plans
        self.fields["plan"].error_messages["invalid_choice"] = (
            "担当する自治体の計画を選んでください。"
        )
        years = sorted({year for plan in plans for year in plan.fiscal_years}, reverse=True)
        self.fields["fiscal_year"].choices = [
            (year, eras.fiscal_year_full_label(year)) for year in years
        ]
        self.fields["fiscal_year"].initial = eras.fiscal_year_of(datetime.date.today())

    def clean(self):
        cleaned_data = super().clean()
        plan, year = cleaned_data.get("plan"), cleaned_data.get("fiscal_year")
        if plan and year and year not in plan.fiscal_years:
            self.add_error(
                "fiscal_year", f"{eras.fiscal_year_full_label(year)}は「{plan}」の計画期間外です。"
            )
        return cleaned_data


class ProgressEntry:
    """The views, bound to the ProgramProgress admin for permissions and the admin's context."""

    template = "admin/measures/progress_entry.html"
    pick_template = "admin/measures/progress_entry_pick.html"

    def __init__(self, model_admin):
        self.model_admin = model_admin

    def _check_permission(self, request):
        model_admin = self.model_admin
        if not (
            model_admin.has_change_permission(request) and model_admin.has_add_permission(request)
        ):
            raise PermissionDenied

    def _context(self, request, **extra):
        return {
            **self.model_admin.admin_site.each_context(request),
            "opts": ProgramProgress._meta,
            "app_label": ProgramProgress._meta.app_label,
            **extra,
        }

    def pick(self, request):
        self._check_permission(request)
        form = PickForm(request.GET or None, user=request.user)
        if form.is_bound and form.is_valid():
            return HttpResponseRedirect(
                reverse(
                    "admin:measures_programprogress_entry",
                    args=[form.cleaned_data["plan"].pk, form.cleaned_data["fiscal_year"]],
                )
            )
        return TemplateResponse(
            request, self.pick_template, self._context(request, form=form, title="年度の進捗入力")
        )

    def default_year(self, request, plan_id):
        """From the plan page: this fiscal year, or the nearest year of the plan's period."""
        self._check_permission(request)
        plan = self._plan(request, plan_id)
        this_year = eras.fiscal_year_of(datetime.date.today())
        fiscal_year = min(max(this_year, plan.first_fiscal_year), plan.last_fiscal_year)
        return HttpResponseRedirect(
            reverse("admin:measures_programprogress_entry", args=[plan.pk, fiscal_year])
        )

    def _plan(self, request, plan_id):
        plan = (
            Plan.objects.for_user(request.user)
            .select_related("municipality")
            .filter(pk=plan_id)
            .first()
        )
        if plan is None:
            raise Http404("指定された計画は存在しないか、担当する自治体の計画ではありません。")
        return plan

    def edit(self, request, plan_id, fiscal_year):
        self._check_permission(request)
        plan = self._plan(request, plan_id)
        if fiscal_year not in plan.fiscal_years:
            raise Http404(
                f"{eras.fiscal_year_full_label(fiscal_year)}は「{plan}」の計画期間外です。"
            )
        data = request.POST if request.method == "POST" else None

        tree = plan_tree(plan, progress_years=[fiscal_year, fiscal_year - 1])
        programs = programs_of(tree)
        meanings = EvaluationScale.meanings_of(plan)
        ratings = rating_choices(meanings)
        recorded = [
            p
            for program in programs
            for p in program.progress_list
            if p.fiscal_year == fiscal_year
        ]
        versions = (
            latest_history_ids(ProgramProgress, [p.pk for p in recorded]) if data is None else {}
        )
        program_forms = {}
        organizations = Organization.objects.filter(municipality=plan.municipality_id)
        for program in programs:
            by_year = {progress.fiscal_year: progress for progress in program.progress_list}
            instance = by_year.get(fiscal_year) or ProgramProgress(
                program=program, fiscal_year=fiscal_year
            )
            regional = {"organizations": organizations} if program.support_kind_id else {}
            program_forms[program.pk] = (RegionalProgressRowForm if regional else ProgressRowForm)(
                data,
                instance=instance,
                previous=by_year.get(fiscal_year - 1),
                ratings=ratings,
                prefix=f"program-{program.pk}",
                version=versions.get(instance.pk, ""),
                **regional,
            )
        duties = duty_formset(plan, fiscal_year, data)

        indicators = list(
            Indicator.objects.filter(plan=plan).prefetch_related(
                Prefetch(
                    "values",
                    queryset=IndicatorValue.objects.filter(year__in=[fiscal_year, fiscal_year - 1]),
                    to_attr="nearby_values",
                )
            )
        )
        recorded = [
            v for indicator in indicators for v in indicator.nearby_values if v.year == fiscal_year
        ]
        versions = (
            latest_history_ids(IndicatorValue, [v.pk for v in recorded]) if data is None else {}
        )
        indicator_rows = []
        for indicator in indicators:
            by_year = {value.year: value for value in indicator.nearby_values}
            instance = by_year.get(fiscal_year) or IndicatorValue(
                indicator=indicator, year=fiscal_year
            )
            form = IndicatorValueRowForm(
                data,
                instance=instance,
                previous=by_year.get(fiscal_year - 1),
                prefix=f"indicator-{indicator.pk}",
                version=versions.get(instance.pk, ""),
            )
            indicator_rows.append((indicator, indicator.period_label(fiscal_year), form))

        all_forms = [*program_forms.values(), *(form for _, _, form in indicator_rows)]
        if request.method == "POST":
            duties_valid = duties is None or duties.is_valid()
            if all([form.is_valid() for form in all_forms]) and duties_valid:
                saved = self._save(request, all_forms, duties)
                if saved is not None:
                    progress_count, value_count = saved
                    log_staff_action(
                        request.user, "progress", plan, municipality=plan.municipality_id,
                        fiscal_year=fiscal_year, programs=progress_count, values=value_count,
                    )
                    messages.success(
                        request,
                        f"{eras.fiscal_year_full_label(fiscal_year)}の進捗を保存しました"
                        f"（取組・事業 {progress_count}件、指標の値 {value_count}件）。",
                    )
                    return HttpResponseRedirect(request.path)
            else:
                error_count = sum(bool(form.errors) for form in [*all_forms, *(duties.forms if duties else [])])
                messages.error(
                    request,
                    f"入力内容に誤りがあります（{error_count}行）。赤字の項目を確認してください。"
                    "何も保存していません。",
                )

        areas = [
            {"area": area, "measures": [
                {"measure": section.measure,
                 "rows": [(program, program_forms[program.pk]) for program in section.program_list]}
                for section in area.section_list if section.program_list
            ]}
            for area in tree if any(section.program_list for section in area.section_list)
        ]
        rates = Program.objects.of_plan(plan).implementation_rates_by_area(fiscal_year)
        for group in areas:
            group["rate"] = rates.get(group["area"].pk)

        context = self._context(
            request,
            title=f"{plan}　{eras.fiscal_year_full_label(fiscal_year)}の進捗入力",
            plan=plan,
            fiscal_year=fiscal_year,
            fiscal_year_label=eras.fiscal_year_full_label(fiscal_year),
            previous_year_label=eras.fiscal_year_full_label(fiscal_year - 1),
            year_links=[
                (
                    year,
                    eras.fiscal_year_full_label(year),
                    reverse("admin:measures_programprogress_entry", args=[plan.pk, year]),
                )
                for year in plan.fiscal_years
            ],
            areas=areas,
            plan_rate=Program.objects.of_plan(plan).implementation_rate(fiscal_year),
            rating_meanings=meanings,
            indicator_rows=indicator_rows,
            duties=duties,
            save_conflict=has_save_conflict(all_forms),
        )
        return TemplateResponse(request, self.template, context)

    def _save(self, request, forms_, duties=None):
        """All rows or none; returns (progress rows, indicator values) saved."""
        counts = {ProgramProgress: 0, IndicatorValue: 0}
        with transaction.atomic():
            for form in forms_:
                if form.to_save:
                    obj = form.save(commit=False)
                    obj._history_user = request.user
                    obj.save()
                    counts[type(obj)] += 1
            if duties is not None:
                for duty in duties.save(commit=False):
                    duty._history_user = request.user
                    duty.save()
                for duty in duties.deleted_objects:
                    duty._history_user = request.user
                    duty.delete()
        return counts[ProgramProgress], counts[IndicatorValue]
