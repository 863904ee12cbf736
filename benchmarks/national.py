#!/usr/bin/env python
"""Staff and public pages at national scale: 1,788 municipalities on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_national .venv/bin/python benchmarks/national.py
        [--rounds 5] [--keep]   # --keep: leave the database for another run (default: dropped at the end)
        [--reuse]               # measure a database kept by --keep, without generating it again

Creates the database named by DATABASE_URL (PostgreSQL on this machine only;
its name must not start with test_), migrates it and generates with
bulk_create, in a few minutes:

- the 47 prefectures and 1,788 municipalities (one prefecture with 60 of them);
- per municipality 3 departments and one plan (令和3〜7年度) of 6 areas × 5
  measures × 4 programmes, each programme with a department; 10 indicators
  with 10 yearly values; five fiscal years of progress for the two existing
  programmes of every measure (the two new ones have none yet): about 536,000
  progress rows, 214,560 programmes, 178,800 indicator values;
- a live version of every plan, so the home page lists all of them (the
  measured city's version is approved as a publisher would; the others share
  its pages, each with its own card).

Then, in this process through Django's test client with production settings
(DEBUG off), it requests every page of PAGES as each user of ROLES, in
alternating rounds: one warm-up round, then --rounds rounds that each ask
every page once as every role, in the same order, beside a bare view (one
query, a few bytes) as the load's yardstick; the public pages with no cache
(the per-process copy of stored pages emptied before each request). A burst
of load from other processes then slows every page of a round alike instead
of a few pages' whole series. It prints, per page and role, the median
milliseconds of the rounds, the middle half of them, the size in KB, the
number of queries, the goal and whether the median meets it, then the machine's
load (os.getloadavg) before and after, the slowest page and the goals that fail:

- every staff page ≤ 300 ms, every public page ≤ 150 ms and ≤ 200 KB.

Adding a role is one line of ROLES (a function making the user), adding a
page one line of PAGES; a page whose URL name is not on this branch is listed
as 「なし」 and skipped. `--only 検索,トップ` measures only the pages whose name holds
one of the texts. The database is dropped at the end unless --keep; --reuse migrates
a kept database before measuring it (new indexes are built then).
"""

import argparse
import datetime
import os
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAFF_GOAL_MS = 300
PUBLIC_GOAL_MS = 150
PUBLIC_GOAL_KB = 200

PREFECTURES = 47
MUNICIPALITIES = 1_788
BIG_PREFECTURE = 60  # municipalities of the prefecture whose page is measured
AREAS, MEASURES, PROGRAMMES, INDICATORS, VALUES = 6, 5, 4, 10, 10
REPORTING_PROGRAMMES = 2  # of each measure's 4: the existing ones, with five years of progress
FISCAL_YEARS = range(2021, 2026)
BATCH = 5_000
NO_MATCH = "猫舌"  # two characters that no generated text holds: every row is asked and none found

PROGRAMME_NAMES = [
    "協力雇用主への支援", "就労支援事業", "住居確保給付金の支給", "生活困窮者自立相談支援",
    "保護司会への活動支援", "更生保護サポートセンターの運営支援", "社会を明るくする運動",
    "薬物乱用防止教室", "高齢者の地域生活定着支援", "障害者の就労移行支援", "少年の居場所づくり",
    "学習支援事業", "依存症相談窓口の運営", "市営住宅の入居支援", "職員向け研修",
]
INDICATOR_NAMES = [
    "刑法犯検挙人員中の再犯者数", "協力雇用主数", "保護司の充足率", "更生保護女性会の会員数",
    "社会を明るくする運動の参加者数", "就労支援の利用者数", "住居支援の件数", "薬物乱用防止教室の開催数",
    "地域生活定着支援の件数", "再犯防止に関する研修の受講者数",
]


# --- what is measured ---------------------------------------------------------------------------

@dataclass
class World:
    """What the pages need to find their URLs: the measured city, its plan and its prefecture."""

    city: object
    plan: object
    prefecture: object


@dataclass
class Page:
    name: str
    kind: str  # "staff" (the admin, as each role) or "public" (anonymous)
    url_name: str
    args: object = None  # World -> reverse() args
    query: str = ""
    roles: tuple = ()  # the roles that reach it; empty for every role

    def url(self, world):
        from django.urls import NoReverseMatch, reverse

        try:
            url = reverse(self.url_name, args=self.args(world) if self.args else None)
        except NoReverseMatch:
            return None
        return f"{url}?{self.query}" if self.query else url


