# ruff: noqa: F811 (the kumamoto_meeting fixture imported from tests.test_pdf_documents)
"""Staff text reaches residents as written: paragraphs, line breaks and 「○」「・」 items, on the pages and in the PDFs.

Programmes an area lists without a measure (as 熊本市's summary edition does) stand under the area,
before its measures, never under a bare 「（2）」.
"""

import io
import re

import pytest
from django.core.cache import cache
from pypdf import PdfReader

from councils.models import AgendaItem, Meeting
from measures.models import Measure, Program
from plans.models import Challenge, FormulationStep, Indicator
from plans.templatetags.text import as_written
from reoffense_portal.composition.summaries.documents import MeetingReport, PlanSummary
from tests.public_data import build_plan, municipality, publish
from tests.test_pdf_documents import kumamoto_meeting, pdf_text  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

DESCRIPTION = (
    "協力雇用主と連携し、就労の場を確保します。\n"
    "○ 職場体験の受入れ\n"
    "　・ 市役所での短期雇用\n"
    "・ 就労後の定着支援<script>alert(1)</script>\n"
    "\n"
    "令和5年度から実施しています。\n"
    "年2回、実績を報告します。"
)
MINUTES = "1　開会\n2　議事\n○ 取組状況の報告\n○ 意見交換\n\n3　閉会"
CHALLENGE = "帰住先（住まい）や就労先の確保\n・ 協力雇用主の不足\n・ 保証人のいない人の入居"
STEP = "素案について意見を募集しました。\n○ 意見の数：12件\n○ 意見を反映した箇所：3か所"
NOTE = "基準値は令和元年の数値です。\n・ 出典：熊本県警察（暦年）"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def plan():
    plan = build_plan(municipality(), published=False)
    Program.objects.filter(area__plan=plan, name="取組1-1-1").update(description=DESCRIPTION)
    Meeting.objects.filter(council__plan=plan).update(minutes=MINUTES)
    Challenge.objects.filter(plan=plan, order=1).update(text=CHALLENGE)
    FormulationStep.objects.filter(plan=plan).filter(pk=plan.formulation_steps.first().pk).update(description=STEP)
    Indicator.objects.filter(plan=plan, kind=Indicator.Kind.TARGET, order=1).update(note=NOTE)
    # Area 2's second measure was never printed: its programmes belong to the area itself.
    Program.objects.filter(area__plan=plan, measure__area__number=2, measure__number=2).update(measure=None)
    Measure.objects.filter(area__plan=plan, area__number=2, number=2).delete()
    publish(plan)
    return plan


def test_paragraphs_line_breaks_and_marked_items_are_kept_and_escaped():
    assert as_written(DESCRIPTION) == (
        "<p>協力雇用主と連携し、就労の場を確保します。</p>"
        '<ul class="as-written"><li>○ 職場体験の受入れ</li><li class="as-written__sub">・ 市役所での短期雇用</li>'
        "<li>・ 就労後の定着支援&lt;script&gt;alert(1)&lt;/script&gt;</li></ul>\n"
        "<p>令和5年度から実施しています。<br>年2回、実績を報告します。</p>"
    )


def test_a_line_indented_under_an_item_continues_it_and_a_minus_sign_is_no_mark():
    assert as_written("○ 住居の確保\r\n　公営住宅の活用\r\n-2.5%の減少\r\n\r\n\r\n- 就労") == (
        '<ul class="as-written"><li>○ 住居の確保<br>公営住宅の活用</li></ul><p>-2.5%の減少</p>\n'
        '<ul class="as-written"><li>- 就労</li></ul>'
    )


