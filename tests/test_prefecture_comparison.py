"""A prefecture's municipalities side by side: residents' comparison page and CSV, staff's table and follow-up list.

熊本県 has 熊本市 and 八代市 with published plans, 人吉市 with a draft only and
宇土市 with no plan; 山口市 (山口県) is published in another prefecture.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from measures.models import PriorityArea, Program, ProgramProgress, SupportKind
from plans.models import (
    Department,
    Indicator,
    IndicatorValue,
    Municipality,
    NationalPriority,
    StaffMembership,
    lg_code_check_digit,
)
from reoffense_portal.composition.publishing.models import PlanVersion
from tests.public_data import build_plan, municipality, publish
from tests.staff_world import make_user

pytestmark = pytest.mark.django_db

KUMAMOTO_PREFECTURE = "430005"
COMPARISON = reverse("public:prefecture_comparison", args=[KUMAMOTO_PREFECTURE])
COMPARISON_CSV = reverse("public:prefecture_comparison_csv", args=[KUMAMOTO_PREFECTURE])
STAFF_COMPARISON = reverse("prefecture_staff:comparison", args=[KUMAMOTO_PREFECTURE])
FOLLOW_UP = reverse("prefecture_staff:follow_up", args=[KUMAMOTO_PREFECTURE])


def code(first_five: str) -> str:
    return f"{first_five}{lg_code_check_digit(first_five)}"


def kumamoto_city(first_five: str, name: str) -> Municipality:
    return municipality(code(first_five), name, KUMAMOTO_PREFECTURE, "熊本県")


def priority(number: int) -> NationalPriority:
    return NationalPriority.objects.get(national_plan=2, number=number)


def support(plan, area_number: int, category: str, fiscal_year: int, count: int) -> Program:
    """A programme of the area counted as a kind of direct support, with a year's support count."""
    program = Program.objects.filter(measure__area__plan=plan, measure__area__number=area_number).first()
    program.support_kind = SupportKind.of(category)
    program.save()
    ProgramProgress.objects.create(
        program=program, fiscal_year=fiscal_year, status=ProgramProgress.Status.IMPLEMENTED, support_count=count
    )
    return program


def lasting(plan, years=3):
    """The plan's period reaches well beyond a year from today."""
    plan.period_end = datetime.date(timezone.localdate().year + years, 3, 31)
    plan.save()


@pytest.fixture
def prefecture_world(db):
    call_command("loaddata", "national_priorities", verbosity=0)
    kumamoto = build_plan(kumamoto_city("43100", "熊本市"), published=False, title="熊本市再犯防止推進計画")
    lasting(kumamoto)
    PriorityArea.objects.get(plan=kumamoto, number=1).national_priorities.set([priority(1)])
    PriorityArea.objects.get(plan=kumamoto, number=2).national_priorities.set([priority(2)])
    support(kumamoto, 1, "employment", 2024, 12)
    support(kumamoto, 2, "consultation_hogoshi", 2024, 2)
    publish(kumamoto)
    yatsushiro = build_plan(kumamoto_city("43202", "八代市"), published=False, title="八代市再犯防止推進計画")
    yatsushiro.period_end = timezone.localdate() + datetime.timedelta(days=200)
    yatsushiro.save()
    PriorityArea.objects.get(plan=yatsushiro, number=1).national_priorities.set([priority(3)])
    support(yatsushiro, 1, "employment", 2024, 40)
    publish(yatsushiro)
    build_plan(kumamoto_city("43203", "人吉市"), published=False, title="人吉市再犯防止推進計画（案）")
    uto = kumamoto_city("43211", "宇土市")
    Department.objects.create(municipality=uto, name="福祉課", telephone="0964-22-1111", email="fukushi@example.jp")
    build_plan(municipality(), title="山口市再犯防止推進計画")  # another prefecture, published
    # A change to 熊本市's plan after approval: residents do not see it, staff do.
    PriorityArea.objects.get(plan=kumamoto, number=3).national_priorities.set([priority(7)])
    return kumamoto, yatsushiro


