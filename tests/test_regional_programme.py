"""地域再犯防止推進事業 nationwide: a prefecture's staff enter a year's direct support, 必須事務 and subsidy; approval
publishes them; residents read the national tables (団体数（重複計上） and the range of 支援実績 per the Ministry's kind,
the prefectures behind each figure, small counts masked) and the 取組事例, all from published versions only."""

import csv
import datetime
import io
import re
import xml.etree.ElementTree as ET

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from measures.models import Practice, PriorityArea, Program, ProgramProgress, RegionalDuty, SupportKind
from plans.models import Municipality, Organization, Plan
from reoffense_portal.composition.publishing.models import PlanVersion
from tests.public_data import publish
from tests.staff_world import entry_data, entry_url, make_prefecture_world

pytestmark = pytest.mark.django_db

DONE = ProgramProgress.Status.IMPLEMENTED
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def text_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def prefecture_plan(code: str) -> Plan:
    prefecture = Municipality.objects.get(code=code)
    plan = Plan.objects.create(
        municipality=prefecture, title=f"{prefecture.name}再犯防止推進計画", edition=1,
        period_start=datetime.date(2023, 4, 1), period_end=datetime.date(2028, 3, 31),
    )
    PriorityArea.objects.create(plan=plan, number=1, title="地域再犯防止推進事業")
    return plan


def direct_support(plan: Plan, kind: str, name: str, years: dict, contractor: str = "", unit: str = "") -> Program:
    """A programme of the Ministry's kind with {fiscal year: support count}."""
    area = plan.priority_areas.get()
    program = Program.objects.create(area=area, name=name, support_kind=SupportKind.of(kind))
    organization = None
    if contractor:
        organization = Organization.objects.create(
            municipality=plan.municipality, name=contractor, sector=Organization.Sector.NONPROFIT
        )
    for year, count in years.items():
        ProgramProgress.objects.create(program=program, fiscal_year=year, status=DONE, support_count=count,
                                       support_unit=unit, contractor=organization)
    return program


@pytest.fixture
def prefectures(seeded):
    """Four prefectures' published programmes (test figures), and a fifth's draft that must not count."""
    call_command("loaddata", "prefectures", verbosity=0)
    aichi = prefecture_plan("230006")
    direct_support(aichi, "lawyer", "寄り添い弁護士制度", {2023: 110, 2024: 112}, "愛知県弁護士会", unit="persons")
    RegionalDuty.objects.create(plan=aichi, fiscal_year=2024, kind=RegionalDuty.Kind.MEETING, title="市町村連絡会議",
                                held_on=datetime.date(2024, 7, 1), municipalities=40)
    RegionalDuty.objects.create(plan=aichi, fiscal_year=2024, kind=RegionalDuty.Kind.MEETING, title="第2回連絡会議")
    kumamoto = prefecture_plan("430005")
    direct_support(kumamoto, "lawyer", "よりそい弁護士", {2024: 47})
    direct_support(kumamoto, "employment", "就職活動支援", {2024: 2})
    akita = prefecture_plan("050008")
    direct_support(akita, "employment", "就労支援", {2024: 313})
    direct_support(akita, "consultation_welfare_link", "リーフレットの配布", {2024: 500})
    RegionalDuty.objects.create(plan=akita, fiscal_year=2024, kind=RegionalDuty.Kind.TRAINING, title="市町村職員研修")
    saga = prefecture_plan("410004")
    drugs = direct_support(saga, "drugs", "薬物事犯者等の電話相談", {2024: 24}, "佐賀ダルク")
    Practice.objects.create(plan=saga, program=drugs, title="薬物事犯者とその家族等の電話相談窓口",
                            target="薬物事犯者とその家族等", content="佐賀ダルク・からつダルクに委託して電話相談窓口を設置",
                            ingenuity="メール相談等を対象とすることを検討")
    for plan in (aichi, kumamoto, akita, saga):
        publish(plan)
    nagasaki = prefecture_plan("420000")
    direct_support(nagasaki, "lawyer", "下書きの事業", {2024: 999})  # never published
    return {"aichi": aichi, "kumamoto": kumamoto, "akita": akita, "saga": saga, "nagasaki": nagasaki}


def kinds_by_name(client, year=2024) -> dict:
    data = client.get(f"/regional-programme/{year}.json").json()
    return {kind["name"]: kind for kind in data["kinds"]}, data


