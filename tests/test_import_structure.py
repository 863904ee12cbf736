# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""The plan structure sheet: areas, measures and programmes in one table, as cities keep them in Excel."""

from measures.models import Measure, PriorityArea, Program
from measures.resources import PlanStructureResource
from plans.models import Department
from reoffense_portal.machinery.spreadsheets.files import read_spreadsheet
from tests.import_export_factories import (  # noqa: F401 (fixtures)
    csv_bytes,
    editor,
    import_ticking_all,
    kumamoto,
    run_import,
)

HEADER = ["団体コード", "計画名", "重点施策番号", "重点施策名", "施策番号", "施策名", "事業名", "事業の概要",
          "担当課", "連携団体", "既存事業", "直接支援の類型", "順番"]
PLAN = "熊本市再犯防止推進計画"


def line(area, area_title, measure, measure_title, name, departments="生活安全課", partners="", existing="○", order="1",
         description="", category=""):
    return ["431001", PLAN, area, area_title, measure, measure_title, name, description, departments, partners,
            existing, category, order]


def test_a_table_of_existing_programmes_creates_the_ticked_areas_measures_and_departments(kumamoto, editor):
    rows = [HEADER] + [
        line("2", "保健医療・福祉サービスの利用の促進", "1", "高齢者・障がい者への支援", f"既存事業{i}",
             departments="障がい保健福祉課、高齢福祉課", description=f"概要{i}", order=str(i))
        for i in range(1, 48)
    ]
    result, ticked = import_ticking_all(PlanStructureResource, csv_bytes(rows, "cp932"), editor)
    assert not result.has_problems(), result.messages()
    assert ticked == [
        "重点施策2“保健医療・福祉サービスの利用の促進”（熊本市再犯防止推進計画）",
        "施策2-1“高齢者・障がい者への支援”（熊本市再犯防止推進計画）",
        "担当課“障がい保健福祉課”（熊本市）",
        "担当課“高齢福祉課”（熊本市）",
    ]
    area = PriorityArea.objects.get(plan=kumamoto.plan, number=2)
    assert area.title == "保健医療・福祉サービスの利用の促進"
    measure = Measure.objects.get(area=area, number=1)
    assert measure.programs.count() == 47
    program = measure.programs.get(name="既存事業5")
    assert program.is_existing and program.description == "概要5" and program.order == 5
    assert sorted(d.name for d in program.departments.all()) == ["障がい保健福祉課", "高齢福祉課"]
    assert Department.objects.filter(municipality=kumamoto.city, name="高齢福祉課").count() == 1
    assert PriorityArea.history.filter(number=2).get().history_user == editor


def test_existing_programme_is_updated_with_departments_and_partners_by_name(kumamoto, editor):
    rows = [HEADER, line("1", "就労・住居の確保", "1", "就労の確保", "協力雇用主の拡大", departments="経済政策課",
                         partners="保護観察所、保護司会", existing="", description="事業者へ周知します。")]
    result = run_import(PlanStructureResource, csv_bytes(rows), editor)
    assert [r.import_type for r in result.rows] == ["update"], result.messages()
    program = Program.objects.get(pk=kumamoto.program.pk)
    assert [d.name for d in program.departments.all()] == ["経済政策課"]
    assert sorted(o.name for o in program.partners.all()) == ["保護司会", "保護観察所"]


def test_unknown_partner_is_an_error_on_its_column(kumamoto, editor):
    rows = [HEADER, line("1", "就労・住居の確保", "1", "就労の確保", "新しい事業", partners="架空の団体")]
    messages = run_import(PlanStructureResource, csv_bytes(rows), editor).messages()
    assert messages == ["2行目『連携団体』: “架空の団体”は関係機関・団体に登録されていません"
                        "（先に「関係機関・団体」を登録・取り込みしてください）"]
    assert not Program.objects.filter(name="新しい事業").exists()


def test_a_new_area_needs_a_title(kumamoto, editor):
    rows = [HEADER, line("5", "", "1", "", "新しい事業")]
    messages = run_import(PlanStructureResource, csv_bytes(rows), editor).messages()
    assert messages == ["2行目『重点施策名』: 重点施策5は未登録です。新しく作るには重点施策名を入力してください"]
    assert not PriorityArea.objects.filter(number=5).exists()


def test_two_rows_naming_one_area_differently_are_refused(kumamoto, editor):
    rows = [HEADER, line("3", "居住支援", "1", "住まい", "事業A"), line("3", "住居支援", "1", "住まい", "事業B")]
    messages = run_import(PlanStructureResource, csv_bytes(rows), editor, dry_run=True).messages()
    assert messages == ["3行目『重点施策名』: 重点施策3の名前が2行目（“居住支援”）と異なります"]
    assert not PriorityArea.objects.filter(number=3).exists()


