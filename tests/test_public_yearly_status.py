"""Residents follow a plan's PDCA year by year: each area's 実施率 as a chart and a table, each programme's
status and results, 未報告 apart from 未実施, small support counts masked, and only what was approved."""

import json
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from measures.models import EvaluationScale, PriorityArea, Program, ProgramProgress
from plans.models import StaffMembership
from reoffense_portal.machinery.spreadsheets.files import read_spreadsheet
from tests.public_data import build_plan, municipality, publish
from tests.staff_world import make_user

pytestmark = pytest.mark.django_db

Status = ProgramProgress.Status


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def plan():
    """Yamaguchi's plan (令和5～9年度) with 令和5年度 reported for the first area's four programmes."""
    plan = build_plan(municipality(), published=False)
    first, second, third, fourth = Program.objects.filter(measure__area__plan=plan, measure__area__number=1)
    ProgramProgress.objects.create(program=first, fiscal_year=2023, status=Status.IMPLEMENTED,
                                   results="職場体験を5回実施しました。", support_count=12)
    ProgramProgress.objects.create(program=second, fiscal_year=2023, status=Status.PARTIAL, support_count=2)
    ProgramProgress.objects.create(program=third, fiscal_year=2023, status=Status.NOT_IMPLEMENTED,
                                   results="協力事業所の調整がつきませんでした。")
    # The fourth has no record for 令和5年度: 未報告.
    publish(plan)
    return plan


def get(client, url):
    response = client.get(url)
    return response.status_code, response.content.decode()


def year_url(plan, year):
    return reverse("public:plan_progress", args=[plan.pk, year])


def test_the_plan_page_links_each_reported_year_with_a_chart_and_a_table(client, plan):
    status, page = get(client, plan.get_absolute_url())
    assert status == 200
    assert '<h2 id="yearly-heading">年度ごとの実施状況</h2>' in page
    assert f'<a href="{year_url(plan, 2023)}">令和5年度（2023年度）の実施状況</a>' in page
    assert year_url(plan, 2024) not in page  # nothing reported for 令和6年度
    assert '<caption>重点施策ごとの実施率（年度別）</caption>' in page
    # 2 of the 4 programmes of area 1 were carried out (実施・一部実施); 2 of the plan's 24.
    assert '<th scope="row">1 重点施策1</th><td class="num">50%</td>' in page
    assert '<th scope="row">計画全体</th><td class="num">8.3%</td>' in page
    assert 'aria-label="重点施策1の実施率の推移：令和5年度 50%"' in page
    assert 'role="img"' in page and "<style" not in page.split('id="yearly"')[1].split("</section>")[0]
    # The chart's year and rate are text a resident can find on the page and copy.
    chart = page.split('id="yearly"')[1].split("</svg>")[0]
    assert re.findall(r"<text[^>]*>([^<]*)</text>", chart) == ["令和5年度", "0%", "50%", "100%", "50%"]


def test_a_years_page_shows_each_programmes_status_and_results(client, plan):
    status, page = get(client, year_url(plan, 2023))
    assert status == 200
    assert "<h1>令和5年度（2023年度）の実施状況</h1>" in page
    assert "（計画の1年目）" in page
    assert "<title>山口市再犯防止推進計画（規模1） 令和5年度の実施状況" in page
    assert '<td class="status status--implemented">実施</td>' in page
    assert "<p>職場体験を5回実施しました。</p>" in page
    assert '<td class="status status--partial">一部実施</td>' in page
    assert f'<a href="{plan.get_absolute_url()}">{plan.title}</a>' in page  # breadcrumbs back to the plan
    assert "このページについてのご意見" in page


