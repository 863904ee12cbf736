"""Spreadsheet columns for the plan structure and yearly programme progress (django-import-export).

The plan structure is one sheet, one row per programme, the way cities
keep it in Excel (事業名 / 事業の概要 / 担当課): the priority area and the
measure are named on every row; departments and partner organisations are
given by name, separated by 「、」. A blank 施策番号 puts the programme
directly under its area (plans without measures). An area, a measure or a
department the file names that is not registered, and an area's or a
measure's new title, are listed in the preview and created or renamed only
when the user ticks them there (PortalResource.confirm): they are shared by
every programme below them, and a typo must not quietly make or rename one.
直接支援の類型 is written as the Ministry's label (就労支援, 相談支援（保護司会に委託）), blank for a
programme that is no direct support; a sheet without the column keeps the stored one. The labels are
read from the table of kinds (SupportKind), which the Ministry's new lists revise without a code change.
The progress sheet carries a prefecture's 地域再犯防止推進事業 per year: 支援実績 and how it is counted
(実人員 or 件数), the 委託先 by its registered name, the budget and the subsidy (補助率, 上限, 申請額, 交付額).
Its 必須事務 (会議等の開催, 研修会等の開催) are a second sheet of the progress page, one row per meeting
or training, named by plan, 年度, 必須事務 and 名称; a city's plan has none and its rows are refused.
"""

from django.core.exceptions import ValidationError
from django.db.models import F
from import_export import widgets

from plans.models import Department, Organization
from plans.resources import MUNICIPALITY_CODE, PLAN_TITLE, PlanRowsMixin
from reoffense_portal.machinery import disclosure
from reoffense_portal.machinery.spreadsheets.cells import clean_text, split_names
from reoffense_portal.machinery.spreadsheets.resources import (
    CREATION,
    RENAME,
    Confirmation,
    PortalResource,
    close_names,
    column,
    nearest,
    not_registered,
)
from reoffense_portal.machinery.spreadsheets.widgets import (
    SMALL_NUMBER,
    BooleanWidget,
    ChoiceWidget,
    DateWidget,
    DecimalWidget,
    IntegerWidget,
    NameListWidget,
    TextWidget,
    YearWidget,
)
from reoffense_portal.machinery.text import normalised, shown

from .models import Measure, PriorityArea, Program, ProgramProgress, Rating, RegionalDuty, SupportKind, SupportUnit

AREA_NUMBER = "重点施策番号"
MEASURE_NUMBER = "施策番号"
PROGRAM_NAME = "事業名"
SUPPORT_KIND = "直接支援の類型"  # Program.support_kind, blank for a programme that is no direct support


class SupportKindWidget(widgets.Widget):
    """A kind of direct support by the Ministry's label, read from the table of kinds once per import."""

    def __init__(self):
        super().__init__()
        self.by_text = None

    def kinds(self) -> dict:
        if self.by_text is None:
            kinds = list(SupportKind.objects.all())
            self.by_text = {normalised(kind.name): kind for kind in kinds}
            self.by_text.update({kind.code: kind for kind in kinds})
            self.offered = "、".join(kind.name for kind in kinds if kind.selectable)
        return self.by_text

    def clean(self, value, row=None, **kwargs):
        text = normalised(clean_text(value))
        if not text:
            return None
        kind = self.kinds().get(text)
        if kind is None:
            raise ValueError(f"{shown(value)} は使えません（{self.offered}のいずれか）")
        return kind

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class OrganizationNameWidget(widgets.Widget):
    """One registered 関係機関・団体 of the row's municipality, by its name (blank: none).

    The resource binds itself, as for NameListWidget, to look the name up in the row's municipality."""

    resource = None

    def clean(self, value, row=None, **kwargs):
        names = split_names(value)
        if len(names) > 1:
            raise ValueError("委託先は1団体だけ入力してください")
        return self.resource.partners_named(names, row)[0] if names else None

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


def place(area_number: int, measure_number: int | None) -> str:
    """重点施策1・施策2, or 重点施策1 (施策なし) for a programme directly under its area."""
    return f"重点施策{area_number}" + (f"・施策{measure_number}" if measure_number is not None else "（施策なし）")


