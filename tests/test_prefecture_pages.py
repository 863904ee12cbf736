"""Residents look up their prefecture: /prefectures/ lists the 47 with how many municipalities have a
published plan in its period (策定済), only plans whose period has ended (計画期間終了, never counted as 策定済),
one in preparation (策定中) or none (未策定); each prefecture's page lists its own
plan and every municipality with status, period in 和暦, whether the plan is part of a broader plan, and
a link; the national figure 「地方再犯防止推進計画の策定状況」 answers the Ministry's question, with CSV
and JSON, and superusers download it in the survey's shape. Only published data shows: a draft's
existence makes 策定中, its content never appears."""

import csv
import datetime
import io
import re
from urllib.parse import unquote

import openpyxl
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command

from plans.models import CodeListCount, Municipality, StaffMembership, lg_code_check_digit
from tests.public_data import build_plan, municipality, publish
from tests.public_data import unpublish as end_publication

pytestmark = pytest.mark.django_db

DRAFT_TITLE = "下関市再犯防止推進計画（素案）"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


# 熊本市's seeded plan ran to 令和8年3月31日: on this day it has ended, with no next plan published.
TODAY = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def text_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def city(code, name, prefecture_code="350001", prefecture_name="山口県"):
    return municipality(code=code, name=name, prefecture_code=prefecture_code, prefecture_name=prefecture_name)


@pytest.fixture
def yamaguchi_prefecture(seeded):
    """All 47 prefectures; in 山口県: 山口市 (published, seeded), 宇部市 (published, part of its 地域福祉計画),
    下関市 (a draft only) and 萩市 (nothing)."""
    call_command("loaddata", "prefectures", verbosity=0)
    build_plan(city("352021", "宇部市"), title="宇部市再犯防止推進計画")
    build_plan(city("352012", "下関市"), published=False, title=DRAFT_TITLE)
    city("352047", "萩市")


def test_the_prefecture_list_shows_the_47_with_their_counts(client, yamaguchi_prefecture):
    response = client.get("/prefectures/")
    html = response.content.decode()
    assert html.count('href="/prefectures/') - html.count('href="/prefectures/status') == 47 + 1  # + the nav link
    text = text_of(client, "/prefectures/")
    assert "山口県 未策定 4（市区町村の総数は未確認） 2 0 1 1" in text
    assert "熊本県 未策定 1（市区町村の総数は未確認） 0 1 0 0" in text  # 熊本市: 計画期間終了, not 策定済
    assert "北海道 未策定 0（市区町村の総数は未確認） 0 0 0 0" in text
    assert '<li><span aria-current="page">都道府県から探す</span></li>' in html


def test_a_prefecture_page_lists_every_municipality_with_status_period_and_position(client, yamaguchi_prefecture):
    text = text_of(client, "/prefectures/350001/")
    assert "山口県の計画は、このサイトには掲載されていません。" in text
    assert "4市区町村のうち、策定済2、計画期間終了0、策定中1、未策定1です。" in text
    assert "下関市 策定中 － － －" in text
    assert "宇部市 策定済 宇部市再犯防止推進計画 令和5年度～令和9年度 宇部市地域福祉計画に包含" in text
    assert "山口市 策定済 第二次山口市再犯防止推進計画 令和7年度～令和11年度 単独の計画" in text
    assert "萩市 未策定 － － －" in text
    assert DRAFT_TITLE not in text
    html = client.get("/prefectures/350001/").content.decode()
    assert 'href="/plans/1001/">第二次山口市再犯防止推進計画</a>' in html
    assert 'href="/municipalities/352047/">萩市</a>' in html
    assert '<li><a href="/prefectures/">都道府県から探す</a></li>\n<li><span aria-current="page">山口県</span></li>' in html


def test_a_prefectures_own_published_plan_leads_its_page(client, yamaguchi_prefecture):
    plan = build_plan(Municipality.objects.get(pk="430005"), title="熊本県再犯防止推進計画")
    text = text_of(client, "/prefectures/430005/")
    assert "熊本県の計画 熊本県再犯防止推進計画 計画期間：令和5年度～令和9年度（熊本県地域福祉計画に包含）" in text
    assert f'href="/plans/{plan.pk}/"' in client.get("/prefectures/430005/").content.decode()
    assert "熊本県 策定済 1（市区町村の総数は未確認） 0 1 0 0" in text_of(client, "/prefectures/")