def line_of(table, name):
    return next(line for line in table.lines() if line["row"].municipality == name)


def marks(table, line):
    return {column.key for column, mark in zip(table.priority_columns, line["marks"], strict=True) if mark}


def test_residents_compare_the_published_plans_of_the_prefecture(client, prefecture_world):
    response = client.get(COMPARISON)
    assert response.status_code == 200
    page = response.content.decode()
    assert "熊本県内の市区町村の計画の比較" in page
    assert "熊本市再犯防止推進計画" in page and "八代市再犯防止推進計画" in page
    assert "人吉市" not in page, "a draft is not compared"
    assert "山口市" not in page, "another prefecture's city is not listed"
    table = response.context["table"]
    assert marks(table, line_of(table, "熊本市")) == {"2-1", "2-2"}, "the unapproved 2-7 does not show"
    assert marks(table, line_of(table, "八代市")) == {"2-3"}
    assert "第二次1 就労・住居の確保" in page
    assert "再犯者数1：達成率 4.3%（基準値565人→最新560人／目標450人以下）" in page
    assert "就労支援（令和6年度）" in page and "相談支援（保護司会に委託）（令和6年度）" in page
    assert line_of(table, "熊本市")["support"] == ["3件未満", "12件"]
    assert ">2件<" not in page, "a small support count is never published exactly"


def test_support_counted_by_an_areas_own_programme_is_compared_too(client, prefecture_world):
    """A plan without a measure level: the area's own programme's support count is in its row."""
    _, yatsushiro = prefecture_world
    program = Program.objects.filter(area__plan=yatsushiro, area__number=2).first()
    program.measure = None
    program.support_kind = SupportKind.of("housing")
    program.save()
    ProgramProgress.objects.create(program=program, fiscal_year=2024, status=ProgramProgress.Status.IMPLEMENTED,
                                   support_count=7)
    publish(yatsushiro)
    table = client.get(COMPARISON).context["table"]
    assert {"40件", "7件"} <= set(line_of(table, "八代市")["support"])


def test_a_version_approved_before_the_table_says_so_in_its_row(client, prefecture_world):
    kumamoto, _ = prefecture_world
    version = PlanVersion.objects.current(kumamoto)
    del version.card["comparison"]
    version.save()
    response = client.get(COMPARISON)
    assert "承認時に比較用の情報を記録していない版です（次の承認から表示します）。" in response.content.decode()
    assert marks(response.context["table"], line_of(response.context["table"], "八代市")) == {"2-3"}


def test_the_table_sorts_by_a_column_and_says_so(client, prefecture_world):
    response = client.get(COMPARISON, {"sort": "employment-2024", "order": "desc"})
    names = [line["row"].municipality for line in response.context["table"].lines()]
    assert names == ["八代市", "熊本市"]
    page = response.content.decode()
    assert 'aria-sort="descending"><a href="?sort=employment-2024&amp;order=asc">就労支援（令和6年度）' in page
    response = client.get(COMPARISON, {"sort": "consultation-2024"})
    names = [line["row"].municipality for line in response.context["table"].lines()]
    assert names == ["熊本市", "八代市"], "a masked count has no value to sort by: last"
    response = client.get(COMPARISON, {"sort": "municipality", "order": "desc"})
    assert [line["row"].municipality for line in response.context["table"].lines()] == ["八代市", "熊本市"]
    response = client.get(COMPARISON, {"sort": "<script>", "order": "sideways"})
    assert response.status_code == 200
    assert [line["row"].municipality for line in response.context["table"].lines()] == ["熊本市", "八代市"]


def test_residents_download_the_table_as_csv(client, prefecture_world):
    response = client.get(COMPARISON_CSV)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "%E7%86%8A%E6%9C%AC%E7%9C%8C" in response["Content-Disposition"]  # 熊本県_…csv
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff団体コード,自治体,計画名,計画期間,重点課題 第二次1 就労・住居の確保")
    assert "就労支援（令和6年度）" in text and "3件未満" in text
    kumamoto_line = next(line for line in text.splitlines() if line.startswith("431001"))
    assert kumamoto_line.endswith(",3件未満,12件")
    assert "人吉市" not in text and "山口市" not in text


