"""Small cities for the import/export tests: Kumamoto (staff's own) and Yamaguchi (someone else's)."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from councils.models import Council, CouncilMember, Meeting
from measures.models import Measure, PriorityArea, Program, ProgramProgress
from plans.models import (
    Department,
    FormulationStep,
    Indicator,
    IndicatorComparison,
    IndicatorValue,
    Municipality,
    Organization,
    Plan,
    StaffMembership,
)
from reoffense_portal.composition.consultation.models import Comment, CommentPeriod
from reoffense_portal.machinery.spreadsheets.files import read_spreadsheet
from tests.public_data import publish


def build_city(code, name, prefecture_code, prefecture_name, plan_title, published=True):
    prefecture, _ = Municipality.objects.get_or_create(
        code=prefecture_code, defaults={"name": prefecture_name, "kind": Municipality.Kind.PREFECTURE}
    )
    city = Municipality.objects.create(code=code, name=name, kind=Municipality.Kind.CITY, prefecture=prefecture)
    plan = Plan.objects.create(
        municipality=city, title=plan_title, period_start=datetime.date(2023, 4, 1),
        period_end=datetime.date(2028, 3, 31),
    )
    department = Department.objects.create(municipality=city, name="生活安全課")
    Department.objects.create(municipality=city, name="経済政策課")
    probation = Organization.objects.create(municipality=city, name="保護観察所", sector=Organization.Sector.NATIONAL)
    Organization.objects.create(municipality=city, name="保護司会", sector=Organization.Sector.VOLUNTEER)
    area = PriorityArea.objects.create(plan=plan, number=1, title="就労・住居の確保")
    measure = Measure.objects.create(area=area, number=1, title="就労の確保")
    program = Program.objects.create(measure=measure, name="協力雇用主の拡大", description="事業者へ周知します。", order=1)
    program.departments.add(department)
    program.partners.add(probation)
    second = Program.objects.create(measure=measure, name="就労相談", order=2, is_existing=True)
    progress = ProgramProgress.objects.create(
        program=program, fiscal_year=2024, status=ProgramProgress.Status.IMPLEMENTED, results="説明会を2回開催",
        support_count=12, budget=1500000, actual_cost=1320000, subsidy_rate=Decimal("0.5"),
    )
    indicator = Indicator.objects.create(
        plan=plan, name="刑法犯検挙人員中の再犯者数", unit="人", direction=Indicator.Direction.LOWER,
        period_kind=Indicator.PeriodKind.CALENDAR, baseline_year=2019, baseline_value=564, target_year=2027, target_value=450,
    )
    value = IndicatorValue.objects.create(indicator=indicator, year=2023, value=Decimal("478"))
    # The prefecture's figure beside the city's, its time as the source states it; a step of 策定経過.
    IndicatorComparison.objects.create(indicator=indicator, scope=IndicatorComparison.Scope.PREFECTURE,
                                       value=Decimal("1230"), as_of_text="令和5年")
    FormulationStep.objects.create(plan=plan, order=1, kind=FormulationStep.Kind.DRAFTING, description="素案の作成")
    council = Council.objects.create(plan=plan, name=f"{name}再犯防止推進連絡会", kind=Council.Kind.LIAISON)
    meeting = Meeting.objects.create(
        council=council, fiscal_year=2024, sequence=1, held_on=datetime.date(2024, 7, 18),
        starts_at=datetime.time(14, 0), status=Meeting.Status.HELD, venue="市役所",
    )
    member = CouncilMember.objects.create(council=council, organization=probation, representative="所長")
    # The comment period on the plan's draft, and one comment received (exported by staff).
    period = CommentPeriod.objects.create(
        plan=plan, starts_on=datetime.date(2022, 12, 1), ends_on=datetime.date(2022, 12, 28), explanation="案の概要",
        rules="郵送でも受け付けます。", proposal_title=f"{plan_title}（案）", sections=["計画全体", "その他"],
    )
    comment = Comment.objects.create(period=period, section="計画全体", opinion="就労支援を充実してください。",
                                     consents_to_publication=True)
    if published:
        publish(plan)
    return SimpleNamespace(
        city=city, plan=plan, department=department, probation=probation, area=area, measure=measure,
        program=program, second=second, progress=progress, indicator=indicator, value=value,
        council=council, meeting=meeting, member=member, period=period, comment=comment,
    )


def staff(username, city, role=StaffMembership.Role.EDITOR):
    user = get_user_model().objects.create_user(username, password="correct-horse-battery")
    StaffMembership.objects.create(user=user, municipality=city, role=role)
    user.refresh_from_db()
    return user


@pytest.fixture
def kumamoto(db):
    return build_city("431001", "熊本市", "430005", "熊本県", "熊本市再犯防止推進計画")


@pytest.fixture
def yamaguchi(db):
    return build_city("352039", "山口市", "350001", "山口県", "第二次山口市再犯防止推進計画")


@pytest.fixture
def editor(kumamoto):
    return staff("kumamoto-editor", kumamoto.city)


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("operator", password="correct-horse-battery")


def csv_bytes(rows, encoding="utf-8-sig"):
    """A CSV file as Excel would save it."""
    import csv
    import io

    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def run_import(resource_class, data, user, dry_run=False, **ticks):
    """Import a file as the apply job does (`dry_run`: as the preview does); `ticks`: the preview's ticks."""
    dataset = read_spreadsheet(data)
    return resource_class(user=user, **ticks).import_data(dataset, dry_run=dry_run, user=user, file_name="test.csv")


def import_ticking_all(resource_class, data, user):
    """Preview a file, tick every related item it lists (new departments, areas …, renames), import it.

    Returns the import's result and the labels of what was ticked, as the preview listed them.
    """
    preview = resource_class(user=user)
    preview.import_data(read_spreadsheet(data), dry_run=True, user=user, file_name="test.csv")
    items = list(preview.confirmations.values())
    ticks = {
        "confirmed_creations": [item.key for item in items if item.kind == "creation"],
        "confirmed_renames": [item.key for item in items if item.kind == "rename"],
    }
    return run_import(resource_class, data, user, **ticks), [item.label for item in items]


# -- imports through the admin, as jobs ------------------------------------------------------------


def submit_import(client, model, data, name="進捗.csv", fmt="0", **fields):
    """Choose a file on a model's import page and press 「プレビューを表示」 (the preview job is only queued)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    return client.post(
        reverse(f"admin:{model}_import"),
        {"resource": "0", "format": fmt, "import_file": SimpleUploadedFile(name, data), **fields},
    )


def preview_import(client, model, data, name="進捗.csv", fmt="0", **fields):
    """Submit a file, let the worker run its preview, and open the preview job's page."""
    from tests.job_queue import run_queued_tasks

    response = submit_import(client, model, data, name, fmt, **fields)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    run_queued_tasks()
    return client.get(response.url)


def confirm_import(client, model, preview_page, **fields):
    """Press 「取り込みを実行」 on a preview job's page, let the worker run the import, and open its page."""
    from django.urls import reverse

    from tests.job_queue import run_queued_tasks

    response = client.post(
        reverse(f"admin:{model}_process_import"), {"preview": preview_page.context["job"].pk, "confirm": "取り込みを実行", **fields}
    )
    assert response.status_code == 302, response
    run_queued_tasks()
    return client.get(response.url)