class PlanPartsMixin:
    """Find (and for the structure sheet create) areas, measures and programmes of a plan."""

    def parts_of(self, plan):
        """Areas, measures and programmes of a plan, loaded once per import."""
        key = ("parts", plan.pk)
        if key not in self.cache:
            areas = {a.number: a for a in PriorityArea.objects.filter(plan=plan)}
            measures = {
                (m.area.number, m.number): m
                for m in Measure.objects.filter(area__plan=plan).select_related("area")
            }
            programs = {
                (p.area.number, p.measure.number if p.measure else None, p.name): p
                for p in Program.objects.filter(area__plan=plan).select_related("area", "measure")
                .prefetch_related(*self.m2m_attributes())  # compared with the sheet's 担当課 and 連携団体
            }
            self.cache[key] = (areas, measures, programs)
        return self.cache[key]

    def partners_named(self, names, row):
        """Partner organisations must be registered first (they need a 分野); the nearest names are offered."""
        municipality = self.municipality(row)
        organizations = self.named(Organization, municipality)
        missing = [name for name in names if name not in organizations]
        if missing:
            hints = []
            for name in missing:
                near = close_names(name, organizations)
                if near:
                    whose = f"{shown(name)}に" if len(missing) > 1 else ""
                    hints.append(f"。{whose}近い名前：" + "、".join(shown(n) for n in near))
            raise ValueError(
                "、".join(shown(n) for n in missing)
                + "は関係機関・団体に登録されていません（先に「関係機関・団体」を登録・取り込みしてください）"
                + "".join(hints)
            )
        return [organizations[name] for name in names]