def test_a_municipality_without_a_published_plan_has_a_page_saying_so(client, yamaguchi_prefecture):
    assert "萩市の再犯防止推進計画は、このサイトには掲載されていません（未策定）。" in text_of(
        client, "/municipalities/352047/"
    )
    text = text_of(client, "/municipalities/352012/")
    assert "策定状況： 策定中" in text and "策定中で、このサイトにはまだ掲載されていません。" in text
    assert DRAFT_TITLE not in text
    assert client.get("/municipalities/999999/").status_code == 404
    assert client.get("/prefectures/352039/").status_code == 404  # a city is not a prefecture


def test_a_plan_whose_period_has_ended_is_counted_apart_from_published_plans(client, yamaguchi_prefecture):
    text = text_of(client, "/prefectures/430005/")
    assert "このサイトに登録されている1市区町村のうち、策定済0、計画期間終了1、策定中0、未策定0です。" in text
    assert "熊本県の市区町村がすべて登録されているかは確認できていません。" in text
    assert "熊本市 計画期間終了 熊本市再犯防止推進計画 令和3年度～令和7年度（終了） 単独の計画" in text
    assert "策定状況： 計画期間終了 （公開している計画の計画期間は終了しています。" in text_of(
        client, "/municipalities/431001/"
    )
    # Once the next plan is published, the city counts as 策定済 again.
    build_plan(Municipality.objects.get(pk="431001"), title="第2次熊本市再犯防止推進計画")
    assert "熊本県 未策定 1（市区町村の総数は未確認） 1 0 0 0" in text_of(client, "/prefectures/")


def test_a_prefectures_own_ended_plan_is_not_counted_as_published(client, yamaguchi_prefecture):
    plan = build_plan(Municipality.objects.get(pk="430005"), title="熊本県再犯防止推進計画")
    plan.period_start, plan.period_end = datetime.date(2021, 4, 1), datetime.date(2026, 3, 31)
    plan.save()
    publish(plan, summary="期間の訂正")
    assert "熊本県 計画期間終了 令和3年度～令和7年度（終了） 1（市区町村の総数は未確認） 0 － 1" in text_of(client, "/prefectures/status/")
    assert "都道府県の計画は0都道府県が策定済、1都道府県が計画期間終了です。" in text_of(client, "/prefectures/status/")
    rows = list(csv.reader(io.StringIO(client.get("/prefectures/status.csv").content.decode("utf-8-sig"))))
    assert rows[-1][2] == "策定済0・計画期間終了1"


def test_ending_publication_turns_a_municipality_back_to_in_preparation(client, yamaguchi_prefecture):
    ube = Municipality.objects.get(pk="352021").plans.get()
    end_publication(ube)
    assert "宇部市 策定中 － － －" in text_of(client, "/prefectures/350001/")
    publish(ube, summary="再公開")
    assert "宇部市 策定済" in text_of(client, "/prefectures/350001/")


def test_a_ward_of_a_designated_city_is_not_counted_and_its_page_leads_to_the_city(client, yamaguchi_prefecture):
    Municipality.objects.create(
        code="431010", name="熊本市中央区", kind=Municipality.Kind.CITY_WARD, prefecture_id="430005",
        parent_id="431001",
    )
    assert "熊本市中央区" not in text_of(client, "/prefectures/430005/")
    text = text_of(client, "/municipalities/431010/")
    assert "熊本市中央区は熊本市の行政区です。計画は 熊本市の再犯防止推進計画 をご覧ください。" in text


def test_the_national_figure_answers_the_ministrys_question(client, yamaguchi_prefecture):
    text = text_of(client, "/prefectures/status/")
    assert "地方再犯防止推進計画の策定状況" in text
    assert ("全国には1,741市区町村と47都道府県がありますが、このサイトに登録されているのは5市区町村と47都道府県です。"
            "登録が全国に満たないため、次の数は登録されている団体だけを数えたもので、策定率（割合）は示していません。") in text
    assert ("登録されている5市区町村のうち、計画を策定済の団体は2、計画期間が終了し次の計画を公開していない団体は1、"
            "策定中の団体は1、未策定の団体は1です。計画期間が終了した団体は策定済・策定率に含めていません。") in text
    assert "40.0%" not in text and "50.0%" not in text, "no share of the registered few"
    assert "山口県 未策定 － 4（市区町村の総数は未確認） 2 － 0 1" in text
    assert "熊本県 未策定 － 1（市区町村の総数は未確認） 0 － 1 0" in text
    assert "北海道 未策定 － 0（市区町村の総数は未確認） 0 － 0 0" in text


