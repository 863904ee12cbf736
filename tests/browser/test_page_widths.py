"""Every public page type fits a phone (375 px) and a desktop (1,280 px): the page never scrolls sideways,
wide tables scroll inside their own labelled region, and names in tables are never squeezed to a character a line.

Screenshots of every page at both widths go to artifacts/screenshots/ for people to look at.
"""

import pytest

from tests.browser.public_site import PAGES, VIEWPORTS
from tests.browser.test_accessibility import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)

# Table cells of two or more characters whose content box holds less than one and a half (「北／海／道」 one a line;
# BIZ UDPGothic is proportional, so two characters may be a little under 2 em).
SQUEEZED_CELLS = """() => [...document.querySelectorAll('main table th, main table td')].filter(cell => {
    const text = cell.textContent.trim();
    if (text.length < 2) return false;
    const style = getComputedStyle(cell);
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return inner < 1.5 * parseFloat(style.fontSize);
}).map(cell => cell.textContent.trim().slice(0, 20))"""

# Scroll boxes wider content sits in: each must be a labelled region reachable by keyboard.
UNLABELLED_SCROLL_BOXES = """() => [...document.querySelectorAll('main *')].filter(box => {
    const overflow = getComputedStyle(box).overflowX;
    return (overflow === 'auto' || overflow === 'scroll') && box.scrollWidth > box.clientWidth
        && !(box.getAttribute('role') === 'region'
             && (box.getAttribute('aria-label') || box.getAttribute('aria-labelledby'))
             && box.tabIndex === 0);
}).map(box => box.className)"""


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_public_page_scrolls_sideways(public_site, browser, live_server, viewport):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport=VIEWPORTS[viewport])
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    try:
        for name, url in PAGES.items():
            page.goto(url)
            page.screenshot(path=SCREENSHOTS / f"{name}-{viewport}.png", full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                problems.append(f"{name}: {overflow}px wider than the screen")
            if squeezed := page.evaluate(SQUEEZED_CELLS):
                problems.append(f"{name}: cells narrower than two characters: {squeezed}")
            if unlabelled := page.evaluate(UNLABELLED_SCROLL_BOXES):
                problems.append(f"{name}: scrolling boxes that are not labelled regions: {unlabelled}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_a_long_name_keeps_to_readable_lines_on_a_phone(public_site, browser, live_server):
    """熊本市再犯防止推進計画 in the prefecture's table: at least five characters a line, not three."""
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport=VIEWPORTS["mobile"])
    page = context.new_page()
    try:
        page.goto("/prefectures/430005/")
        link = page.get_by_role("link", name="熊本市再犯防止推進計画")
        box = link.bounding_box()
        font_size = link.evaluate("a => parseFloat(getComputedStyle(a).fontSize)")
        assert box["width"] >= 5 * font_size
        page.goto("/prefectures/")
        hokkaido = page.get_by_role("link", name="北海道", exact=True).bounding_box()
        line_height = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
        assert hokkaido["height"] < 1.5 * line_height, "北海道 on one line"
    finally:
        context.close()
