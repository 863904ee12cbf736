# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Yearly programme progress from a spreadsheet: the job staff do every year."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from measures.models import ProgramProgress
from measures.resources import ProgramProgressResource
from tests.import_export_factories import (  # noqa: F401 (fixtures)
    csv_bytes,
    editor,
    kumamoto,
    run_import,
    staff,
    superuser,
    yamaguchi,
)

HEADER = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況", "実績・成果",
          "支援件数", "予算額（円）", "決算額（円）", "補助率"]
PLAN = "熊本市再犯防止推進計画"


def row(fiscal_year="令和7年度", status="実施", name="協力雇用主の拡大", **extra):
    values = {"results": "", "support": "", "budget": "", "cost": "", "rate": "", **extra}
    return ["431001", PLAN, "1", "1", name, fiscal_year, status, values["results"], values["support"],
            values["budget"], values["cost"], values["rate"]]


def test_new_year_of_progress_is_created_with_the_values_as_typed_in_excel(kumamoto, editor):
    data = csv_bytes([HEADER, row("R7年度", "一部実施", results="相談会を開催", support="１２件",
                                  budget="1,500,000", cost="1320000円", rate="1/2")], "cp932")
    result = run_import(ProgramProgressResource, data, editor)
    assert not result.has_problems(), result.messages()
    progress = ProgramProgress.objects.get(program=kumamoto.program, fiscal_year=2025)
    assert progress.status == ProgramProgress.Status.PARTIAL
    assert (progress.support_count, progress.budget, progress.actual_cost) == (12, 1500000, 1320000)
    assert progress.subsidy_rate == Decimal("0.5")
    assert progress.results == "相談会を開催"


def test_import_is_recorded_in_the_history_with_the_user(kumamoto, editor):
    run_import(ProgramProgressResource, csv_bytes([HEADER, row("2025")]), editor)
    record = ProgramProgress.history.filter(fiscal_year=2025).get()
    assert record.history_user == editor
    assert record.history_type == "+"
    assert "取り込み" in record.history_change_reason


def test_dry_run_previews_new_update_and_unchanged_rows_and_writes_nothing(kumamoto, editor):
    data = csv_bytes([
        HEADER,
        row("2024", results="説明会を2回開催", support="12", budget="1500000", cost="1320000", rate="0.5"),
        row("2025"),
        row("2024", name="就労相談", status="未実施"),
    ])
    before = (ProgramProgress.objects.count(), ProgramProgress.history.count())
    result = run_import(ProgramProgressResource, data, editor, dry_run=True)
    assert [r.import_type for r in result.rows] == ["skip", "new", "new"]
    assert (ProgramProgress.objects.count(), ProgramProgress.history.count()) == before


def test_changed_row_is_an_update(kumamoto, editor):
    data = csv_bytes([HEADER, row("2024", status="未実施", results="中止", support="12", budget="1500000",
                                  cost="1320000", rate="0.5")])
    result = run_import(ProgramProgressResource, data, editor)
    assert [r.import_type for r in result.rows] == ["update"]
    kumamoto.progress.refresh_from_db()
    assert kumamoto.progress.status == ProgramProgress.Status.NOT_IMPLEMENTED


def test_calendar_year_in_the_fiscal_year_column_names_row_and_column(kumamoto, editor):
    data = csv_bytes([HEADER, row("2025"), row("R6年")])
    result = run_import(ProgramProgressResource, data, editor)
    assert result.messages()[0].startswith("3行目『年度』: “R6年” を年度として読めません")
    assert not ProgramProgress.objects.filter(fiscal_year=2025).exists(), "one bad row writes nothing"


def test_every_problem_of_a_file_is_listed_with_its_spreadsheet_row(kumamoto, editor):
    data = csv_bytes([
        HEADER,
        row("2025", status="完了"),
        ["", "", "", "", "", "", "", "", "", "", "", ""],  # a blank line Excel leaves behind
        row("2025", name="存在しない事業"),
        row("2026", support="-3", rate="2"),
    ])
    messages = run_import(ProgramProgressResource, data, editor).messages()
    assert any(m.startswith("2行目『実施状況』: “完了” は使えません") for m in messages), messages
    assert any(m.startswith("4行目『事業名』:") and "存在しない事業" in m for m in messages), messages
    assert any(m.startswith("5行目『支援件数』: “-3” は0以上") for m in messages), messages
    assert any(m.startswith("5行目『補助率』:") for m in messages), messages
    assert ProgramProgress.objects.count() == 1


def test_the_same_programme_and_year_twice_in_one_file_is_refused(kumamoto, editor):
    data = csv_bytes([HEADER, row("2025"), row("令和7年度")])
    messages = run_import(ProgramProgressResource, data, editor).messages()
    assert messages == ["3行目: 事業“協力雇用主の拡大”の2025年度の行が2行目にもあります。1行にまとめてください"]


