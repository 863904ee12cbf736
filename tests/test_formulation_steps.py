"""策定経過 as the source lists it: steps in the plan's own order (順番), dated only where the source dates them.

A source that lists eight steps in order without dates is entered as eight undated steps in that order:
residents read them in that order, with 「－」 where a date would be, never a guessed date; the same in the
admin, the spreadsheet, the 概要版 PDF and the open data.
"""

import csv
import datetime
import importlib
import io
import json
import re

import pytest
from django.apps import apps
from pypdf import PdfReader

from plans.models import FormulationStep
from plans.resources import FormulationStepResource
from reoffense_portal.machinery.eras import DatePrecision
from reoffense_portal.machinery.spreadsheets.files import read_spreadsheet
from tests.import_export_factories import csv_bytes
from tests.job_queue import run_queued_tasks
from tests.public_data import publish
from tests.staff_world import change_url, form_data, make_world

pytestmark = pytest.mark.django_db

# 策定経過 as a source lists them: in order, without dates.
UNDATED = ["庁内関係課への照会", "関係機関・団体への意見聴取", "素案の作成"]
HEADER = ["団体コード", "計画名", "順番", "日付", "終了日", "区分", "内容"]


@pytest.fixture
def city():
    city_a, _ = make_world()
    return city_a


def page_text(client, url) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(url).content.decode()))


def add_undated_steps(city):
    """The world's step (令和5年1月10日, 調査) stays first; three undated steps follow it in the source's order."""
    for order, description in enumerate(UNDATED, start=2):
        FormulationStep.objects.create(plan=city.plan, order=order, kind=FormulationStep.Kind.OTHER,
                                       description=description)


def test_an_editor_enters_undated_steps_in_the_sources_order_on_the_plan_page(client, city):
    client.force_login(city.editor)
    data = form_data(client, city.plan)
    for index, description in enumerate(UNDATED, start=1):
        prefix = f"formulation_steps-{index}"
        data.update({f"{prefix}-order": str(5 - index), f"{prefix}-date": "", f"{prefix}-end_date": "",
                     f"{prefix}-kind": "other", f"{prefix}-description": description})
    data["formulation_steps-TOTAL_FORMS"] = str(1 + len(UNDATED))
    response = client.post(change_url(city.plan), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    steps = list(city.plan.formulation_steps.all())
    # Listed by 順番, not by date: the undated steps keep the places typed (4, 3, 2 → listed 2, 3, 4).
    assert [(s.order, s.date, s.description) for s in steps] == [
        (1, datetime.date(2023, 1, 10), city.step.description),
        (2, None, UNDATED[2]), (3, None, UNDATED[1]), (4, None, UNDATED[0]),
    ]


def test_an_end_date_needs_a_date(client, city):
    client.force_login(city.editor)
    response = client.post(change_url(city.step), {**form_data(client, city.step), "date": "", "end_date": "令和5年2月1日"})
    assert response.status_code == 200
    assert "終了日を入力するときは日付も入力してください。" in str(response.context["adminform"].form.errors)


def test_residents_read_undated_steps_in_order_with_no_date_invented(client, city):
    add_undated_steps(city)
    FormulationStep.objects.create(plan=city.plan, order=5, date=datetime.date(2022, 12, 1),
                                   date_precision=DatePrecision.MONTH, kind=FormulationStep.Kind.ADOPTION,
                                   description="計画の策定")
    publish(city.plan)
    text = page_text(client, city.plan.get_absolute_url())
    history = text[text.index("の策定経過"):]
    # In the plan's order although the last step is dated before the first.
    assert re.search(
        r"令和5年1月10日 調査 .*－ その他 庁内関係課への照会 － その他 関係機関・団体への意見聴取 "
        r"－ その他 素案の作成 令和4年12月 策定 計画の策定", history
    ), history[:400]
    assert "日付が「－」の手続は、計画の資料に日付の記載がないものです。" in history

    run_queued_tasks()  # the job worker typesets the 概要版 approval queued
    pdf = client.get(f"/plans/{city.plan.pk}/summary.pdf")
    pdf_text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.getvalue())).pages))
    assert "資料策定経過" in pdf_text
    assert "－その他庁内関係課への照会－その他関係機関・団体への意見聴取－その他素案の作成令和4年12月策定計画の策定" in pdf_text

    data = json.loads(client.get(f"/opendata/plans/{city.plan.pk}.json").getvalue())
    steps = data["formulation_steps"]
    assert [(s["order"], s["date"], s["date_label"], s["description"]) for s in steps[1:4]] == [
        (2, None, "", UNDATED[0]), (3, None, "", UNDATED[1]), (4, None, "", UNDATED[2]),
    ]
    assert (steps[4]["date"], steps[4]["date_precision"], steps[4]["date_label"]) == ("2022-12-01", "月", "令和4年12月")
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/opendata/plans/{city.plan.pk}/formulation-steps.csv").getvalue().decode("utf-8-sig")
    )))
    assert [(r["順番"], r["日付"], r["内容"]) for r in rows] == [
        ("1", "2023-01-10", city.step.description), ("2", "", UNDATED[0]), ("3", "", UNDATED[1]),
        ("4", "", UNDATED[2]), ("5", "2022年12月", "計画の策定"),
    ]