class PlanStructureResource(PlanPartsMixin, PlanRowsMixin, PortalResource):
    """計画の構成: 重点施策・施策・取組（事業）を1行1事業で."""

    display_name = "計画の構成（重点施策・施策・事業）"
    key_fields = ("municipality", "plan", "area_number", "measure_number", "name")
    resolved_fields = ("area_title", "measure_title")
    example = {
        MUNICIPALITY_CODE: "431001",
        PLAN_TITLE: "熊本市再犯防止推進計画",
        AREA_NUMBER: 2,
        "重点施策名": "住居の確保に関する支援",
        MEASURE_NUMBER: 1,
        "施策名": "民間住宅への入居支援",
        PROGRAM_NAME: "居住支援協議会等と連携した入居支援",
        "事業の概要": "居住支援協議会と連携し、住まいに困っている人の民間賃貸住宅への入居を支えます。",
        "担当課": "住宅政策課",
        "連携団体": "居住支援協議会",
        "既存事業": "○",
        SUPPORT_KIND: "居住支援",
        "順番": 1,
    }

    municipality = column("area__plan__municipality__code", MUNICIPALITY_CODE)
    plan = column("area__plan__title", PLAN_TITLE)
    area_number = column("area__number", AREA_NUMBER, SMALL_NUMBER)
    area_title = column("area__title", "重点施策名")
    measure_number = column("measure__number", MEASURE_NUMBER, SMALL_NUMBER)
    measure_title = column("measure__title", "施策名")
    name = column("name", PROGRAM_NAME)
    description = column("description", "事業の概要", TextWidget())
    departments = column("departments", "担当課", NameListWidget(Department, "departments_named"))
    partners = column("partners", "連携団体", NameListWidget(Organization, "partners_named"))
    is_existing = column("is_existing", "既存事業", BooleanWidget())
    support_kind = column("support_kind", SUPPORT_KIND, SupportKindWidget())
    order = column("order", "順番", SMALL_NUMBER)

    class Meta(PortalResource.Meta):
        model = Program
        use_bulk = True  # saved in batches, with their departments, partners and history (spreadsheets.bulk)
        fields = (
            "municipality", "plan", "area_number", "area_title", "measure_number", "measure_title",
            "name", "description", "departments", "partners", "is_existing", "support_kind", "order",
        )
        import_order = export_order = fields

    def export_queryset(self, queryset):
        return (
            queryset.select_related("area__plan__municipality", "measure", "support_kind")
            .prefetch_related("departments", "partners")
            # An area's own programmes first, as the page lists them.
            .order_by("area__plan__municipality", "area__plan", "area__number",
                      F("measure__number").asc(nulls_first=True), "order", "pk")
        )

    # -- names of departments and partners ----------------------------------

    def departments_named(self, names, row):
        """Departments of the row's municipality; a name matching none is created only when ticked."""
        municipality = self.municipality(row)
        departments = self.named(Department, municipality)
        for name in names:
            key = f"department:{municipality.pk}:{name}"
            if name in departments:
                self.listed_again(key)
                continue
            department = Department(municipality=municipality, name=name)
            try:
                department.full_clean(validate_unique=False)
            except ValidationError:
                raise ValueError(f"{shown(name)}は担当課の名前として登録できません") from None
            registered = [n for n in departments if f"department:{municipality.pk}:{n}" not in self.confirmations]
            self.confirm("departments", Confirmation(
                CREATION, key, f"担当課{shown(name)}（{municipality.name}）", self.fields["departments"].column_name,
                problem=not_registered(shown(name), f"{municipality.name}の担当課", name, registered),
            ))
            self.save_parent(department)
            departments[name] = department
        return [departments[name] for name in names]

    # -- rows ---------------------------------------------------------------

    def _parent_title(self, row, field_name, existing, number, label, kind_key, required=True):
        """The title of an area or measure given on this row, consistent across rows.

        A blank title keeps the registered one.
        """
        title = self.value(row, field_name) or ""
        if not title:
            if existing is None and required:
                raise self.problem(field_name, f"{label}{number}は未登録です。新しく作るには{self.fields[field_name].column_name}を入力してください")
            return existing.title if existing is not None else ""
        seen = self.cache.setdefault("titles", {})
        previous = seen.get(kind_key)
        if previous and previous[0] != title:
            raise self.problem(field_name, f"{label}{number}の名前が{previous[1]}行目（{shown(previous[0])}）と異なります")
        seen[kind_key] = (title, self._line)
        return title

    def find_or_build(self, row):
        plan = self.plan(row)
        area_number = self.required(row, "area_number")
        measure_number = self.value(row, "measure_number")
        name = self.required(row, "name")
        self.claim_key((plan.pk, area_number, measure_number, name), f"{place(area_number, measure_number)}の事業{shown(name)}")
        if measure_number is None and self.value(row, "measure_title"):
            raise self.problem(
                "measure_number", "施策名を書くときは施策番号も入力してください（施策のない事業は施策番号と施策名を空欄にします）"
            )
        areas, measures, programs = self.parts_of(plan)
        area = self._area_of(row, plan, area_number, areas)

        if measure_number is None:
            program = programs.get((area_number, None, name))
            if program is not None:
                program.area = area
                return program, False
            return Program(area=area, name=name), True

        measure = self._measure_of(row, plan, area, (area_number, measure_number), measures)
        program = programs.get((area_number, measure_number, name))
        if program is not None:
            program.area, program.measure = area, measure
            return program, False
        return Program(area=area, measure=measure, name=name), True

    def _area_of(self, row, plan, area_number, areas: dict) -> PriorityArea:
        """The row's 重点施策: registered, created or renamed when ticked, or named again as an earlier row did."""
        area = areas.get(area_number)
        title = self._parent_title(row, "area_title", area, area_number, "重点施策", ("area", plan.pk, area_number))
        if area is None:
            area = PriorityArea(plan=plan, number=area_number, title=title)
            self._check_parent(area, "area_title", exclude=["plan"])
            registered = self._registered({("area", plan.pk, a.number): a for a in areas.values()}, "重点施策{number} {title}")
            self._confirm_parent("area_title", ("area", plan.pk, area_number), Confirmation(
                CREATION, f"area:{plan.pk}:{area_number}:{title}",
                f"重点施策{area_number}{shown(title)}（{plan.title}）", self.fields["area_title"].column_name,
                problem=not_registered(f"重点施策{area_number}", f"計画{shown(plan.title)}", title, registered),
            ))
            self.save_parent(area)
            areas[area_number] = area
        elif area.title != title:
            self._confirm_parent("area_title", ("area", plan.pk, area_number), Confirmation(
                RENAME, f"area-title:{area.pk}:{area.title}:{title}", f"重点施策{area_number}（{plan.title}）の名前",
                self.fields["area_title"].column_name, old=area.title, new=title,
            ))
            area.title = title
            self._check_parent(area, "area_title", exclude=["plan"])
            self.save_parent(area)
        else:
            self._named_again(row, "area_title", ("area", plan.pk, area_number))
        area.plan = plan
        return area

    def _measure_of(self, row, plan, area, numbers, measures: dict) -> Measure:
        """The row's 施策 in its area: registered, created or renamed when ticked, or named again."""
        area_number, measure_number = numbers
        measure = measures.get((area_number, measure_number))
        place_key = ("measure", plan.pk, area_number, measure_number)
        title = self._parent_title(
            row, "measure_title", measure, f"{area_number}-{measure_number}", "施策", place_key,
        )
        if measure is None:
            measure = Measure(area=area, number=measure_number, title=title)
            self._check_parent(measure, "measure_title", exclude=["area"])
            registered = self._registered(
                {("measure", plan.pk, a, n): m for (a, n), m in measures.items() if a == area_number},
                f"施策{area_number}-{{number}} {{title}}",
            )
            self._confirm_parent("measure_title", place_key, Confirmation(
                CREATION, f"measure:{plan.pk}:{area_number}-{measure_number}:{title}",
                f"施策{area_number}-{measure_number}{shown(title)}（{plan.title}）", self.fields["measure_title"].column_name,
                problem=not_registered(f"施策{area_number}-{measure_number}", f"重点施策{area_number}", title, registered),
            ))
            self.save_parent(measure)
            measures[(area_number, measure_number)] = measure
        elif measure.title != title:
            self._confirm_parent("measure_title", place_key, Confirmation(
                RENAME, f"measure-title:{measure.pk}:{measure.title}:{title}",
                f"施策{area_number}-{measure_number}（{plan.title}）の名前", self.fields["measure_title"].column_name,
                old=measure.title, new=title,
            ))
            measure.title = title
            self._check_parent(measure, "measure_title", exclude=["area"])
            self.save_parent(measure)
        else:
            self._named_again(row, "measure_title", place_key)
        measure.area = area
        return measure

    # -- areas and measures created or renamed, when ticked ------------------

    def _confirm_parent(self, field_name, place_key, item):
        """Create or rename an area or measure only when ticked; later rows naming it are listed with it."""
        self.confirm(field_name, item)
        self.cache.setdefault("confirming", {})[place_key] = item

    def _registered(self, parents: dict, label: str) -> dict:
        """Registered titles of areas or measures → how a message offers them, as stored before this file:
        neither one an earlier row creates nor the new title of one it renames."""
        confirming = self.cache.get("confirming", {})
        titles = {}
        for place_key, parent in parents.items():
            item = confirming.get(place_key)
            if item is not None and item.kind == CREATION:
                continue
            title = item.old if item is not None else parent.title
            titles[title] = label.format(number=parent.number, title=title)
        return titles

    def _named_again(self, row, field_name, place_key):
        """A later row giving the title of an area or measure an earlier row creates or renames is listed too."""
        item = self.cache.get("confirming", {}).get(place_key)
        if item is not None and self.value(row, field_name):
            self.listed_again(item.key)

    def _check_parent(self, instance, field_name, exclude):
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as e:
            raise self.problem(field_name, "、".join(e.messages)) from None


