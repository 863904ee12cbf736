"""Staff type dates and years as they write them, and facts stay as precise as their source.

One parser (reoffense_portal.machinery.eras) reads the admin's date and year fields and the import's cells. A date
known only to the month or the fiscal year (「令和5年12月」「令和5年度」) is stored as its first day
with that precision, and every page, PDF, open data file and the calendar say no more than that.
"""

import datetime
import json

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from icalendar import Calendar

from councils.models import Meeting
from councils.resources import MeetingResource
from plans.admin import PlanAdmin
from plans.models import Indicator, Plan
from reoffense_portal.composition.summaries.documents import MeetingReport, PlanSummary
from reoffense_portal.machinery.eras import DatePrecision
from reoffense_portal.machinery.scoping.typed_fields import JapaneseDateField, JapaneseYearField
from tests.public_data import publish
from tests.staff_world import change_url, form_data, make_user, make_world

pytestmark = pytest.mark.django_db

DATE_HINT = "日付は「2024/4/1」「令和6年4月1日」「R6.4.1」のように入力してください。"


@pytest.fixture
def city():
    city_a, _ = make_world()
    return city_a


@pytest.fixture
def editor_client(client, city):
    client.force_login(city.editor)
    return client


def save(client, obj, **changes):
    """Post the object's change form as it stands, with `changes` typed in."""
    data = {**form_data(client, obj), **changes}
    return client.post(change_url(obj), data)


def errors_of(response) -> str:
    return " ".join(str(error) for error in response.context["adminform"].form.errors.values())


# --- every date field of the admin -------------------------------------------------------------


def every_admin_form():
    """(model, form class) of every registered admin and every inline of it, as a superuser gets them."""
    request = RequestFactory().get("/admin/")
    request.user = make_user("root", is_staff=True, is_superuser=True)
    for model, model_admin in admin.site._registry.items():
        yield model, model_admin.get_form(request)
        for inline in model_admin.get_inline_instances(request):
            yield inline.model, inline.get_formset(request).form


def test_every_date_field_of_every_admin_form_and_inline_reads_japanese_dates():
    dates, years = {}, {}
    for model, form in every_admin_form():
        for name, field in form.base_fields.items():
            label = f"{model._meta.label}.{name}"
            if isinstance(field, forms.DateField):
                assert isinstance(field, JapaneseDateField), label
                dates[label] = field.precise
            if name == "year" or name.endswith("_year"):
                years[label] = type(field)
    # Only the dates of rows with a date_precision may be a month or a fiscal year.
    assert dates == {
        "plans.Plan.period_start": False, "plans.Plan.period_end": False,
        "plans.FormulationStep.date": True, "plans.FormulationStep.end_date": True,
        "councils.CouncilMember.term_start": False, "councils.CouncilMember.term_end": False,
        "councils.Meeting.held_on": True,
        "measures.RegionalDuty.held_on": False,
        "consultation.CommentPeriod.starts_on": False, "consultation.CommentPeriod.ends_on": False,
    }
    assert {label: kind for label, kind in years.items() if "fiscal_year" not in label} == {
        "plans.Indicator.baseline_year": JapaneseYearField, "plans.Indicator.target_year": JapaneseYearField,
        "plans.IndicatorValue.year": JapaneseYearField, "plans.IndicatorComparison.year": JapaneseYearField,
    }


@pytest.mark.parametrize("typed, day", [
    ("2024/4/1", datetime.date(2024, 4, 1)),
    ("2024/04/01", datetime.date(2024, 4, 1)),
    ("２０２４／４／１", datetime.date(2024, 4, 1)),
    ("令和6年4月1日", datetime.date(2024, 4, 1)),
    ("R6.4.1", datetime.date(2024, 4, 1)),
    ("平成31年4月30日", datetime.date(2019, 4, 30)),
])
def test_an_editor_types_a_formulation_step_date_as_they_write_it(editor_client, city, typed, day):
    response = save(editor_client, city.step, date=typed)
    assert response.status_code == 302, errors_of(response)
    city.step.refresh_from_db()
    assert (city.step.date, city.step.date_precision) == (day, DatePrecision.DAY)


def test_a_meeting_date_typed_in_wareki_is_saved(editor_client, city):
    response = save(editor_client, city.meeting, held_on="令和6年7月18日")
    assert response.status_code == 302, errors_of(response)
    city.meeting.refresh_from_db()
    assert city.meeting.held_on == datetime.date(2024, 7, 18)


