# ruff: noqa: F811 (the kumamoto_meeting fixture imported from tests.test_pdf_documents)
"""What a city prints and residents read: one mark per item, no empty headings, the whole 成果目標, headers
wrapped by word, and no 0 % for a year nobody reported."""

import datetime
import re
import subprocess
import tempfile

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import strip_tags

from councils.models import CouncilMember, Meeting
from measures.models import Measure, PriorityArea, Program, ProgramProgress
from plans.models import Challenge, Indicator, Organization, Plan, StaffMembership
from reoffense_portal.composition.summaries.documents import MeetingReport, PlanSummary
from tests.public_data import build_plan, municipality, publish
from tests.staff_world import entry_url, make_user
from tests.test_pdf_documents import kumamoto_meeting, pdf_text  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

OWN_MARK = "・協力雇用主への働きかけ"
OWN_MARK_DIRECT = "○相談窓口の周知"
OWN_MARK_CHALLENGE = "・住まいの確保が難しい"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def page_text(client, url) -> str:
    """What a resident reads on the page, without markup and spaces."""
    response = client.get(url)
    assert response.status_code == 200
    return re.sub(r"\s+", "", strip_tags(response.content.decode()))


def pdf_lines(data: bytes) -> list[str]:
    """The PDF's lines as laid out on the page (pdftotext -layout), each with its runs of spaces kept."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        text = subprocess.run(["pdftotext", "-layout", file.name, "-"], check=True, capture_output=True, text=True)
    return text.stdout.splitlines()


@pytest.fixture
def plan():
    """A plan as a city typed it: some names and 課題 with their own 「・」「○」, an area with nothing under it yet,
    a 成果目標 worded without its figures, and sections it does not have."""
    plan = build_plan(municipality(), published=False)
    Program.objects.filter(area__plan=plan, name="取組1-1-1").update(name=OWN_MARK)
    area2 = PriorityArea.objects.get(plan=plan, number=2)
    Program.objects.create(area=area2, order=1, name=OWN_MARK_DIRECT)
    Challenge.objects.filter(plan=plan, order=1).update(text=OWN_MARK_CHALLENGE)
    PriorityArea.objects.create(plan=plan, number=7, title="広報・啓発")
    Measure.objects.create(area=PriorityArea.objects.get(plan=plan, number=3), number=3, title="施策3-3")
    Indicator.objects.filter(plan=plan, kind=Indicator.Kind.TARGET).update(
        target_text="再犯を防ぎ、安全で安心して暮らせるまちをつくります。"
    )
    Plan.objects.filter(pk=plan.pk).update(purpose="", target_persons="", basic_policy="", progress_management="")
    plan.refresh_from_db()
    publish(plan)
    return plan


# --- one mark per item --------------------------------------------------------------------------------


def test_a_name_or_challenge_with_its_own_mark_gets_no_second_one_on_the_page(client, plan):
    text = page_text(client, plan.get_absolute_url())
    assert OWN_MARK in text and OWN_MARK_DIRECT in text and OWN_MARK_CHALLENGE in text
    assert "○・" not in text and "○○" not in text and "●・" not in text
    assert "○取組1-1-2" in text  # a name without a mark of its own gets the page's


def test_the_summary_pdf_prints_one_mark_per_item(plan):
    text = pdf_text(PlanSummary(plan, draft=False).pdf())
    assert "○・" not in text and "○○" not in text and "●・" not in text and "ア・" not in text
    assert OWN_MARK_CHALLENGE in text
    assert f"{OWN_MARK_DIRECT}（1）施策2-1" in text  # 施策の体系: the area's own programme, then its measure
    assert f"{OWN_MARK}事業の概要です。" in text  # the table: its own mark where the label ア would be
    assert "イ取組1-1-2" in text


def test_the_meeting_report_and_the_yearly_screen_print_one_mark_per_item(client, plan):
    meeting = Meeting.objects.filter(council__plan=plan, fiscal_year=2024).first()
    text = pdf_text(MeetingReport(meeting, draft=False).pdf())
    assert OWN_MARK in text and "ア・" not in text and "○・" not in text
    editor = make_user("editor")
    StaffMembership.objects.create(user=editor, municipality=plan.municipality, role="editor")
    client.force_login(editor)
    text = page_text(client, entry_url(plan, 2023))
    assert OWN_MARK in text and "○・" not in text and "○取組1-1-2" in text


# --- no empty headings ---------------------------------------------------------------------------------


def test_the_summary_pdf_leaves_out_what_the_plan_does_not_have_and_numbers_the_rest(plan):
    text = pdf_text(PlanSummary(plan, draft=False).pdf())
    assert "記載はありません" not in text
    assert "計画の目的" not in text and "計画の対象者" not in text and "2基本方針" not in text
    assert "第1章計画策定の趣旨1計画の位置付け" in text and "2計画の期間" in text
    assert "第3章基本理念・基本方針1基本理念" in text and "2成果目標" in text
    assert "1推進体制" in text and "進捗管理" not in text


def test_a_plan_with_only_its_period_and_one_area_prints_two_chapters(client):
    bare = Plan.objects.create(
        municipality=municipality(), title="下関市再犯防止推進計画", edition=1,
        period_start=datetime.date(2024, 4, 1), period_end=datetime.date(2029, 3, 31),
    )
    PriorityArea.objects.create(plan=bare, number=1, title="就労支援")
    text = pdf_text(PlanSummary(bare, draft=False).pdf())
    assert "記載はありません" not in text and "設定されていません" not in text
    # Nothing typed of its position (no 根拠法令 is assumed), so the period is the chapter's first section.
    assert "第1章計画策定の趣旨1計画の期間" in text and "計画の位置付け" not in text and "2計画" not in text.split("第2章")[0]
    assert "第2章施策の展開" in text and "第3章" not in text
    assert "1就労支援この重点施策に掲載している取組はありません。" in text


def test_the_meeting_report_leaves_out_a_chapter_the_meeting_has_nothing_for(plan):
    """A meeting with no agenda entered, of a council with no members entered: its report starts at the rates."""
    meeting = Meeting.objects.filter(council__plan=plan, fiscal_year=2024).first()
    CouncilMember.objects.filter(council=meeting.council).delete()
    text = pdf_text(MeetingReport(meeting, draft=False).pdf())
    assert "登録されていません" not in text and "次第" not in text and "構成団体" not in text
    assert "第1重点施策ごとの実施率（令和5年度）" in text and "第2取組・事業の実施状況（令和5年度）" in text
    assert "第3成果目標の状況" in text


def test_an_area_with_nothing_under_it_says_so_on_the_page_and_in_both_pdfs(client, plan):
    sentence = "この重点施策に掲載している取組はありません。"
    page, summary = page_text(client, plan.get_absolute_url()), pdf_text(PlanSummary(plan, draft=False).pdf())
    assert f"7広報・啓発{sentence}" in page and f"7広報・啓発{sentence}" in summary
    # A measure with no programme says so too, under its heading.
    assert "（3）施策3-3この施策に掲載している取組はありません。" in page
    assert "（3）施策3-3この施策に掲載している取組はありません。" in summary
    meeting = Meeting.objects.filter(council__plan=plan, fiscal_year=2024).first()
    ProgramProgress.objects.create(program=Program.objects.get(name=OWN_MARK), fiscal_year=2023, status="implemented")
    text = pdf_text(MeetingReport(meeting, draft=False).pdf())
    assert re.search(rf"7広報・啓発実施率－{sentence}", text), text[text.find("7広報・啓発実施率"):][:80]
    publish(plan)
    text = page_text(client, reverse("public:plan_progress", args=[plan.pk, 2023]))
    assert f"7広報・啓発（実施率－）{sentence}" in text


# --- 成果目標 ---------------------------------------------------------------------------------------------


def test_the_summary_pdfs_target_keeps_the_indicator_and_its_value_beside_its_wording(plan):
    text = pdf_text(PlanSummary(plan, draft=False).pdf())
    assert "再犯を防ぎ、安全で安心して暮らせるまちをつくります。" in text
    assert "指標：再犯者数1目標値：令和7年450人以下" in text


# --- headers by word -------------------------------------------------------------------------------------


def test_pdf_table_headers_and_short_labels_keep_their_words_on_one_line(kumamoto_meeting):
    """Not 「評／価」 or 「更生保護ボランティ／ア」 over two lines."""
    plan = kumamoto_meeting.council.plan
    hogoshikai = Organization.objects.create(municipality=plan.municipality, name="熊本市保護司会", sector="volunteer")
    CouncilMember.objects.create(council=kumamoto_meeting.council, organization=hogoshikai, order=2)
    report = pdf_lines(MeetingReport(kumamoto_meeting, draft=False).pdf())
    assert any(re.search(r"担当課\s+実施状況\s+評価\s+実績・成果／課題・今後の方向性", line) for line in report), report
    assert any(re.search(r"団体名\s+分野\s+役職\s+委員の職名", line) for line in report)
    summary = pdf_lines(PlanSummary(plan, draft=False).pdf())
    for lines in (report, summary):
        assert any(re.search(r"保護司会\s+更生保護ボランティア(\s|$)", line) for line in lines), lines
        assert not any(line.strip() in ("価", "ア", "数", "名") for line in lines)


# --- a year nobody reported -----------------------------------------------------------------------------


def test_the_meeting_report_prints_an_area_with_nothing_reported_as_unreported_not_0_percent(kumamoto_meeting):
    """熊本市 reported 令和5年度 for one programme of area 1 only."""
    text = pdf_text(MeetingReport(kumamoto_meeting, draft=False).pdf())
    assert "1国・県・関係団体との連携強化と広報・啓発の推進425%" in text  # 4 programmes, 1 carried out
    assert "2住居の確保に関する支援4未報告" in text
    assert "住居の確保に関する支援実施率未報告" in text
    assert "住居の確保に関する支援40%" not in text and "実施率0%" not in text