class RatingWidget(widgets.Widget):
    """評価: the letter A–D, half- or full-width (Ａ); a blank cell means not yet evaluated."""

    def clean(self, value, row=None, **kwargs):
        text = normalised(clean_text(value)).upper()
        if not text:
            return ""
        if text not in Rating.values:
            raise ValueError(f"{shown(value)} は使えません（A、B、C、Dのいずれかを入力してください。全角も使えます）")
        return text

    def render(self, value, obj=None, **kwargs):
        return value or ""


MAX_YEN = 9_223_372_036_854_775_807


class ProgramProgressResource(PlanPartsMixin, PlanRowsMixin, PortalResource):
    """年度の進捗: 1行に1事業の1年度分."""

    display_name = "事業の年度ごとの進捗"
    key_fields = ("municipality", "plan", "area_number", "measure_number", "program", "fiscal_year")
    example = {
        MUNICIPALITY_CODE: "431001",
        PLAN_TITLE: "熊本市再犯防止推進計画",
        AREA_NUMBER: 2,
        MEASURE_NUMBER: 1,
        PROGRAM_NAME: "居住支援協議会等と連携した入居支援",
        "年度": 2024,
        "実施状況": "実施",
        "実績・成果": "居住支援協議会と連携し、住まいに困っていた12人の入居を支えました。",
        "支援件数": 12,
        "支援実績の数え方": "実人員（人）",
        "委託先": "",
        "予算額（円）": 1500000,
        "決算額（円）": 1320000,
        "補助率": 0.5,
        "補助の上限額（円）": "",
        "補助金の申請額（円）": "",
        "補助金の交付額（円）": "",
        "評価": "A",
        "課題・今後の方向性": "入居後の暮らしが続くよう、居住支援法人や福祉の窓口との連絡を増やします。",
    }

    municipality = column("program__area__plan__municipality__code", MUNICIPALITY_CODE)
    plan = column("program__area__plan__title", PLAN_TITLE)
    area_number = column("program__area__number", AREA_NUMBER, SMALL_NUMBER)
    measure_number = column("program__measure__number", MEASURE_NUMBER, SMALL_NUMBER)
    program = column("program__name", PROGRAM_NAME)
    fiscal_year = column("fiscal_year", "年度", YearWidget(fiscal=True))
    status = column("status", "実施状況", ChoiceWidget(ProgramProgress.Status.choices))
    results = column("results", "実績・成果", TextWidget())
    support_count = column("support_count", "支援件数", IntegerWidget())
    support_unit = column("support_unit", "支援実績の数え方", ChoiceWidget(SupportUnit.choices, default=""))
    contractor = column("contractor", "委託先", OrganizationNameWidget())
    budget = column("budget", "予算額（円）", IntegerWidget(maximum=MAX_YEN, example="1500000"))
    actual_cost = column("actual_cost", "決算額（円）", IntegerWidget(maximum=MAX_YEN, example="1500000"))
    subsidy_rate = column("subsidy_rate", "補助率", DecimalWidget(rate=True))
    subsidy_cap = column("subsidy_cap", "補助の上限額（円）", IntegerWidget(maximum=MAX_YEN, example="1500000"))
    subsidy_requested = column("subsidy_requested", "補助金の申請額（円）", IntegerWidget(maximum=MAX_YEN, example="1500000"))
    subsidy_granted = column("subsidy_granted", "補助金の交付額（円）", IntegerWidget(maximum=MAX_YEN, example="1500000"))
    rating = column("rating", "評価", RatingWidget())
    issues = column("issues", "課題・今後の方向性", TextWidget())

    class Meta(PortalResource.Meta):
        model = ProgramProgress
        use_bulk = True  # no many-to-many columns: saved in batches, history included
        fields = (
            "municipality", "plan", "area_number", "measure_number", "program", "fiscal_year",
            "status", "results", "support_count", "support_unit", "contractor", "budget", "actual_cost",
            "subsidy_rate", "subsidy_cap", "subsidy_requested", "subsidy_granted", "rating", "issues",
        )
        import_order = export_order = fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contractor"].widget.resource = self

    def export_queryset(self, queryset):
        return queryset.select_related("program__area__plan__municipality", "program__measure", "contractor").order_by(
            "program__area__plan__municipality", "program__area__plan", "program__area__number",
            F("program__measure__number").asc(nulls_first=True), "program__order", "program__pk", "fiscal_year",
        )

    def open_data_mask(self, field_name, progress):
        unit = progress.support_count_unit
        if field_name == "support_count" and disclosure.is_small_count(progress.support_count, unit):
            return disclosure.small_count_label(unit)
        return ""

    def progress_of(self, plan):
        key = ("progress", plan.pk)
        if key not in self.cache:
            self.cache[key] = {
                (p.program_id, p.fiscal_year): p
                for p in ProgramProgress.objects.filter(program__area__plan=plan)
            }
        return self.cache[key]

    def find_or_build(self, row):
        plan = self.plan(row)
        area_number = self.required(row, "area_number")
        measure_number = self.value(row, "measure_number")
        name = self.required(row, "program")
        fiscal_year = self.required(row, "fiscal_year")
        _, _, programs = self.parts_of(plan)
        program = programs.get((area_number, measure_number, name))
        if program is None:
            here = [n for (a, m, n) in programs if (a, m) == (area_number, measure_number)]
            raise self.problem(
                "program",
                f"{place(area_number, measure_number)}に{shown(name)}という事業はありません"
                "（事業は「計画の構成」で先に登録してください。施策のない事業は施策番号を空欄にします）"
                + nearest(name, here),
            )
        self.claim_key((program.pk, fiscal_year), f"事業{shown(name)}の{fiscal_year}年度")
        program.area.plan = plan
        found = self.progress_of(plan).get((program.pk, fiscal_year))
        if found is not None:
            found.program = program
            return found, False
        return ProgramProgress(program=program, fiscal_year=fiscal_year), True


