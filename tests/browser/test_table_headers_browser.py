# ruff: noqa: F811 (fixtures imported from other browser tests)
"""Table headers wrap between words, never a character at a time (「評／価」, 「取組・事／業」), on the public
tables and the staff screens, at a phone's width and a desktop's."""

import pytest
from django.urls import reverse

from tests.browser.staff_steps import log_in
from tests.browser.test_admin_widths import KUMAMOTO_PLAN, superuser, yearly_screen  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

# Each header's lines, from where the browser put its characters: a line may end after 「・」「／」「）」「、」
# or a space, or before 「（」; anywhere else the header was cut inside a word.
BROKEN_HEADERS = """(selector) => {
  const between = (before, after) => /[・／）、\\s]/.test(before) || /[（\\s]/.test(after);
  const broken = [];
  for (const cell of document.querySelectorAll(selector)) {
    if (!cell.offsetParent) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    const chars = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.data.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const box = range.getBoundingClientRect();
        if (box.width) chars.push([node.data[i], Math.round(box.top)]);
      }
    }
    for (let i = 1; i < chars.length; i++) {
      if (chars[i][1] > chars[i - 1][1] + 2 && !between(chars[i - 1][0], chars[i][0])) {
        broken.push(chars.map(c => c[0]).join('').slice(0, 20) + ' @' + i);
        break;
      }
    }
  }
  return broken;
}"""

PUBLIC_PAGES = ["/plans/1001/", "/plans/1001/progress/2025/", "/plans/2001/", "/prefectures/", "/prefectures/status/",
                "/prefectures/350001/", "/councils/1001/"]


@pytest.mark.parametrize("width", [375, 1280])
def test_public_table_headers_wrap_by_word(public_site, browser, live_server, width):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": width, "height": 800})
    page = context.new_page()
    broken = {}
    try:
        for url in PUBLIC_PAGES:
            page.goto(url)
            found = page.evaluate(BROKEN_HEADERS, "table thead th")
            if found:
                broken[url] = found
    finally:
        context.close()
    assert broken == {}


@pytest.mark.parametrize("width", [375, 1280])
def test_staff_table_headers_wrap_by_word(page, superuser, width):
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, "admin")
    broken = {}
    for url in [yearly_screen(KUMAMOTO_PLAN), reverse("admin:measures_measure_change", args=[20131]),
                reverse("admin:plans_plan_change", args=[KUMAMOTO_PLAN]), reverse("admin:measures_program_changelist")]:
        page.goto(url)
        found = page.evaluate(BROKEN_HEADERS, "table thead th")
        if found:
            broken[url] = found
    assert broken == {}