# --- the spreadsheet ---------------------------------------------------------------------------


def import_steps(city, rows, dry_run=False):
    data = csv_bytes([HEADER, *([city.municipality.code, city.plan.title, *row] for row in rows)])
    return FormulationStepResource(user=city.editor).import_data(
        read_spreadsheet(data), dry_run=dry_run, user=city.editor, file_name="steps.csv"
    )


def test_the_import_takes_undated_steps_by_their_order_and_the_export_gives_them_back(city):
    result = import_steps(city, [
        ["1", "2023/1/10", "", "調査", "支援対象者へのアンケート調査"],  # the world's step, its text changed
        ["2", "", "", "その他", UNDATED[0]],
        ["3", "令和5年度", "令和6年度", "協議会等での審議", "推進協議会で審議"],
    ])
    assert not result.has_problems(), result.messages()
    steps = list(city.plan.formulation_steps.all())
    assert [(s.order, s.date, s.end_date, s.date_precision) for s in steps] == [
        (1, datetime.date(2023, 1, 10), None, DatePrecision.DAY),
        (2, None, None, DatePrecision.DAY),
        (3, datetime.date(2023, 4, 1), datetime.date(2024, 4, 1), DatePrecision.FISCAL_YEAR),
    ]
    assert steps[0].description == "支援対象者へのアンケート調査" and steps[0].pk == city.step.pk
    exported = FormulationStepResource(user=city.editor).export(queryset=FormulationStep.objects.all())
    assert [(row[2], row[3], row[4]) for row in exported] == [
        (1, datetime.date(2023, 1, 10), None), (2, None, None), (3, "2023年度", "2024年度"),
    ]


def test_the_import_refuses_an_end_date_written_otherwise_than_its_date_and_an_order_given_twice(city):
    result = import_steps(city, [
        ["2", "令和5年12月", "令和5年12月20日", "パブリックコメント", "意見募集"],
        ["3", "", "", "その他", "a"],
        ["3", "", "", "その他", "b"],
    ], dry_run=True)
    messages = result.messages()
    assert "2行目『終了日』: 日付と同じ書き方（日まで、月まで、年度のどれか）で入力してください" in messages
    assert "4行目: 順番3の策定経過の行が3行目にもあります。1行にまとめてください" in messages
    assert city.plan.formulation_steps.count() == 1


# --- the upgrade ---------------------------------------------------------------------------------


def test_the_upgrade_numbers_existing_steps_in_the_date_order_residents_read_them(city):
    later = FormulationStep.objects.create(plan=city.plan, order=0, date=datetime.date(2023, 3, 1), kind="adoption",
                                           description="策定")
    earlier = FormulationStep.objects.create(plan=city.plan, order=0, date=datetime.date(2022, 6, 1), kind="survey",
                                             description="調査")
    same_day = FormulationStep.objects.create(plan=city.plan, order=0, date=datetime.date(2023, 3, 1),
                                              kind="other", description="公表")  # entered after 策定: after it
    FormulationStep.objects.filter(plan=city.plan).update(order=0)
    migration = importlib.import_module("plans.migrations.0014_formulation_steps_in_order_and_undated")
    migration.number_steps_in_date_order(apps, None)
    orders = dict(FormulationStep.objects.values_list("pk", "order"))
    assert [orders[s.pk] for s in (earlier, city.step, later, same_day)] == [1, 2, 3, 4]
