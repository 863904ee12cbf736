# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Self-evaluation as cities do it in 事務事業評価: a grade A–D and 課題・今後の方向性 per programme and year.

Entered on the yearly screen, imported and exported, worded the city's way on
the plan page, and printed in the progress report a council meeting reviews.
"""

import re

import pytest

from measures.models import EvaluationScale, ProgramProgress
from measures.resources import ProgramProgressResource
from reoffense_portal.composition.summaries.documents import MeetingReport
from reoffense_portal.machinery.spreadsheets.files import CSVFormat
from tests.import_export_factories import (  # noqa: F401 (fixtures)
    csv_bytes,
    editor,
    kumamoto,
    run_import,
    staff,
)
from tests.staff_world import change_url, entry_data, entry_url, form_data, make_world

pytestmark = pytest.mark.django_db

HEADER = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況", "評価", "課題・今後の方向性"]
PLAN = "熊本市再犯防止推進計画"


@pytest.fixture
def world():
    return make_world()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_editor_grades_a_programme_and_writes_its_issues_on_the_yearly_screen(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    response = client.get(entry_url(city_a.plan, 2023))
    page = text_of(response.content.decode())
    assert "評価（事務事業の自己評価）：A 計画どおり実施し、成果が上がった" in page
    assert "D 実施できておらず、見直しが必要" in page
    data = entry_data(response)
    prefix = f"program-{city_a.program.pk}"
    data[f"{prefix}-rating"] = "B"
    data[f"{prefix}-issues"] = "協力雇用主の業種に偏りがあるため、商工団体を通じて募集します。"
    response = client.post(entry_url(city_a.plan, 2023), data, follow=True)
    assert "令和5年度（2023年度）の進捗を保存しました（取組・事業 1件" in response.content.decode()
    city_a.progress.refresh_from_db()
    assert city_a.progress.rating == "B"
    assert city_a.progress.issues.startswith("協力雇用主の業種に偏り")


def test_a_grade_outside_a_to_d_or_a_long_issues_text_saves_nothing(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    data = entry_data(client.get(entry_url(city_a.plan, 2023)))
    prefix = f"program-{city_a.program.pk}"
    data[f"{prefix}-rating"] = "E"
    data[f"{prefix}-issues"] = "あ" * 401
    response = client.post(entry_url(city_a.plan, 2023), data)
    page = response.content.decode()
    assert "入力内容に誤りがあります（1行）" in page
    assert "課題・今後の方向性は400文字以内で入力してください（401文字あります）。" in page
    assert "E は候補にありません。" in page
    city_a.progress.refresh_from_db()
    assert (city_a.progress.rating, city_a.progress.issues) == ("", "")


def test_a_grade_for_a_year_without_status_asks_for_the_status(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    response = client.get(entry_url(city_a.plan, 2024))
    data = entry_data(response)
    prefix = f"program-{city_a.program.pk}"
    data.pop(f"{prefix}-status", None)  # the status prefilled from last year, removed
    data[f"{prefix}-rating"] = "C"
    response = client.post(entry_url(city_a.plan, 2024), data)
    assert "実施状況を選んでください。" in response.content.decode()
    assert not ProgramProgress.objects.filter(program=city_a.program, fiscal_year=2024).exists()


def test_the_city_words_the_grades_its_own_way_on_the_plan_page(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    data = form_data(client, city_a.plan)
    data.update({
        "evaluation_scale-TOTAL_FORMS": "1",
        "evaluation_scale-0-label_a": "順調に進んでいる",
        "evaluation_scale-0-label_d": "遅れている",
    })
    response = client.post(change_url(city_a.plan), data)
    assert response.status_code == 302, response.context["errors"]
    assert EvaluationScale.meanings_of(city_a.plan) == {
        "A": "順調に進んでいる",
        "B": "おおむね計画どおり実施した",
        "C": "一部の実施にとどまり、課題がある",
        "D": "遅れている",
    }
    page = client.get(entry_url(city_a.plan, 2023)).content.decode()
    # The legend above the rows, which each grade's drop-down (A–D by letter) names as its description.
    assert "A　順調に進んでいる" in page and "D　遅れている" in page
    assert '<option value="A">A</option>' in page and 'aria-describedby="rating-legend"' in page


def test_a_wording_longer_than_forty_characters_is_refused_in_japanese(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    data = form_data(client, city_a.plan)
    data.update({"evaluation_scale-TOTAL_FORMS": "1", "evaluation_scale-0-label_b": "お" * 41})
    response = client.post(change_url(city_a.plan), data)
    assert response.status_code == 200
    assert "40 文字以下" in response.content.decode()
    assert not EvaluationScale.objects.exists()


def test_another_citys_editor_cannot_word_the_grades_of_a_plan_not_theirs(client, world):
    city_a, city_b = world
    client.force_login(city_a.editor)
    data = form_data(client, city_a.plan)
    data.update({"evaluation_scale-TOTAL_FORMS": "1", "evaluation_scale-0-label_a": "乗っ取り"})
    response = client.post(change_url(city_b.plan), data)
    assert response.status_code in (302, 403, 404)
    assert not EvaluationScale.objects.filter(plan=city_b.plan).exists()


def progress_row(name="協力雇用主の拡大", rating="", issues=""):
    return ["431001", PLAN, "1", "1", name, "令和6年度", "実施", rating, issues]


def test_import_reads_grades_half_or_full_width_and_exports_them_as_letters(kumamoto, editor):
    data = csv_bytes([
        HEADER,
        progress_row(rating="Ａ", issues="対象者の把握が課題です。"),
        progress_row(name="就労相談", rating=" b "),
    ])
    result = run_import(ProgramProgressResource, data, editor)
    assert not result.has_problems(), result.messages()
    graded = {p.program.name: p for p in ProgramProgress.objects.filter(fiscal_year=2024)}
    assert graded["協力雇用主の拡大"].rating == "A"
    assert graded["協力雇用主の拡大"].issues == "対象者の把握が課題です。"
    assert graded["就労相談"].rating == "B"
    text = CSVFormat().export_data(ProgramProgressResource(user=editor).export()).decode("utf-8-sig")
    assert text.splitlines()[0].endswith(",評価,課題・今後の方向性")
    assert "協力雇用主の拡大,2024,実施,説明会を2回開催,12,,,1500000,1320000,0.5,,,,A,対象者の把握が課題です。" in text


def test_import_refuses_a_grade_other_than_a_to_d_naming_the_row(kumamoto, editor):
    data = csv_bytes([HEADER, progress_row(rating="A"), progress_row(name="就労相談", rating="優")])
    result = run_import(ProgramProgressResource, data, editor)
    assert result.messages() == [
        "3行目『評価』: “優” は使えません（A、B、C、Dのいずれかを入力してください。全角も使えます）"
    ]
    assert ProgramProgress.objects.get(program=kumamoto.program, fiscal_year=2024).rating == "", (
        "one bad row writes nothing"
    )


def test_import_refuses_issues_longer_than_400_characters(kumamoto, editor):
    data = csv_bytes([HEADER, progress_row(rating="C", issues="課" * 401)])
    result = run_import(ProgramProgressResource, data, editor)
    assert "課題・今後の方向性は400文字以内で入力してください（401文字あります）。" in " ".join(result.messages())


def test_the_meeting_report_prints_each_grade_and_the_issues_in_the_citys_wording(world):
    city_a, _ = world
    progress = city_a.progress
    progress.rating = "C"
    progress.issues = "受入れ企業が少ないため、説明会を増やします。"
    progress.save()
    EvaluationScale.objects.create(plan=city_a.plan, label_c="やや遅れている")
    text = text_of(MeetingReport(city_a.meeting, draft=True).html)
    assert "評価：A 計画どおり実施し、成果が上がった／B おおむね計画どおり実施した／C やや遅れている" in text
    assert "実施状況 評価 実績・成果／課題・今後の方向性" in text
    assert "実施 C 実績" in text
    assert "課題・今後の方向性： 受入れ企業が少ないため、説明会を増やします。" in text
