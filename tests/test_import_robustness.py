# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Whatever staff upload, the import answers in Japanese and never half-writes.

Hypothesis feeds the admin import view random bytes, wrong encodings,
missing and extra columns, empty files, formulas, huge numbers and dates
from the wrong era. Every answer must be a page (no server error), the
preview job must end with its preview or its Japanese problems (never
failed), the preview must write nothing, and a confirmed import writes every
row of the preview or none.
"""

import csv
import io

import pytest
import tablib
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from councils.models import Meeting
from measures.models import ProgramProgress
from reoffense_portal.machinery.spreadsheets.files import write_xlsx
from tests.import_export_factories import (  # noqa: F401 (fixtures)
    confirm_import,
    editor,
    kumamoto,
    preview_import,
    submit_import,
)
from tests.job_queue import run_queued_tasks

PROGRESS_COLUMNS = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況", "実績・成果",
                    "支援件数", "予算額（円）", "決算額（円）", "補助率"]
MEETING_COLUMNS = ["団体コード", "計画名", "会議名", "年度", "回", "開催日", "開始時刻", "終了時刻", "会場",
                   "開催状況", "審議の対象年度", "議事要旨"]
GOOD = {
    "団体コード": ["431001", "431001", "352039", "43100", "", "４３１００１"],
    "計画名": ["熊本市再犯防止推進計画", "熊本市再犯防止推進計画", "別の計画"],
    "重点施策番号": ["1", "1", "１", "0", "99999"],
    "施策番号": ["1", "1", "2"],
    "事業名": ["協力雇用主の拡大", "就労相談", "ない事業"],
    "会議名": ["熊本市再犯防止推進連絡会", "ない会議"],
    "年度": ["2025", "令和7年度", "R7", "R6年", "平成40年度", "昭和100年度", "2024年度", "元年"],
    "審議の対象年度": ["2024", "", "H31年度", "令和元年"],
    "回": ["1", "2", "3", "-1", "1.5"],
    "開催日": ["2025-07-01", "令和7年7月1日", "平成37年7月1日", "2025/2/30", "R7.7.1", "45000", "2024-07-18"],
    "開始時刻": ["14:00", "14時", "25:00", ""],
    "終了時刻": ["15:30", "13:00", ""],
    "実施状況": ["実施", "一部実施", "未実施", "完了", ""],
    "開催状況": ["開催済み", "開催予定", "中止", "延期", ""],
    "支援件数": ["12", "1,200", "-5", "9" * 30, "1e9", ""],
    "予算額（円）": ["1500000", "1,500,000円", "9" * 25, "-1", ""],
    "決算額（円）": ["1320000", "abc", ""],
    "補助率": ["1/2", "0.5", "50%", "2", "1/0", "NaN", "inf", ""],
}
FORMULAS = ["=1+1", "+cmd", "-2", "@SUM(A1)", "\t=x", "=HYPERLINK(\"http://example.com\")"]

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(FORMULAS),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.just(""),
)


VALID = {
    "団体コード": ["431001"], "計画名": ["熊本市再犯防止推進計画"], "重点施策番号": ["1"], "施策番号": ["1"],
    "事業名": ["協力雇用主の拡大", "就労相談"], "会議名": ["熊本市再犯防止推進連絡会"],
    "年度": ["2025", "令和8年度", "R9"], "回": ["1", "2", "3"], "開催日": [""], "開始時刻": ["14:00", ""],
    "終了時刻": ["16:00", ""], "実施状況": ["実施", "未実施"], "開催状況": ["開催予定", "中止"],
}


@st.composite
def tame_sheets(draw, columns):
    """Mostly valid files (so that previews get confirmed), with the odd formula or huge number."""
    rows = [list(columns)]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        rows.append([
            draw(st.sampled_from(VALID[h])) if h in VALID
            else draw(st.sampled_from(["", *FORMULAS, "1" * 20])) if h in ("実績・成果", "会場", "議事要旨")
            else ""
            for h in columns
        ])
    return rows


@st.composite
def sheets(draw, columns):
    """A header (maybe missing or extra columns, maybe shuffled) and rows of plausible and wild values."""
    header = draw(st.lists(st.sampled_from(columns), unique=True, min_size=0, max_size=len(columns)))
    if draw(st.booleans()):
        header = list(columns)
    header += draw(st.lists(st.sampled_from(["メモ", "", "備考欄", "年度"]), max_size=2))
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        rows.append([
            draw(st.one_of(st.sampled_from(GOOD.get(h, [""])), cell)) if GOOD.get(h) else draw(cell)
            for h in header
        ] + draw(st.lists(cell, max_size=2)))
    return [header] + rows


def csv_encoded(rows, encoding):
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


@st.composite
def uploads(draw, columns):
    if draw(st.integers(min_value=0, max_value=2)) == 0:
        # A file as Excel saves it, mostly right, so that previews get confirmed too.
        rows = draw(tame_sheets(columns))
        if draw(st.booleans()):
            return "x.csv", csv_encoded(rows, draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932"])))
        return "x.xlsx", write_xlsx(tablib.Dataset(*rows[1:], headers=rows[0]))
    kind = draw(st.sampled_from(["bytes", "csv", "csv", "xlsx", "empty", "truncated_xlsx"]))
    if kind == "bytes":
        return "x.csv", draw(st.binary(max_size=300))
    if kind == "empty":
        return "empty.csv", draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\r\n\r\n", b",,,\r\n"]))
    rows = draw(sheets(columns))
    if kind == "csv":
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932", "euc-jp", "utf-16", "latin-1"]))
        return "x.csv", csv_encoded(rows, encoding)
    dataset = tablib.Dataset(*[r[: len(rows[0])] + [None] * (len(rows[0]) - len(r)) for r in rows[1:]],
                             headers=rows[0])
    data = write_xlsx(dataset)
    if kind == "truncated_xlsx":
        # Cut at a share of the file: its length varies with the time written into it, which
        # hypothesis must not see as data generation depending on the clock.
        share = draw(st.integers(min_value=0, max_value=999)) / 1000
        data = data[: 4 + int(share * (len(data) - 5))]
    return "x.xlsx", data


def state():
    return (
        sorted(ProgramProgress.objects.values_list("program_id", "fiscal_year", "status", "results",
                                                     "support_count", "budget", "actual_cost", "subsidy_rate")),
        sorted(Meeting.objects.values_list("council_id", "fiscal_year", "sequence", "held_on", "status")),
        ProgramProgress.history.count() + Meeting.history.count(),
    )


def check_upload(client, model, upload, fmt):
    name, data = upload
    before = state()
    with transaction.atomic():
        response = submit_import(client, model, data, name, fmt)
        if response.status_code == 302:
            run_queued_tasks()
            response = client.get(response.url)
        assert response.status_code == 200
        assert state() == before, "the preview wrote something"
        job = response.context.get("job")
        if job is not None:
            assert job.status == "done", job.message
            preview = job.result
            if preview["ready"]:
                response = confirm_import(client, model, response)
                assert response.context["job"].status == "done", response.context["job"].message
                after = state()
                if after != before:
                    written = preview["totals"]["new"] + preview["totals"]["update"]
                    assert written > 0
                    # every previewed change is there: new rows add rows, nothing else moved
                    assert len(after[0]) + len(after[1]) == len(before[0]) + len(before[1]) + preview["totals"]["new"]
        transaction.set_rollback(True)


@pytest.fixture
def logged_in(client, editor):
    client.force_login(editor)
    return client


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(upload=uploads(PROGRESS_COLUMNS), fmt=st.sampled_from(["0", "1"]))
def test_progress_import_never_fails_and_never_half_writes(logged_in, kumamoto, upload, fmt):
    check_upload(logged_in, "measures_programprogress", upload, fmt)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(upload=uploads(MEETING_COLUMNS), fmt=st.sampled_from(["0", "1"]))
def test_meeting_import_never_fails_and_never_half_writes(logged_in, kumamoto, upload, fmt):
    check_upload(logged_in, "councils_meeting", upload, fmt)


def test_a_file_with_one_good_and_one_bad_row_writes_nothing_even_when_confirmed(logged_in, kumamoto):
    good = ["431001", "熊本市再犯防止推進計画", "1", "1", "協力雇用主の拡大", "2025", "実施", "", "", "", "", ""]
    bad = ["431001", "熊本市再犯防止推進計画", "1", "1", "就労相談", "2025", "実施", "", "", "9" * 25, "", ""]
    before = state()
    response = preview_import(logged_in, "measures_programprogress", csv_encoded([PROGRESS_COLUMNS, good, bad], "cp932"),
                              "x.csv")
    assert "3行目『予算額（円）』" in response.content.decode()
    assert 'value="取り込みを実行"' not in response.content.decode()
    assert state() == before
