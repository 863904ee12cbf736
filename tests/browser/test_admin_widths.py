"""The main admin screens fit the window: nothing scrolls sideways at 1,280 px, the screens of programmes
cut nothing off at 375 px, names read as words and selects show their whole choice.

A superuser (every municipality, every filter) on the real Kumamoto and Yamaguchi plans.
"""

import pytest
from django.urls import reverse

from measures.models import Program, ProgramProgress
from plans.models import Plan
from tests.browser.staff_steps import log_in
from tests.staff_world import PASSWORD, make_user

KUMAMOTO_PLAN = 2001
YAMAGUCHI_PLAN = 1001
MEASURE = 20131  # 就労に向けた相談・支援等の充実, with its programmes
DIRECT_AREA = 2016  # 犯罪をした人等の特性に応じた指導・支援: programmes without a measure


@pytest.fixture
def superuser(seeded):
    return make_user("admin", password=PASSWORD, is_staff=True, is_superuser=True)


def meeting_with_agenda():
    """A meeting of Kumamoto's 連絡会, with an agenda item that reviewed a measure and two of its programmes."""
    from councils.models import AgendaItem, Council, Meeting
    from measures.models import Measure

    council = Council.objects.get(plan_id=KUMAMOTO_PLAN, kind=Council.Kind.LIAISON)
    meeting = Meeting.objects.create(council=council, fiscal_year=2024, sequence=9)
    item = AgendaItem.objects.create(meeting=meeting, order=99, title="就労支援の取組状況について")
    measure = Measure.objects.get(pk=MEASURE)
    item.measures.add(measure)
    item.programs.add(*measure.programs.all()[:2])
    return meeting


def scroll_width(page, url):
    page.goto(url)
    return page.evaluate("document.documentElement.scrollWidth")


def yearly_screen(plan_id):
    plan = Plan.objects.get(pk=plan_id)
    return reverse("admin:measures_programprogress_entry", args=[plan.pk, plan.last_fiscal_year])


def test_no_main_admin_screen_scrolls_sideways_at_1280_px(page, superuser):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "admin")
    screens = {
        "熊本市の計画": reverse("admin:plans_plan_change", args=[KUMAMOTO_PLAN]),
        "山口市の計画": reverse("admin:plans_plan_change", args=[YAMAGUCHI_PLAN]),
        "施策": reverse("admin:measures_measure_change", args=[MEASURE]),
        "取組・事業の一覧": reverse("admin:measures_program_changelist"),
        "年度の進捗入力": yearly_screen(KUMAMOTO_PLAN),
        "会議（議題と審議した項目）": reverse("admin:councils_meeting_change", args=[meeting_with_agenda().pk]),
    }
    widths = {name: scroll_width(page, url) for name, url in screens.items()}
    assert {name: width for name, width in widths.items() if width > 1280} == {}, widths


def test_the_yearly_screen_fits_a_phone(page, superuser):
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, "admin")
    width = scroll_width(page, yearly_screen(KUMAMOTO_PLAN))
    assert width <= 375
    # Programme names keep whole words on a line: their cell is at least half the screen wide.
    cell = page.locator(".program-row td").first.bounding_box()
    assert cell["width"] >= 375 / 2


def test_the_delete_column_reads_on_one_line_and_descriptions_grow_with_their_text(page, superuser):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "admin")
    page.goto(reverse("admin:plans_plan_change", args=[KUMAMOTO_PLAN]))
    header = page.locator("#indicators-group thead th").last
    assert header.inner_text().strip() == "削除しますか?"
    line_height = page.locator("#indicators-group thead th").first.bounding_box()["height"]
    assert header.bounding_box()["height"] <= line_height

    page.goto(reverse("admin:measures_measure_change", args=[MEASURE]))
    box = page.locator("textarea[name=programs-0-description]")
    empty_height = box.bounding_box()["height"]
    box.fill("・企業説明会を年2回開催\n・求人情報誌を毎月発行\n・ハローワークと合同の面接会\n・職場体験の受け入れ先の開拓")
    assert box.bounding_box()["height"] > 1.5 * empty_height
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_the_yearly_screen_keeps_programme_names_readable_at_1280_px(page, superuser):
    """With the 評価 choices and 課題・今後の方向性 beside them, a programme's name still reads as words."""
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "admin")
    page.goto(yearly_screen(YAMAGUCHI_PLAN))
    widths = page.locator(".program-row td.program-name").evaluate_all("cells => cells.map(c => c.offsetWidth)")
    assert widths and min(widths) >= 140, widths


