"""Spreadsheet columns for organisations, formulation steps and indicator values (django-import-export)."""

from reoffense_portal.machinery import disclosure
from reoffense_portal.machinery.spreadsheets.cells import clean_text
from reoffense_portal.machinery.spreadsheets.resources import PortalResource, column, nearest
from reoffense_portal.machinery.spreadsheets.widgets import (
    SMALL_NUMBER,
    ChoiceWidget,
    DecimalWidget,
    PreciseDateColumn,
    TextWidget,
    YearWidget,
)
from reoffense_portal.machinery.text import normalised, shown

from .models import FormulationStep, Indicator, IndicatorValue, Municipality, Organization, Plan

MUNICIPALITY_CODE = "団体コード"
PLAN_TITLE = "計画名"


class PlanRowsMixin:
    """Rows that name their municipality by its code and their plan by its title, read among the user's own."""

    def _reset(self):
        super()._reset()
        self._municipalities = None
        self._plans = None

    def municipality(self, row, field_name="municipality"):
        if self._municipalities is None:
            self._municipalities = {m.code: m for m in Municipality.objects.for_user(self.user)}
        raw = row.get(self.fields[field_name].column_name)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
            raw = str(int(raw)).zfill(6)  # Excel drops the leading zero of 011002
        code = normalised(clean_text(raw))
        if not code:
            raise self.problem(field_name, "入力してください（6桁の全国地方公共団体コード）")
        if code.isdigit() and len(code) == 5:
            code = code.zfill(6)
        found = self._municipalities.get(code)
        if found is None:
            if Municipality.objects.filter(code=code).exists():
                raise self.problem(field_name, f"団体コード{shown(code)}の自治体のデータを取り込む権限がありません")
            raise self.problem(field_name, f"団体コード{shown(code)}の自治体は登録されていません")
        return found

    def plan(self, row, municipality_field="municipality", plan_field="plan"):
        municipality = self.municipality(row, municipality_field)
        if self._plans is None:
            self._plans = {
                (p.municipality_id, p.title): p
                for p in Plan.objects.for_user(self.user).select_related("municipality")
            }
        title = self.required(row, plan_field)
        found = self._plans.get((municipality.code, title))
        if found is None:
            titles = [t for (code, t) in self._plans if code == municipality.code]
            raise self.problem(
                plan_field,
                f"{municipality.name}の計画{shown(title)}が見つかりません（計画名は管理画面の表記どおりに入力してください）"
                + nearest(title, titles),
            )
        return found

    def existing_row(self, plan, model, key, key_of, field_name, several):
        """The plan's one row of `model` whose `key_of(row)` is `key`, or None (the plan's rows read once an import).

        Several such rows cannot tell which one a line updates: the line is refused with `several(count)`."""
        cache_key = (model, plan.pk)
        if cache_key not in self.cache:
            rows = self.cache[cache_key] = {}
            for obj in model._default_manager.filter(plan=plan):
                rows.setdefault(key_of(obj), []).append(obj)
        found = self.cache[cache_key].get(key, [])
        if len(found) > 1:
            raise self.problem(field_name, several(len(found)))
        if not found:
            return None
        found[0].plan = plan
        return found[0]


class OrganizationResource(PlanRowsMixin, PortalResource):
    """関係機関・団体: one row per organisation a municipality works with."""

    display_name = "関係機関・団体"
    key_fields = ("municipality", "name")
    example = {
        MUNICIPALITY_CODE: "431001",
        "団体名": "熊本保護観察所",
        "分野": "国の機関",
        "ウェブサイト": "https://www.moj.go.jp/hogo1/soumu/hogo_hogo09-01.html",
    }

    municipality = column("municipality__code", MUNICIPALITY_CODE)
    name = column("name", "団体名")
    sector = column("sector", "分野", ChoiceWidget(Organization.Sector.choices))
    website = column("website", "ウェブサイト")

    class Meta(PortalResource.Meta):
        model = Organization
        use_bulk = True  # no many-to-many columns: saved in batches, history included
        fields = ("municipality", "name", "sector", "website")
        import_order = export_order = fields

    def export_queryset(self, queryset):
        return queryset.select_related("municipality").order_by("municipality", "sector", "name")

    def find_or_build(self, row):
        municipality = self.municipality(row)
        name = self.required(row, "name")
        self.claim_key((municipality.code, name), f"団体名{shown(name)}")
        organizations = self.cache.get(municipality.code)
        if organizations is None:
            organizations = self.cache[municipality.code] = {
                o.name: o for o in Organization.objects.for_user(self.user).filter(municipality=municipality)
            }
        found = organizations.get(name)
        if found is not None:
            found.municipality = municipality
            return found, False
        return Organization(municipality=municipality, name=name), True