def test_rows_for_another_municipality_are_refused(kumamoto, yamaguchi, editor):
    other = ["352039", "第二次山口市再犯防止推進計画", "1", "1", "協力雇用主の拡大", "2025", "実施", "", "", "", "", ""]
    result = run_import(ProgramProgressResource, csv_bytes([HEADER, row("2025"), other]), editor)
    assert result.messages() == ["3行目『団体コード』: 団体コード“352039”の自治体のデータを取り込む権限がありません"]
    assert not ProgramProgress.objects.filter(fiscal_year=2025).exists()


def test_a_superuser_imports_for_any_municipality(kumamoto, yamaguchi, superuser):
    other = ["352039", "第二次山口市再犯防止推進計画", "1", "1", "協力雇用主の拡大", "2025", "実施", "", "", "", "", ""]
    result = run_import(ProgramProgressResource, csv_bytes([HEADER, other]), superuser)
    assert not result.has_problems(), result.messages()
    assert ProgramProgress.objects.get(fiscal_year=2025).program == yamaguchi.program


def test_missing_key_columns_are_named(kumamoto, editor):
    data = csv_bytes([["団体コード", "事業名", "実施状況"], ["431001", "協力雇用主の拡大", "実施"]])
    messages = run_import(ProgramProgressResource, data, editor).messages()
    assert messages == ["必要な列がありません：『計画名』『重点施策番号』『施策番号』『年度』。"
                        "ひな形（テンプレート）の1行目の見出しをそのまま使ってください。"]


def test_optional_columns_may_be_left_out_and_extra_columns_are_ignored(kumamoto, editor):
    header = HEADER[:7] + ["メモ"]
    data = csv_bytes([header, row("2024", status="未実施")[:7] + ["自分用のメモ"]])
    result = run_import(ProgramProgressResource, data, editor)
    assert not result.has_problems(), result.messages()
    kumamoto.progress.refresh_from_db()
    assert kumamoto.progress.status == ProgramProgress.Status.NOT_IMPLEMENTED
    assert kumamoto.progress.budget == 1500000, "a column left out keeps its value"


def test_headers_typed_with_half_width_brackets_are_understood(kumamoto, editor):
    header = [h.replace("（", "(").replace("）", ")") for h in HEADER]
    result = run_import(ProgramProgressResource, csv_bytes([header, row("2025", budget="100")]), editor)
    assert not result.has_problems(), result.messages()
    assert ProgramProgress.objects.get(fiscal_year=2025).budget == 100


def test_import_without_a_user_writes_nothing(kumamoto):
    from reoffense_portal.machinery.spreadsheets.files import read_spreadsheet

    result = ProgramProgressResource().import_data(read_spreadsheet(csv_bytes([HEADER, row("2025")])))
    assert result.messages() == ["ログインした職員だけが取り込めます。"]
    assert not ProgramProgress.objects.filter(fiscal_year=2025).exists()


def test_an_editor_of_two_cities_imports_into_both(kumamoto, yamaguchi):
    from plans.models import StaffMembership

    user = staff("both", kumamoto.city)
    StaffMembership.objects.create(user=user, municipality=yamaguchi.city)
    other = ["352039", "第二次山口市再犯防止推進計画", "1", "1", "協力雇用主の拡大", "2025", "実施", "", "", "", "", ""]
    result = run_import(ProgramProgressResource, csv_bytes([HEADER, row("2025"), other]), user)
    assert not result.has_problems(), result.messages()
    assert ProgramProgress.objects.filter(fiscal_year=2025).count() == 2


def test_an_import_moves_the_plans_update_date_and_an_unchanged_one_does_not(kumamoto, editor):
    import datetime

    from plans.models import Plan

    Plan.objects.filter(pk=kumamoto.plan.pk).update(updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    unchanged = row("2024", results="説明会を2回開催", support="12", budget="1500000", cost="1320000", rate="0.5")
    run_import(ProgramProgressResource, csv_bytes([HEADER, unchanged]), editor)
    assert Plan.objects.get(pk=kumamoto.plan.pk).updated_at.year == 2020
    run_import(ProgramProgressResource, csv_bytes([HEADER, row("2025")]), editor)
    assert Plan.objects.get(pk=kumamoto.plan.pk).updated_at.year > 2020


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_utf8_with_or_without_bom_and_in_cp932_reads_the_same(kumamoto, editor, encoding):
    data = csv_bytes([HEADER, row("令和7年度", results="﨑・髙・①（CP932の機種依存文字）")], encoding)
    result = run_import(ProgramProgressResource, data, editor)
    assert not result.has_problems(), result.messages()
    assert ProgramProgress.objects.get(fiscal_year=2025).results == "﨑・髙・①（CP932の機種依存文字）"



def test_a_negative_subsidy_rate_is_refused_on_its_field_before_the_database_sees_it(kumamoto):
    """A typed spreadsheet cell (-3 as a number) reaches the model as it is: its own check answers in Japanese."""
    progress = ProgramProgress(program=kumamoto.progress.program, fiscal_year=2030, status=kumamoto.progress.status,
                               subsidy_rate=Decimal(-3))
    with pytest.raises(ValidationError) as refused:
        progress.full_clean()
    assert list(refused.value.message_dict) == ["subsidy_rate"]