@pytest.mark.parametrize("typed, message", [
    ("来週", f"“来週” を日付として読めません。{DATE_HINT}"),
    ("令和1年4月1日", "“令和1年4月1日” は令和の期間にない日付です（令和は2019年5月1日からです）。"),
    ("平成31年5月1日", "“平成31年5月1日” は平成の期間にない日付です（平成は2019年4月30日までです）。"),
    ("2024/2/30", "“2024/2/30” は存在しない日付です。"),
])
def test_a_date_that_cannot_be_read_says_what_is_accepted_and_nothing_is_saved(editor_client, city, typed, message):
    response = save(editor_client, city.meeting, held_on=typed)
    assert response.status_code == 200
    assert message in errors_of(response)
    city.meeting.refresh_from_db()
    assert city.meeting.held_on == datetime.date(2024, 7, 1)


@pytest.mark.parametrize("start, end, first, last", [
    ("令和6年度", "令和8年度", datetime.date(2024, 4, 1), datetime.date(2027, 3, 31)),
    ("R6年度", "２０２６年度", datetime.date(2024, 4, 1), datetime.date(2027, 3, 31)),
    ("令和元年度", "令和5年度", datetime.date(2019, 4, 1), datetime.date(2024, 3, 31)),
    ("令和3年12月", "令和8年3月", datetime.date(2021, 12, 1), datetime.date(2026, 3, 31)),
    ("令和6年2月", "令和8年2月", datetime.date(2024, 2, 1), datetime.date(2026, 2, 28)),
    ("2024/4/1", "令和9年3月31日", datetime.date(2024, 4, 1), datetime.date(2027, 3, 31)),
])
def test_a_plan_period_is_typed_as_plans_state_it(editor_client, city, start, end, first, last):
    # 「計画期間：令和6年度～令和8年度」 is the whole of the three fiscal years: from 4月1日 to 3月31日.
    response = save(editor_client, city.plan, period_start=start, period_end=end)
    assert response.status_code == 302, errors_of(response)
    city.plan.refresh_from_db()
    assert (city.plan.period_start, city.plan.period_end) == (first, last)


def test_the_period_typed_as_the_day_it_stands_for_is_no_change(city):
    request = RequestFactory().get("/")
    request.user = city.editor
    field = PlanAdmin(Plan, admin.site).get_form(request).base_fields["period_end"]
    assert not field.has_changed(datetime.date(2027, 3, 31), "令和8年度")
    assert field.has_changed(datetime.date(2027, 3, 31), "令和9年度")


def test_a_plan_period_that_cannot_be_read_says_fiscal_years_are_accepted(editor_client, city):
    response = save(editor_client, city.plan, period_start="来年度")
    assert "“来年度” を日付として読めません。" in errors_of(response)
    assert "年度なら「令和6年度」のように入力してください。" in errors_of(response)
    city.plan.refresh_from_db()
    assert city.plan.period_start == datetime.date(2023, 4, 1)


def test_dates_in_inlines_read_japanese_dates_too(editor_client, city):
    response = save(editor_client, city.plan, **{"formulation_steps-0-date": "R4.12.1"})
    assert response.status_code == 302
    city.step.refresh_from_db()
    assert city.step.date == datetime.date(2022, 12, 1)


def test_an_indicator_year_typed_in_wareki(editor_client, city):
    response = save(editor_client, city.indicator, baseline_year="令和元年", target_year="R7")
    assert response.status_code == 302, errors_of(response)
    city.indicator.refresh_from_db()
    assert (city.indicator.baseline_year, city.indicator.target_year) == (2019, 2025)
    response = save(editor_client, city.indicator, baseline_year="昨年")
    assert "“昨年” を年として読めません（「2019」「令和元年」「R1」のように入力してください）" in errors_of(response)


# --- dates as precise as the source ------------------------------------------------------------


