"""Every import sheet, fed rows staff might type: no exception escapes, every refused row is told in Japanese.

The sheets are the import resources of the admin's spreadsheet pages (a sheet added to a page is
walked without a change here). Hypothesis writes rows from each column's real values (the sheet as
exported from the world of tests/staff_world.py and the template's example row) mixed with unknown
names, numbers staff type (negative, huge, decimal, full-width, 1e9), dates of every era, formulas,
blank cells and what an XLSX cell holds (numbers, dates, booleans). Each import runs as the preview
does (a dry run) or as a confirmation without ticks does (refusing new names and titles), as a
city's editor, a prefecture's editor or a superuser, and is rolled back.
"""

from __future__ import annotations

import datetime

import pytest
import tablib
from django.contrib import admin
from django.db import transaction
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_export.results import RowResult

from reoffense_portal.machinery.spreadsheets.admin import SpreadsheetAdminMixin
from tests.form_walker import not_japanese
from tests.staff_world import make_prefecture_world, make_user

pytestmark = pytest.mark.django_db

UNKNOWN = ["存在しない名前", "熊本市", "ビー秘", "000000", "999999", "1310001", "ＡＢＣ", "　", " 地域福祉課 "]
NUMBERS = ["0", "-1", "1.5", "１２", "1e9", "99999999999999999999", "1,200", "NaN", "inf", "1/2", "50%", "三"]
DATES = ["2024-04-01", "2024/2/30", "令和6年4月1日", "令和1年4月1日", "R6.4.1", "平成31年5月1日", "昭和100年1月1日",
         "令和5年12月", "令和5年度", "2024年度", "45000", "14:00", "25:00", "元年"]
TEXT = ["=1+1", "@SUM(A1)", "+cmd", "○", "×", "はい", "いいえ", "TRUE", "a" * 300, "改行\nあり", "\t"]
XLSX_CELLS = [2024, 1, 0, -3, 1.5, 10**20, True, False, None, datetime.date(2024, 4, 1),
              datetime.datetime(2024, 7, 18, 14, 0), datetime.time(14, 0)]


def import_sheets(superuser):
    """(model, resource class) for every sheet a spreadsheet page of the admin imports."""
    request = RequestFactory().get("/admin/")
    request.user = superuser
    sheets = []
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        if isinstance(model_admin, SpreadsheetAdminMixin) and model_admin.has_import_permission(request):
            sheets += [(model, resource) for resource in model_admin.get_import_resource_classes(request)]
    return sheets


@pytest.fixture
def world():
    """The cities of tests/staff_world.py, their staff, the sheets, and each sheet's rows as exported."""
    prefecture, city_a, _city_b = make_prefecture_world()
    superuser = make_user("root", is_staff=True, is_superuser=True)
    sheets = import_sheets(superuser)
    users = [city_a.editor, prefecture.editor, superuser]
    rows, known = {}, {}
    for _model, resource_class in sheets:
        for user in users:
            resource = resource_class(user=user)
            exported = resource.export()
            example = {column: resource.example.get(column) for column in exported.headers}
            rows[(resource_class, user)] = [*exported.dict, example]
            for row in rows[(resource_class, user)]:
                for column, value in row.items():
                    if value not in (None, ""):
                        known.setdefault(column, set()).add(value)
    return {
        "users": users,
        "sheets": sheets,
        "rows": rows,
        "known": {column: sorted(values, key=str) for column, values in known.items()},
    }


def wild(known: list):
    """A cell as staff might fill it: another sheet's value for the column, or anything they might type."""
    return st.one_of(
        st.sampled_from(known or [""]),
        st.sampled_from(UNKNOWN + NUMBERS + DATES + TEXT),
        st.sampled_from(XLSX_CELLS),
        st.just(""),
        st.text(max_size=8),
    )


@st.composite
def sheets_to_import(draw, world):
    """A sheet of 1–4 rows, each a real row (the user's export, or the template's example) with up to 2 cells changed."""
    model, resource_class = draw(st.sampled_from(world["sheets"]))
    user = draw(st.sampled_from(world["users"]))
    columns = resource_class().column_names()
    required = resource_class().required_columns()
    headers = [column for column in columns if column in required or draw(st.integers(0, 4))]
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        row = dict(draw(st.sampled_from(world["rows"][(resource_class, user)])))
        for column in draw(st.lists(st.sampled_from(headers), max_size=2, unique=True)):
            row[column] = draw(wild(world["known"].get(column, [])))
        rows.append([row.get(column) for column in headers])
    return model, resource_class, tablib.Dataset(*rows, headers=headers), user


def refusals(result) -> list[tuple[int, list[str]]]:
    """(line, messages) of every row the import refused, and of the file itself (line 0)."""
    found = [(0, [str(error.error)]) for error in result.base_errors]
    for number, row in enumerate(result.rows, start=1):
        if row.import_type == RowResult.IMPORT_TYPE_INVALID:
            found.append((number, list(row.validation_error.messages)))
        elif row.import_type == RowResult.IMPORT_TYPE_ERROR or row.errors:
            found.append((number, [str(error.error) for error in row.errors]))
    return found


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_every_import_sheet_answers_each_refused_row_in_japanese_and_never_raises(world, data):
    model, resource_class, dataset, user = data.draw(sheets_to_import(world))
    # As the preview checks it, and as an import confirmed without the preview's ticks writes it (a new
    # name or a new title is then refused), each rolled back.
    dry_run = data.draw(st.booleans())
    resource = resource_class(user=user)
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=dry_run, user=user, file_name="歩行.xlsx")
        transaction.set_rollback(True)
    names = {field.name for field in model._meta.get_fields()}
    typed = [value for row in dataset for value in row if value is not None]
    problems = []
    for line, messages in refusals(result):
        if not messages:
            problems.append(f"row {line}: refused without a message")
        for message in messages:
            found = not_japanese(message, names, typed)
            if found:
                problems.append(f"row {line}: 「{message}」: {'、'.join(found)}")
    assert not problems, f"{resource_class.__name__} as {user}, rows {dataset.dict}:\n" + "\n".join(problems)


def test_the_walker_reads_every_sheet_of_the_admin(world):
    assert {resource.__name__ for _model, resource in world["sheets"]} >= {
        "OrganizationResource", "IndicatorValueResource", "PlanStructureResource", "ProgramProgressResource",
        "MeetingResource", "CouncilMemberResource",
    }


def test_an_emptied_order_cell_of_a_council_member_is_asked_for_in_the_sheets_words(world):
    editor = world["users"][0]
    row = {"団体コード": "431001", "計画名": "第二次熊本市再犯防止推進計画", "会議名": "再犯防止推進協議会",
           "団体名": "保護司会", "順番": ""}
    resource_class = next(resource for _model, resource in world["sheets"] if resource.__name__ == "CouncilMemberResource")
    result = resource_class(user=editor).import_data(
        tablib.Dataset(list(row.values()), headers=list(row)), dry_run=True, user=editor
    )
    assert result.messages() == ["2行目『順番』: 入力してください"]