PAGES = [
    Page("取組・事業 一覧", "staff", "admin:measures_program_changelist"),
    Page("取組・事業 検索（4文字）", "staff", "admin:measures_program_changelist", query="q=就労支援"),
    Page("取組・事業 検索（2文字）", "staff", "admin:measures_program_changelist", query="q=就労"),
    Page("取組・事業 検索（2文字・該当なし）", "staff", "admin:measures_program_changelist", query=f"q={NO_MATCH}"),
    Page("取組・事業 計画で絞込み", "staff", "admin:measures_program_changelist",
         query="area__plan__id__exact={plan}"),
    Page("年度の進捗 一覧", "staff", "admin:measures_programprogress_changelist"),
    Page("年度の進捗 検索（4文字）", "staff", "admin:measures_programprogress_changelist", query="q=就労支援"),
    Page("年度の進捗 検索（2文字）", "staff", "admin:measures_programprogress_changelist", query="q=就労"),
    Page("年度の進捗 検索（2文字・該当なし）", "staff", "admin:measures_programprogress_changelist",
         query=f"q={NO_MATCH}"),
    Page("年度の進捗 検索（ほぼ全件にある2文字）", "staff", "admin:measures_programprogress_changelist",
         query="q=年度"),
    Page("年度の進捗 年度で絞込み", "staff", "admin:measures_programprogress_changelist",
         query="fiscal_year=2024"),
    Page("指標の値 一覧", "staff", "admin:plans_indicatorvalue_changelist"),
    Page("指標の値 検索", "staff", "admin:plans_indicatorvalue_changelist", query="q=協力雇用主"),
    Page("指標の値 年で絞込み", "staff", "admin:plans_indicatorvalue_changelist", query="year=2024"),
    Page("計画の変更画面", "staff", "admin:plans_plan_change", lambda w: [w.plan.pk]),
    # An entry screen: prefecture staff read a city's progress in the lists, and never reach its entry screen.
    Page("年度の進捗入力", "staff", "admin:measures_programprogress_entry", lambda w: [w.plan.pk, 2024],
         roles=("スーパーユーザー", "市の編集者")),
    Page("管理画面トップ", "staff", "admin:index"),
    Page("トップページ", "public", "public:home"),
    Page("自治体のページ", "public", "public:municipality", lambda w: [w.city.code]),
    Page("計画のページ", "public", "public:plan", lambda w: [w.plan.pk]),
    Page("都道府県の一覧", "public", "public:prefectures"),
    Page("都道府県のページ", "public", "public:prefecture", lambda w: [w.prefecture.code]),
    Page("比較表", "public", "public:prefecture_comparison", lambda w: [w.prefecture.code]),
    Page("県の比較表（職員）", "staff", "prefecture_staff:comparison", lambda w: [w.prefecture.code],
         roles=("県の編集者",)),
    Page("県の未策定フォローアップ", "staff", "prefecture_staff:follow_up", lambda w: [w.prefecture.code],
         roles=("県の編集者",)),
    Page("全国の策定状況", "public", "public:plan_status"),
    Page("全国の策定状況（JSON、1ページ目）", "public", "public:plan_status_json"),
    Page("全国の策定状況（JSON、4ページ目）", "public", "public:plan_status_json", query="page=4"),
    Page("全国の策定状況（CSV）", "public", "public:plan_status_csv"),
]


def superuser(world):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("bench-admin", password="bench-password-123")


def editor_of(municipality, username):
    from django.contrib.auth import get_user_model

    from plans.models import StaffMembership

    user = get_user_model().objects.create_user(username, password="bench-password-123", is_staff=True)
    StaffMembership.objects.create(user=user, municipality=municipality, role=StaffMembership.Role.EDITOR)
    return get_user_model().objects.get(pk=user.pk)


# Each role: a function of the World returning a logged-in user.
ROLES = {
    "スーパーユーザー": superuser,
    "市の編集者": lambda world: editor_of(world.city, "bench-editor"),
    "県の編集者": lambda world: editor_of(world.prefecture, "bench-prefecture-editor"),
}


# --- the data -----------------------------------------------------------------------------------

def lg_code(prefix: int, number: int) -> str:
    from plans.models import lg_code_check_digit

    first_five = f"{prefix:02d}{number:03d}"
    return first_five + str(lg_code_check_digit(first_five))


def bulk(model, rows):
    return model.objects.bulk_create(rows, batch_size=BATCH)