def test_the_national_table_counts_the_prefectures_per_kind_and_the_range_of_their_support(client, prefectures):
    kinds, data = kinds_by_name(client)
    lawyer = kinds["専門的支援（よりそい／寄り添い弁護士）"]
    assert (lawyer["prefectures"], lawyer["range"]) == (2, "47件～112人"), "the draft's 999 is not counted"
    assert lawyer["minimum"]["prefectures"] == ["430005"] and lawyer["maximum"]["prefectures"] == ["230006"]
    employment = kinds["就労支援"]
    assert (employment["prefectures"], employment["range"]) == (2, "3件未満～313件")
    assert kinds["専門的支援（薬物事犯者への支援）"]["range"] == "24件"
    assert kinds["相談支援（福祉サービスへのつなぎ支援）"]["range"] == "支援件数に計上しない"
    assert kinds["居住支援"]["prefectures"] == 0
    duties = {duty["kind"]: duty for duty in data["duties"]}
    assert (duties["meeting"]["prefectures"], duties["meeting"]["sessions"]) == (1, 2)
    assert (duties["training"]["prefectures"], duties["training"]["sessions"]) == (1, 1)
    assert "999" not in str(data) and '"count": 2,' not in client.get("/regional-programme/2024.json").content.decode()

    text = text_of(client, "/regional-programme/")  # the latest published year
    assert "地域再犯防止推進事業の取組状況（令和6年度（2024年度））" in text
    assert "専門的支援（よりそい／寄り添い弁護士） 2 47件～112人 47件（1団体） 112人（1団体） 2" in text
    assert "就労支援 （ex.保護観察を終了した者等への就職活動支援等） 2 3件未満～313件 3件未満（1団体） 313件（1団体） 2" in text
    assert "会議等の開催（市区町村間の調整・情報共有） 1 2 愛知県 （2回）" in text
    assert "「3人未満」などの表示は" in text
    page = client.get("/regional-programme/2024/").content.decode()
    assert 'href="/regional-programme/2024/lawyer/#maximum"' in page, "each figure links to the prefectures behind it"


def test_each_figure_leads_to_the_prefectures_behind_it(client, prefectures):
    text = text_of(client, "/regional-programme/2024/lawyer/")
    assert "令和6年度（2024年度）にこの取組を行った都道府県は2団体です。支援実績は47件～112人です。" in text
    assert "愛知県 112人 愛知県弁護士会" in text and "熊本県 47件 －" in text
    assert "最小：47件（熊本県）" in text and "最大：112人（愛知県）" in text
    assert "長崎県" not in text
    assert "3件未満" in text_of(client, "/regional-programme/2024/employment/")
    assert client.get("/regional-programme/2024/unknown/").status_code == 404
    assert client.get("/regional-programme/99999999999999999999/").status_code == 404
    assert "令和5年度（2023年度）" in text_of(client, "/regional-programme/2023/")