def test_renaming_an_area_when_ticked_updates_it_and_its_rows_are_updates(kumamoto, editor):
    rows = [HEADER, line("1", "就労・住居の確保等", "1", "就労の確保", "協力雇用主の拡大", partners="保護観察所",
                         existing="", description="事業者へ周知します。")]
    result, ticked = import_ticking_all(PlanStructureResource, csv_bytes(rows), editor)
    assert [r.import_type for r in result.rows] == ["update"], result.messages()
    assert ticked == ["重点施策1（熊本市再犯防止推進計画）の名前"]
    kumamoto.area.refresh_from_db()
    assert kumamoto.area.title == "就労・住居の確保等"


def test_a_blank_measure_number_puts_the_programme_directly_under_its_area(kumamoto, editor):
    rows = [HEADER, line("6", "特性に応じた指導・支援", "", "", "女性からの様々な相談に対する助言や援助", order="1"),
            line("6", "", "", "", "生活指導を要する児童への助言・指導", order="2")]
    result, ticked = import_ticking_all(PlanStructureResource, csv_bytes(rows), editor)
    assert not result.has_problems(), result.messages()
    assert ticked == ["重点施策6“特性に応じた指導・支援”（熊本市再犯防止推進計画）"]
    area = PriorityArea.objects.get(plan=kumamoto.plan, number=6)
    assert not area.measures.exists()
    assert list(area.programs.filter(measure=None).values_list("name", flat=True)) == [
        "女性からの様々な相談に対する助言や援助", "生活指導を要する児童への助言・指導",
    ]
    # The same file again changes nothing: the rows find their programmes without a measure.
    again = run_import(PlanStructureResource, csv_bytes(rows), editor)
    assert [r.import_type for r in again.rows] == ["skip", "skip"], again.messages()


def test_a_measure_title_without_its_number_is_refused(kumamoto, editor):
    rows = [HEADER, line("1", "", "", "就労の確保", "番号のない施策の事業")]
    messages = run_import(PlanStructureResource, csv_bytes(rows), editor).messages()
    assert messages == ["2行目『施策番号』: 施策名を書くときは施策番号も入力してください"
                        "（施策のない事業は施策番号と施策名を空欄にします）"]
    assert not Program.objects.filter(name="番号のない施策の事業").exists()


def test_a_new_measure_needs_its_heading(kumamoto, editor):
    rows = [HEADER, line("1", "", "2", "", "見出しのない施策の事業")]
    messages = run_import(PlanStructureResource, csv_bytes(rows), editor).messages()
    assert messages == ["2行目『施策名』: 施策1-2は未登録です。新しく作るには施策名を入力してください"]
    assert not Measure.objects.filter(area=kumamoto.area, number=2).exists()


def test_failed_file_leaves_no_new_areas_or_departments_even_when_ticked(kumamoto, editor):
    rows = [HEADER, line("4", "広報・啓発", "1", "啓発", "事業A", departments="広報課"),
            line("4", "広報・啓発", "1", "啓発", "事業B", existing="たぶん")]
    messages = import_ticking_all(PlanStructureResource, csv_bytes(rows), editor)[0].messages()
    assert messages == ["3行目『既存事業』: “たぶん” を読めません（該当するときは「○」、しないときは空欄にしてください）"]
    assert not PriorityArea.objects.filter(number=4).exists()
    assert not Department.objects.filter(name="広報課").exists()


def test_an_area_number_in_words_is_refused_with_a_number_as_example(kumamoto, editor):
    rows = [HEADER, line("第一", "就労・住居の確保", "1", "就労の確保", "新しい事業")]
    messages = run_import(PlanStructureResource, csv_bytes(rows), editor).messages()
    assert messages == ["2行目『重点施策番号』: “第一” を整数として読めません（「3」のように数字で入力してください）"]


def test_the_kind_of_direct_support_is_read_by_its_label(kumamoto, editor):
    rows = [HEADER,
            line("1", "", "1", "", "刑務所出所者等の就労支援", category="就労支援"),
            line("1", "", "1", "", "薬物依存からの回復支援", category="専門的支援(薬物事犯者への支援)"),  # half-width
            line("1", "", "1", "", "更生保護の広報", category="")]
    result = run_import(PlanStructureResource, csv_bytes(rows, "cp932"), editor)
    assert not result.has_problems(), result.messages()
    categories = dict(Program.objects.filter(measure=kumamoto.measure).values_list("name", "support_kind__code"))
    assert categories["刑務所出所者等の就労支援"] == "employment"
    assert categories["薬物依存からの回復支援"] == "drugs"
    assert categories["更生保護の広報"] is None, "blank: no direct support"

    # A sheet made before the column existed leaves the kinds as they are.
    without = HEADER.index("直接支援の類型")
    older = [row[:without] + row[without + 1:] for row in rows]
    again = run_import(PlanStructureResource, csv_bytes(older), editor)
    assert [r.import_type for r in again.rows] == ["skip", "skip", "skip"], again.messages()
    assert Program.objects.get(name="刑務所出所者等の就労支援").support_kind.code == "employment"