def test_the_plan_page_shows_the_programme_description_as_written(client, plan):
    html = client.get(plan.get_absolute_url()).content.decode()
    assert (
        '<div class="programs__desc"><p>協力雇用主と連携し、就労の場を確保します。</p>'
        '<ul class="as-written"><li>○ 職場体験の受入れ</li>'
    ) in html
    assert "<p>令和5年度から実施しています。<br>年2回、実績を報告します。</p>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_the_meeting_page_shows_the_minutes_as_written(client, plan):
    meeting = Meeting.objects.filter(council__plan=plan).first()
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert (
        '<p>1　開会<br>2　議事</p><ul class="as-written"><li>○ 取組状況の報告</li><li>○ 意見交換</li></ul>\n<p>3　閉会</p>'
    ) in html


def test_an_areas_own_programmes_come_first_without_a_heading_or_number(client, plan):
    html = client.get(plan.get_absolute_url()).content.decode()
    area = html[html.index("</span> 重点施策2"):html.index("</span> 重点施策3")]
    assert "（2）" not in area
    assert area.index("取組2-2-1") < area.index("<h4>（1）施策2-1</h4>")
    assert area.count("<h4>") == 1


def test_the_summary_pdf_keeps_the_lines_and_prints_no_bare_number(plan):
    summary = PlanSummary(plan, draft=False)
    assert "（2）</h3>" not in summary.html and "（2）<br>" not in summary.html
    data = summary.pdf()
    lines = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert (
        "確保します。\n○ 職場体験の受入れ\n・ 市役所での短期雇用\n・ 就労後の定着支援<script>alert(1)</script>\n"
        "令和5年度から実施しています。\n年2回、実績を報告します。"
    ) in lines
    text = pdf_text(data)
    # 施策の体系 names the area's own programmes (○), then its measure; no （2） anywhere in the area.
    assert "○取組2-2-1○取組2-2-2（1）施策2-1" in text
    assert "（2）施策2-2" not in text and "（2）取組2-2-1" not in text


def test_kumamotos_meeting_report_prints_no_bare_number_and_the_agenda_as_written(kumamoto_meeting):
    assert Program.objects.filter(area__plan=kumamoto_meeting.council.plan, measure=None).count() == 4
    AgendaItem.objects.filter(meeting=kumamoto_meeting).update(description="○ 取組状況\n○ 意見交換")
    html = MeetingReport(kumamoto_meeting, draft=False).html
    assert not re.search(r"<h3>（\d+）</h3>", html)
    area6 = html[html.index("6　犯罪をした人等の特性に応じた指導・支援<span"):]
    assert "<h3>" not in area6[:area6.index("女性からの様々な相談に対する助言や援助")]
    assert '<ul class="as-written"><li>○ 取組状況</li><li>○ 意見交換</li></ul>' in html


def test_the_plan_page_keeps_the_lines_of_a_challenge_and_a_formulation_step(client, plan):
    html = client.get(plan.get_absolute_url()).content.decode()
    assert (
        '<li><span class="bullets__mark" aria-hidden="true">●</span><p>帰住先（住まい）や就労先の確保</p>'
        '<ul class="as-written"><li>・ 協力雇用主の不足</li>'
        "<li>・ 保証人のいない人の入居</li></ul></li>"
    ) in html
    assert (
        '<td><p>素案について意見を募集しました。</p><ul class="as-written"><li>○ 意見の数：12件</li>'
        "<li>○ 意見を反映した箇所：3か所</li></ul></td>"
    ) in html


def test_the_summary_pdf_keeps_the_lines_of_a_challenge_and_prints_the_target_note(plan):
    data = PlanSummary(plan, draft=False).pdf()
    lines = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "帰住先（住まい）や就労先の確保\n・ 協力雇用主の不足\n・ 保証人のいない人の入居" in lines
    assert "基準値は令和元年の数値です。\n・ 出典：熊本県警察（暦年）" in lines


def test_the_meeting_report_prints_the_target_note_as_written(plan):
    meeting = Meeting.objects.filter(council__plan=plan).first()
    html = MeetingReport(meeting, draft=False).html
    assert '<p>基準値は令和元年の数値です。</p><ul class="as-written"><li>・ 出典：熊本県警察（暦年）</li></ul>' in html