def generate() -> World:
    from decimal import Decimal

    from measures.models import Measure, PriorityArea, Program, ProgramProgress
    from plans.models import Department, Indicator, IndicatorValue, Municipality, Plan

    Kind = Municipality.Kind
    prefectures = bulk(Municipality, [
        Municipality(code=lg_code(p, 0), name=f"第{p}県", kind=Kind.PREFECTURE) for p in range(1, PREFECTURES + 1)
    ])
    # The first prefecture has BIG_PREFECTURE municipalities, the others share the rest.
    owners = [prefectures[0]] * BIG_PREFECTURE + [
        prefectures[1 + i % (PREFECTURES - 1)] for i in range(MUNICIPALITIES - BIG_PREFECTURE)
    ]
    counters = {}
    cities = []
    for i, prefecture in enumerate(owners):
        counters[prefecture.code] = counters.get(prefecture.code, 200) + 1
        cities.append(Municipality(
            code=lg_code(int(prefecture.code[:2]), counters[prefecture.code]), name=f"第{i + 1}市",
            kind=Kind.CITY if i % 3 else Kind.TOWN, prefecture=prefecture,
        ))
    bulk(Municipality, cities)
    departments = bulk(Department, [
        Department(municipality=city, name=name)
        for city in cities for name in ("地域福祉課", "生活支援課", "人権推進課")
    ])
    plans = bulk(Plan, [
        Plan(municipality=city, title=f"{city.name}再犯防止推進計画", period_start=datetime.date(2021, 4, 1),
             period_end=datetime.date(2026, 3, 31), department=departments[3 * i],
             basic_policy="犯罪をした人等が地域社会で孤立しないよう支援します。")
        for i, city in enumerate(cities)
    ])
    areas = bulk(PriorityArea, [
        PriorityArea(plan=plan, number=a, title=f"重点施策{a}") for plan in plans for a in range(1, AREAS + 1)
    ])
    measures = bulk(Measure, [
        Measure(area=area, number=m, title=f"施策{area.number}-{m}") for area in areas for m in range(1, MEASURES + 1)
    ])
    programmes = bulk(Program, [
        Program(area_id=measure.area_id, measure=measure, order=p, is_existing=p <= REPORTING_PROGRAMMES,
                name=f"{PROGRAMME_NAMES[(measure.pk + p) % len(PROGRAMME_NAMES)]}（{measure.title}-{p}）",
                description="対象者への相談・支援を行います。")
        for measure in measures for p in range(1, PROGRAMMES + 1)
    ])
    department_of_plan = {plan.pk: plan.department_id for plan in plans}
    plan_of_area = {area.pk: area.plan_id for area in areas}
    plan_of_measure = {measure.pk: plan_of_area[measure.area_id] for measure in measures}
    bulk(Program.departments.through, [
        Program.departments.through(program_id=programme.pk,
                                    department_id=department_of_plan[plan_of_measure[programme.measure_id]])
        for programme in programmes
    ])
    statuses = list(ProgramProgress.Status)
    for start in range(0, len(programmes), BATCH):
        bulk(ProgramProgress, [
            ProgramProgress(program=programme, fiscal_year=year, status=statuses[(programme.pk + year) % 4],
                            results=f"{year}年度は相談{programme.pk % 40}件に対応しました。",
                            support_count=programme.pk % 40, budget=(programme.pk % 30 + 1) * 100_000)
            for programme in programmes[start:start + BATCH] if programme.order <= REPORTING_PROGRAMMES
            for year in FISCAL_YEARS
        ])
    indicators = bulk(Indicator, [
        Indicator(plan=plan, order=n, name=INDICATOR_NAMES[n - 1], unit="人",
                  direction=Indicator.Direction.LOWER if n == 1 else Indicator.Direction.HIGHER,
                  baseline_year=2019, baseline_value=Decimal(100), target_year=2025, target_value=Decimal(80))
        for plan in plans for n in range(1, INDICATORS + 1)
    ])
    bulk(IndicatorValue, [
        IndicatorValue(indicator=indicator, year=year, value=Decimal(100 - (year - 2014) - indicator.order))
        for indicator in indicators for year in range(2015, 2015 + VALUES)
    ])
    measured = cities[0]  # a city of the big prefecture
    return World(city=measured, plan=plans[0], prefecture=prefectures[0])