def test_the_tables_as_csv_for_everyone_and_the_ministrys_xlsx_for_superusers(client, prefectures):
    rows = list(csv.reader(io.StringIO(client.get("/regional-programme/2024.csv").content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["区分", "取組内容", "団体数（重複計上）", "支援実績（最小）"]
    assert ["専門的支援", "専門的支援（よりそい／寄り添い弁護士）", "2", "47件", "1", "112人", "1", "2", "計上する",
            "愛知県、熊本県"] in rows
    assert client.get("/admin/regional-programme/2024.xlsx").status_code == 302  # to the login
    admin = get_user_model().objects.create_user("admin", password="x" * 12, is_staff=True, is_superuser=True)
    client.force_login(admin)
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/admin/regional-programme/2024.xlsx").content)).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert ["就労・住居支援", "就労支援", 2, "3件未満", 1, "313件", 1, 2, "計上する", "秋田県、熊本県"] in table


def test_the_national_status_page_links_to_the_tables_and_the_practices(client, prefectures):
    page = client.get("/prefectures/status/").content.decode()
    assert 'href="/regional-programme/"' in page and 'href="/practices/"' in page


def test_the_sitemap_lists_the_tables_each_published_year_each_kind_run_and_the_practices(client, prefectures):
    sitemap = ET.fromstring(client.get("/sitemap.xml").content)
    urls = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in sitemap.iter(f"{SITEMAP}url")}
    published = timezone.localdate(PlanVersion.objects.filter(municipality__kind="prefecture").last_change())
    for path in ["/regional-programme/", "/regional-programme/2024/", "/regional-programme/2023/",
                 "/regional-programme/2024/lawyer/", "/regional-programme/2024/employment/",
                 "/regional-programme/2023/lawyer/"]:
        assert urls.get(f"http://testserver{path}") == published.isoformat(), path
    assert "http://testserver/regional-programme/2023/employment/" not in urls  # nobody ran it in 令和5年度
    assert urls["http://testserver/practices/"]


def test_a_practice_is_published_with_its_plans_next_approval_and_listed_by_kind(client, prefectures):
    text = text_of(client, "/practices/")
    assert "専門的支援（薬物事犯者への支援） 薬物事犯者とその家族等の電話相談窓口（佐賀県）" in text
    assert "工夫 メール相談等を対象とすることを検討" in text

    saga = prefectures["saga"]
    Practice.objects.create(plan=saga, title="からつダルクにつながりやすくする工夫", content="検討中の内容")
    assert "つながりやすくする工夫" not in text_of(client, "/practices/"), "a practice waits for the plan's approval"
    publish(saga, summary="取組事例を追加")
    assert "その他の取組 からつダルクにつながりやすくする工夫（佐賀県）" in text_of(client, "/practices/")


def test_a_practice_names_a_programme_of_its_own_plan_only(prefectures):
    other = Program.objects.get(name="就労支援")  # 秋田県's
    practice = Practice(plan=prefectures["saga"], program=other, title="事例", content="内容")
    with pytest.raises(Exception, match="この計画の取組・事業を選んでください。"):
        practice.full_clean()


# --- the yearly screen ---------------------------------------------------------------------------


def test_prefecture_staff_enter_a_years_regional_programme_on_the_yearly_screen(client):
    prefecture, _, _ = make_prefecture_world()
    program = prefecture.program
    program.support_kind = SupportKind.of("consultation_hogoshi")
    program.save()
    client.force_login(prefecture.editor)
    url = entry_url(prefecture.plan, 2024)
    response = client.get(url)
    page = response.content.decode()
    assert "地域再犯防止推進事業（相談支援（保護司会に委託））" in page
    assert "地域再犯防止推進事業の必須事務（令和6年度（2024年度））" in page
    data = entry_data(response)
    prefix = f"program-{program.pk}"
    data.update({
        f"{prefix}-status": "implemented", f"{prefix}-support_count": "95", f"{prefix}-support_unit": "cases",
        f"{prefix}-contractor": str(prefecture.organization.pk), f"{prefix}-budget": "3000000",
        f"{prefix}-subsidy_rate": "0.5", f"{prefix}-subsidy_cap": "1500000",
        f"{prefix}-subsidy_requested": "1500000", f"{prefix}-subsidy_granted": "1500000",
        "duty-TOTAL_FORMS": "2", "duty-INITIAL_FORMS": "0", "duty-MIN_NUM_FORMS": "0", "duty-MAX_NUM_FORMS": "1000",
        "duty-0-kind": "meeting", "duty-0-title": "市町村連絡会議", "duty-0-held_on": "令和6年7月1日",
        "duty-0-municipalities": "45",
    })
    response = client.post(url, data)
    assert response.status_code == 302, [form.errors for form in response.context["duties"]] if response.context else ""
    progress = ProgramProgress.objects.get(program=program, fiscal_year=2024)
    assert (progress.support_count, progress.support_count_unit, progress.contractor, progress.subsidy_granted) == (
        95, "件", prefecture.organization, 1500000)
    duty = RegionalDuty.objects.get(plan=prefecture.plan)
    assert (duty.held_on, duty.municipalities) == (datetime.date(2024, 7, 1), 45)


def test_a_duty_dated_outside_its_year_or_without_a_name_is_refused_in_japanese(client):
    prefecture, _, _ = make_prefecture_world()
    client.force_login(prefecture.editor)
    url = entry_url(prefecture.plan, 2024)
    data = entry_data(client.get(url))
    data.update({"duty-TOTAL_FORMS": "2", "duty-INITIAL_FORMS": "0", "duty-MIN_NUM_FORMS": "0",
                 "duty-MAX_NUM_FORMS": "1000", "duty-0-kind": "training", "duty-0-title": "研修",
                 "duty-0-held_on": "令和7年4月1日", "duty-1-kind": "meeting", "duty-1-held_on": "2024/5/1"})
    page = client.post(url, data).content.decode()
    assert "開催日が令和6年度（2024年度）の中にありません。" in page
    assert "名称を入力してください。" in page
    assert not RegionalDuty.objects.exists()


def test_a_citys_yearly_screen_has_no_duties(client):
    _, city, _ = make_prefecture_world()
    client.force_login(city.editor)
    assert "地域再犯防止推進事業の必須事務" not in client.get(entry_url(city.plan, 2024)).content.decode()


# --- the demo ------------------------------------------------------------------------------------


def test_the_demo_holds_what_the_ministrys_document_states_and_nothing_more(client, db):
    """秋田県's desk, 佐賀県's telephone line and 愛知県's 寄り添い弁護士 (110 and 112 people), published."""
    call_command("loaddata", "prefectures", "regional_programme", verbosity=0)
    for plan in Plan.objects.all():
        publish(plan)
    kinds, _ = kinds_by_name(client, 2024)
    assert (kinds["専門的支援（よりそい／寄り添い弁護士）"]["prefectures"], kinds["専門的支援（よりそい／寄り添い弁護士）"]["range"]) == (1, "112人")
    settlement = kinds["相談支援（地域生活定着支援センター受託団体に委託）"]
    assert (settlement["prefectures"], settlement["range"]) == (1, ""), "秋田県's desk ran; the document gives no count"
    assert kinds["専門的支援（薬物事犯者への支援）"]["prefectures"] == 0, "the document gives 佐賀県's line no year"
    assert kinds_by_name(client, 2023)[0]["専門的支援（よりそい／寄り添い弁護士）"]["range"] == "110人"
    assert not ProgramProgress.objects.exclude(budget=None).exists() and not RegionalDuty.objects.exists()
    text = text_of(client, "/practices/")
    for title in ("秋田県再犯防止相談支援窓口（秋田県）", "薬物事犯者とその家族等に対する電話相談窓口（佐賀県）",
                  "寄り添い弁護士制度（愛知県）", "令和５年度は110人、令和６年度は112人の支援を実施（実人員）"):
        assert title in text


# --- the upgrade ---------------------------------------------------------------------------------

KINDS_BEFORE = [("measures", "0011_bigram_search_indexes")]
KINDS_AFTER = [("measures", "0012_ministry_support_kinds_regional_programme")]


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_keeps_every_programmes_kind_of_direct_support():
    """The six kinds of before become the Ministry's rows; 「相談支援」 without a sub-kind stays on its programme."""
    executor = MigrationExecutor(connection)
    executor.migrate(KINDS_BEFORE)
    old = executor.loader.project_state(KINDS_BEFORE + executor.loader.graph.leaf_nodes("plans")).apps
    city = old.get_model("plans", "Municipality").objects.create(code="431001", name="熊本市", kind="designated_city")
    plan = old.get_model("plans", "Plan").objects.create(
        municipality=city, title="熊本市再犯防止推進計画",
        period_start=datetime.date(2021, 4, 1), period_end=datetime.date(2026, 3, 31),
    )
    area = old.get_model("measures", "PriorityArea").objects.create(plan=plan, number=1, title="就労・住居の確保")
    Program = old.get_model("measures", "Program")
    for order, (name, category) in enumerate(
        [("就職活動支援", "employment"), ("寄り添い弁護士", "lawyer"), ("相談窓口", "consultation"), ("広報", "")], 1
    ):
        Program.objects.create(area=area, order=order, name=name, support_category=category)

    executor = MigrationExecutor(connection)
    executor.migrate(KINDS_AFTER)
    new = executor.loader.project_state(KINDS_AFTER).apps
    kinds = dict(new.get_model("measures", "Program").objects.values_list("name", "support_kind__name"))
    assert kinds == {"就職活動支援": "就労支援", "寄り添い弁護士": "専門的支援（よりそい／寄り添い弁護士）",
                     "相談窓口": "相談支援（内訳未選択）", "広報": None}
    SupportKind = new.get_model("measures", "SupportKind")
    assert not SupportKind.objects.get(code="consultation").selectable
    assert not SupportKind.objects.get(code="consultation_welfare_link").counts_support
    assert SupportKind.objects.filter(selectable=True).count() == 12
    call_command("migrate", verbosity=0)
