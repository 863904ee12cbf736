"""Behaviour of the domain model: codes, periods, progress, implementation rates, constraints, labels."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from councils.models import Council, Meeting, MeetingDocument
from measures.models import Measure, PriorityArea, Program, ProgramProgress
from plans.models import (
    Department,
    Indicator,
    IndicatorValue,
    Municipality,
    Plan,
    format_quantity,
    kanji_number,
    lg_code_check_digit,
)
from reoffense_portal.machinery.uploads import file_label, size_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def prefecture():
    return Municipality.objects.create(
        code="350001", name="山口県", kind=Municipality.Kind.PREFECTURE
    )


@pytest.fixture
def city(prefecture):
    return Municipality.objects.create(
        code="352039", name="山口市", kind=Municipality.Kind.CITY, prefecture=prefecture
    )


def make_plan(
    city,
    title="テスト計画",
    start=datetime.date(2023, 4, 1),
    end=datetime.date(2028, 3, 31),
    **fields,
):
    return Plan.objects.create(
        municipality=city, title=title, period_start=start, period_end=end, **fields
    )


@pytest.fixture
def plan(city):
    return make_plan(city)


# ------------------------------------------------------------------ 全国地方公共団体コード


@pytest.mark.parametrize("code", ["352039", "431001"])
def test_valid_city_codes_pass_full_clean(code, prefecture):
    Municipality(
        code=code, name="市", kind=Municipality.Kind.CITY, prefecture=prefecture
    ).full_clean()


@pytest.mark.parametrize("code", ["350001", "430005"])
def test_valid_prefecture_codes_pass_full_clean(code):
    Municipality(code=code, name="県", kind=Municipality.Kind.PREFECTURE).full_clean()


def test_check_digit_computation():
    assert lg_code_check_digit("35203") == 9
    assert lg_code_check_digit("43100") == 1
    assert lg_code_check_digit("35000") == 1
    assert lg_code_check_digit("43000") == 5


def test_wrong_check_digit_is_refused_in_japanese(prefecture):
    municipality = Municipality(
        code="352030", name="山口市", kind=Municipality.Kind.CITY, prefecture=prefecture
    )
    with pytest.raises(ValidationError) as error:
        municipality.full_clean()
    assert error.value.message_dict["code"] == [
        "全国地方公共団体コード「352030」の検査数字が正しくありません。"
    ]


@pytest.mark.parametrize("code", ["35203", "35203a", "３５２０３９"])
def test_malformed_lg_code_is_refused_in_japanese(code, prefecture):
    municipality = Municipality(
        code=code, name="山口市", kind=Municipality.Kind.CITY, prefecture=prefecture
    )
    with pytest.raises(ValidationError) as error:
        municipality.full_clean()
    assert (
        "全国地方公共団体コードは6桁の数字で入力してください。" in error.value.message_dict["code"]
    )


def test_city_needs_a_prefecture_and_a_prefecture_none(prefecture):
    with pytest.raises(ValidationError) as error:
        Municipality(code="352039", name="山口市", kind=Municipality.Kind.CITY).full_clean()
    assert error.value.message_dict["prefecture"] == [
        "市区町村には所属する都道府県を設定してください。"
    ]
    other = Municipality(
        code="430005", name="熊本県", kind=Municipality.Kind.PREFECTURE, prefecture=prefecture
    )
    with pytest.raises(ValidationError):
        other.full_clean()


def test_department_contact_validation(city):
    department = Department(
        municipality=city, name="地域福祉課", postal_code="7538650", telephone="083-934-2790"
    )
    with pytest.raises(ValidationError) as error:
        department.full_clean()
    assert error.value.message_dict["postal_code"] == [
        "郵便番号は「753-8650」の形で入力してください。"
    ]
    department.postal_code = "753-8650"
    department.telephone = "083-934-2790（代表）"
    with pytest.raises(ValidationError) as error:
        department.full_clean()
    assert error.value.message_dict["telephone"] == ["電話番号は数字とハイフンで入力してください。"]


# ------------------------------------------------------------------ plan periods, labels, publication


def test_fiscal_year_aligned_period_label(city):
    plan = make_plan(city, start=datetime.date(2023, 4, 1), end=datetime.date(2028, 3, 31))
    assert plan.period_label == "令和5年度～令和9年度"
    assert plan.period_full_label == "令和5年度（2023年度）～令和9年度（2027年度）"
    assert plan.fiscal_years == [2023, 2024, 2025, 2026, 2027]
    assert not plan.starts_mid_year


def test_mid_year_period_label(city):
    plan = make_plan(city, start=datetime.date(2021, 12, 1), end=datetime.date(2026, 3, 31))
    assert plan.starts_mid_year
    assert plan.period_label == "令和3年12月～令和8年3月"
    assert plan.period_full_label == "令和3年12月（2021年12月）～令和8年3月（2026年3月）"
    assert (plan.first_fiscal_year, plan.last_fiscal_year) == (2021, 2025)


def test_period_ending_mid_year_is_labelled_in_months(city):
    plan = make_plan(city, start=datetime.date(2025, 4, 1), end=datetime.date(2027, 9, 30))
    assert plan.period_label == "令和7年4月～令和9年9月"


def test_edition_label(city):
    assert make_plan(city, title="a", edition=2).edition_label == "第二次"
    assert make_plan(city, title="b").edition_label == ""
    assert [kanji_number(n) for n in (1, 10, 11, 12, 20)] == ["一", "十", "十一", "十二", "二十"]


def test_a_version_is_live_from_its_start_until_the_next_one_or_its_end(city):
    from reoffense_portal.composition.publishing.models import PlanVersion
    from tests.public_data import publish

    plan = make_plan(city)
    assert not PlanVersion.objects.live().exists()
    now = timezone.now()
    first = publish(plan)
    later = now + datetime.timedelta(days=7)
    second = publish(plan, live_from=later)
    first.refresh_from_db()
    assert first.live_until == later
    assert list(PlanVersion.objects.live()) == [first]
    assert list(PlanVersion.objects.scheduled()) == [second]
    assert list(PlanVersion.objects.live(later)) == [second]
    assert set(PlanVersion.objects.released(later)) == {first, second}
    # A third approved for now cancels the one scheduled: it never goes live.
    third = publish(plan)
    second.refresh_from_db()
    assert second.live_until == second.live_from and second not in PlanVersion.objects.released(later)
    assert list(PlanVersion.objects.live(later)) == [third]


def test_plan_period_end_before_start_is_refused(city):
    plan = Plan(
        municipality=city,
        title="逆の計画",
        period_start=datetime.date(2025, 4, 1),
        period_end=datetime.date(2024, 3, 31),
    )
    with pytest.raises(ValidationError) as error:
        plan.full_clean()
    assert error.value.message_dict["period_end"] == [
        "計画期間の終了日は開始日以降にしてください。"
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        plan.save()


def test_plan_department_must_be_of_the_same_city(city, prefecture):
    other = Department.objects.create(municipality=prefecture, name="県の課")
    plan = Plan(
        municipality=city,
        title="計画",
        period_start=datetime.date(2025, 4, 1),
        period_end=datetime.date(2030, 3, 31),
        department=other,
    )
    with pytest.raises(ValidationError) as error:
        plan.full_clean()
    assert error.value.message_dict["department"] == ["他の自治体の課は選べません。"]


def test_plan_document_label(plan):
    plan.title = "第二次山口市再犯防止推進計画"
    plan.document.save("keikaku.pdf", ContentFile(b"%PDF" + b"0" * 1447030), save=True)
    assert plan.document_size == 1447034
    assert plan.document_label == "第二次山口市再犯防止推進計画 [PDFファイル／1.38MB]"


# ------------------------------------------------------------------ uniqueness and non-negative constraints


def test_duplicate_area_number_is_refused(plan):
    PriorityArea.objects.create(plan=plan, number=1, title="就労支援")
    with pytest.raises(ValidationError):
        PriorityArea(plan=plan, number=1, title="居住支援").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        PriorityArea.objects.create(plan=plan, number=1, title="居住支援")


def test_duplicate_measure_number_is_refused(plan):
    area = PriorityArea.objects.create(plan=plan, number=1, title="就労支援")
    Measure.objects.create(area=area, number=1, title="協力雇用主の増強")
    with pytest.raises(IntegrityError), transaction.atomic():
        Measure.objects.create(area=area, number=1, title="関係機関との情報共有")


def test_area_pages_in_order(plan):
    area = PriorityArea(plan=plan, number=1, title="就労支援", page_from=33, page_to=27)
    with pytest.raises(ValidationError) as error:
        area.full_clean()
    assert error.value.message_dict["page_to"] == ["終了ページは開始ページ以降にしてください。"]
    with pytest.raises(IntegrityError), transaction.atomic():
        area.save()
    area.page_from, area.page_to = 27, 33
    area.save()
    assert area.page_reference == "本編P27～P33"
    area.page_to = None
    assert area.page_reference == "本編P27"


def test_negative_counts_and_subsidy_over_one_are_refused(plan):
    area = PriorityArea.objects.create(plan=plan, number=1, title="就労支援")
    measure = Measure.objects.create(area=area, number=1, title="協力雇用主の増強")
    program = Program.objects.create(measure=measure, name="セミナー")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgramProgress.objects.create(
            program=program, fiscal_year=2024, status="implemented", support_count=-1
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgramProgress.objects.create(
            program=program, fiscal_year=2024, status="implemented", subsidy_rate=Decimal("1.5")
        )
    progress = ProgramProgress(
        program=program, fiscal_year=2024, status="implemented", subsidy_rate=Decimal("1.5")
    )
    with pytest.raises(ValidationError):
        progress.full_clean()
    progress.subsidy_rate = Decimal("0.5")
    progress.save()
    assert progress.fiscal_year_label == "令和6年度（2024年度）"
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgramProgress.objects.create(program=program, fiscal_year=2024, status="partial")


# ------------------------------------------------------------------ indicators and progress to target


def make_indicator(plan, *, direction, baseline, target, values, name="指標", unit="人", **fields):
    indicator = Indicator.objects.create(
        plan=plan,
        name=name,
        unit=unit,
        direction=direction,
        baseline_year=2019,
        baseline_value=baseline,
        target_year=2025,
        target_value=target,
        **fields,
    )
    for year, value in values.items():
        IndicatorValue.objects.create(indicator=indicator, year=year, value=value)
    return indicator


def test_progress_lower_is_better(plan):
    indicator = make_indicator(
        plan, direction="lower", baseline=564, target=450, values={2019: 564, 2022: 500}
    )
    progress = indicator.progress()
    assert (progress.latest, progress.latest_year, progress.achieved) == (500, 2022, False)
    assert progress.remaining == 50
    assert progress.percent == Decimal("56.1")  # 64 of the 114 down
    assert indicator.progress_text() == "目標まで残り50人"
    assert indicator.target_label == "450人以下"


def test_progress_higher_is_better(plan):
    indicator = make_indicator(
        plan,
        direction="higher",
        baseline=10,
        target=20,
        values={2023: 15},
        name="協力雇用主数",
        unit="社",
    )
    progress = indicator.progress()
    assert (progress.achieved, progress.remaining, progress.ratio) == (False, 5, Decimal("0.500"))
    assert indicator.progress_text() == "目標まで残り5社"
    assert indicator.target_label == "20社以上"


def test_progress_achieved_in_both_directions(plan):
    lower = make_indicator(
        plan, direction="lower", baseline=564, target=450, values={2024: 440}, name="再犯者数"
    )
    higher = make_indicator(
        plan, direction="higher", baseline=10, target=20, values={2024: 20}, name="協力雇用主数"
    )
    assert lower.progress().achieved and lower.progress().remaining == 0
    assert lower.progress().ratio > 1 and lower.progress().percent == Decimal("100.0")
    assert higher.progress().achieved and higher.progress().ratio == Decimal("1.000")
    assert lower.progress_text() == higher.progress_text() == "目標を達成しています"


def test_progress_moving_away_from_target_is_negative(plan):
    indicator = make_indicator(
        plan, direction="lower", baseline=564, target=450, values={2021: 600}
    )
    assert indicator.progress().ratio < 0
    assert indicator.progress_text() == "目標まで残り150人"


def test_no_progress_without_target_or_values(plan):
    no_values = make_indicator(
        plan, direction="lower", baseline=564, target=450, values={}, name="a"
    )
    assert no_values.progress() is None and no_values.progress_text() == ""
    statistic = Indicator.objects.create(
        plan=plan, kind=Indicator.Kind.STATISTIC, name="人口", unit="人"
    )
    IndicatorValue.objects.create(indicator=statistic, year=2020, value=197115)
    assert statistic.progress() is None
    assert statistic.values.get().value_label == "197,115人"


def test_indicator_validation_in_japanese(plan):
    # A target whose source states no 「以下」「以上」 is entered without a direction.
    Indicator(plan=plan, kind=Indicator.Kind.TARGET, name="x", unit="人").full_clean()
    with pytest.raises(ValidationError) as error:
        Indicator(
            plan=plan, name="y", unit="人", direction="lower", period_kind="average"
        ).full_clean()
    assert error.value.message_dict["average_years"] == [
        "複数年平均の場合は平均する年数を入力してください。"
    ]
    with pytest.raises(ValidationError) as error:
        Indicator(plan=plan, name="z", unit="人", direction="lower", target_year=2025).full_clean()
    assert error.value.message_dict["target_value"] == [
        "目標年を入力した場合は目標値も入力してください。"
    ]
    # A target stated without a year (熊本市's 概要版) is allowed.
    Indicator(plan=plan, name="w", unit="人", direction="lower", target_value=450).full_clean()


def test_indicator_period_labels(plan):
    calendar = Indicator(plan=plan, name="a", unit="人", period_kind="calendar")
    fiscal = Indicator(plan=plan, name="b", unit="人", period_kind="fiscal")
    average = Indicator(plan=plan, name="c", unit="人", period_kind="average", average_years=3)
    assert calendar.period_label(2019) == "令和元年"
    assert fiscal.period_label(2019) == "令和元年度"
    assert average.period_label(2019) == "平成29年～令和元年平均"


def test_format_quantity():
    assert format_quantity(Decimal(1107), "人") == "1,107人"
    assert format_quantity(Decimal("44.80"), "%") == "44.8%"
    assert format_quantity(Decimal("100.00"), "件") == "100件"
    assert format_quantity(Decimal(0), "人") == "0人"


# ------------------------------------------------------------------ implementation rate


@pytest.fixture
def programmes(plan):
    """Two areas: area 1 with three programmes, area 2 with one."""
    area1 = PriorityArea.objects.create(plan=plan, number=1, title="就労支援")
    area2 = PriorityArea.objects.create(plan=plan, number=2, title="居住支援")
    m1 = Measure.objects.create(area=area1, number=1, title="協力雇用主の増強")
    m2 = Measure.objects.create(area=area2, number=1, title="住居確保給付金の支給")
    return [
        Program.objects.create(measure=m1, order=1, name="a"),
        Program.objects.create(measure=m1, order=2, name="b"),
        Program.objects.create(measure=m1, order=3, name="c"),
        Program.objects.create(measure=m2, order=1, name="d"),
    ]


def record(program, fiscal_year, status):
    return ProgramProgress.objects.create(program=program, fiscal_year=fiscal_year, status=status)


def test_implementation_rate_with_none_recorded_is_not_a_0_percent_fact(plan, programmes):
    area = programmes[0].measure.area
    assert area.implementation_rate(2024) is None
    assert Program.objects.of_plan(plan).implementation_rate(2024) is None
    record(programmes[3], 2024, ProgramProgress.Status.IMPLEMENTED)  # another area's: this one stays unrecorded
    assert area.implementation_rate(2024) is None
    assert Program.objects.of_plan(plan).implementation_rate(2024) == Decimal("25.0")


def test_implementation_rate_partial_and_other_years(plan, programmes):
    a, b, c, d = programmes
    record(a, 2024, ProgramProgress.Status.IMPLEMENTED)
    record(b, 2024, ProgramProgress.Status.PARTIAL)
    record(c, 2024, ProgramProgress.Status.UNDER_REVIEW)
    record(c, 2023, ProgramProgress.Status.IMPLEMENTED)  # another year does not count for 2024
    record(d, 2024, ProgramProgress.Status.NOT_IMPLEMENTED)
    area1 = a.measure.area
    assert area1.implementation_rate(2024) == Decimal(
        "66.7"
    )  # 2 of 3 (一部実施 counts as carried out)
    assert area1.implementation_rate(2023) == Decimal("33.3")
    assert d.measure.area.implementation_rate(2024) == Decimal("0.0")
    assert Program.objects.of_plan(plan).implementation_rate(2024) == Decimal("50.0")  # 2 of 4
    record(d, 2023, ProgramProgress.Status.IMPLEMENTED)
    assert Program.objects.of_plan(plan).implementation_rate(2023) == Decimal("50.0")


def test_implementation_rate_complete_and_empty(plan, programmes):
    for program in programmes:
        record(program, 2025, ProgramProgress.Status.IMPLEMENTED)
    assert Program.objects.of_plan(plan).implementation_rate(2025) == Decimal("100.0")
    empty = PriorityArea.objects.create(plan=plan, number=3, title="生活支援")
    assert empty.implementation_rate(2025) is None


# ------------------------------------------------------------------ councils, meetings, file labels


def test_meeting_label_and_validation(plan):
    council = Council.objects.create(
        plan=plan, name="山口市再犯防止推進協議会", kind=Council.Kind.COUNCIL
    )
    meeting = Meeting(
        council=council,
        fiscal_year=2024,
        sequence=1,
        held_on=datetime.date(2024, 12, 24),
        status="held",
    )
    meeting.full_clean()
    meeting.save()
    assert meeting.label == "令和6年度第1回"
    assert str(meeting) == "令和6年度第1回山口市再犯防止推進協議会"
    assert meeting.held_on_label == "令和6年12月24日"
    wrong_year = Meeting(
        council=council, fiscal_year=2024, sequence=2, held_on=datetime.date(2025, 4, 1)
    )
    with pytest.raises(ValidationError) as error:
        wrong_year.full_clean()
    assert error.value.message_dict["held_on"] == ["開催日が年度の期間に入っていません。"]
    undated = Meeting(council=council, fiscal_year=2024, sequence=2, status="held")
    with pytest.raises(ValidationError) as error:
        undated.full_clean()
    assert error.value.message_dict["held_on"] == ["開催済みの会議には開催日を入力してください。"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(council=council, fiscal_year=2024, sequence=1)


def test_meeting_document_size_label(plan):
    council = Council.objects.create(plan=plan, name="協議会", kind=Council.Kind.COUNCIL)
    meeting = Meeting.objects.create(council=council, fiscal_year=2024, sequence=1)
    document = MeetingDocument(meeting=meeting, kind=MeetingDocument.Kind.MINUTES, title="議事録")
    document.file.save("gijiroku.pdf", ContentFile(b"0" * 250000), save=True)
    assert document.file_size == 250000
    assert document.size_label == "[PDFファイル／244KB]"


@pytest.mark.parametrize(
    ("name", "size", "label"),
    [
        ("keikaku.pdf", 1447034, "[PDFファイル／1.38MB]"),
        ("shiryo.XLSX", 20480, "[Excelファイル／20KB]"),
        ("meibo.docx", 100, "[Wordファイル／1KB]"),
        ("data.json", 2048, "[JSONファイル／2KB]"),
        ("keikaku.pdf", None, ""),
        ("", 100, ""),
    ],
)
def test_file_labels(name, size, label):
    assert file_label(name, size) == label


def test_size_text():
    assert size_text(1447034) == "1.38MB"
    assert size_text(250000) == "244KB"
    assert size_text(10) == "1KB"
