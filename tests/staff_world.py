"""Two small cities with one row of every staff model each, and their staff.

Used by the admin and staff tests. Every name of city B carries the marker
「ビー秘」 so a test can assert that no data of B appears on a page of an
editor of A.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from django.urls import reverse

from councils.models import AgendaItem, Council, CouncilMember, Meeting, MeetingDocument
from measures.models import Measure, Practice, PriorityArea, Program, ProgramProgress, RegionalDuty
from plans.models import (
    Challenge,
    Department,
    Feedback,
    FormulationStep,
    Indicator,
    IndicatorValue,
    Municipality,
    NationalPriority,
    Organization,
    Plan,
    StaffMembership,
)

PASSWORD = "kumamoto-yamaguchi-2024"
B_MARK = "ビー秘"


@dataclass
class City:
    municipality: Municipality
    department: Department
    organization: Organization
    plan: Plan
    step: FormulationStep
    challenge: Challenge
    indicator: Indicator
    value: IndicatorValue
    area: PriorityArea
    measure: Measure
    program: Program
    progress: ProgramProgress
    council: Council
    member: CouncilMember
    meeting: Meeting
    agenda_item: AgendaItem
    document: MeetingDocument
    feedback: Feedback
    editor: object
    publisher: object
    regional_duty: object = None
    practice: object = None

    def objects(self):
        """Every staff-editable row of the city, by model."""
        return {
            type(obj): obj
            for obj in [
                self.municipality,
                self.department,
                self.organization,
                self.plan,
                self.step,
                self.challenge,
                self.indicator,
                self.value,
                self.area,
                self.measure,
                self.program,
                self.progress,
                self.council,
                self.member,
                self.meeting,
                self.agenda_item,
                self.document,
                self.feedback,
                self.regional_duty,
                self.practice,
            ]
            if obj is not None
        }


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def form_data(client, obj):
    """Everything the change form would post as it stands, inline management forms included."""
    return page_data(client.get(change_url(obj)))


def page_data(response):
    """Everything a change form page would post as shown. Stored files are left out, as a browser
    sends a file only when one is chosen."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or isinstance(value, FieldFile):
            continue
        data[name] = value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value not in (None, False) and not isinstance(value, FieldFile):
                    data[inline_form.add_prefix(name)] = value
    return data


def make_user(username, password=None, **extra):
    """Without a password unless a test logs in through the form (hashing is slow on purpose)."""
    return get_user_model().objects.create_user(username=username, password=password, **extra)


def prefecture(code, name):
    return Municipality.objects.get_or_create(
        code=code, defaults={"name": name, "kind": Municipality.Kind.PREFECTURE}
    )[0]


def make_city(code, name, prefecture_code, prefecture_name, mark="", login=None, duty=False):
    """A city with a plan (draft) and one row of every model below it (a 必須事務 only with `duty`)."""
    pref = prefecture(prefecture_code, prefecture_name)
    municipality = Municipality.objects.create(
        code=code, name=f"{name}{mark}", kind=Municipality.Kind.CITY, prefecture=pref
    )
    return fill_municipality(municipality, name, mark, login or code, duty)


def make_prefecture_office(code, name, login, duty=False):
    """A prefecture as a municipality of its own: its plan, one row of every model below it, its staff."""
    return fill_municipality(prefecture(code, name), name, "", login, duty)