# A box the page may scroll sideways inside (a table's): what overflows it is not cut off.
CUT_OFF = """() => {
  const cut = [];
  const width = document.documentElement.clientWidth;
  for (const element of document.querySelectorAll('#content *')) {
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || getComputedStyle(element).visibility === 'hidden') continue;
    let clip = element.parentElement;
    while (clip && clip !== document.body && getComputedStyle(clip).overflowX === 'visible') clip = clip.parentElement;
    if (clip && clip !== document.body && ['auto', 'scroll'].includes(getComputedStyle(clip).overflowX)) continue;
    const edge = clip && clip !== document.body ? clip.getBoundingClientRect() : {left: 0, right: width, width};
    if (edge.width <= 1) continue;  // inside a box hidden for screen readers only (a phone's table headers)
    if (box.right > edge.right + 1 || box.left < edge.left - 1) {
      cut.push(`${element.tagName.toLowerCase()}.${element.className} ${element.getAttribute('name') || ''}`.trim());
    }
  }
  return cut;
}"""

# Characters a line in each cell: its content width over its font size.
CHARACTERS_A_LINE = """cells => cells.map(cell => {
  const style = getComputedStyle(cell);
  const width = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return Math.floor(width / parseFloat(style.fontSize));
})"""

# Whether each select shows its whole choice: as wide as the browser would make it to fit its text.
WHOLE_CHOICES = """selects => selects.filter(select => {
  const shown = select.offsetWidth;
  select.style.width = 'auto';
  select.style.maxWidth = 'none';
  select.style.fieldSizing = 'content';
  const needed = Math.max(...Array.from(select.options, option => {
    select.value = option.value;
    return select.offsetWidth;
  }));
  return needed > shown;
}).map(select => select.name)"""


def test_the_programme_list_reads_each_name_as_words_and_shows_its_measure_at_1280_px(page, superuser):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "admin")
    page.goto(reverse("admin:measures_program_changelist"))
    per_line = page.locator("#result_list .field-name").evaluate_all(CHARACTERS_A_LINE)
    assert len(per_line) == 40 and min(per_line) >= 12, per_line
    results = page.locator("#changelist-form .results")
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth"), "columns scroll out of sight under the filters"
    right = results.bounding_box()["x"] + results.bounding_box()["width"]
    filters = page.locator("#changelist-filter").bounding_box()["x"]
    for cell in page.locator("#result_list td.field-measure").all()[:5]:
        box = cell.bounding_box()
        assert box["x"] + box["width"] <= min(right, filters)


def test_the_yearly_screens_selects_show_their_whole_choice_at_1280_px(page, superuser):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "admin")
    for plan in (KUMAMOTO_PLAN, YAMAGUCHI_PLAN):
        page.goto(yearly_screen(plan))
        rows = page.locator(".program-row")
        selects = rows.first.locator("select").evaluate_all("selects => selects")
        assert len(selects) == 2  # 実施状況 and 評価
        assert rows.locator("select").evaluate_all(WHOLE_CHOICES) == []


@pytest.mark.parametrize("width", [375, 1280])
def test_the_staff_screens_of_programmes_cut_nothing_off(page, superuser, width):
    """At a phone's width a table may scroll sideways in its own box; nothing is cut off or pushes the page wider."""
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, "admin")
    program = Program.objects.filter(area__plan_id=KUMAMOTO_PLAN).order_by("pk").first()
    ProgramProgress.objects.create(  # a recorded year, as its page lists it
        program=program, fiscal_year=2023, status=ProgramProgress.Status.PARTIAL, rating=ProgramProgress.Rating.C,
        results="街頭啓発を3回実施しました。", issues="若い世代への周知が課題です。", budget=1500000,
    )
    screens = {
        "取組・事業の一覧": reverse("admin:measures_program_changelist"),
        "取組・事業": reverse("admin:measures_program_change", args=[program.pk]),
        "施策（取組・事業の表）": reverse("admin:measures_measure_change", args=[MEASURE]),
        "重点施策（施策なしの取組・事業の表）": reverse("admin:measures_priorityarea_change", args=[DIRECT_AREA]),
        "年度の進捗入力": yearly_screen(KUMAMOTO_PLAN),
        "年度の進捗の一覧": reverse("admin:measures_programprogress_changelist"),
    }
    problems = {}
    for name, url in screens.items():
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth") - width
        cut = page.evaluate(CUT_OFF)
        if overflow > 0 or cut:
            problems[name] = (overflow, cut[:8])
    assert problems == {}
    page.goto(screens["取組・事業"])  # its recorded years: every choice whole, the grade's meaning too
    assert page.locator("#progress-group select:visible").evaluate_all(WHOLE_CHOICES) == []