def test_an_unknown_kind_of_direct_support_names_the_row_and_the_kinds_and_writes_nothing(kumamoto, editor):
    rows = [HEADER, line("7", "新しい重点施策", "1", "新しい施策", "住まいの相談", category="住宅支援", departments="住宅課")]
    messages = import_ticking_all(PlanStructureResource, csv_bytes(rows), editor)[0].messages()
    assert messages == ["2行目『直接支援の類型』: “住宅支援” は使えません（就労支援、就労支援（直接雇用）、居住支援、"
                        "専門的支援（薬物事犯者への支援）、専門的支援（性犯罪者への支援）、専門的支援（よりそい／寄り添い弁護士）、"
                        "相談支援（地域生活定着支援センター受託団体に委託）、相談支援（保護司会に委託）、"
                        "相談支援（その他の団体に委託）、相談支援（各都道府県が自前で実施）、"
                        "相談支援（福祉サービスへのつなぎ支援）、相談支援（支援者支援）のいずれか）"]
    assert not PriorityArea.objects.filter(plan=kumamoto.plan, number=7).exists()
    assert not Program.objects.filter(name="住まいの相談").exists()
    assert not Department.objects.filter(name="住宅課").exists()



def test_an_import_without_the_previews_ticks_creates_and_renames_nothing(kumamoto, editor):
    rows = [HEADER, line("1", "就労・住居の確保等", "1", "就労の確保", "協力雇用主の拡大"),
            line("7", "住居の確保", "1", "公営住宅", "住まいの相談", departments="住宅課")]
    messages = run_import(PlanStructureResource, csv_bytes(rows), editor).messages()
    assert messages == [
        "2行目『重点施策名』: 重点施策1（熊本市再犯防止推進計画）の名前が“就労・住居の確保”から“就労・住居の確保等”に変わります"
        "（変えるときは、プレビューの「名前が変わる項目」でチェックを入れてください）",
        "3行目『重点施策名』: 重点施策7は計画“熊本市再犯防止推進計画”に登録されていません。近い名前：“重点施策1 就労・住居の確保”"
        "（新しく作るときは、プレビューの「新しく作られる関連項目」でチェックを入れてください）",
    ]
    kumamoto.area.refresh_from_db()
    assert kumamoto.area.title == "就労・住居の確保"
    assert not PriorityArea.objects.filter(plan=kumamoto.plan, number=7).exists()
    assert not Department.objects.filter(name="住宅課").exists()


def test_ticking_only_the_area_still_refuses_its_new_measure_and_department(kumamoto, editor):
    rows = [HEADER, line("7", "住居の確保", "1", "公営住宅", "住まいの相談", departments="住宅課")]
    messages = run_import(PlanStructureResource, csv_bytes(rows), editor,
                          confirmed_creations=[f"area:{kumamoto.plan.pk}:7:住居の確保"]).messages()
    assert messages == [
        "2行目『施策名』: 施策7-1は重点施策7に登録されていません"
        "（新しく作るときは、プレビューの「新しく作られる関連項目」でチェックを入れてください）",
    ]
    assert not PriorityArea.objects.filter(plan=kumamoto.plan, number=7).exists()
    assert not Department.objects.filter(name="住宅課").exists()


def test_the_preview_offers_registered_titles_not_the_files_new_ones(kumamoto, editor):
    rows = [HEADER, line("1", "就労・住居の確保等", "1", "就労の確保", "協力雇用主の拡大"),
            line("7", "住居の確保", "1", "公営住宅", "住まいの相談")]
    preview = PlanStructureResource(user=editor)
    preview.import_data(read_spreadsheet(csv_bytes(rows)), dry_run=True, user=editor)
    problems = {item.label: item.problem for item in preview.confirmations.values()}
    assert problems["重点施策7“住居の確保”（熊本市再犯防止推進計画）"] == (
        "重点施策7は計画“熊本市再犯防止推進計画”に登録されていません。近い名前：“重点施策1 就労・住居の確保”"
    )