class DutyKindWidget(ChoiceWidget):
    """必須事務 by its label, or by its short name as the Ministry writes it (会議等の開催, 研修会等の開催)."""

    def __init__(self):
        super().__init__(RegionalDuty.Kind.choices)
        for value, label in self.choices:
            self.by_text.setdefault(normalised(str(label).split("（")[0]), value)


class RegionalDutyResource(PlanRowsMixin, PortalResource):
    """必須事務（地域再犯防止推進事業）: 1行に1回の会議・研修会. Only a prefecture's plan has them."""

    display_name = "必須事務（地域再犯防止推進事業）"
    key_fields = ("municipality", "plan", "fiscal_year", "kind", "title")
    example = {
        MUNICIPALITY_CODE: "050008",
        PLAN_TITLE: "秋田県再犯防止推進計画",
        "年度": 2024,
        "必須事務": "会議等の開催",
        "名称": "市町村再犯防止推進連絡会議",
        "開催日": "令和6年7月18日",
        "参加した市区町村数": 25,
        "備考": "",
    }

    municipality = column("plan__municipality__code", MUNICIPALITY_CODE)
    plan = column("plan__title", PLAN_TITLE)
    fiscal_year = column("fiscal_year", "年度", YearWidget(fiscal=True))
    kind = column("kind", "必須事務", DutyKindWidget())
    title = column("title", "名称")
    held_on = column("held_on", "開催日", DateWidget())  # 和暦 or 西暦 (eras.parse_date)
    municipalities = column("municipalities", "参加した市区町村数", SMALL_NUMBER)
    note = column("note", "備考")

    class Meta(PortalResource.Meta):
        model = RegionalDuty
        use_bulk = True  # no many-to-many columns: saved in batches, history included
        fields = ("municipality", "plan", "fiscal_year", "kind", "title", "held_on", "municipalities", "note")
        import_order = export_order = fields

    def filter_export(self, queryset, **kwargs):
        """From the progress page the queryset is its progress rows: every 必須事務 the user reads is written."""
        if queryset.model is not RegionalDuty:
            queryset = RegionalDuty.objects.all()
        return super().filter_export(queryset, **kwargs)

    def export_queryset(self, queryset):
        return queryset.select_related("plan__municipality").order_by(
            "plan__municipality", "plan", "fiscal_year", "kind", "held_on", "title", "pk"
        )

    def find_or_build(self, row):
        plan = self.plan(row)
        if plan.municipality.kind != plan.municipality.Kind.PREFECTURE:
            raise self.problem(
                "plan", f"{plan.municipality.name}の計画{shown(plan.title)}には必須事務を登録できません"
                "（必須事務は都道府県の地域再犯防止推進事業のものです）",
            )
        fiscal_year = self.required(row, "fiscal_year")
        kind = self.required(row, "kind")
        title = self.required(row, "title")
        self.claim_key((plan.pk, fiscal_year, kind, title), f"{fiscal_year}年度の必須事務{shown(title)}")
        duty = self.existing_row(
            plan, RegionalDuty, (fiscal_year, kind, title), lambda duty: (duty.fiscal_year, duty.kind, duty.title),
            "title", lambda count: f"{fiscal_year}年度の必須事務{shown(title)}が{count}件登録されています。"
            "管理画面で名称を区別してから取り込んでください（例：第1回、第2回）",
        )
        if duty is not None:
            return duty, False
        return RegionalDuty(plan=plan, fiscal_year=fiscal_year, kind=kind, title=title), True
