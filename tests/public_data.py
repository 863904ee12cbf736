"""Data for the public-page tests and the benchmark: synthetic plans of a chosen size, attachments."""

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile

from councils.models import AgendaItem, Council, CouncilMember, Meeting, MeetingDocument
from measures.models import Measure, PriorityArea, Program
from plans.models import (
    Challenge,
    Department,
    FormulationStep,
    Indicator,
    IndicatorValue,
    Municipality,
    Organization,
    Plan,
)
from reoffense_portal.composition.publishing.snapshot import build_version

# 熊本市再犯防止推進計画 as the fixtures hold it: the unit a plan's size is measured in.
KUMAMOTO_SHAPE = {"areas": 6, "measures_per_area": 2, "programs_per_measure": 2, "targets": 1,
                  "statistics": 3, "councils": 3, "meetings_per_council": 2, "challenges": 4, "steps": 5}

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 2000


def municipality(code="352039", name="山口市", prefecture_code="350001", prefecture_name="山口県"):
    prefecture, _ = Municipality.objects.get_or_create(
        code=prefecture_code, defaults={"name": prefecture_name, "kind": Municipality.Kind.PREFECTURE}
    )
    city, _ = Municipality.objects.get_or_create(
        code=code, defaults={"name": name, "kind": Municipality.Kind.CITY, "prefecture": prefecture}
    )
    return city


def build_plan(city: Municipality, scale: int = 1, published=True, title=None) -> Plan:
    """A plan `scale` times the size of Kumamoto's, every part filled in; approved as its first version if `published`."""
    shape = {key: value * scale for key, value in KUMAMOTO_SHAPE.items()}
    shape["measures_per_area"] = KUMAMOTO_SHAPE["measures_per_area"]
    shape["programs_per_measure"] = KUMAMOTO_SHAPE["programs_per_measure"]
    shape["meetings_per_council"] = KUMAMOTO_SHAPE["meetings_per_council"]
    department, _ = Department.objects.get_or_create(
        municipality=city, name="地域福祉課",
        defaults={"postal_code": "753-8650", "address": f"{city.name}亀山町2番1号", "telephone": "083-934-2790",
                  "fax": "083-934-5087", "email": "chiikifukushi@example.jp", "section": "総務担当"},
    )
    partner, _ = Organization.objects.get_or_create(
        municipality=city, name="保護司会", defaults={"sector": Organization.Sector.VOLUNTEER}
    )
    plan = Plan.objects.create(
        municipality=city, title=title or f"{city.name}再犯防止推進計画（規模{scale}）", edition=2,
        period_start=datetime.date(2023, 4, 1), period_end=datetime.date(2028, 3, 31),
        embedded_in=f"{city.name}地域福祉計画", position="地域福祉計画と一体的に策定します。",
        purpose="再犯を防止し、安全で安心して暮らせるまちをつくります。",
        target_persons="犯罪をした人等で支援が必要な人",
        basic_philosophy="誰一人取り残さない地域共生社会の実現", basic_policy="関係機関と連携して支援します。",
        current_situation="刑法犯検挙人員は減少傾向にあります。", promotion_system="推進協議会で進捗を確認します。",
        progress_management="PDCAサイクルで毎年度評価します。", department=department,
    )
    Challenge.objects.bulk_create(
        Challenge(plan=plan, order=n, text=f"課題その{n}") for n in range(1, shape["challenges"] + 1)
    )
    FormulationStep.objects.bulk_create(
        FormulationStep(plan=plan, order=n, date=datetime.date(2022, 4, 1) + datetime.timedelta(days=7 * n),
                        kind=FormulationStep.Kind.OTHER, description=f"策定の手続その{n}")
        for n in range(1, shape["steps"] + 1)
    )
    areas = PriorityArea.objects.bulk_create(
        PriorityArea(plan=plan, number=n, title=f"重点施策{n}", page_from=10 + n, page_to=12 + n)
        for n in range(1, shape["areas"] + 1)
    )
    measures = Measure.objects.bulk_create(
        Measure(area=area, number=n, title=f"施策{area.number}-{n}")
        for area in areas for n in range(1, shape["measures_per_area"] + 1)
    )
    programs = Program.objects.bulk_create(
        Program(area=measure.area, measure=measure, order=n, name=f"取組{measure.area.number}-{measure.number}-{n}",
                description="事業の概要です。")
        for measure in measures for n in range(1, shape["programs_per_measure"] + 1)
    )
    Program.departments.through.objects.bulk_create(
        Program.departments.through(program=program, department=department) for program in programs
    )
    Program.partners.through.objects.bulk_create(
        Program.partners.through(program=program, organization=partner) for program in programs
    )
    indicators = Indicator.objects.bulk_create(
        [Indicator(plan=plan, kind=Indicator.Kind.TARGET, order=n, name=f"再犯者数{n}", unit="人",
                   direction=Indicator.Direction.LOWER, period_kind=Indicator.PeriodKind.CALENDAR,
                   baseline_year=2019, baseline_value=Decimal(564 + n),
                   target_year=2025, target_value=Decimal(450), target_text=f"再犯者数{n}を450人以下とします。")
         for n in range(1, shape["targets"] + 1)]
        + [Indicator(plan=plan, kind=Indicator.Kind.STATISTIC, order=n, name=f"刑法犯検挙人員{n}", unit="人",
                     period_kind=Indicator.PeriodKind.CALENDAR)
           for n in range(1, shape["statistics"] + 1)]
    )
    IndicatorValue.objects.bulk_create(
        IndicatorValue(indicator=indicator, year=year, value=Decimal(600 - 10 * (year - 2019)),
                       prefecture_value=Decimal(2000), national_value=Decimal(200000))
        for indicator in indicators for year in range(2019, 2024)
    )
    councils = Council.objects.bulk_create(
        Council(plan=plan, name=f"{city.name}再犯防止推進協議会{n}", kind=Council.Kind.COUNCIL, order=n)
        for n in range(1, shape["councils"] + 1)
    )
    CouncilMember.objects.bulk_create(CouncilMember(council=council, organization=partner) for council in councils)
    Meeting.objects.bulk_create(
        Meeting(council=council, fiscal_year=2023 + n, sequence=1, held_on=datetime.date(2023 + n, 7, 10),
                status=Meeting.Status.HELD)
        for council in councils for n in range(shape["meetings_per_council"])
    )
    if published:
        publish(plan)
    return plan