def test_a_formulation_step_known_to_the_month_is_shown_as_a_month(editor_client, client, city):
    response = save(editor_client, city.step, date="令和4年12月")
    assert response.status_code == 302, errors_of(response)
    city.step.refresh_from_db()
    assert (city.step.date, city.step.date_precision) == (datetime.date(2022, 12, 1), DatePrecision.MONTH)
    # The form shows it as typed; saving the plan with it unchanged keeps the month.
    assert form_data(editor_client, city.step)["date"] == "2022年12月"
    assert save(editor_client, city.plan, purpose="目的を改めました").status_code == 302
    city.step.refresh_from_db()
    assert city.step.date_precision == DatePrecision.MONTH

    publish(city.plan)
    page = client.get(city.plan.get_absolute_url()).content.decode()
    assert '<th scope="row">令和4年12月</th>' in page
    assert "令和4年12月1日" not in page


def test_a_formulation_step_over_fiscal_years(editor_client, client, city):
    response = save(editor_client, city.step, date="令和3年度", end_date="令和4年度")
    assert response.status_code == 302, errors_of(response)
    city.step.refresh_from_db()
    assert city.step.date_label == "令和3年度～令和4年度"
    publish(city.plan)
    assert '<th scope="row">令和3年度～令和4年度</th>' in client.get(city.plan.get_absolute_url()).content.decode()


def test_the_dates_of_a_step_share_one_precision(editor_client, city):
    response = save(editor_client, city.step, date="令和4年12月", end_date="令和4年12月20日")
    assert "日付と終了日は同じ書き方（日まで、月まで、年度のどれか）で入力してください。" in errors_of(response)


def test_back_from_a_month_to_a_day(editor_client, city):
    city.step.date, city.step.date_precision = datetime.date(2022, 12, 1), DatePrecision.MONTH
    city.step.save()
    assert save(editor_client, city.step, date="2022/12/1").status_code == 302
    city.step.refresh_from_db()
    assert city.step.date_precision == DatePrecision.DAY


def test_a_meeting_known_to_the_fiscal_year_on_its_pages_pdf_and_feeds(editor_client, client, city):
    response = save(editor_client, city.meeting, held_on="令和6年度")
    assert response.status_code == 302, errors_of(response)
    meeting = Meeting.objects.get(pk=city.meeting.pk)
    assert (meeting.held_on, meeting.date_precision) == (datetime.date(2024, 4, 1), DatePrecision.FISCAL_YEAR)
    assert meeting.when_label == "令和6年度開催"
    assert MeetingReport(meeting, draft=False).context()["held_on"] == "令和6年度"

    publish(city.plan)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "<dd>令和6年度（2024年度）</dd>" in page
    assert "4月1日" not in page
    council_page = client.get(city.council.get_absolute_url()).content.decode()
    assert "（令和6年度開催）" in council_page
    # An event needs a day: the calendar leaves the meeting out rather than invent one.
    events = Calendar.from_ical(client.get("/feeds/meetings.ics").content).walk("VEVENT")
    assert events == []
    data = json.loads(client.get(f"/opendata/plans/{city.plan.pk}.json").getvalue())
    [listed] = data["councils"][0]["meetings"]
    assert (listed["held_on_precision"], listed["held_on_label"]) == ("年度", "令和6年度")


def test_a_meeting_known_to_the_month_has_no_time(editor_client, city):
    response = save(editor_client, city.meeting, held_on="令和6年12月", starts_at="14:00")
    assert "時刻は、開催日を日まで入力したときに入力してください。" in errors_of(response)


def test_a_meeting_with_a_day_is_an_all_day_event(client, city):
    publish(city.plan)
    [event] = Calendar.from_ical(client.get("/feeds/meetings.ics").content).walk("VEVENT")
    assert event.decoded("dtstart") == datetime.date(2024, 7, 1)


# --- the import reads the same ------------------------------------------------------------------

MEETING_HEADER = ["団体コード", "計画名", "会議名", "年度", "回", "開催日", "開始時刻", "終了時刻", "会場", "開催状況",
                  "審議の対象年度", "議事要旨"]


def import_meetings(city, rows):
    from reoffense_portal.machinery.spreadsheets.files import read_spreadsheet
    from tests.import_export_factories import csv_bytes

    rows = [MEETING_HEADER, *([city.municipality.code, city.plan.title, city.council.name, *row] for row in rows)]
    return MeetingResource(user=city.editor).import_data(
        read_spreadsheet(csv_bytes(rows)), dry_run=False, user=city.editor, file_name="test.csv"
    )


