"""manage.py accessibility_test --url http://127.0.0.1:8000: the dated accessibility record /accessibility/ shows.

Runs axe-core (WCAG 2.0 and 2.1, levels A and AA) in Debian's Chromium over every public page type of the
site the command's database serves, at 375 and 1,280 px, and stores the result (reoffense_portal.composition.public.accessibility).
Needs the test tools (playwright, axe-playwright-python: `pip install -e .[dev]`) and the chromium package.
"""

import importlib.metadata
import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reoffense_portal.composition.public import accessibility

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
FITS = "document.documentElement.scrollWidth <= window.innerWidth"


class Command(BaseCommand):
    help = "公開ページのアクセシビリティ試験（axe-core）を実行し、結果を記録します。"

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help="試験するサイトのアドレス（例：http://127.0.0.1:8000）")
        parser.add_argument("--output", help="記録の保存先（省略時は ACCESSIBILITY_RECORD）")

    def handle(self, *args, url, output=None, **options):
        try:
            from axe_playwright_python.sync_playwright import Axe
            from playwright.sync_api import Error, sync_playwright
        except ImportError as error:
            raise CommandError("試験の道具がありません。pip install -e '.[dev]' で入れてください。") from error
        if not shutil.which(CHROMIUM):
            raise CommandError(f"ブラウザ（{CHROMIUM}）がありません。apt-get install chromium で入れてください。")
        pages = accessibility.pages_to_test()
        base = url.rstrip("/")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    checks = [self._check(browser, Axe(), base, page, viewport)
                              for viewport in accessibility.VIEWPORTS for page in pages]
                    browser_version = browser.version
                finally:
                    browser.close()
        except Error as error:
            raise CommandError(f"{base} のページを開けませんでした：{error.message.splitlines()[0]}") from error
        record = self._record(pages, checks, browser_version)
        path = accessibility.write(record, Path(output) if output else None)
        violations = sum(len(check["axe"]["violations"]) for check in checks)
        self.stdout.write(f"{len(pages)}ページ×{len(accessibility.VIEWPORTS)}画面幅を試験し、違反は{violations}件でした。"
                          f"記録：{path}")

    def _check(self, browser, axe, base: str, page, viewport) -> dict:
        name, width, height = viewport
        context = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
        try:
            tab = context.new_page()
            tab.goto(base + page.path)
            fits = tab.evaluate(FITS)
            # Every rule's outcome is listed; only violations get each node's selector (the slow part of axe).
            results = axe.run(tab, options={"runOnly": {"type": "tag", "values": accessibility.TAGS},
                                            "resultTypes": ["violations"]}).response
        finally:
            context.close()
        self.stdout.write(f"{page.label} {width}px：違反{len(results['violations'])}件")
        return {"kind": page.kind, "label": page.label, "path": page.path, "width": width, "fits": fits,
                # Each rule's outcome; the number of elements only where axe counted them all (violations).
                "axe": {key: [{"id": rule["id"], "tags": rule["tags"], "help": rule["help"],
                               **({"nodes": len(rule["nodes"])} if key == "violations" else {})}
                              for rule in results[key]]
                        for key in ("violations", "incomplete", "passes", "inapplicable")},
                "engine": results["testEngine"]}

    def _record(self, pages, checks, browser_version: str) -> dict:
        by_page = {page.path: {"kind": page.kind, "label": page.label, "path": page.path, "results": {}}
                   for page in pages}
        for check in checks:
            by_page[check["path"]]["results"][str(check["width"])] = {
                "fits": check["fits"],
                "violations": [{"rule": rule["id"], "help": rule["help"], "nodes": rule["nodes"]}
                               for rule in check["axe"]["violations"]],
            }
        rules = {rule["id"] for check in checks for key in ("violations", "incomplete", "passes", "inapplicable")
                 for rule in check["axe"][key]}
        return {
            "tested_at": timezone.localtime().isoformat(timespec="seconds"),
            "tool": {"name": "axe-core", "version": checks[0]["engine"]["version"]},
            "browser": {"name": "Chromium", "version": browser_version},
            "runner": {"name": "Playwright", "version": importlib.metadata.version("playwright")},
            "tags": accessibility.TAGS,
            "rule_count": len(rules),
            "viewports": [{"name": name, "width": width} for name, width, _ in accessibility.VIEWPORTS],
            "pages": list(by_page.values()),
            "criteria": accessibility.summarise(checks),
        }