def test_once_the_code_list_is_counted_the_figures_say_registered_against_existing(client, yamaguchi_prefecture):
    """The list's own counts: 熊本県 wholly registered gets its share; 山口県, 4 of 19, gets none."""
    CodeListCount.objects.create(prefectures=47, municipalities=20, by_prefecture={"350001": 19, "430005": 1})
    text = text_of(client, "/prefectures/status/")
    assert "全国には20市区町村と47都道府県がありますが、このサイトに登録されているのは5市区町村と47都道府県です。" in text
    assert "山口県 未策定 － 4（19市区町村のうち登録は4） 2 － 0 1" in text
    assert "熊本県 未策定 － 1（全1市区町村を登録） 0 0.0% 1 0" in text
    assert ("山口県の市区町村は19団体ありますが、このサイトに登録されているのは4団体です。"
            "登録されている4市区町村のうち、策定済2") in text_of(client, "/prefectures/350001/")
    assert "熊本県の1市区町村のうち、策定済0、計画期間終了1" in text_of(client, "/prefectures/430005/")

    # Every one registered: the national share is given again.
    CodeListCount.objects.create(prefectures=47, municipalities=5, by_prefecture={"350001": 4, "430005": 1})
    text = text_of(client, "/prefectures/status/")
    assert "全国の5市区町村と47都道府県がすべて登録されています。" in text
    assert "登録されている5市区町村のうち、計画を策定済の団体は2（40.0%）" in text
    data = client.get("/prefectures/status.json").json()
    yamaguchi = next(p for p in data["prefectures"] if p["code"] == "350001")
    assert (yamaguchi["municipalities"], yamaguchi["municipalities_existing"], yamaguchi["share_percent"]) == (4, 4, 50.0)
    assert 'href="/prefectures/status/"' in client.get("/prefectures/").content.decode()
    assert 'href="/prefectures/status/"' in client.get("/accessibility/").content.decode()  # the footer


def test_the_national_figure_as_open_data(client, yamaguchi_prefecture):
    response = client.get("/prefectures/status.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["団体コード", "都道府県", "都道府県の計画", "都道府県の計画期間", "市区町村数", "策定済数",
                       "策定率（%）", "計画期間終了数", "策定中数", "未策定数", "市区町村の総数"]
    assert ["350001", "山口県", "未策定", "", "4", "2", "", "0", "1", "1", ""] in rows, "no share of an incomplete register"
    assert ["430005", "熊本県", "未策定", "", "1", "0", "", "1", "0", "0", ""] in rows
    assert rows[-1] == ["", "全国", "策定済0", "", "5", "2", "", "1", "1", "1", "1741"]
    assert len(rows) == 1 + 47 + 1
    data = client.get("/prefectures/status.json").json()
    yamaguchi = next(p for p in data["prefectures"] if p["code"] == "350001")
    assert (yamaguchi["municipalities"], yamaguchi["published"], yamaguchi["share_percent"]) == (4, 2, None)
    kumamoto = next(p for p in data["prefectures"] if p["code"] == "430005")
    assert (kumamoto["published"], kumamoto["ended"], kumamoto["share_percent"]) == (0, 1, None)
    assert "登録が全国に満たない" in data["register"]
    assert [(p["name"], p["period_ended"]) for p in kumamoto["municipality_plans"]] == [("熊本市", True)]
    assert "計画期間終了" in data["rule"]
    assert [(p["name"], p["title"], p["period"], p["embedded_in"]) for p in yamaguchi["municipality_plans"]] == [
        ("宇部市", "宇部市再犯防止推進計画", "令和5年度～令和9年度", "宇部市地域福祉計画"),
        ("山口市", "第二次山口市再犯防止推進計画", "令和7年度～令和11年度", ""),
    ]
    assert yamaguchi["municipality_plans"][1]["url"] == "http://testserver/plans/1001/"
    assert DRAFT_TITLE not in response.content.decode() + str(data)
    assert data["license"]["spdx"] == "CC-BY-4.0"