def publish(plan: Plan, summary: str = "初版の公開", **kwargs):
    """The plan's working rows go live as a new version, as a publisher's approval makes them."""
    return build_version(plan, approved_by=None, summary=summary, **kwargs)


def attach_plan_document(plan: Plan, name="plan.pdf", content=PDF_BYTES) -> Plan:
    plan.document.save(name, ContentFile(content), save=True)
    return plan


def fill_meeting(meeting: Meeting) -> MeetingDocument:
    """Agenda, minutes and a material for a meeting its city's page lists only by date."""
    meeting.minutes = "各重点施策の取組状況について報告し、意見交換を行いました。"
    meeting.venue = "山口市役所 本館"
    meeting.save()
    item = AgendaItem.objects.create(meeting=meeting, order=1, title="再犯防止推進計画の取組状況について")
    item.areas.set(meeting.council.plan.priority_areas.all()[:2])
    document = MeetingDocument(meeting=meeting, kind=MeetingDocument.Kind.MATERIAL, order=1, title="資料1 取組状況")
    document.file.save("shiryo1.pdf", ContentFile(PDF_BYTES), save=True)
    return document


def unpublish(plan: Plan) -> None:
    """公開終了 now: every version of the plan stops being live."""
    from django.utils import timezone

    from reoffense_portal.composition.publishing.models import PlanVersion

    PlanVersion.objects.filter(plan=plan).exclude(live_until__lte=timezone.now()).update(live_until=timezone.now())