def test_the_prefecture_page_links_to_the_comparison(client, prefecture_world):
    build_plan(Municipality.objects.get(code=KUMAMOTO_PREFECTURE), title="熊本県再犯防止推進計画")
    page = client.get(reverse("public:municipality", args=[KUMAMOTO_PREFECTURE])).content.decode()
    assert f'href="{COMPARISON}"' in page and "熊本県内の市区町村の計画を比べる" in page
    city_page = client.get(reverse("public:municipality", args=["431001"])).content.decode()
    assert "計画を比べる" not in city_page


def test_a_city_or_an_unknown_code_has_no_comparison(client, prefecture_world):
    assert client.get(reverse("public:prefecture_comparison", args=["431001"])).status_code == 404
    assert client.get(reverse("public:prefecture_comparison", args=["999999"])).status_code == 404
    assert client.get(reverse("public:prefecture_comparison_csv", args=["431001"])).status_code == 404


def prefecture_editor():
    user = make_user("kumamoto-pref-editor", is_staff=True)
    StaffMembership.objects.create(user=user, municipality_id=KUMAMOTO_PREFECTURE, role=StaffMembership.Role.EDITOR)
    return user


def small_kpi(plan) -> Indicator:
    """A 成果目標 about a few people, its newest value entered before an older one; and one with no value yet."""
    indicator = Indicator.objects.create(
        plan=plan, kind=Indicator.Kind.TARGET, order=2, name="再入所者数", unit="人",
        direction=Indicator.Direction.LOWER, baseline_year=2019, baseline_value=Decimal(8), target_value=Decimal(1),
    )
    IndicatorValue.objects.create(indicator=indicator, year=2023, value=Decimal(2))
    IndicatorValue.objects.create(indicator=indicator, year=2021, value=Decimal(6))
    Indicator.objects.create(plan=plan, kind=Indicator.Kind.TARGET, order=3, name="協力雇用主数", unit="社",
                             direction=Indicator.Direction.HIGHER, baseline_value=Decimal(10), target_value=Decimal(20))
    return indicator


def test_prefecture_staff_compare_the_working_rows_with_exact_counts(client, prefecture_world):
    kumamoto, _ = prefecture_world
    small_kpi(kumamoto)
    publish(kumamoto)
    PriorityArea.objects.get(plan=kumamoto, number=3).national_priorities.set([priority(7)])  # unapproved again
    client.force_login(prefecture_editor())
    index = client.get(reverse("admin:index")).content.decode()
    assert f'href="{STAFF_COMPARISON}"' in index and f'href="{FOLLOW_UP}"' in index
    response = client.get(STAFF_COMPARISON)
    assert response.status_code == 200
    table = response.context["table"]
    assert marks(table, line_of(table, "熊本市")) == {"2-1", "2-2", "2-7"}, "the working rows, approved or not"
    assert line_of(table, "熊本市")["support"] == ["2件", "12件"], "staff read exact counts"
    assert "人吉市再犯防止推進計画（案）" in response.content.decode(), "drafts are compared too"
    page = response.content.decode()
    assert "再犯者数1：達成率 4.3%（基準値565人→最新560人／目標450人以下）" in page
    assert "再入所者数：達成率 85.7%（基準値8人→最新2人／目標1人以下）" in page, "the newest year, exact"
    assert "協力雇用主数：達成率は算出できません" in page, "no value yet"
    public = client.get(COMPARISON).context["table"]
    assert line_of(public, "熊本市")["targets"][1]["achievement"] == (
        "達成率は少数のため掲載していません（基準値8人→最新3人未満／目標1人以下）"
    ), "residents read the small count masked"
    for name in ("熊本市", "八代市"):
        staff_targets, public_targets = line_of(table, name)["targets"], line_of(public, name)["targets"]
        assert staff_targets[0] == public_targets[0], f"{name}: the 達成率 residents read, where nothing is masked"
    assert "山口市" not in response.content.decode()
    csv = client.get(reverse("prefecture_staff:comparison_csv", args=[KUMAMOTO_PREFECTURE]))
    assert ",2件,12件" in csv.content.decode("utf-8")


