"""The fixtures reproduce their public sources faithfully (fixtures/README.md cites each):

山口市's page 「再犯防止を推進しています」 (山口市 地域福祉課, 更新日 2025年4月1日), 「熊本市再犯防止推進計画
（素案概要版）」 (熊本市文化市民局市民生活部生活安全課) and the national 「再犯防止推進計画」 (閣議決定
2017年12月15日) and 「第二次再犯防止推進計画」 (閣議決定 2023年3月17日).
"""

import datetime
from decimal import Decimal

from django.apps import apps
from django.test import TestCase

from councils.models import Council, Meeting
from measures.models import Measure, PriorityArea, Program
from plans.models import Department, Indicator, Municipality, NationalPriority, Organization, Plan

YAMAGUCHI_AREAS = {
    "就労支援": [
        "生活困窮者自立相談支援事業の利用促進",
        "障がい者への就労支援",
        "関係機関との情報共有",
        "協力雇用主の増強",
        "公共調達等における優遇制度の検討",
    ],
    "居住支援": [
        "更生保護施設における支援等",
        "居住支援事業の活用",
        "住居確保給付金の支給",
        "自立準備ホームにおける支援等",
        "民間賃貸住宅への入居支援",
        "市営住宅の入居条件緩和等の検討",
    ],
    "生活支援": ["生活相談の充実", "福祉サービスの利用促進", "薬物依存者等への支援"],
    "学校等と連携した修学支援等": [
        "非行の未然防止",
        "修学支援の充実",
        "非行のある少年等への支援",
        "児童虐待、ＤＶ等の防止",
    ],
    "関係機関・団体等とのネットワーク構築": [
        "山口圏域生活支援協議会の充実",
        "生活困窮者支援調整会議の活用",
        "既存の会議体等とのネットワーク構築",
        "保護司の確保への支援",
    ],
    "広報・啓発": [
        "社会を明るくする運動の推進",
        "シンポジウム・講演会等の開催",
        "市報、市ウェブサイト等による広報",
        "矯正展等への協力",
        "広域的な活動の検討",
    ],
}

# Every ○ programme of the Yamaguchi page: (area number, measure number, programme, partner organisations).
YAMAGUCHI_PROGRAMMES = [
    (
        1,
        1,
        "「パーソナル・サポートセンターやまぐち」の利用促進",
        {"パーソナル・サポートセンターやまぐち"},
    ),
    (
        1,
        2,
        "「鳴滝園障害者就業・生活支援センターデパール」による支援",
        {"鳴滝園障害者就業・生活支援センターデパール"},
    ),
    (2, 1, "ひまわり寮（山口更生保護会）による支援", {"山口更生保護会"}),
    (2, 4, "なでしこ女子寮（山口県済生会）による支援", {"山口県済生会"}),
    (2, 5, "入居保証事業・住宅セーフティネット制度の周知", set()),
    (
        3,
        1,
        "民生委員・児童委員等による見守りや声かけによる相談しやすい地域づくり",
        {"民生委員・児童委員"},
    ),
    (3, 1, "生活福祉資金の貸付や生活保護の検討・法テラス等の紹介", {"法テラス"}),
    (
        3,
        2,
        "基幹型地域包括支援センターや障がい者基幹相談支援センター等によるサービス調整や支援",
        {"基幹型地域包括支援センター", "障がい者基幹相談支援センター"},
    ),
    (4, 1, "青少年健全育成協議会など社会教育団体との連携", {"青少年健全育成協議会"}),
    (4, 1, "法務少年支援センター山口の周知", {"法務少年支援センター山口"}),
    (4, 1, "地域協育ネットの取組の推進", set()),
    (4, 2, "スクールカウンセラーやソーシャルワーカーの配置", set()),
    (4, 2, "山口家庭教育支援チームの取組の推進", {"山口家庭教育支援チーム"}),
    (
        4,
        3,
        "保護司、児童相談所、少年サポート等との連携",
        {"保護司", "児童相談所", "少年サポートセンター"},
    ),
    (4, 4, "深刻化を防ぐための早期発見への取組", set()),
    (5, 1, "山口県済生会が開催する協議会における情報共有、意見交換", {"山口県済生会"}),
    (
        5,
        2,
        "「パーソナル・サポートセンターやまぐち」が開催する会議の情報を提供して連携",
        {"パーソナル・サポートセンターやまぐち"},
    ),
    (5, 3, "ふくまる相談室における関係機関と連携した支援", {"ふくまる相談室"}),
    (6, 3, "市ウェブサイトでの関係機関や団体、制度等の掲載", set()),
]