class FormulationStepResource(PlanRowsMixin, PortalResource):
    """策定経過: 1行に1つの手続、計画の資料に並ぶ順（順番）で. 日付は資料にあるときだけ."""

    display_name = "策定経過"
    key_fields = ("municipality", "plan", "order")
    example = {
        MUNICIPALITY_CODE: "431001",
        PLAN_TITLE: "熊本市再犯防止推進計画",
        "順番": 1,
        "日付": "令和2年度",
        "終了日": None,
        "区分": "調査",
        "内容": "支援対象者・協力雇用主等へのアンケート調査",
    }

    municipality = column("plan__municipality__code", MUNICIPALITY_CODE)
    plan = column("plan__title", PLAN_TITLE)
    order = column("order", "順番", SMALL_NUMBER)
    date = PreciseDateColumn("date", "日付")  # blank when the source gives no date
    end_date = PreciseDateColumn("end_date", "終了日", sets_precision=False)
    kind = column("kind", "区分", ChoiceWidget(FormulationStep.Kind.choices))
    description = column("description", "内容", TextWidget())

    class Meta(PortalResource.Meta):
        model = FormulationStep
        use_bulk = True  # no many-to-many columns: saved in batches, history included
        fields = ("municipality", "plan", "order", "date", "end_date", "kind", "description")
        import_order = export_order = fields

    def export_queryset(self, queryset):
        return queryset.select_related("plan__municipality").order_by(
            "plan__municipality", "plan", "order", "pk"
        )

    def find_or_build(self, row):
        plan = self.plan(row)
        order = self.required(row, "order")
        self.claim_key((plan.pk, order), f"順番{order}の策定経過")
        step = self.existing_row(
            plan, FormulationStep, order, lambda step: step.order, "order",
            lambda count: f"計画{shown(plan.title)}には順番{order}の策定経過が{count}件あります"
            "（管理画面で順番を重ならないように直してから取り込んでください）",
        )
        if step is not None:
            return step, False
        return FormulationStep(plan=plan, order=order), True


class IndicatorValueResource(PlanRowsMixin, PortalResource):
    """指標の値: one row per indicator and year (暦年・年度・複数年平均の最終年)."""

    display_name = "指標の値"
    key_fields = ("municipality", "plan", "indicator", "year")
    example = {
        MUNICIPALITY_CODE: "431001",
        PLAN_TITLE: "熊本市再犯防止推進計画",
        "指標名": "刑法犯検挙人員中の再犯者数",
        "年": 2023,
        "値": 478,
        "都道府県の値": None,
        "全国の値": None,
        "備考": "熊本県警察（暦年）",
    }

    municipality = column("indicator__plan__municipality__code", MUNICIPALITY_CODE)
    plan = column("indicator__plan__title", PLAN_TITLE)
    indicator = column("indicator__name", "指標名")
    year = column("year", "年", YearWidget(fiscal=False))
    value = column("value", "値", DecimalWidget())
    prefecture_value = column("prefecture_value", "都道府県の値", DecimalWidget())
    national_value = column("national_value", "全国の値", DecimalWidget())
    note = column("note", "備考")

    class Meta(PortalResource.Meta):
        model = IndicatorValue
        use_bulk = True  # no many-to-many columns: saved in batches, history included
        fields = ("municipality", "plan", "indicator", "year", "value", "prefecture_value", "national_value", "note")
        import_order = export_order = fields

    def export_queryset(self, queryset):
        return queryset.select_related("indicator__plan__municipality").order_by(
            "indicator__plan__municipality", "indicator__plan", "indicator__kind", "indicator__order", "year"
        )

    def open_data_mask(self, field_name, indicator_value):
        if field_name not in ("value", "prefecture_value", "national_value"):
            return ""
        unit = indicator_value.indicator.unit
        if disclosure.is_small_count(getattr(indicator_value, field_name), unit):
            return disclosure.small_count_label(unit)
        return ""

    def indicators_of(self, plan):
        if plan.pk not in self.cache:
            indicators = {i.name: i for i in Indicator.objects.filter(plan=plan)}
            values = {
                (v.indicator_id, v.year): v
                for v in IndicatorValue.objects.filter(indicator__plan=plan)
            }
            self.cache[plan.pk] = (indicators, values)
        return self.cache[plan.pk]

    def find_or_build(self, row):
        plan = self.plan(row)
        name = self.required(row, "indicator")
        year = self.required(row, "year")
        indicators, values = self.indicators_of(plan)
        indicator = indicators.get(name)
        if indicator is None:
            raise self.problem(
                "indicator", f"{shown(name)}という指標は計画{shown(plan.title)}にありません" + nearest(name, indicators)
            )
        self.claim_key((indicator.pk, year), f"指標{shown(name)}の{year}年")
        indicator.plan = plan
        found = values.get((indicator.pk, year))
        if found is not None:
            found.indicator = indicator
            return found, False
        return IndicatorValue(indicator=indicator, year=year), True
