"""axe-core on the survey with errors, keyboard-only reachability, focus, 200 % text and print.

Every other public page type is checked by axe-core in test_accessibility_record (the command whose
record /accessibility/ shows); screenshots of every page at both widths go to artifacts/screenshots/
from test_page_widths, for people to look at.
"""

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from reoffense_portal.composition.public.accessibility import TAGS
from tests.browser.public_site import VIEWPORTS

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}


def violations_text(results) -> str:
    lines = []
    for violation in results.response["violations"]:
        targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_survey_with_its_errors_passes_axe(public_site, browser, live_server, viewport):
    """The one page the record's run does not reach: the survey sent empty (every other page type is in
    test_accessibility_record)."""
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport=VIEWPORTS[viewport])
    page = context.new_page()
    try:
        page.goto("/plans/1001/")
        page.get_by_role("button", name="送信する").click()
        page.wait_for_load_state()
        assert "送信できませんでした" in page.content()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"feedback-invalid-{viewport}.png", full_page=True)
        results = Axe().run(page, options=AXE_OPTIONS)
        assert not results.violations_count, violations_text(results)
    finally:
        context.close()


def tab_to(page, text: str, limit: int = 400) -> None:
    """Press Tab until the focused element is the link or button reading `text`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.textContent.trim()")
        if focused == text:
            return
    raise AssertionError(f"「{text}」 cannot be reached with the Tab key")


def test_every_page_type_is_reachable_from_home_by_keyboard(public_site, page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "本文へ移動"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    steps = [  # (link text, where it leads, the h1 there)
        ("山口県", "/prefectures/350001/", "山口県の再犯防止推進計画"),
        ("山口市", "/municipalities/352039/", "山口市の再犯防止推進計画"),
        ("第二次山口市再犯防止推進計画", "/plans/1001/", "第二次山口市再犯防止推進計画"),
        ("山口市再犯防止推進協議会", "/councils/1001/", "山口市再犯防止推進協議会"),
        ("令和6年度第1回山口市再犯防止推進協議会", "/meetings/1024/", "令和6年度第1回山口市再犯防止推進協議会"),
    ]
    for text, path, heading in steps:
        tab_to(page, text)
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{path}")
        assert page.locator("h1").inner_text() == heading

    tab_to(page, "資料：資料1 取組状況 [PDFファイル／2KB]")
    page.goto("/")
    tab_to(page, "アクセシビリティ方針")
    page.keyboard.press("Enter")
    page.wait_for_url("**/accessibility/")
    assert page.locator("h1").inner_text() == "アクセシビリティ方針"


def test_focus_is_visible(public_site, page):
    page.goto("/plans/1001/")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_text_enlarged_to_200_percent_stays_readable_without_sideways_scrolling(public_site, browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        for url in ["/", "/plans/2001/", "/meetings/1024/"]:
            page.goto(url)
            normal = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
            page.evaluate("document.documentElement.style.fontSize = '200%'")
            enlarged = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
            assert enlarged == 2 * normal, url
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{url}: {overflow}px sideways at 200 % text"
        page.screenshot(path=SCREENSHOTS / "meeting-text-200.png")
    finally:
        context.close()


def test_print_leaves_out_navigation_and_the_survey(public_site, page):
    page.goto("/plans/1001/")
    page.emulate_media(media="print")
    assert page.locator(".feedback").is_hidden()
    assert page.locator(".site-nav").is_hidden()
    assert page.locator("main h1").is_visible()
    assert page.locator(".contact").is_visible()