def fill_municipality(municipality, name, mark, login, duty=False):
    """One row of every staff model for `municipality`, a draft plan, an editor and a publisher.

    A 必須事務 of the regional programme only with `duty`: the access checks and the admin walker need one
    on each side, the regional programme's own tests start from none."""
    department = Department.objects.create(
        municipality=municipality, name=f"地域福祉課{mark}", telephone="083-934-2794"
    )
    organization = Organization.objects.create(
        municipality=municipality, name=f"保護司会{mark}", sector=Organization.Sector.VOLUNTEER
    )
    plan = Plan.objects.create(
        municipality=municipality,
        title=f"第二次{name}再犯防止推進計画{mark}",
        edition=2,
        period_start=datetime.date(2023, 4, 1),
        period_end=datetime.date(2028, 3, 31),
        purpose=f"目的{mark}",
        department=department,
    )
    step = FormulationStep.objects.create(
        plan=plan,
        order=1,
        date=datetime.date(2023, 1, 10),
        kind=FormulationStep.Kind.SURVEY,
        description=f"調査{mark}",
    )
    challenge = Challenge.objects.create(plan=plan, order=1, text=f"就労の課題{mark}")
    indicator = Indicator.objects.create(
        plan=plan,
        name=f"再犯者数{mark}",
        unit="人",
        direction=Indicator.Direction.LOWER,
        period_kind=Indicator.PeriodKind.CALENDAR,
        baseline_year=2019,
        baseline_value=564,
        target_year=2025,
        target_value=450,
    )
    value = IndicatorValue.objects.create(
        indicator=indicator, year=2023, value=500, note=f"速報{mark}"
    )
    area = PriorityArea.objects.create(plan=plan, number=1, title=f"就労支援{mark}")
    area.national_priorities.set(NationalPriority.objects.filter(number=1)[:1])
    measure = Measure.objects.create(area=area, number=1, title=f"就労の確保{mark}")
    program = Program.objects.create(measure=measure, name=f"協力雇用主の拡大{mark}")
    program.departments.add(department)
    program.partners.add(organization)
    progress = ProgramProgress.objects.create(
        program=program,
        fiscal_year=2023,
        status=ProgramProgress.Status.IMPLEMENTED,
        results=f"実績{mark}",
    )
    council = Council.objects.create(
        plan=plan, name=f"再犯防止推進協議会{mark}", kind=Council.Kind.COUNCIL
    )
    member = CouncilMember.objects.create(
        council=council, organization=organization, representative=f"会長{mark}"
    )
    meeting = Meeting.objects.create(
        council=council,
        fiscal_year=2024,
        sequence=1,
        held_on=datetime.date(2024, 7, 1),
        status=Meeting.Status.HELD,
        venue=f"市役所{mark}",
    )
    agenda_item = AgendaItem.objects.create(meeting=meeting, order=1, title=f"進捗報告{mark}")
    agenda_item.areas.add(area)
    document = MeetingDocument(
        meeting=meeting, kind=MeetingDocument.Kind.AGENDA, title=f"次第{mark}"
    )
    document.file.save("agenda.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    document.save()
    feedback = Feedback.objects.create(
        municipality=municipality,
        plan=plan,
        page_path=f"/plans/{plan.pk}/",
        page_title=f"計画のページ{mark}",
        comment=f"分かりやすい{mark}",
    )
    editor = make_user(f"editor-{login}")
    StaffMembership.objects.create(
        user=editor, municipality=municipality, role=StaffMembership.Role.EDITOR
    )
    publisher = make_user(f"publisher-{login}")
    StaffMembership.objects.create(
        user=publisher, municipality=municipality, role=StaffMembership.Role.PUBLISHER
    )
    for user in (editor, publisher):
        user.refresh_from_db()
    return City(
        municipality,
        department,
        organization,
        plan,
        step,
        challenge,
        indicator,
        value,
        area,
        measure,
        program,
        progress,
        council,
        member,
        meeting,
        agenda_item,
        document,
        feedback,
        editor,
        publisher,
        regional_duty=RegionalDuty.objects.create(
            plan=plan, fiscal_year=2024, kind=RegionalDuty.Kind.MEETING, title=f"市町村担当者会議{mark}"
        ) if duty else None,
        practice=Practice.objects.create(plan=plan, program=program, title=f"相談窓口{mark}", content=f"相談{mark}"),
    )


def make_world(duties=True):
    """City A (熊本市) and city B (山口市, every name marked 「ビー秘」)."""
    NationalPriority.objects.get_or_create(
        national_plan=2, number=1, defaults={"title": "就労・住居の確保"}
    )
    city_a = make_city("431001", "熊本市", "430005", "熊本県", login="a", duty=duties)
    city_b = make_city("352039", "山口市", "350001", "山口県", mark=B_MARK, login="b", duty=duties)
    return city_a, city_b


def make_prefecture_world(duties=False):
    """熊本県 with its own rows and staff, its city 熊本市 (A), and 山口市 (B) of another prefecture.

    Returns (prefecture, city A, city B); B's names carry 「ビー秘」 as in make_world().
    """
    city_a, city_b = make_world(duties=duties)
    return make_prefecture_office("430005", "熊本県", login="pref", duty=duties), city_a, city_b


def entry_url(plan, fiscal_year):
    """The yearly progress screen of a plan's fiscal year."""
    return reverse("admin:measures_programprogress_entry", args=[plan.pk, fiscal_year])


def entry_data(response):
    """What the yearly screen would post untouched."""
    data = {}
    for group in response.context["areas"]:
        for item in group["measures"]:
            for _program, form in item["rows"]:
                for name in form.fields:
                    value = form[name].value()
                    if value not in (None, ""):
                        data[form.add_prefix(name)] = value
    for _indicator, _label, form in response.context["indicator_rows"]:
        for name in form.fields:
            value = form[name].value()
            if value not in (None, ""):
                data[form.add_prefix(name)] = value
    return data