def test_the_sitemap_lists_the_prefecture_pages_and_the_national_figure(client, yamaguchi_prefecture):
    sitemap = client.get("/sitemap.xml").content.decode()
    for path in ["/prefectures/", "/prefectures/status/", "/prefectures/010006/", "/prefectures/470007/"]:
        assert f"<loc>http://testserver{path}</loc>" in sitemap, path
    assert len(re.findall(r"<loc>http://testserver/prefectures/\d{6}/</loc>", sitemap)) == 47
    # 山口県 has municipalities' plans live: its comparison page is listed too.
    assert "<loc>http://testserver/prefectures/350001/comparison/</loc>" in sitemap


def test_a_superuser_downloads_the_survey_table_as_excel(client, yamaguchi_prefecture):
    build_plan(Municipality.objects.get(pk="430005"), title="熊本県再犯防止推進計画")
    admin = get_user_model().objects.create_user("admin", password="x" * 12, is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/plans/municipality/").content.decode()
    assert 'href="/admin/coverage/survey.xlsx"' in page
    response = client.get("/admin/coverage/survey.xlsx")
    assert response.status_code == 200 and "地方再犯防止推進計画の策定状況_" in unquote(response["Content-Disposition"])
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:7] == ["団体コード", "都道府県", "都道府県の計画", "都道府県の計画期間", "市区町村数", "策定済数", "策定率（%）"]
    assert ["430005", "熊本県", "策定済", "令和5年度～令和9年度", 1, 0, None, 1, 0, 0, None] in rows
    assert rows[-1] == [None, "全国", "策定済1", None, 5, 2, None, 1, 1, 1, 1741]


def test_city_staff_cannot_download_the_survey_table(client, yamaguchi_prefecture):
    editor = get_user_model().objects.create_user("yamaguchi-editor", password="x" * 12, is_staff=True)
    StaffMembership.objects.create(user=editor, municipality_id="352039", role=StaffMembership.Role.EDITOR)
    client.force_login(editor)
    assert client.get("/admin/coverage/survey.xlsx").status_code == 403
    assert "/admin/coverage/survey.xlsx" not in client.get("/admin/plans/municipality/").content.decode()


def add_cities(count: int, start: int = 100) -> None:
    """`count` cities of 北海道, every third with a published plan and every third with a draft."""
    for n in range(start, start + count):
        five = f"01{n:03d}"
        town = city(five + str(lg_code_check_digit(five)), f"試験町{n}", "010006", "北海道")
        if n % 3 == 0:
            build_plan(town, title=f"試験町{n}再犯防止推進計画")
        elif n % 3 == 1:
            build_plan(town, published=False, title=f"試験町{n}再犯防止推進計画（案）")


@pytest.mark.parametrize("count", [3, 30])
def test_pages_cost_the_same_number_of_queries_for_3_or_30_municipalities(
    client, yamaguchi_prefecture, django_assert_max_num_queries, count
):
    add_cities(count)
    for url in ["/prefectures/", "/prefectures/010006/", "/prefectures/status/", "/prefectures/status.csv",
                "/prefectures/status.json", "/"]:
        with django_assert_max_num_queries(5):  # the code list's counts: one query more, whatever the count
            assert client.get(url).status_code == 200
    text = text_of(client, "/prefectures/010006/")
    assert f"{count}市区町村のうち、策定済{count // 3}" in text


def test_the_prefecture_list_and_the_national_figure_read_only_the_prefectures_own_versions(
    client, yamaguchi_prefecture
):
    # They count the municipalities' plans, and list only each prefecture's own: reading the 1,788 live
    # versions of a nation's municipalities cost /prefectures/ 90 ms of its 150.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in ["/prefectures/", "/prefectures/status/", "/prefectures/status.csv"]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        # (The 更新日's one aggregate, the newest publication of all, reads no version's row.)
        versions = [q["sql"] for q in captured.captured_queries
                    if 'FROM "publishing_planversion"' in q["sql"] and not q["sql"].startswith("SELECT MAX(")]
        assert versions and all("'prefecture'" in sql for sql in versions), url
