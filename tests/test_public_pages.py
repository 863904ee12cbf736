"""Each public page shows the seeded facts of 山口市 and 熊本市, as a resident reads them."""

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache

from councils.models import CouncilMember, Meeting
from plans.models import Organization, Plan
from tests.public_data import attach_plan_document, build_plan, fill_meeting, municipality, publish
from tests.test_fixtures import YAMAGUCHI_AREAS, YAMAGUCHI_PROGRAMMES

pytestmark = pytest.mark.django_db

# 1.38 MB as the city's page labels the plan's PDF.
YAMAGUCHI_PDF_SIZE = 1447034


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def text_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    html = re.sub(r"<svg\b.*?</svg>", "", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&quot;", '"')


def test_home_leads_to_the_prefectures_and_lists_recent_meetings(client, seeded):
    html = client.get("/").content.decode()
    assert 'href="/prefectures/350001/">山口県</a>' in html and 'href="/prefectures/430005/">熊本県</a>' in html
    assert 'href="/prefectures/">都道府県別の策定状況の一覧</a>' in html
    text = text_of(client, "/")
    assert "第二次山口市再犯防止推進計画 計画期間" not in text  # plans are listed by prefecture, not here
    assert "令和6年12月24日 令和6年度第1回山口市再犯防止推進協議会 （山口市）" in text


def test_municipality_page_shows_its_plan_council_and_contact(client, seeded):
    text = text_of(client, "/municipalities/352039/")
    assert "山口市の再犯防止推進計画" in text
    assert "計画期間 令和7年度（2025年度）～令和11年度（2029年度）" in text
    assert "推進体制： 山口市再犯防止推進協議会" in text
    assert "〒753-8650 山口市亀山町2番1号 山口総合支所1階" in text


def test_plan_page_shows_the_update_day_in_wareki_and_western_years(client, seeded):
    assert "更新日： 令和7年4月1日 （2025年4月1日）" in text_of(client, "/plans/1001/")


def test_yamaguchi_plan_page_shows_areas_measures_programmes_meetings_document_and_contact(client, seeded):
    attach_plan_document(Plan.objects.get(pk=1001), name="keikaku.pdf", content=b"%PDF" + b"0" * (YAMAGUCHI_PDF_SIZE - 4))
    publish(Plan.objects.get(pk=1001))
    text = text_of(client, "/plans/1001/")
    assert "計画期間 令和7年度（2025年度）～令和11年度（2029年度）" in text
    assert "第二次山口市再犯防止推進計画 [PDFファイル／1.38MB]" in text
    assert "「地域共生社会」の実現を目指し" in text  # 目的
    assert "次に掲げる6つの取組を重点的に推進しています。" in text  # 基本方針
    for number, (area, measures) in enumerate(YAMAGUCHI_AREAS.items(), start=1):
        assert f"{number} {area}" in text
        for measure_number, measure in enumerate(measures, start=1):
            assert f"（{measure_number}）{measure}" in text
    for _, _, programme, _ in YAMAGUCHI_PROGRAMMES:
        assert programme in text
    assert "連携：ひまわり寮" not in text and "連携：山口更生保護会" in text
    # The council's meetings so far were held before the second plan's period (令和7～11年度): listed apart.
    assert "計画期間（令和7年度～令和11年度）の会議はまだありません。" in text
    assert "計画期間（令和7年度～令和11年度）外に開催した会議" in text
    for seed_line in [
        "令和6年度第1回山口市再犯防止推進協議会 （令和6年12月24日開催・計画期間外）",
        "令和5年度第1回山口市再犯防止推進協議会 （令和5年7月24日開催・計画期間外）",
        "令和4年度第1回山口市再犯防止推進協議会 （令和4年7月8日開催・計画期間外）",
        "令和3年度第1回山口市再犯防止推進協議会 （令和3年7月21日開催・計画期間外）",
    ]:
        assert seed_line in text
    assert "地域福祉課 総務担当・地域福祉担当" in text
    assert "電話 083-934-2790 ファクス 083-934-5087" in text


def test_plan_document_link_serves_the_file(client, seeded):
    attach_plan_document(Plan.objects.get(pk=1001), name="keikaku.pdf")
    assert client.get("/plans/1001/document/").status_code == 404  # not approved yet
    publish(Plan.objects.get(pk=1001))
    response = client.get("/plans/1001/document/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "filename*=utf-8''" in response["Content-Disposition"]


def test_kumamoto_plan_page_shows_texts_targets_statistics_and_challenges(client, seeded):
    text = text_of(client, "/plans/2001/")
    assert "計画期間 令和3年度（2021年度）～令和7年度（2025年度）" in text
    assert "根拠法令 再犯の防止等の推進に関する法律第8条第1項" in text
    assert "再犯防止等推進法第8条第1項に定める「地方再犯防止推進計画」" in text  # 位置付け
    assert "計画の対象者 犯罪をした人等で、更生の思いがあり" in text
    assert "基本理念 犯罪をした人等の人権を尊重し" in text
    assert "基本方針 犯罪をした人等が、社会において孤立することなく" in text
    for challenge in ["支援対象者の更生に対する市民や地域社会の理解促進", "帰住先（住まい）や就労先の確保"]:
        assert challenge in text
    # 成果目標: statement, baseline, target, progress in words, and the data table beside the chart.
    assert "熊本市の刑法犯検挙人員中の再犯者数を450人以下とします。" in text
    assert "基準値 令和元年 564人" in text
    assert "目標値 450人以下" in text
    assert "進捗：目標まで残り114人" in text
    assert "暦年 実績 令和元年 564人 目標 450人以下" in text
    # Context statistics beside the prefecture's and the nation's columns.
    assert "刑法犯少年数（単位：人） 暦年 熊本市 熊本県 全国 令和元年 178人 － －" in text
    assert "刑法犯検挙人員 1,107人" in text
    assert "1 国・県・関係団体との連携強化と広報・啓発の推進 （本編P27～P33）" in text
    assert "文化市民局市民生活部 生活安全課" in text
    for council in ["再犯防止関係課長会議", "熊本市再犯防止推進連絡会", "熊本県再犯防止推進連絡協議会"]:
        assert council in text


def test_kpi_chart_is_an_inline_svg_with_a_text_alternative(client, seeded):
    html = client.get("/plans/2001/").content.decode()
    assert '<svg role="img" aria-label="刑法犯検挙人員中の再犯者数の推移：令和元年（基準値） 564人。目標 450人以下"' in html


def test_kpi_chart_labels_are_text_a_resident_can_find_and_copy(client, seeded):
    """The chart's year, figures and legend are text on the page (found by the browser's search, copied,
    sharp when enlarged), not drawn outlines."""
    html = client.get("/plans/2001/").content.decode()
    chart = html[html.index("<svg"):html.index("</svg>")]
    assert re.findall(r"<text[^>]*>([^<]*)</text>", chart) == [
        "令和元年", "0", "100", "200", "300", "400", "500", "600", "人", "564",
        "実績", "基準値（令和元年）", "目標 450人以下",
    ]


def test_plan_page_shows_formulation_history(client, seeded):
    plan = Plan.objects.get(pk=1001)
    plan.formulation_steps.create(order=1, date="2024-12-24", kind="council", description="推進協議会で素案を審議")
    plan.formulation_steps.create(order=2, date="2025-01-10", end_date="2025-02-09", kind="public_comment",
                                  description="パブリックコメントを実施")
    publish(plan)
    text = text_of(client, "/plans/1001/")
    assert "令和6年12月24日 協議会等での審議 推進協議会で素案を審議" in text
    assert "令和7年1月10日～令和7年2月9日 パブリックコメント パブリックコメントを実施" in text


def test_council_page_lists_member_organisations_and_meetings(client, seeded):
    organisation = Organization.objects.get(municipality="352039", name="山口更生保護会")
    CouncilMember.objects.create(council_id=1001, organization=organisation, role="chair", representative="理事長")
    publish(Plan.objects.get(pk=1001))
    text = text_of(client, "/councils/1001/")
    assert "山口更生保護会 理事長 民間非営利団体 会長" in text
    assert "令和6年度第1回山口市再犯防止推進協議会 （令和6年12月24日開催・計画期間外）" in text
    assert "関係団体や専門家の方々を構成員とする" in text


def test_meeting_page_shows_agenda_minutes_and_documents(client, seeded):
    document = fill_meeting(Meeting.objects.get(pk=1024))
    publish(Plan.objects.get(pk=1001))
    text = text_of(client, "/meetings/1024/")
    assert "開催日時 令和6年12月24日（2024年12月24日）" in text
    assert "再犯防止推進計画の取組状況について" in text
    assert "審議した重点施策： 就労支援 、 居住支援" in text
    assert "各重点施策の取組状況について報告し" in text
    assert "資料：資料1 取組状況 [PDFファイル／2KB]" in text
    response = client.get(f"/meetings/documents/{document.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_plan_past_its_period_stays_readable_and_says_so(client, db):
    plan = build_plan(municipality())  # 令和5年度～令和9年度: ends on 2028-03-31
    with time_machine.travel(datetime.datetime(2028, 3, 31, 12, tzinfo=datetime.UTC)):
        assert "計画期間を終えた計画です" not in text_of(client, f"/plans/{plan.pk}/")
    with time_machine.travel(datetime.datetime(2028, 4, 1, 12, tzinfo=datetime.UTC)):
        assert "計画期間を終えた計画です（令和5年度～令和9年度）。" in text_of(client, f"/plans/{plan.pk}/")


def test_every_page_has_one_h1_landmarks_skip_link_and_japanese_language(client, seeded):
    for url in ["/", "/municipalities/431001/", "/plans/2001/", "/councils/2001/", "/meetings/1021/", "/accessibility/"]:
        html = client.get(url).content.decode()
        assert '<html lang="ja">' in html
        assert html.count("<h1") == 1, url
        assert '<a class="skip-link" href="#main">本文へ移動</a>' in html
        for landmark in ("<header", "<main", "<footer", "<nav"):
            assert landmark in html


def test_accessibility_policy_states_target_scope_method_and_results(client, db):
    text = text_of(client, "/accessibility/")
    assert "JIS X 8341-3:2016" in text and "適合レベルAA" in text
    assert "対象範囲" in text and "試験の方法" in text and "試験の結果" in text
    assert "axe-core" in text and "WCAG 2.0 と WCAG 2.1 のレベルA・AA" in text


def test_unknown_pages_answer_a_japanese_404(client, db):
    response = client.get("/plans/999999/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


def test_pages_answer_head_requests(client, seeded):
    for url in ["/", "/plans/1001/", "/councils/1001/", "/meetings/1024/", "/feeds/meetings.ics"]:
        assert client.head(url).status_code == 200, url