class SeedFacts(TestCase):
    """The fixtures are loaded once for the class (they take a second on PostgreSQL)."""

    fixtures = ("national_priorities", "yamaguchi", "kumamoto")

    @classmethod
    def setUpTestData(cls):
        cls.yamaguchi = Plan.objects.get(title="第二次山口市再犯防止推進計画")
        cls.kumamoto = Plan.objects.get(title="熊本市再犯防止推進計画")

    def test_national_priorities_seven_of_each_plan(self):
        for national_plan in (1, 2):
            numbers = NationalPriority.objects.filter(national_plan=national_plan).values_list(
                "number", flat=True
            )
            assert sorted(numbers) == [1, 2, 3, 4, 5, 6, 7]
        second = dict(
            NationalPriority.objects.filter(national_plan=2).values_list("number", "title")
        )
        assert second[1] == "就労・住居の確保"
        assert second[6] == "地域による包摂の推進"
        assert second[7] == "再犯防止に向けた基盤の整備"
        first = dict(
            NationalPriority.objects.filter(national_plan=1).values_list("number", "title")
        )
        assert first[5] == "民間協力者の活動の促進、広報・啓発活動の推進"
        assert first[6] == "地方公共団体との連携強化"

    def test_municipalities_by_lg_code(self):
        yamaguchi = Municipality.objects.get(pk="352039")
        assert (yamaguchi.name, yamaguchi.kana, yamaguchi.kind) == ("山口市", "やまぐちし", "city")
        assert yamaguchi.prefecture.name == "山口県" and yamaguchi.prefecture.pk == "350001"
        kumamoto = Municipality.objects.get(pk="431001")
        assert (kumamoto.name, kumamoto.kind) == ("熊本市", Municipality.Kind.DESIGNATED_CITY)
        assert kumamoto.prefecture.pk == "430005"

    def test_yamaguchi_plan(self):
        assert self.yamaguchi.municipality_id == "352039"
        assert self.yamaguchi.edition_label == "第二次"
        assert self.yamaguchi.purpose.startswith(
            "本市では、犯罪をした人等に対する社会への立ち直りのための就労支援や居住支援"
        )
        assert self.yamaguchi.embedded_in == ""
        assert self.yamaguchi.last_updated == datetime.date(2025, 4, 1)

    def test_yamaguchi_contact_department(self):
        department = self.yamaguchi.department
        assert department.name == "地域福祉課"
        assert department.postal_code == "753-8650"
        assert department.address == "山口市亀山町2番1号　山口総合支所1階"
        assert department.section == "総務担当・地域福祉担当"
        assert (department.telephone, department.fax) == ("083-934-2790", "083-934-5087")
        assert department.email == ""

    def test_yamaguchi_six_areas_with_their_measures(self):
        areas = list(self.yamaguchi.priority_areas.order_by("number"))
        assert [area.title for area in areas] == list(YAMAGUCHI_AREAS)
        assert [area.number for area in areas] == [1, 2, 3, 4, 5, 6]
        for area in areas:
            measures = list(area.measures.order_by("number"))
            assert [m.title for m in measures] == YAMAGUCHI_AREAS[area.title], area.title
            assert [m.number for m in measures] == list(range(1, len(measures) + 1))
        counts = {area.title: area.measures.count() for area in areas}
        assert list(counts.values()) == [5, 6, 3, 4, 4, 5]
        assert (
            Measure.objects.get(area__plan=self.yamaguchi, area__number=2, number=4).label
            == "（4）"
        )

    def test_yamaguchi_every_programme_with_its_organisation(self):
        programmes = Program.objects.of_plan(self.yamaguchi)
        assert programmes.count() == len(YAMAGUCHI_PROGRAMMES)
        for area_number, measure_number, name, partners in YAMAGUCHI_PROGRAMMES:
            programme = programmes.get(name=name)
            assert (programme.measure.area.number, programme.measure.number) == (
                area_number,
                measure_number,
            ), name
            assert {org.name for org in programme.partners.all()} == partners, name
            assert all(org.municipality_id == "352039" for org in programme.partners.all())

    def test_yamaguchi_organisation_sectors(self):
        sectors = dict(
            Organization.objects.filter(municipality="352039").values_list("name", "sector")
        )
        assert sectors["法務少年支援センター山口"] == Organization.Sector.NATIONAL
        assert sectors["山口更生保護会"] == Organization.Sector.NONPROFIT
        assert sectors["山口県済生会"] == Organization.Sector.NONPROFIT
        assert sectors["保護司"] == Organization.Sector.VOLUNTEER

    def test_yamaguchi_area_national_priorities(self):
        mapping = {
            area.title: [(np.national_plan, np.number) for np in area.national_priorities.all()]
            for area in self.yamaguchi.priority_areas.all()
        }
        assert mapping == {
            "就労支援": [(2, 1)],
            "居住支援": [(2, 1)],
            "生活支援": [(2, 2)],
            "学校等と連携した修学支援等": [(2, 3)],
            "関係機関・団体等とのネットワーク構築": [(2, 6)],
            "広報・啓発": [(2, 5)],
        }

    def test_yamaguchi_council_and_its_four_meetings(self):
        council = self.yamaguchi.councils.get()
        assert (council.name, council.kind) == ("山口市再犯防止推進協議会", Council.Kind.COUNCIL)
        meetings = list(council.meetings.all())
        assert [(m.held_on, m.label) for m in meetings] == [
            (datetime.date(2024, 12, 24), "令和6年度第1回"),
            (datetime.date(2023, 7, 24), "令和5年度第1回"),
            (datetime.date(2022, 7, 8), "令和4年度第1回"),
            (datetime.date(2021, 7, 21), "令和3年度第1回"),
        ]
        assert all(m.status == Meeting.Status.HELD for m in meetings)
        assert meetings[0].title == "令和6年度第1回山口市再犯防止推進協議会"
        assert meetings[0].held_on_label == "令和6年12月24日"

    def test_kumamoto_plan_texts(self):
        assert self.kumamoto.municipality_id == "431001"
        assert self.kumamoto.department.name == "生活安全課"
        assert self.kumamoto.department.bureau == "文化市民局市民生活部"
        assert (
            self.kumamoto.position == "再犯防止等推進法第8条第1項に定める「地方再犯防止推進計画」"
        )
        assert "「熊本市再犯防止推進計画」を策定します。" in self.kumamoto.purpose
        assert (
            self.kumamoto.target_persons.splitlines()[-1]
            == "必要に応じ、これらの家族と犯罪被害に遭われた人"
        )
        assert self.kumamoto.basic_philosophy.endswith(
            "「犯罪や非行のない、だれもが安全で安心して暮らせる社会」の実現に寄与します。"
        )
        assert "6つの推進施策に取り組みます。" in self.kumamoto.basic_policy
        assert "再犯防止関係課長会議" in self.kumamoto.promotion_system
        assert "PDCAサイクル" in self.kumamoto.progress_management
        assert [c.text for c in self.kumamoto.challenges.all()] == [
            "支援対象者の更生に対する市民や地域社会の理解促進",
            "帰住先（住まい）や就労先の確保",
            "少年の地域社会全体での見守りと関係機関等の連携",
            "高齢者・障がい者等への必要に応じた医療・福祉サービスの情報提供や特性に応じた支援",
        ]

    def test_kumamoto_six_areas_with_page_references(self):
        areas = [
            (a.number, a.title, a.page_reference)
            for a in self.kumamoto.priority_areas.order_by("number")
        ]
        assert areas == [
            (1, "国・県・関係団体との連携強化と広報・啓発の推進", "本編P27～P33"),
            (2, "住居の確保に関する支援", "本編P34～P39"),
            (3, "就労の確保に関する支援", "本編P40～P46"),
            (4, "保健医療・福祉サービスの利用促進", "本編P47～P52"),
            (5, "非行の防止と修学支援", "本編P53～P60"),
            (6, "犯罪をした人等の特性に応じた指導・支援", "本編P61～P67"),
        ]
        measures = [
            (m.area.number, m.number, m.title)
            for m in Measure.objects.filter(area__plan=self.kumamoto)
            .select_related("area")
            .order_by("area__number", "number")
        ]
        assert measures[:4] == [
            (1, 1, '"社会を明るくする運動"の推進'),
            (1, 2, "民間協力団体の活動促進"),
            (2, 1, "民間住宅への入居支援"),
            (2, 2, "公営住宅への入居支援"),
        ]
        # Measures the 概要版 does not print are not invented: their 主な取組 belong to the area directly.
        assert [m for m in measures if m[0] in (5, 6)] == [(5, 1, "少年非行・被害の未然防止への支援")]
        direct = [
            (p.area.number, p.order, p.name)
            for p in Program.objects.of_plan(self.kumamoto).filter(measure=None).order_by("area__number", "order")
        ]
        assert direct == [
            (5, 1, "学校教育コンシェルジュによる相談対応と専門的助言"),
            (5, 2, "保護者に対する就学費用の援助"),
            (6, 1, "生活指導を要する児童への助言・指導"),
            (6, 2, "女性からの様々な相談に対する助言や援助"),
        ]
        programme = Program.objects.of_plan(self.kumamoto).get(
            name="コレワーク等と連携した協力雇用主制度に関するセミナーの開催"
        )
        assert str(programme.measure) == "（2） 協力雇用主の活動に対する支援"
        assert [o.name for o in programme.partners.all()] == ["コレワーク"]
        assert Program.objects.of_plan(self.kumamoto).count() == 21

    def test_kumamoto_areas_map_to_first_national_plan(self):
        mapping = {
            area.number: sorted(np.number for np in area.national_priorities.all())
            for area in self.kumamoto.priority_areas.all()
        }
        assert mapping == {1: [5, 6], 2: [1], 3: [1], 4: [2], 5: [3], 6: [4]}
        assert not PriorityArea.objects.filter(
            plan=self.kumamoto, national_priorities__national_plan=2
        ).exists()

    def test_kumamoto_target_564_to_450(self):
        target = self.kumamoto.indicators.get(kind=Indicator.Kind.TARGET)
        assert target.name == "刑法犯検挙人員中の再犯者数"
        assert (target.unit, target.direction, target.period_kind) == ("人", "lower", "calendar")
        assert (target.baseline_year, target.baseline_value, target.target_value) == (
            2019,
            Decimal(564),
            Decimal(450),
        )
        assert target.target_year is None  # the 概要版 names no year
        assert target.target_text == "熊本市の刑法犯検挙人員中の再犯者数を450人以下とします。"
        assert target.source == "熊本県警察（暦年）"
        assert target.baseline_label == "令和元年 564人"
        assert target.target_label == "450人以下"
        assert [(v.year, v.value) for v in target.values.all()] == [(2019, Decimal(564))]
        assert target.values.get().period_label == "令和元年"
        progress = target.progress()
        assert not progress.achieved and progress.remaining == 114 and progress.ratio == 0
        assert target.progress_text() == "目標まで残り114人"

    def test_kumamoto_context_statistics(self):
        statistics = {
            i.name: i for i in self.kumamoto.indicators.filter(kind=Indicator.Kind.STATISTIC)
        }
        assert set(statistics) == {"刑法犯検挙人員", "再犯者率", "刑法犯少年数"}
        arrests = statistics["刑法犯検挙人員"]
        assert (arrests.baseline_value, arrests.baseline_year) == (Decimal(1107), None)
        rate = statistics["再犯者率"]
        assert (rate.unit, rate.baseline_value, rate.baseline_year) == ("%", Decimal("44.8"), None)
        assert rate.note == "近年の再犯者率は約50%です。"
        assert "どの年の値かは概要版から読み取れません" in rate.staff_note
        juveniles = statistics["刑法犯少年数"]
        assert juveniles.baseline_label == "令和元年 178人"
        assert [(v.year, v.value_label) for v in juveniles.values.all()] == [(2019, "178人")]

    def test_what_the_sources_do_not_say_is_a_note_for_staff_only(self):
        target = self.kumamoto.indicators.get(kind=Indicator.Kind.TARGET)
        assert (target.target_year, target.note) == (None, "")
        assert target.staff_note == "概要版に目標年の記載はありません。"
        public_notes = " ".join(Indicator.objects.values_list("note", flat=True))
        for remark in ("記載はありません", "読み取れません", "概要版"):
            assert remark not in public_notes

    def test_kumamoto_contact_holds_only_what_the_summary_prints(self):
        """The 概要版 names 生活安全課 as its publisher and prints no address, telephone or e-mail."""
        department = self.kumamoto.department
        assert (department.bureau, department.name) == ("文化市民局市民生活部", "生活安全課")
        assert (department.address, department.telephone, department.fax, department.email) == ("", "", "", "")

    def test_kumamoto_councils(self):
        councils = [(c.name, c.kind) for c in self.kumamoto.councils.all()]
        assert councils == [
            ("再犯防止関係課長会議", Council.Kind.INTERNAL),
            ("熊本市再犯防止推進連絡会", Council.Kind.LIAISON),
            ("熊本県再犯防止推進連絡協議会", Council.Kind.PREFECTURAL),
        ]
        assert self.kumamoto.councils.get(kind=Council.Kind.INTERNAL).purpose == (
            "再犯防止関係課長会議において、関連事業の進捗管理及び施策の推進を行います。"
        )

    def test_departments_belong_to_their_city(self):
        assert set(Department.objects.values_list("municipality", "name")) == {
            ("352039", "地域福祉課"),
            ("431001", "生活安全課"),
        }

    def test_every_loaded_object_passes_full_clean(self):
        checked = 0
        for model in apps.get_models():
            if model._meta.app_label not in (
                "plans",
                "measures",
                "councils",
            ) or model.__name__.startswith("Historical"):
                continue
            for obj in model.objects.all():
                obj.full_clean()
                checked += 1
        assert checked >= 145


def test_staff_notes_of_the_fixtures_never_reach_residents(client, seeded):
    kumamoto = Plan.objects.get(title="熊本市再犯防止推進計画")
    page = client.get(kumamoto.get_absolute_url()).content.decode()
    assert "熊本市の刑法犯検挙人員中の再犯者数を450人以下とします。" in page
    assert "近年の再犯者率は約50%です。" in page
    for staff_note in kumamoto.indicators.exclude(staff_note="").values_list("staff_note", flat=True):
        assert staff_note not in page
    assert "記載はありません" not in page
