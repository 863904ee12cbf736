#!/usr/bin/env python
"""Screenshots and figures of the PDCA screens for the demo cities (山口市・熊本市).

    .venv/bin/python benchmarks/pdca_screens.py

Builds a throw-away SQLite database with `manage.py setup_demo` (the seeded cities and the
demo accounts), starts `manage.py runserver` on a free loopback port as `make run` does
(DEBUG=1, SECURE_SSL_REDIRECT=0), logs in as each city's demo editor in Debian's Chromium
(/usr/bin/chromium, driven by Playwright) and saves PNG screenshots into
benchmarks/screenshots/:

- the admin index's 「今年度の未入力・予定」 (per city);
- the yearly progress screen 年度の進捗入力 with the 評価 and 課題・今後の方向性 columns (per city);
- each public plan page's 成果目標 (KPI, 達成率 and chart), its 「年度ごとの実施状況」 and one
  year page when the plan has a reported year;
- the prefecture list /prefectures/ and the national 策定状況 /prefectures/status/.

It prints, per plan: each KPI's 達成率 (Indicator.achievement_text), each area's 実施率 per
reported year, the dashboard's 記録率 and its number of due items, then the screenshots'
paths. The figures are what the seeded data gives; nothing is added to it.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "benchmarks" / "screenshots"
HOST = "127.0.0.1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
# The demo editor of each city (setup_demo.STAFF); setup_demo prints the shared password.
EDITORS = {"352039": "yamaguchi-editor", "431001": "kumamoto-editor"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def environment(workdir: str) -> dict:
    """`make run`'s settings (DEBUG on, plain HTTP) on a temporary database and media folder."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reoffense_portal.settings",
        "DATABASE_URL": f"sqlite:///{workdir}/screens.sqlite3",
        "MEDIA_ROOT": f"{workdir}/media",
        "DEBUG": "1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",  # the ORM is read beside Playwright's event loop
        "PYTHONPATH": str(ROOT),
    }


def build_demo(env: dict) -> str:
    """Migrate the temporary database and run setup_demo; the demo password it prints."""
    import io

    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from reoffense_portal.management.commands.setup_demo import DEFAULT_PASSWORD

    call_command("migrate", verbosity=0)
    output = io.StringIO()
    call_command("setup_demo", stdout=output)
    prefix = "パスワード（全アカウント共通）："
    lines = [line for line in output.getvalue().splitlines() if line.startswith(prefix)]
    return lines[0].removeprefix(prefix) if lines else DEFAULT_PASSWORD


def figures() -> list[dict]:
    """Per plan of the demo cities: KPIs' 達成率, areas' 実施率 per reported year, the dashboard."""
    from django.db.models import Count

    from measures.models import Program, ProgramProgress
    from plans.models import Plan
    from reoffense_portal.composition.dashboard import dashboards_of
    from reoffense_portal.composition.publishing.yearly import rate_label
    from reoffense_portal.machinery import eras

    rows = []
    for plan in Plan.objects.filter(municipality__in=EDITORS).select_related("municipality").order_by("pk"):
        programs = Program.objects.of_plan(plan)
        years = sorted(set(
            ProgramProgress.objects.filter(program__area__plan=plan).values_list("fiscal_year", flat=True)
        ))
        areas = list(plan.priority_areas.order_by("number"))
        rates = {year: programs.implementation_rates_by_area(year) for year in years}
        counts = dict(programs.order_by().values_list("area").annotate(count=Count("pk")))
        boards = [board for board in dashboards_of(Plan.objects.filter(municipality=plan.municipality))
                  if board.plan.pk == plan.pk]
        rows.append({
            "plan": plan,
            "indicators": [(indicator.name, indicator.achievement_text() or f"達成率なし（{missing(indicator)}）")
                           for indicator in plan.indicators.order_by("pk")],
            "years": [(eras.fiscal_year_label(year), rate_label(programs.implementation_rate(year), sum(counts.values())),
                       [(area, rate_label(rates[year].get(area.pk), counts.get(area.pk, 0))) for area in areas])
                      for year in years],
            "reported_years": years,
            "board": boards[0] if boards else None,
        })
    return rows


def missing(indicator) -> str:
    """Why an indicator has no 達成率: what achievement_text() lacks."""
    lacking = [label for label, value in (("目標値", indicator.target_value), ("基準値", indicator.baseline_value))
               if value is None]
    if lacking:
        return "・".join(lacking) + "がありません"
    return "基準値より後の実績値がありません"


