"""The printed summaries: the facts they state, their typesetting, their cache and their safety."""

import datetime
import io
import re
import subprocess
from decimal import Decimal

import pytest
from django.core.cache import cache
from pypdf import PdfReader

from councils.models import AgendaItem, Council, CouncilMember, Meeting
from measures.models import PriorityArea, Program, ProgramProgress
from plans.models import Organization, Plan
from reoffense_portal.composition.summaries import typesetting
from reoffense_portal.composition.summaries.documents import MeetingReport, PlanSummary, katakana_label

pytestmark = pytest.mark.django_db

KUMAMOTO_PLAN = 2001
YAMAGUCHI_PLAN = 1001
HOSTILE = "<link rel=attachment href=file:///etc/passwd>"


@pytest.fixture
def cold_cache():
    """The PDF caches are keyed by content, so tests may share renders; these tests need none."""
    cache.clear()
    typesetting.forget_typeset()
    yield
    cache.clear()


def squeeze(text: str) -> str:
    """Extracted text without the line breaks and spaces layout puts inside phrases."""
    return re.sub(r"\s+", "", text)


def pdf_text(data: bytes) -> str:
    return squeeze(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def page_texts(data: bytes) -> list[str]:
    return [squeeze(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def kumamoto_plan() -> Plan:
    return Plan.objects.select_related("municipality__prefecture", "department").get(
        pk=KUMAMOTO_PLAN
    )


@pytest.fixture
def kumamoto_meeting(seeded):
    """A 熊本市再犯防止推進連絡会 meeting of 令和6年度 reviewing 令和5年度, with an agenda, members and progress."""
    plan = kumamoto_plan()
    council = Council.objects.get(plan=plan, kind=Council.Kind.LIAISON)
    meeting = Meeting.objects.create(
        council=council,
        fiscal_year=2024,
        sequence=1,
        status=Meeting.Status.HELD,
        held_on=datetime.date(2024, 7, 10),
        venue="熊本市役所 本館14階 会議室",
    )
    AgendaItem.objects.create(meeting=meeting, order=1, title="令和5年度の取組状況について")
    hogoshi = Organization.objects.create(
        municipality=plan.municipality, name="熊本保護観察所", sector=Organization.Sector.NATIONAL
    )
    CouncilMember.objects.create(
        council=council, organization=hogoshi, role=CouncilMember.Role.CHAIR
    )
    programs = list(Program.objects.of_plan(plan).filter(area__number=1).order_by("pk"))
    ProgramProgress.objects.create(
        program=programs[0],
        fiscal_year=2023,
        status=ProgramProgress.Status.IMPLEMENTED,
        results="社会を明るくする運動の街頭啓発を3回実施",
        support_count=12,
    )
    return meeting


def test_katakana_labels_follow_the_gojuon_order():
    assert [katakana_label(n) for n in (1, 2, 3, 11, 46)] == ["ア", "イ", "ウ", "サ", "ン"]


def test_kumamoto_summary_states_the_key_facts(seeded):
    plan = kumamoto_plan()
    text = pdf_text(PlanSummary(plan, draft=False).pdf())

    assert "熊本市" in text
    assert "熊本市再犯防止推進計画" in text
    assert "概要版" in text
    assert squeeze("令和3年度（2021年度）～令和7年度（2025年度）") in text
    assert "熊本市の刑法犯検挙人員中の再犯者数を450人以下とします。" in text
    assert "基準値：令和元年564人" in text
    assert "1,107人" in text  # a context statistic
    assert "編集・発行：熊本市文化市民局市民生活部生活安全課" in text
    for area in PriorityArea.objects.filter(plan=plan):
        assert squeeze(area.title) in text
        assert squeeze(area.page_reference) in text
    for heading in (
        "第1章計画策定の趣旨",
        "第2章",
        "第3章基本理念・基本方針",
        "第4章施策の展開",
        "第5章計画の推進体制",
    ):
        assert heading in text


def test_summary_numbers_every_page_but_the_cover(seeded):
    pages = page_texts(PlanSummary(kumamoto_plan(), draft=False).pdf())
    assert len(pages) >= 4
    assert "－1－" not in pages[0]
    for number, text in enumerate(pages[1:], start=2):
        assert f"－{number}－" in text


@pytest.mark.parametrize("kind", ["summary", "report"])
def test_every_font_is_embedded_and_it_is_biz_ud_gothic(kumamoto_meeting, tmp_path, kind):
    document = (
        PlanSummary(kumamoto_plan(), draft=False) if kind == "summary" else MeetingReport(kumamoto_meeting, draft=False)
    )
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(document.pdf())
    lines = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    fonts = lines[2:]
    assert fonts, "the PDF has no fonts"
    for line in fonts:
        columns = line.split()
        assert "BIZ-UDGothic" in columns[0]
        assert columns[-5] == "yes", (
            f"not embedded: {line}"
        )  # emb sub uni object ID → emb is 5th from the end


def test_summary_is_tagged_titled_and_in_japanese(seeded):
    reader = PdfReader(io.BytesIO(PlanSummary(kumamoto_plan(), draft=False).pdf()))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "ja"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == "熊本市再犯防止推進計画 概要版"


def structure_elements(node, found):
    """Every element of the PDF's structure tree (the tags screen readers use), depth first."""
    node = node.get_object()
    if isinstance(node, dict):
        if "/S" in node:
            found.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            structure_elements(kid, found)
    return found


def test_the_kpi_chart_is_a_figure_with_its_data_as_alternative_text(seeded):
    reader = PdfReader(io.BytesIO(PlanSummary(kumamoto_plan(), draft=False).pdf()))
    elements = structure_elements(reader.trailer["/Root"]["/StructTreeRoot"], [])
    figures = [element for element in elements if element["/S"] == "/Figure"]
    assert len(figures) == 1
    assert figures[0]["/Alt"] == "刑法犯検挙人員中の再犯者数の推移：令和元年（基準値） 564人。目標 450人以下"
    roles = {element["/S"] for element in elements}
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/TD"} <= roles


def test_a_draft_is_marked_on_every_page(seeded):
    summary = PlanSummary(kumamoto_plan(), draft=True)
    data = summary.pdf()

    assert summary.title == "熊本市再犯防止推進計画 概要版（案）"
    assert PdfReader(io.BytesIO(data)).metadata.title == summary.title
    for text in page_texts(data):
        assert "案" in text
    assert 'class="draft-label"' in summary.html and 'class="watermark"' in summary.html


def test_a_published_summary_carries_no_draft_mark(seeded):
    summary = PlanSummary(kumamoto_plan(), draft=False)
    assert not summary.draft
    assert "draft-label" not in summary.html.split("</head>")[1]
    assert "watermark" not in summary.html.split("</head>")[1]


def test_meeting_report_shows_the_reviewed_year_rates_kpis_and_members(kumamoto_meeting):
    report = MeetingReport(kumamoto_meeting, draft=False)
    assert report.reviewed_fiscal_year == 2023  # not recorded: the year before the meeting's
    text = pdf_text(report.pdf())

    assert "令和6年度第1回熊本市再犯防止推進連絡会" in text
    assert "令和6年7月10日（水）" in text
    assert "令和5年度の取組状況について" in text
    assert "令和5年度（2023年度）" in text
    # Area 1 has 4 programmes in the fixture, one of them carried out in 令和5年度.
    area = PriorityArea.objects.get(plan=kumamoto_meeting.council.plan, number=1)
    assert area.implementation_rate(2023) == Decimal("25.0")
    assert "25%" in text
    assert "社会を明るくする運動の街頭啓発を3回実施" in text
    assert "支援件数：12件" in text
    assert "未報告" in text
    for title in PriorityArea.objects.filter(plan=kumamoto_meeting.council.plan).values_list(
        "title", flat=True
    ):
        assert squeeze(title) in text
    assert "令和元年564人" in text and "450人以下" in text  # baseline and target of the KPI
    assert "目標まで残り114人" in text
    assert "熊本保護観察所" in text and "会長" in text


def test_meeting_report_uses_the_recorded_review_year(kumamoto_meeting):
    kumamoto_meeting.reviewed_fiscal_year = 2022
    assert MeetingReport(kumamoto_meeting, draft=False).reviewed_fiscal_year == 2022


def test_the_cache_returns_the_same_bytes_until_the_data_changes(seeded, cold_cache, monkeypatch):
    renders = []
    real_render = typesetting.render_pdf

    def counting_render(html, **kwargs):
        renders.append(html)
        return real_render(html, **kwargs)

    monkeypatch.setattr(typesetting, "render_pdf", counting_render)

    first = PlanSummary(kumamoto_plan(), draft=False).pdf()
    again = PlanSummary(kumamoto_plan(), draft=False).pdf()
    assert again == first
    assert len(renders) == 1

    area = PriorityArea.objects.get(plan_id=KUMAMOTO_PLAN, number=2)
    area.title = "住まいの確保に関する支援"
    area.save()
    changed = PlanSummary(kumamoto_plan(), draft=False).pdf()
    assert len(renders) == 2
    assert changed != first
    assert "住まいの確保に関する支援" in pdf_text(changed)
    assert PlanSummary(kumamoto_plan(), draft=False).pdf() == changed
    assert len(renders) == 2


def test_staff_markup_is_printed_as_text_and_attaches_nothing(seeded):
    plan = kumamoto_plan()
    plan.purpose = HOSTILE
    plan.save()
    PriorityArea.objects.filter(plan=plan, number=1).update(
        title='<img src="file:///etc/passwd">連携強化'
    )
    summary = PlanSummary(kumamoto_plan(), draft=False)
    assert "&lt;link rel=attachment" in summary.html and HOSTILE not in summary.html

    data = summary.pdf()
    text = pdf_text(data)
    assert squeeze(HOSTILE) in text
    assert squeeze('<img src="file:///etc/passwd">連携強化') in text
    assert "root:" not in text
    reader = PdfReader(io.BytesIO(data))
    assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})
    assert b"/EmbeddedFile" not in data and b"/FileAttachment" not in data


def test_the_fetcher_serves_only_static_files_and_the_font(settings, tmp_path):
    static = tmp_path / "static"
    (static / "pdf").mkdir(parents=True)
    (static / "pdf" / "summary.css").write_text("p { color: black }")
    (tmp_path / "secret.css").write_text("secret")
    fetcher = typesetting.url_fetcher([str(static)], charts={"a1.svg": "<svg/>"})

    assert fetcher.fetch((static / "pdf" / "summary.css").as_uri()).read() == b"p { color: black }"
    font = typesetting.FONT_FILES[400]
    assert fetcher.fetch(font.as_uri()).read(4) == font.read_bytes()[:4]
    assert fetcher.fetch("portal-chart:a1.svg").read() == b"<svg/>"
    for url in (
        "file:///etc/passwd",
        (tmp_path / "secret.css").as_uri(),
        static.as_uri() + "/pdf/../../secret.css",
        "http://example.com/style.css",
        "https://example.com/font.ttf",
        "data:text/css,p%7Bcolor:red%7D",
        "ftp://example.com/x.css",
        "summary.css",
        "portal-chart:other.svg",
        "portal-chart:../../etc/passwd",
    ):
        with pytest.raises(PermissionError):
            fetcher.fetch(url)


def test_a_render_over_the_time_limit_stops_with_a_japanese_error(
    seeded, cold_cache, settings, caplog
):
    settings.PDF_RENDER_TIMEOUT = 0.01
    with pytest.raises(typesetting.PdfRenderTimeout) as raised:
        PlanSummary(kumamoto_plan(), draft=False).pdf()
    assert "制限時間（0.01秒）内に終わらなかったため中止しました" in raised.value.message
    assert "PDF render stopped after 0.01s" in caplog.text
    assert cache.get(PlanSummary(kumamoto_plan(), draft=False).cache_key) is None  # nothing half-made is kept


def test_a_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(typesetting.FONT_FILES, 400, tmp_path / "missing.ttf")
    with pytest.raises(typesetting.FontMissing) as raised:
        typesetting.render_pdf("<p>x</p>", static_roots=[])
    assert "BIZ UDゴシック" in raised.value.message


def test_rates_by_area_agree_with_each_areas_own_rate(kumamoto_meeting):
    plan = kumamoto_meeting.council.plan
    rates = Program.objects.of_plan(plan).implementation_rates_by_area(2023)
    for area in PriorityArea.objects.filter(plan=plan):
        assert rates[area.pk] == area.implementation_rate(2023)
    assert rates[PriorityArea.objects.get(plan=plan, number=1).pk] == Decimal("25.0")


def test_queries_do_not_grow_with_the_plan(kumamoto_meeting, django_assert_max_num_queries):
    """Prefetched: a fixed number of queries however many areas, measures and programmes."""
    plan = kumamoto_plan()
    # The areas' own programmes are one query more; the 策定経過 and the indicators' comparison figures two more.
    with django_assert_max_num_queries(15):
        assert PlanSummary(plan, draft=False).html
    meeting = Meeting.objects.select_related("council__plan__municipality").get(
        pk=kumamoto_meeting.pk
    )
    # Their year's progress (two queries more), the agenda items with what each reviewed, and the plan's
    # wording of the grades A–D.
    with django_assert_max_num_queries(22):
        assert MeetingReport(meeting, draft=False).html