def test_prefecture_staff_follow_up_municipalities_without_a_plan(client, prefecture_world):
    client.force_login(prefecture_editor())
    response = client.get(FOLLOW_UP)
    assert response.status_code == 200
    statuses = {item.municipality.name: item.status for item in response.context["follow_ups"]}
    assert set(statuses) == {"八代市", "人吉市", "宇土市"}
    assert statuses["宇土市"] == "未策定（計画の登録がありません）"
    assert statuses["人吉市"] == "策定中（公開中の計画がありません）"
    assert statuses["八代市"].startswith("計画期間が1年以内に終わります")
    assert response.context["fine"] == 1  # 熊本市
    page = response.content.decode()
    assert "福祉課　電話 0964-22-1111" in page and "mailto:fukushi@example.jp" in page, "宇土市's contact"
    assert "地域福祉課　電話 083-934-2790" in page, "人吉市's plan's department"


def test_only_the_prefecture_staff_reach_its_staff_pages(client, prefecture_world):
    city_editor = make_user("kumamoto-city-editor", is_staff=True)
    StaffMembership.objects.create(user=city_editor, municipality_id="431001")
    other = make_user("yamaguchi-pref-editor", is_staff=True)
    StaffMembership.objects.create(user=other, municipality_id="350001")
    for user in (city_editor, other):
        client.force_login(user)
        assert client.get(STAFF_COMPARISON).status_code == 404
        assert client.get(FOLLOW_UP).status_code == 404
        assert f'href="{FOLLOW_UP}"' not in client.get(reverse("admin:index")).content.decode()


def add_municipalities(n: int, scale: int = 1):
    """町n with a published plan of `scale` and a support count, and 村n with no plan yet."""
    city = kumamoto_city(f"434{n:02d}", f"町{n}")
    plan = build_plan(city, scale=scale, published=False, title=f"町{n}再犯防止推進計画")
    lasting(plan)
    PriorityArea.objects.get(plan=plan, number=1).national_priorities.set([priority(1 + n % 7)])
    support(plan, 1, "housing", 2024, n)
    publish(plan)
    village = kumamoto_city(f"435{n:02d}", f"村{n}")
    Department.objects.create(municipality=village, name="住民福祉課")


@pytest.mark.parametrize(
    "path, shown", [(COMPARISON, "町5再犯防止推進計画"), (STAFF_COMPARISON, "町5再犯防止推進計画"), (FOLLOW_UP, "村5")]
)
def test_the_queries_do_not_grow_with_the_municipalities(
    client, prefecture_world, path, shown, django_assert_max_num_queries
):
    client.force_login(prefecture_editor())
    add_municipalities(1)
    with django_assert_max_num_queries(40) as small:
        assert client.get(path).status_code == 200
    for n in range(2, 6):
        add_municipalities(n, scale=2)  # more municipalities, and larger plans: more KPIs, more values
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(path)
    assert response.status_code == 200
    assert shown in response.content.decode()


def test_the_staff_table_loads_no_kpi_value_one_by_one(client, prefecture_world):
    """Each KPI's newest value comes with the KPI: a prefecture of 60 cities has thousands of values."""
    for n in range(1, 4):
        add_municipalities(n, scale=3)
    client.force_login(prefecture_editor())
    client.get(STAFF_COMPARISON)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(STAFF_COMPARISON)
    assert "再犯者数3：達成率 6.0%（基準値567人→最新560人／目標450人以下）" in response.content.decode()
    value_reads = [query["sql"] for query in captured if query["sql"].startswith('SELECT "plans_indicatorvalue"')]
    assert value_reads == []