def test_unreported_is_kept_apart_from_not_implemented(client, plan):
    _, page = get(client, year_url(plan, 2023))
    assert '<td class="status status--not_implemented">未実施</td>' in page
    assert "<p>協力事業所の調整がつきませんでした。</p>" in page
    assert '<td class="status status--unreported">未報告</td>' in page
    header = ('<th scope="col" class="num">実施</th><th scope="col" class="num">一部実施</th>'
              '<th scope="col" class="num">未実施</th><th scope="col" class="num">検討中</th>'
              '<th scope="col" class="num">未報告</th><th scope="col" class="num">実施率</th>')
    assert header in page
    # Area 1: 4 programmes, 1 実施, 1 一部実施, 1 未実施, 0 検討中, 1 未報告, 50 %.
    row = "".join(f'<td class="num">{n}</td>' for n in (4, 1, 1, 1, 0, 1)) + '<td class="num">50%</td>'
    assert row in page
    # Area 2 has no record at all: every programme 未報告, none 未実施, and no rate (not 0 %).
    row = "".join(f'<td class="num">{n}</td>' for n in (4, 0, 0, 0, 0, 4)) + '<td class="num">未報告</td>'
    assert row in page


def test_small_support_counts_are_masked(client, plan):
    _, page = get(client, year_url(plan, 2023))
    assert '<td class="num">12件</td>' in page
    assert '<td class="num">3件未満</td>' in page
    assert '<td class="num">2件</td>' not in page
    assert "人に関する3未満の数値を伏せたものです" in page


def test_a_year_entered_after_approval_appears_only_once_approved(client, plan):
    program = Program.objects.filter(measure__area__plan=plan).first()
    ProgramProgress.objects.create(program=program, fiscal_year=2024, status=Status.IMPLEMENTED,
                                   results="承認前の実績です。")
    assert client.get(year_url(plan, 2024)).status_code == 404
    _, page = get(client, plan.get_absolute_url())
    assert year_url(plan, 2024) not in page and "承認前の実績です。" not in page

    # Staff of the city preview it, marked 案, before asking for approval.
    editor = make_user("yamaguchi-editor", is_staff=True)
    StaffMembership.objects.create(user=editor, municipality=plan.municipality)
    client.force_login(editor)
    status, preview = get(client, year_url(plan, 2024) + "?preview=1")
    assert status == 200 and '<span class="badge badge--draft">案</span>' in preview
    assert "承認前の実績です。" in preview
    client.logout()

    publish(plan, summary="令和6年度の進捗を公開")
    status, page = get(client, year_url(plan, 2024))
    assert status == 200 and "承認前の実績です。" in page
    assert year_url(plan, 2024) in get(client, plan.get_absolute_url())[1]


def test_a_draft_plan_and_an_unreported_or_out_of_period_year_have_no_page(client, plan):
    draft = build_plan(municipality(code="352012", name="下関市"), published=False)
    ProgramProgress.objects.create(program=Program.objects.filter(measure__area__plan=draft).first(),
                                   fiscal_year=2023, status=Status.IMPLEMENTED)
    assert client.get(year_url(draft, 2023)).status_code == 404
    assert client.get(year_url(plan, 2025)).status_code == 404
    # A record for a year outside the plan's period (令和4年度) makes no page of it.
    ProgramProgress.objects.create(program=Program.objects.filter(measure__area__plan=plan).first(),
                                   fiscal_year=2022, status=Status.IMPLEMENTED)
    publish(plan)
    assert client.get(year_url(plan, 2022)).status_code == 404


def test_a_plan_with_nothing_reported_has_no_yearly_section(client):
    plan = build_plan(municipality())
    _, page = get(client, plan.get_absolute_url())
    assert 'id="yearly"' not in page and "年度ごとの実施状況" not in page


def test_an_area_without_programmes_reads_a_dash_not_zero(client, plan):
    PriorityArea.objects.create(plan=plan, number=7, title="広報・啓発")
    publish(plan)
    _, page = get(client, plan.get_absolute_url())
    assert '<th scope="row">7 広報・啓発</th><td class="num">－</td>' in page


