"""The accessibility record comes from a real run: the command runs axe-core over every public page type at
375 and 1,280 px against the live server, and /accessibility/ shows that dated record, not typed results."""

import threading

import pytest
from django.core.management import call_command

from reoffense_portal.composition.public.accessibility import AccessibilityRecord

pytestmark = pytest.mark.django_db(transaction=True)

PAGE_KINDS = {
    "home", "prefectures", "plan-status", "prefecture", "comparison", "municipality", "municipality-without-plan",
    "plan", "year", "council", "meeting", "revision-history", "earlier-version", "feedback-thanks", "accessibility",
    "not-found", "search",
}


def run_accessibility_test(url: str) -> None:
    """In a thread of its own: Playwright's sync API runs its own event loop, apart from the test's browser."""
    failure = []

    def run():
        try:
            call_command("accessibility_test", url=url, verbosity=0)
        except BaseException as error:  # noqa: BLE001 — handed back to the test
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def test_the_accessibility_page_shows_the_dated_record_of_a_real_run(public_site, live_server, settings, tmp_path,
                                                                      client):
    settings.ACCESSIBILITY_RECORD = str(tmp_path / "accessibility.json")
    assert "自動試験の記録はまだありません。" in client.get("/accessibility/").content.decode()

    run_accessibility_test(live_server.url)

    record = AccessibilityRecord.load()
    assert {page["kind"] for page in record.data["pages"]} == PAGE_KINDS
    assert record.widths == [375, 1280]
    problems = [f"{page['label']} {width}px: {result['violations']}{'' if result['fits'] else ' (scrolls sideways)'}"
                for page in record.data["pages"] for width, result in page["results"].items()
                if result["violations"] or not result["fits"]]
    assert not problems, "\n".join(problems)
    assert record.data["tool"]["version"].startswith("4.")
    assert {criterion["criterion"] for criterion in record.data["criteria"]} >= {"1.1.1", "1.3.1", "2.4.2", "4.1.2"}

    page = client.get("/accessibility/").content.decode()
    assert f"試験日</dt><dd><time datetime=\"{record.data['tested_at']}\">{record.tested_on_label}</time>" in page
    assert f"axe-core {record.data['tool']['version']}" in page
    assert f"Chromium {record.data['browser']['version']}" in page
    assert "違反の数</dt><dd>0件（18種類のページ、2つの画面幅）" in page
    assert "<tr><th scope=\"row\">市区町村の計画の比較</th><td>違反なし、横スクロールなし</td><td>違反なし、横スクロールなし</td></tr>" in page
    assert "<tr><th scope=\"row\">2.4.2</th><td>違反なし</td><td>document-title</td></tr>" in page
