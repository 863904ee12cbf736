# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""A meeting reviews a year of its own plan: refused otherwise on the form, the import and the model;
its progress report says which plan and year it covers; plan pages list other meetings apart."""

import io
import json
import re

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from councils.models import Meeting
from councils.resources import MeetingResource
from reoffense_portal.composition.summaries.documents import MeetingReport
from tests.import_export_factories import csv_bytes, editor, kumamoto, run_import, superuser  # noqa: F401
from tests.public_data import publish
from tests.staff_world import change_url, form_data

pytestmark = pytest.mark.django_db

# The plan of the factories runs 令和5年度～令和9年度 (2023-04-01 to 2028-03-31).
OUTSIDE = "審議の対象年度（令和4年度）が、計画「熊本市再犯防止推進計画」の計画期間（令和5年度～令和9年度）に入っていません。計画期間内の年度を入力してください。"


def report_text(meeting) -> str:
    data = MeetingReport(meeting, draft=False).pdf()
    return re.sub(r"\s+", "", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def test_the_model_refuses_a_reviewed_year_outside_the_plans_period(kumamoto):
    meeting = kumamoto.meeting
    meeting.reviewed_fiscal_year = 2022
    with pytest.raises(ValidationError) as error:
        meeting.full_clean()
    assert error.value.message_dict["reviewed_fiscal_year"] == [OUTSIDE]
    for year in (2023, 2027):  # the plan's first and last years
        meeting.reviewed_fiscal_year = year
        meeting.full_clean()


def test_the_admin_form_shows_the_japanese_error(client, kumamoto, superuser):
    client.force_login(superuser)
    data = {**form_data(client, kumamoto.meeting), "reviewed_fiscal_year": "2022"}
    response = client.post(change_url(kumamoto.meeting), data)
    assert response.status_code == 200
    assert OUTSIDE in response.content.decode()
    kumamoto.meeting.refresh_from_db()
    assert kumamoto.meeting.reviewed_fiscal_year is None


def test_an_import_names_the_row_and_writes_nothing(kumamoto, editor):
    header = ["団体コード", "計画名", "会議名", "年度", "回", "開催状況", "審議の対象年度"]
    rows = [header, ["431001", "熊本市再犯防止推進計画", "熊本市再犯防止推進連絡会", "2023", "2", "開催予定", "2022"]]
    messages = run_import(MeetingResource, csv_bytes(rows), editor).messages()
    assert messages == [f"2行目『審議の対象年度』: {OUTSIDE}"]
    assert not Meeting.objects.filter(fiscal_year=2023).exists()


def test_the_report_says_which_plan_and_year_it_covers(kumamoto):
    text = report_text(kumamoto.meeting)  # 令和6年度 meeting, year under review not recorded: 令和5年度
    assert "熊本市再犯防止推進計画の進捗状況（令和5年度（2023年度））" in text
    assert "審議の対象年度令和5年度（2023年度）（計画の1年目）" in text


def test_a_meeting_in_the_plans_first_year_reviews_no_year_of_it(kumamoto):
    # The first meeting of the plan's first year: the year before belongs to no year of this plan.
    meeting = Meeting.objects.create(council=kumamoto.council, fiscal_year=2023, sequence=1)
    assert meeting.plan_year_under_review is None
    text = report_text(meeting)
    assert "熊本市再犯防止推進計画の進捗状況（審議の対象年度なし）" in text
    assert "会議の前年度（令和4年度）は計画期間（令和5年度～令和9年度）外です。" in text
    assert "未報告" not in text and "計画全体" not in text  # no table of unreported rows at 0 %


def test_a_year_recorded_before_the_guard_is_not_reported_as_all_unreported(kumamoto):
    Meeting.objects.filter(pk=kumamoto.meeting.pk).update(reviewed_fiscal_year=2021)  # as rows stored earlier
    text = report_text(Meeting.objects.get(pk=kumamoto.meeting.pk))
    assert "記録された審議の対象年度（令和3年度）は計画期間（令和5年度～令和9年度）外です。" in text
    assert "未報告" not in text


def page_text(client, url) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(url).content.decode()))


def test_the_plan_page_lists_meetings_outside_its_period_apart(client, kumamoto):
    # A meeting of 令和4年度 deliberated the draft of this plan; the 令和10年度 one reviews its last year.
    Meeting.objects.create(council=kumamoto.council, fiscal_year=2022, sequence=1)
    Meeting.objects.create(council=kumamoto.council, fiscal_year=2028, sequence=1, reviewed_fiscal_year=2027)
    publish(kumamoto.plan)
    for url in (f"/plans/{kumamoto.plan.pk}/", f"/councils/{kumamoto.council.pk}/"):
        text = page_text(client, url)
        within, _, outside = text.partition("計画期間（令和5年度～令和9年度）外に開催した会議")
        assert "令和10年度第1回熊本市再犯防止推進連絡会" in within
        assert "令和6年度第1回熊本市再犯防止推進連絡会" in within
        assert "令和4年度第1回熊本市再犯防止推進連絡会 （開催日の記載なし・計画期間外）" in outside  # no status invented
        assert "令和4年度第1回" not in within
    meetings = json.loads(client.get(f"/opendata/plans/{kumamoto.plan.pk}.json").getvalue())["councils"][0]["meetings"]
    assert {m["label"]: m["in_plan_period"] for m in meetings} == {
        "令和10年度第1回": True, "令和6年度第1回": True, "令和4年度第1回": False,
    }