def test_an_area_with_nothing_reported_for_the_year_reads_unreported_not_zero(client, plan):
    """Only area 1 reported 令和5年度: the others have no 0 % to show, their year is not reported yet."""
    _, page = get(client, plan.get_absolute_url())
    assert '<th scope="row">2 重点施策2</th><td class="num">未報告</td>' in page
    assert 'aria-label="重点施策2の実施率の推移：令和5年度 未報告"' in page
    _, page = get(client, year_url(plan, 2023))
    assert "（実施率 未報告）" in page and "（実施率 0%）" not in page
    data = json.loads(client.get(reverse("public:plan_json", args=[plan.pk])).getvalue())
    assert data["yearly_status"][0]["areas"][1]["implementation_rate"] is None


def test_the_open_data_holds_the_yearly_status(client, plan):
    data = json.loads(client.get(reverse("public:plan_json", args=[plan.pk])).getvalue())
    [year] = data["yearly_status"]
    assert year["fiscal_year"] == 2023 and year["fiscal_year_label"] == "令和5年度"
    assert year["implementation_rate"] == 8.3 and year["page"] == settings.SITE_URL + year_url(plan, 2023)
    area = year["areas"][0]
    assert area["implementation_rate"] == 50 and area["programs"] == 4
    assert area["status_counts"] == {"実施": 1, "一部実施": 1, "未実施": 1, "検討中": 0, "未報告": 1}
    # The programme's progress masks its small support count.
    programs = data["areas"][0]["measures"][0]["programs"]
    assert [p["progress"][0]["support_count"] for p in programs] == [12, "3件未満"]

    csv = client.get(reverse("public:plan_csv", args=[plan.pk, "implementation-rates"])).getvalue()
    rows = read_spreadsheet(csv)
    assert len(rows) == 6  # one row per area of the one reported year
    first = rows[0]
    assert rows.headers[:5] == ["全国地方公共団体コード", "地方公共団体名", "都道府県名", "市区町村名", "計画名"]
    assert rows.headers[5:] == ["年度", "年度の表記", "重点施策の番号", "重点施策名", "取組・事業の数",
                                "実施", "一部実施", "未実施", "検討中", "未報告", "実施率（%）"]
    assert [str(cell) for cell in first[5:]] == ["2023", "令和5年度", "1", "重点施策1", "4",
                                                  "1", "1", "1", "0", "1", "50"]


def test_the_sitemap_lists_the_years_pages(client, plan):
    assert year_url(plan, 2023) in client.get("/sitemap.xml").content.decode()


def test_the_year_page_shows_each_programmes_grade_and_issues_with_the_legend_in_the_plans_wording(client, plan):
    first = Program.objects.filter(measure__area__plan=plan, measure__area__number=1).first()
    progress = first.progress.get(fiscal_year=2023)
    progress.rating, progress.issues = "B", "参加者の定着が課題です。\n・来年度は事業所を増やします。"
    progress.save()
    EvaluationScale.objects.create(plan=plan, label_b="おおむね順調")
    _, page = get(client, year_url(plan, 2023))
    assert "評価（自己評価）" not in page  # not yet approved
    assert "参加者の定着が課題です。" not in page

    publish(plan, summary="令和5年度の評価を公開")
    _, page = get(client, year_url(plan, 2023))
    assert ('評価（自己評価）：A 計画どおり実施し、成果が上がった／B おおむね順調／C 一部の実施にとどまり、課題がある'
            '／D 実施できておらず、見直しが必要') in page
    assert '<th scope="col">評価</th><th scope="col">課題・今後の方向性</th>' in page
    row = re.search(rf'<th scope="row">{first.name}</th>.*?</tr>', page, flags=re.DOTALL).group()
    assert '<td class="rating">B</td>' in row
    assert "参加者の定着が課題です。" in row and "・来年度は事業所を増やします。" in row


def test_a_year_without_grades_shows_no_evaluation_columns(client, plan):
    _, page = get(client, year_url(plan, 2023))
    assert "評価（自己評価）" not in page and "課題・今後の方向性" not in page