def publish_all(world: World) -> None:
    """The measured plan is approved as a publisher would; every other plan gets a live version with its own card."""
    from django.utils import timezone

    from plans.models import Plan
    from reoffense_portal.composition.publishing.models import PlanVersion
    from reoffense_portal.composition.publishing.snapshot import build_version, card, load_plan

    first = build_version(world.plan, approved_by=None, summary="初版の公開")
    # The generated plans all have one shape, so each list card's comparison row is computed from the
    # measured plan's tree rather than loading 1,788 trees.
    measured = load_plan(world.plan.pk)
    now = timezone.now()
    versions = []
    for plan in Plan.objects.exclude(pk=world.plan.pk).select_related("department").order_by("pk").iterator(BATCH):
        plan.council_list = []
        plan.area_list, plan.targets = measured.area_list, measured.targets
        versions.append(PlanVersion(
            plan=plan, municipality_id=plan.municipality_id, number=1, title=plan.title,
            period_start=plan.period_start, period_end=plan.period_end, summary=first.summary,
            approved_at=now, live_from=now, card=card(plan), rows={},
        ))
    bulk(PlanVersion, versions)


# --- the database -------------------------------------------------------------------------------

def server(config):
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", user=config["USER"], password=config["PASSWORD"] or None,
                                  host=config["HOST"], port=config["PORT"] or 5432)
    connection.autocommit = True
    return connection


def database_config():
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    config = dj_database_url.parse(url) if url else {}
    if config.get("ENGINE") != "django.db.backends.postgresql" or config.get("HOST") not in ("127.0.0.1", "localhost"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database on 127.0.0.1, e.g. "
                         "postgres://postgres@127.0.0.1:5432/bench_national")
    if config["NAME"].startswith("test_") or config["NAME"] in ("postgres", "template0", "template1"):
        raise SystemExit(f"the database is dropped and created again: choose another name than {config['NAME']!r}")
    return config


def recreate(config, *, drop_only=False) -> None:
    from psycopg2 import sql

    connection = server(config)
    try:
        with connection.cursor() as cursor:
            name = sql.Identifier(config["NAME"])
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            if not drop_only:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    finally:
        connection.close()


# --- measuring ----------------------------------------------------------------------------------

def bare(request):
    """The yardstick: one query and a few bytes through the same middleware."""
    from django.db import connection
    from django.http import HttpResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse(b"ok")


BARE_URL = "/bench/bare/"


def urlpatterns_with_bare():
    from django.urls import include, path

    return [path(BARE_URL.strip("/") + "/", bare), path("", include("reoffense_portal.urls"))]


@dataclass
class Sample:
    """One page as one role: its URL, and what each round measured."""

    page: Page
    role: str
    url: str
    client: object
    timings: list
    size: int = 0
    queries: int = 0

    @property
    def public(self) -> bool:
        return self.page.kind == "public"

    @property
    def goal_ms(self) -> int:
        return PUBLIC_GOAL_MS if self.public else STAFF_GOAL_MS