def print_figures(rows: list[dict]) -> None:
    for row in rows:
        plan, board = row["plan"], row["board"]
        print(f"■ {plan.municipality.name}：{plan.title}（/plans/{plan.pk}/）")
        print("  成果目標の達成率：")
        for name, text in row["indicators"]:
            print(f"    {name}：{text}")
        if not row["indicators"]:
            print("    指標がありません")
        print("  重点施策ごとの実施率：")
        for label, total, areas in row["years"]:
            print(f"    {label}（計画全体 {total}）：" + "、".join(f"{area.number} {rate}" for area, rate in areas))
        if not row["years"]:
            print("    実施状況を記録した年度がありません（取組・事業の進捗の行が0件）")
        if board is None:
            print("  ダッシュボード：計画期間が終わっているため表示されません")
        else:
            freshness = board.freshness_percent
            print(f"  ダッシュボード（{board.fiscal_year_label}）：記録率 "
                  f"{'－' if freshness is None else f'{freshness}%'}"
                  f"（{board.programs + board.indicators}件のうち {board.programs_recorded + board.indicators_recorded}件）"
                  f"、未入力・予定 {len(board.due_items)}件")
            for item in board.due_items:
                print(f"    - {item.text}")


def start_server(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"{HOST}:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://{HOST}:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/health/", timeout=2)  # noqa: S310 — our own loopback server
            return server, url
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("runserver did not answer /health/ within 20 s")


def shoot(page, name: str, selector: str | None = None, full_page: bool = False) -> Path:
    """A PNG of the element (or the viewport) into benchmarks/screenshots/."""
    path = SCREENSHOTS / f"{name}.png"
    if selector:
        page.locator(selector).first.screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=full_page)
    return path


def screenshots(url: str, password: str, rows: list[dict]) -> list[str]:
    """The PNGs written, and a line for each screen that the demo data does not have."""
    from django.urls import reverse
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    written, notes = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for row in rows:
            plan = row["plan"]
            code = plan.municipality_id
            context = browser.new_context(base_url=url, locale="ja-JP", viewport=VIEWPORT)
            page = context.new_page()
            page.goto("/admin/login/")
            page.fill("input[name=username]", EDITORS[code])
            page.fill("input[name=password]", password)
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_url("**/admin/")
            board = row["board"]
            if board:
                written.append(shoot(page, f"{code}-admin-dashboard", "#plan-dashboard"))
            else:
                written.append(shoot(page, f"{code}-admin-index"))
                notes.append(f"{plan.municipality.name}：計画期間が終わっているため、管理画面のトップに"
                             "「今年度の未入力・予定」はありません（トップ画面を撮影）")
            year = board.fiscal_year if board and board.in_period else (row["reported_years"] or plan.fiscal_years)[-1]
            page.goto(reverse("admin:measures_programprogress_entry", args=[plan.pk, year]))
            page.wait_for_selector("text=課題・今後の方向性")
            written.append(shoot(page, f"{code}-progress-entry-{year}"))
            context.close()

            public = browser.new_context(base_url=url, locale="ja-JP", viewport=VIEWPORT).new_page()
            public.goto(f"/plans/{plan.pk}/")
            if public.locator("#targets").count():
                written.append(shoot(public, f"{code}-plan-targets", "#targets"))
                if all(text.startswith("達成率なし") for _, text in row["indicators"]):
                    notes.append(f"{plan.municipality.name}：成果目標はありますが、達成率を示せる指標はありません")
            else:
                notes.append(f"{plan.municipality.name}：計画のページに成果目標（KPI）の欄がありません")
            if row["reported_years"]:
                written.append(shoot(public, f"{code}-plan-yearly", "#yearly"))
                year = row["reported_years"][-1]
                public.goto(f"/plans/{plan.pk}/progress/{year}/")
                written.append(shoot(public, f"{code}-plan-year-{year}"))
            else:
                notes.append(f"{plan.municipality.name}：実施状況を記録した年度がないため、"
                             "「年度ごとの実施状況」と年度のページはありません")
            public.context.close()

        public = browser.new_context(base_url=url, locale="ja-JP", viewport=VIEWPORT).new_page()
        public.goto("/prefectures/")
        written.append(shoot(public, "prefectures"))
        public.goto("/prefectures/status/")
        written.append(shoot(public, "prefectures-status"))
        browser.close()
    return [*notes, *(f"{path.relative_to(ROOT)}（{path.stat().st_size // 1024} KB）" for path in written)]


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="pdca-screens-")
    env = environment(workdir)
    password = build_demo(env)
    rows = figures()
    print_figures(rows)
    server, url = start_server(env)
    try:
        lines = screenshots(url, password, rows)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("スクリーンショット：")
    for line in lines:
        print(f"  {line}")


if __name__ == "__main__":
    main()
