# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Export produces exactly what import reads: export → import changes nothing and writes no history."""

import io
from decimal import Decimal

import pytest
import tablib
from django.urls import reverse

from councils.models import CouncilMember, Meeting
from councils.resources import CouncilMemberResource, MeetingResource
from measures.models import Measure, PriorityArea, Program, ProgramProgress, SupportKind
from measures.resources import PlanStructureResource, ProgramProgressResource
from plans.models import Department, IndicatorValue, Organization
from plans.resources import IndicatorValueResource, OrganizationResource
from reoffense_portal.machinery.spreadsheets.files import CSVFormat, XLSXFormat, read_spreadsheet
from tests.import_export_factories import (  # noqa: F401 (fixtures)
    editor,
    kumamoto,
    run_import,
    staff,
    superuser,
    yamaguchi,
)

ALL_MODELS = [Organization, Department, IndicatorValue, PriorityArea, Measure, Program, ProgramProgress,
              Meeting, CouncilMember]
RESOURCES = {
    "plans_organization": OrganizationResource,
    "plans_indicatorvalue": IndicatorValueResource,
    "measures_program": PlanStructureResource,
    "measures_programprogress": ProgramProgressResource,
    "councils_meeting": MeetingResource,
    "councils_councilmember": CouncilMemberResource,
}


def snapshot():
    """Every row of every imported model, and how much history there is."""
    rows = {model.__name__: sorted(map(str, model.objects.values_list())) for model in ALL_MODELS}
    history = {model.__name__: model.history.count() for model in ALL_MODELS}
    return rows, history


def export_through_admin(client, model, fmt_index):
    response = client.post(reverse(f"admin:{model}_export"), {"resource": "0", "format": str(fmt_index)})
    assert response.status_code == 200, response.content[:500]
    return response.content


@pytest.mark.parametrize("fmt_index", [0, 1], ids=["csv", "xlsx"])
@pytest.mark.parametrize("model", RESOURCES)
def test_export_then_import_changes_nothing(client, kumamoto, editor, model, fmt_index):
    kumamoto.progress.results = "=1+1 は式ではなく文字\n2行目"
    kumamoto.progress.save()
    kumamoto.value.note = "-3%（前年比）"
    kumamoto.value.save()
    kumamoto.program.support_kind = SupportKind.of("sexual_offences")
    kumamoto.program.save()
    client.force_login(editor)
    data = export_through_admin(client, model, fmt_index)
    before = snapshot()
    result = run_import(RESOURCES[model], data, editor)
    assert not result.has_problems(), result.messages()
    assert {row.import_type for row in result.rows} == {"skip"}
    assert len(result.rows) >= 1
    assert snapshot() == before


def test_export_contains_only_the_users_municipalities(client, kumamoto, yamaguchi, editor):
    client.force_login(editor)
    for model in RESOURCES:
        dataset = read_spreadsheet(export_through_admin(client, model, 0))
        codes = {str(row[0]) for row in dataset}
        assert codes == {"431001"}, (model, codes)


def test_superuser_export_covers_every_municipality(client, kumamoto, yamaguchi, superuser):
    client.force_login(superuser)
    dataset = read_spreadsheet(export_through_admin(client, "measures_programprogress", 1))
    assert {str(row[0]) for row in dataset} == {"431001", "352039"}


def test_csv_export_is_utf8_with_bom_and_canonical_values(kumamoto, editor):
    data = CSVFormat().export_data(ProgramProgressResource(user=editor).export())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "団体コード,計画名,重点施策番号,施策番号,事業名,年度,実施状況,実績・成果,支援件数,支援実績の数え方,委託先,予算額（円）,決算額（円）,補助率,補助の上限額（円）,補助金の申請額（円）,補助金の交付額（円）,評価,課題・今後の方向性"
    assert "431001,熊本市再犯防止推進計画,1,1,協力雇用主の拡大,2024,実施,説明会を2回開催,12,,,1500000,1320000,0.5" in text


@pytest.mark.parametrize("fmt", [CSVFormat, XLSXFormat], ids=["csv", "xlsx"])
def test_the_structure_sheet_gives_the_kind_of_direct_support_by_its_label_and_reads_a_changed_one(
    kumamoto, editor, fmt
):
    kumamoto.program.support_kind = SupportKind.of("housing")
    kumamoto.program.save()
    dataset = read_spreadsheet(fmt().export_data(PlanStructureResource(user=editor).export()))
    assert dataset.headers[-3:] == ["既存事業", "直接支援の類型", "順番"]
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert row["事業名"] == kumamoto.program.name and row["直接支援の類型"] == "居住支援"

    row["直接支援の類型"] = "相談支援（保護司会に委託）"
    changed = tablib.Dataset(list(row.values()), headers=list(row))
    result = run_import(PlanStructureResource, fmt().export_data(changed), editor)
    assert [r.import_type for r in result.rows] == ["update"], result.messages()
    kumamoto.program.refresh_from_db()
    assert kumamoto.program.support_kind.code == "consultation_hogoshi"


def test_xlsx_export_keeps_numbers_and_dates_as_cells_of_their_type(kumamoto, editor):
    import openpyxl

    data = XLSXFormat().export_data(MeetingResource(user=editor).export())
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert row["年度"].value == 2024 and row["年度"].data_type == "n"
    assert row["開催日"].is_date and row["開催日"].value.date().isoformat() == "2024-07-18"
    assert row["開催状況"].value == "開催済み"


def test_a_changed_export_imports_as_updates_only_where_changed(kumamoto, editor):
    import csv

    data = CSVFormat().export_data(ProgramProgressResource(user=editor).export())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    rows.append(rows[1][:5] + ["令和7年度", "一部実施", "", "3", "", "", ""])
    rows[1][6] = "未実施"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    result = run_import(ProgramProgressResource, out.getvalue().encode("cp932"), editor)
    assert [r.import_type for r in result.rows] == ["update", "new"]
    assert ProgramProgress.objects.get(fiscal_year=2025).support_count == 3
    assert ProgramProgress.history.filter(fiscal_year=2024).count() == 2  # created + this update


def test_indicator_value_decimals_round_trip(kumamoto, editor):
    kumamoto.value.value = Decimal("44.80")
    kumamoto.value.national_value = Decimal("-1.25")
    kumamoto.value.save()
    data = XLSXFormat().export_data(IndicatorValueResource(user=editor).export())
    result = run_import(IndicatorValueResource, data, editor)
    assert [r.import_type for r in result.rows] == ["skip"]