def request_once(sample: Sample) -> float:
    """Milliseconds of one request of the sample's page, its size and queries kept."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext


    if sample.public:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        response = sample.client.get(sample.url)
        body = response.content
        elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{sample.url} answered {response.status_code}")
    sample.queries, sample.size = len(captured), len(body)
    return elapsed * 1000


def alternate(samples: list, rounds: int) -> None:
    """One warm-up round (templates, the process's imports), then `rounds` rounds of every sample in turn."""
    for round_ in range(rounds + 1):
        for sample in samples:
            elapsed = request_once(sample)
            if round_:
                sample.timings.append(elapsed)
        if round_:
            print(f"  round {round_}/{rounds} done", file=sys.stderr, flush=True)


def middle_half(timings: list) -> str:
    quartiles = statistics.quantiles(timings, n=4) if len(timings) > 1 else timings * 3
    return f"{quartiles[0]:.0f}–{quartiles[2]:.0f}"


def pad(text: str, width: int) -> str:
    """Left-aligned in a terminal's columns, where each kanji and kana takes two."""
    used = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(0, width - used)


def run(world: World, rounds: int, only: str = ""):
    from django.db.models import Count
    from django.test import Client

    from measures.models import Program, ProgramProgress
    from plans.models import IndicatorValue, Municipality

    counts = {
        "自治体": Municipality.objects.count(), "取組・事業": Program.objects.count(),
        "年度の進捗": ProgramProgress.objects.count(), "指標の値": IndicatorValue.objects.count(),
    }
    big = Municipality.objects.filter(pk=world.prefecture.pk).aggregate(n=Count("municipalities"))["n"]
    print("data: " + "、".join(f"{name} {n:,}" for name, n in counts.items()) + f"（{world.prefecture.name}に{big}団体）")
    clients = {}
    for role, make_user in ROLES.items():
        clients[role] = Client()
        clients[role].force_login(make_user(world))
    samples = samples_of(world, clients, only)
    load_before = os.getloadavg()
    alternate(samples, rounds)
    load_after = os.getloadavg()
    report(samples, rounds, load_before, load_after)


def samples_of(world: World, clients: dict, only: str) -> list:
    from django.test import Client

    bare_page = Page("素のビュー（1クエリ、目安）", "public", "")
    samples = [Sample(bare_page, "住民", BARE_URL, Client(), [])]
    for page in PAGES:
        if only and not any(part in page.name for part in only.split(",")):
            continue
        url = page.url(world)
        if url is None:
            print(f"{pad(page.name, 36)} なし（このブランチにないページ）")
            continue
        url = url.format(plan=world.plan.pk)
        who = (page.roles or ROLES) if page.kind == "staff" else ["住民"]
        samples += [Sample(page, role, url, clients[role] if page.kind == "staff" else Client(), []) for role in who]
    return samples


def report(samples: list, rounds: int, load_before, load_after) -> None:
    print(f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {rounds} alternating rounds, "
          f"load average (1, 5, 15 min) before {', '.join(f'{n:.2f}' for n in load_before)}, "
          f"after {', '.join(f'{n:.2f}' for n in load_after)} on {os.cpu_count()} cores")
    print(f"{pad('page', 36)} {pad('as', 18)} {'median ms':>10} {'middle half':>12} {'KB':>6} {'queries':>8}"
          f" {'goal':>8}  met")
    failures = []
    for sample in samples:
        ms = statistics.median(sample.timings)
        kb = sample.size / 1024
        bare = sample.page.url_name == ""
        met = ms <= sample.goal_ms and (not sample.public or kb <= PUBLIC_GOAL_KB)
        goal = "" if bare else f"≤{sample.goal_ms} ms"
        verdict = "" if bare else ("met" if met else "NOT MET")
        print(f"{pad(sample.page.name, 36)} {pad(sample.role, 18)} {ms:10.0f} {middle_half(sample.timings):>12} "
              f"{kb:6.0f} {sample.queries:8} {goal:>8}  {verdict}", flush=True)
        if not bare and not met:
            failures.append(f"{sample.page.name}（{sample.role}）{ms:.0f} ms"
                            + (f", {kb:.0f} KB" if sample.public and kb > PUBLIC_GOAL_KB else ""))
    measured = [sample for sample in samples if sample.page.url_name]
    slowest = max(measured, key=lambda sample: statistics.median(sample.timings))
    print(f"slowest: {slowest.page.name}（{slowest.role}）{statistics.median(slowest.timings):.0f} ms")
    print("goals: all met" if not failures else "goals not met: " + "; ".join(failures))


def unapplied_migrations() -> list:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="leave the database for another run")
    parser.add_argument("--reuse", action="store_true", help="measure the database a --keep run left")
    parser.add_argument("--only", default="", help="measure only the pages whose name holds one of these texts (comma-separated)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reoffense_portal.settings")
    os.environ["DEBUG"] = "0"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["STATIC_MANIFEST"] = "0"  # static files from the finders: no collectstatic needed
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    config = database_config()
    if not args.reuse:
        recreate(config)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.urls import clear_url_caches

    sys.modules[__name__].urlpatterns = urlpatterns_with_bare()  # the portal's addresses and the bare view's
    settings.ROOT_URLCONF = __name__
    clear_url_caches()

    from plans.models import Municipality, Plan

    try:
        if args.reuse:
            from django.contrib.auth import get_user_model

            if unapplied_migrations():  # indexes added since the database was kept
                call_command("migrate", verbosity=0)
                with connections["default"].cursor() as cursor:
                    cursor.execute("ANALYZE")
            get_user_model().objects.filter(username__startswith="bench-").delete()
            city = Municipality.objects.exclude(kind=Municipality.Kind.PREFECTURE).order_by("code").first()
            world = World(city=city, plan=Plan.objects.get(municipality=city), prefecture=city.prefecture)
        else:
            start = time.perf_counter()
            call_command("migrate", verbosity=0)
            world = generate()
            publish_all(world)
            with connections["default"].cursor() as cursor:
                cursor.execute("ANALYZE")
            print(f"generated in {time.perf_counter() - start:.0f} s")
        run(world, args.rounds, args.only)
    finally:
        connections.close_all()
        if not args.keep:
            recreate(config, drop_only=True)
            print(f"database {config['NAME']} dropped")


if __name__ == "__main__":
    main()
