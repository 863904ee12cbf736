# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Bidi overrides and control characters staff type or import never reach what residents read.

A plan title with U+202E RIGHT-TO-LEFT OVERRIDE shows its end reversed; U+0007 (BEL) and the like are
invisible. Staff text is cleaned before it is saved, whichever way it comes (the admin's forms and
inlines, spreadsheet imports), like residents' page survey; and a version is frozen from cleaned text even
when the rows were saved before this cleaning existed.
"""

import json

from django.urls import reverse

from measures.models import Measure, Program
from measures.resources import PlanStructureResource
from plans.models import Plan
from reoffense_portal.composition.publishing.models import ApprovalRequest, VersionFile
from tests.import_export_factories import csv_bytes, editor, kumamoto, run_import  # noqa: F401 (fixtures)
from tests.job_queue import run_queued_tasks
from tests.public_data import publish
from tests.staff_world import make_world
from tests.test_staff_history import change_url, form_data

RLO, BEL = "\u202e", "\x07"
INVISIBLE = (RLO, BEL)


def public_texts(client, plan) -> str:
    """The plan page, its open data (JSON and CSV) and its version's title, as residents get them."""
    version = publish(plan)
    page = client.get(plan.get_absolute_url()).content.decode()
    files = "".join(  # the open data (a document has no content type of its own, the PDF is not typeset yet)
        file.read().decode() for file in VersionFile.objects.filter(version=version).exclude(content_type="")
        if file.source is None
    )
    return page + files + version.title + json.dumps(version.card, ensure_ascii=False)


def test_a_title_and_a_description_typed_in_the_admin_reach_residents_without_controls(client, kumamoto, editor):
    client.force_login(editor)
    data = form_data(client, kumamoto.plan)
    data["title"] = f"熊本市{RLO}再犯防止{BEL}推進計画"
    response = client.post(change_url(kumamoto.plan), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    data = form_data(client, kumamoto.program)
    data["description"] = f"事業者へ{RLO}周知{BEL}します。\n説明会を開きます。"
    response = client.post(change_url(kumamoto.program), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors

    assert Plan.objects.get(pk=kumamoto.plan.pk).title == "熊本市再犯防止推進計画"
    assert Program.objects.get(pk=kumamoto.program.pk).description == "事業者へ周知します。\n説明会を開きます。"
    texts = public_texts(client, kumamoto.plan)
    assert "事業者へ周知します。" in texts
    assert not [c for c in INVISIBLE if c in texts]


def test_a_description_imported_from_a_spreadsheet_reaches_residents_without_controls(client, kumamoto, editor):
    header = ["団体コード", "計画名", "重点施策番号", "重点施策名", "施策番号", "施策名", "事業名", "事業の概要"]
    row = ["431001", "熊本市再犯防止推進計画", "1", f"就労{RLO}・住居の確保", "1", f"就労の確保{BEL}",
           "協力雇用主の拡大", f"事業者へ{RLO}周知{BEL}します。"]

    result = run_import(PlanStructureResource, csv_bytes([header, row]), editor)

    assert not result.has_problems(), result.messages()
    assert Program.objects.get(pk=kumamoto.program.pk).description == "事業者へ周知します。"
    assert Measure.objects.get(pk=kumamoto.measure.pk).title == "就労の確保"
    texts = public_texts(client, kumamoto.plan)
    assert "事業者へ周知します。" in texts
    assert not [c for c in INVISIBLE if c in texts]


def test_rows_saved_before_the_cleaning_are_published_without_controls(client, kumamoto):
    Plan.objects.filter(pk=kumamoto.plan.pk).update(title=f"熊本市{RLO}再犯防止{BEL}推進計画")
    Program.objects.filter(pk=kumamoto.program.pk).update(description=f"事業者へ{RLO}周知{BEL}します。")

    texts = public_texts(client, kumamoto.plan)

    assert "熊本市再犯防止推進計画" in texts and "事業者へ周知します。" in texts
    assert not [c for c in INVISIBLE if c in texts]


def test_a_one_line_field_keeps_no_line_break_or_tab_where_a_text_area_keeps_both(client, kumamoto, editor):
    client.force_login(editor)
    data = form_data(client, kumamoto.program)
    data.update(name="協力雇用主の\t拡大\r\n", description="事業者へ周知します。\r\n\t説明会を開きます。")
    response = client.post(change_url(kumamoto.program), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors

    program = Program.objects.get(pk=kumamoto.program.pk)
    assert (program.name, program.description) == ("協力雇用主の拡大", "事業者へ周知します。\n\t説明会を開きます。")


def test_a_cell_of_one_line_keeps_no_line_break_where_a_text_cell_keeps_it(kumamoto, editor):
    """Excel's Alt+Enter in a name cell is a slip; in 事業の概要 it is a new line."""
    header = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "事業の概要"]
    row = ["431001", "熊本市再犯防止推進計画", "1", "1", "就労相談\n（ハローワーク）", "月1回\n予約制"]

    result = run_import(PlanStructureResource, csv_bytes([header, row]), editor)

    assert not result.has_problems(), result.messages()
    program = Program.objects.get(area=kumamoto.area, name="就労相談（ハローワーク）")
    assert program.description == "月1回\n予約制"


def test_the_summary_of_a_change_reaches_the_revision_history_without_controls(client, db):
    city, _ = make_world()
    publish(city.plan)
    client.force_login(city.editor)
    client.post(reverse("admin:plans_plan_submit", args=[city.plan.pk]), {"comment": f"目的を{RLO}改訂{BEL}しました"})
    assert ApprovalRequest.objects.get(plan=city.plan).comment == "目的を改訂しました"
    client.force_login(city.publisher)
    client.post(reverse("admin:plans_plan_decide", args=[city.plan.pk]), {"decision": "approve"})
    run_queued_tasks()  # the job worker builds the version
    client.logout()

    history = client.get(reverse("public:plan_versions", args=[city.plan.pk])).content.decode()

    assert "目的を改訂しました" in history
    assert not [c for c in INVISIBLE if c in history]
