"""The municipal toolbar: 文字サイズ (標準・大) and 背景色 (標準・高コントラスト) chosen once and kept from page to page in
this browser (localStorage, no cookie), under the CSP; 「ページの先頭へ」 on every page; axe-core finds nothing
in the large, high-contrast setting either, and the page still fits a phone."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.public_site import PAGES, VIEWPORTS
from tests.browser.test_accessibility import AXE_OPTIONS, SCREENSHOTS, violations_text

pytestmark = pytest.mark.django_db(transaction=True)

FONT_SIZE = "parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)"
BACKGROUND = "getComputedStyle(document.body).backgroundColor"


def test_a_reader_enlarges_the_text_and_darkens_the_background_once_for_every_page(public_site, page):
    page.goto("/plans/1001/")
    normal = page.evaluate(FONT_SIZE)
    assert page.evaluate(BACKGROUND) == "rgb(255, 255, 255)"
    tools = page.get_by_role("group", name="文字サイズ")
    assert tools.get_by_role("button", name="標準").get_attribute("aria-pressed") == "true"

    tools.get_by_role("button", name="大").click()
    page.get_by_role("group", name="背景色").get_by_role("button", name="高コントラスト").click()
    assert page.evaluate(FONT_SIZE) == 1.25 * normal
    assert page.evaluate(BACKGROUND) == "rgb(0, 0, 0)"
    assert tools.get_by_role("button", name="大").get_attribute("aria-pressed") == "true"

    page.get_by_role("link", name="山口市", exact=True).first.click()
    page.wait_for_url("**/municipalities/352039/")
    assert page.evaluate("document.documentElement.className") == "text-large contrast-high"
    assert page.evaluate(BACKGROUND) == "rgb(0, 0, 0)"
    # Kept in the browser, in no cookie: the only cookie is the survey form's CSRF token.
    assert {cookie["name"] for cookie in page.context.cookies()} <= {"csrftoken"}
    assert page.evaluate("window.localStorage.getItem('reoffense-portal-display')") == \
        '{"text":"large","contrast":"high"}'

    page.get_by_role("group", name="文字サイズ").get_by_role("button", name="標準").click()
    page.get_by_role("group", name="背景色").get_by_role("button", name="標準").click()
    page.goto("/plans/1001/")
    assert page.evaluate(FONT_SIZE) == normal
    assert page.evaluate(BACKGROUND) == "rgb(255, 255, 255)"


def test_without_javascript_the_buttons_stay_hidden_and_the_page_still_works(public_site, browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/plans/1001/")
        assert page.get_by_role("button", name="高コントラスト").count() == 0  # no button that would do nothing
        top = page.get_by_role("link", name="ページの先頭へ")
        assert top.get_attribute("href") == "#top"
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        top.click()
        assert page.evaluate("window.scrollY") == 0
    finally:
        context.close()


def test_the_system_asking_for_more_contrast_gets_it_unless_the_reader_chose_standard(public_site, browser,
                                                                                     live_server):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", contrast="more")
    page = context.new_page()
    try:
        page.goto("/")
        assert page.evaluate(BACKGROUND) == "rgb(0, 0, 0)"
        group = page.get_by_role("group", name="背景色")
        assert group.get_by_role("button", name="高コントラスト").get_attribute("aria-pressed") == "true"
        group.get_by_role("button", name="標準").click()
        assert page.evaluate(BACKGROUND) == "rgb(255, 255, 255)"
    finally:
        context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_page_type_in_large_text_and_high_contrast_passes_axe_and_fits(public_site, browser, live_server,
                                                                              viewport):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport=VIEWPORTS[viewport])
    context.add_init_script(
        "window.localStorage.setItem('reoffense-portal-display', '{\"text\": \"large\", \"contrast\": \"high\"}')")
    page = context.new_page()
    failures = {}
    try:
        for name, url in PAGES.items():
            page.goto(url)
            assert page.evaluate("document.documentElement.className") == "text-large contrast-high", name
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                failures[name] = f"{overflow}px wider than the screen"
            results = Axe().run(page, options=AXE_OPTIONS)
            if results.violations_count:
                failures[name] = violations_text(results)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.goto(PAGES["plan-yamaguchi"])
        page.screenshot(path=SCREENSHOTS / f"plan-large-high-contrast-{viewport}.png")
    finally:
        context.close()
    assert not failures, "\n".join(f"[{name}]\n{text}" for name, text in failures.items())