def test_the_import_stores_months_and_fiscal_years_with_their_precision_and_exports_them_as_typed(city):
    result = import_meetings(city, [
        ["令和5年度", "1", "令和5年12月", "", "", "", "開催済み", "", ""],
        ["令和5年度", "2", "令和5年度", "", "", "", "開催済み", "", ""],
        ["令和5年度", "3", "R6.2.5", "", "", "", "開催済み", "", ""],
    ])
    assert not result.has_problems(), result.messages()
    meetings = Meeting.objects.filter(fiscal_year=2023).order_by("sequence")
    assert [(m.held_on, m.date_precision, m.held_on_label) for m in meetings] == [
        (datetime.date(2023, 12, 1), DatePrecision.MONTH, "令和5年12月"),
        (datetime.date(2023, 4, 1), DatePrecision.FISCAL_YEAR, "令和5年度"),
        (datetime.date(2024, 2, 5), DatePrecision.DAY, "令和6年2月5日"),
    ]
    exported = MeetingResource(user=city.editor).export(queryset=meetings)
    assert exported["開催日"] == ["2023年12月", "2023年度", datetime.date(2024, 2, 5)]


def test_an_import_changing_only_the_precision_updates_the_row(city):
    import_meetings(city, [["令和5年度", "1", "令和5年12月1日", "", "", "", "開催済み", "", ""]])
    result = import_meetings(city, [["令和5年度", "1", "令和5年12月", "", "", "", "開催済み", "", ""]])
    assert [row.import_type for row in result.rows] == ["update"]
    assert Meeting.objects.get(fiscal_year=2023, sequence=1).date_precision == DatePrecision.MONTH


def test_the_import_refuses_dates_of_the_wrong_era_and_times_without_a_day(city):
    messages = import_meetings(city, [
        ["2019", "1", "令和1年4月1日", "", "", "", "開催予定", "", ""],
        ["2023", "1", "令和5年12月", "14:00", "", "", "開催済み", "", ""],
    ]).messages()
    assert messages == [
        "2行目『開催日』: “令和1年4月1日” は令和の期間にない日付です（令和は2019年5月1日からです）。",
        "3行目『開始時刻』: 時刻は、開催日を日まで入力したときに入力してください。",
    ]


# --- statistics as the source states them, staff notes never public --------------------------------


def test_a_statistic_without_a_year_is_shown_as_the_source_states_its_time(editor_client, client, city):
    statistic = Indicator.objects.create(
        plan=city.plan, kind=Indicator.Kind.STATISTIC, name="刑法犯検挙人員", unit="人", baseline_value=1107,
        source="熊本県警察", note="全刑法犯検挙人員の約15%",
    )
    response = save(editor_client, statistic, as_of_text="令和2年国勢調査時点",
                    staff_note="概要版に年の記載はありません。")
    assert response.status_code == 302, errors_of(response)

    publish(city.plan)
    page = client.get(city.plan.get_absolute_url()).content.decode()
    assert "令和2年国勢調査時点 1,107人" in page
    assert "全刑法犯検挙人員の約15%" in page
    summary = PlanSummary(city.plan, draft=False).html
    assert "令和2年国勢調査時点" in summary
    opendata = client.get(f"/opendata/plans/{city.plan.pk}.json").getvalue().decode()
    for public in (page, summary, opendata):
        assert "概要版に年の記載はありません" not in public


def test_a_save_conflict_shows_the_saved_date_as_precise_as_it_was_typed(editor_client, city):
    from django.test import Client

    opened = form_data(editor_client, city.meeting)
    colleague = Client()
    colleague.force_login(city.publisher)
    assert save(colleague, city.meeting, held_on="令和6年11月").status_code == 302
    response = editor_client.post(change_url(city.meeting), {**opened, "held_on": "令和6年12月"})
    assert "現在の保存内容：令和6年11月（" in errors_of(response)


def test_a_published_plan_whose_step_becomes_a_month_has_that_change_to_approve(city):
    from reoffense_portal.composition.publishing.rows import unpublished_changes

    publish(city.plan)
    assert unpublished_changes(city.plan) == []
    city.step.date, city.step.date_precision = datetime.date(2022, 12, 1), DatePrecision.MONTH
    city.step.save()
    [change] = unpublished_changes(city.plan)
    assert [(f.name, f.before, f.after) for f in change.fields] == [("日付", "2023-01-10", "2022年12月")]
