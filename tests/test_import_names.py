# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Imports change only what a row names.

A typo in 担当課 (「契約か」) used to create a new department, an unknown 重点施策番号 a new area, and
another 重点施策名 for a registered number renamed that area for every programme in it, while the
preview said 「新規 1件」. Now a name that matches nothing is listed with the nearest registered names,
a rename with its old and new name, and each is created or renamed only when staff tick it in the
preview. The tests press the admin's buttons and let the worker run the jobs, as staff do.
"""

import re

import pytest
from django.urls import reverse

from councils.models import CouncilMember
from councils.resources import CouncilMemberResource
from measures.models import Measure, PriorityArea, Program
from measures.resources import PlanStructureResource, ProgramProgressResource
from plans.models import Department, Organization
from plans.resources import IndicatorValueResource
from reoffense_portal.machinery.jobs.models import Job
from reoffense_portal.machinery.spreadsheets import import_jobs
from tests.import_export_factories import (  # noqa: F401 (fixtures)
    confirm_import,
    csv_bytes,
    editor,
    import_ticking_all,
    kumamoto,
    preview_import,
    run_import,
)

pytestmark = pytest.mark.django_db

STRUCTURE = "measures_program"
PLAN = "熊本市再犯防止推進計画"
HEADER = ["団体コード", "計画名", "重点施策番号", "重点施策名", "施策番号", "施策名", "事業名", "担当課"]


def row(name="入札参加資格への協力雇用主の加点", departments="契約か", area=("1", "就労・住居の確保"),
        measure=("1", "就労の確保")):
    return ["431001", PLAN, *area, *measure, name, departments]


@pytest.fixture
def logged_in(client, editor, kumamoto):
    Department.objects.create(municipality=kumamoto.city, name="契約課")
    client.force_login(editor)
    return client


def text(page) -> str:
    """The page as read: tags dropped, spaces closed up."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))


def ticks(page, name) -> list[str]:
    """The values of the preview's checkboxes called `name`."""
    return re.findall(rf'name="{name}" value="([^"]*)"', page.content.decode())


def test_a_typo_in_the_department_is_shown_with_the_nearest_name_and_creates_nothing(logged_in, kumamoto):
    preview = preview_import(logged_in, STRUCTURE, csv_bytes([HEADER, row()]))

    shown = text(preview)
    assert "新しく作られる関連項目（1件）" in shown
    assert "作る：担当課“契約か”（熊本市）" in shown
    assert "2行目『担当課』: “契約か”は熊本市の担当課に登録されていません。近い名前：“契約課”" in shown
    assert "新規（1行）" in shown and "新規 1件、変更 0件、変更なし 0件" in shown
    assert "名前が変わる項目" not in shown
    assert not Department.objects.filter(name="契約か").exists()
    assert not Program.objects.filter(name="入札参加資格への協力雇用主の加点").exists()


def test_confirming_without_ticking_the_new_department_starts_nothing_and_the_preview_stays(logged_in, kumamoto):
    preview = preview_import(logged_in, STRUCTURE, csv_bytes([HEADER, row()]))

    page = logged_in.post(
        reverse(f"admin:{STRUCTURE}_process_import"), {"preview": preview.context["job"].pk, "confirm": "取り込みを実行"},
        follow=True,
    )

    shown = text(page)
    assert "チェックのない項目があるため、取り込みませんでした。何も保存されていません。" in shown
    assert "チェックのない項目：担当課“契約か”（熊本市）" in shown
    assert Job.objects.filter(kind=import_jobs.APPLY_KIND).count() == 0
    assert ticks(page, "confirmed_creations"), "the preview can still be ticked and confirmed"
    assert not Department.objects.filter(name="契約か").exists()
    assert not Program.objects.filter(name="入札参加資格への協力雇用主の加点").exists()


def test_ticking_the_new_department_creates_exactly_it(logged_in, kumamoto, editor):
    departments_before = set(Department.objects.values_list("name", flat=True))
    preview = preview_import(logged_in, STRUCTURE, csv_bytes([HEADER, row(departments="契約か、生活安全課")]))

    done = confirm_import(logged_in, STRUCTURE, preview, confirmed_creations=ticks(preview, "confirmed_creations"))

    assert "取組・事業を取り込みました（新規 1件、変更 0件、変更なし 0件、新しく作った関連項目 1件）。" in text(done)
    assert set(Department.objects.values_list("name", flat=True)) - departments_before == {"契約か"}
    program = Program.objects.get(name="入札参加資格への協力雇用主の加点")
    assert sorted(d.name for d in program.departments.all()) == ["契約か", "生活安全課"]
    assert Department.history.get(name="契約か").history_user == editor


def test_a_renamed_area_shows_as_a_change_from_old_to_new_and_is_renamed_only_when_ticked(logged_in, kumamoto):
    rows = [HEADER, row("協力雇用主の拡大", "生活安全課", area=("1", "就労・住居の確保等")),
            row("就労相談", "", area=("1", "就労・住居の確保等"))]
    preview = preview_import(logged_in, STRUCTURE, csv_bytes(rows))

    shown = text(preview)
    assert "名前が変わる項目（1件）" in shown
    assert "変える：重点施策1（熊本市再犯防止推進計画）の名前 2・3行目『重点施策名』: 就労・住居の確保 → 就労・住居の確保等" in shown
    assert "新しく作られる関連項目" not in shown
    assert "変更（1行）" in shown, "the first row renames the area; the second is as stored"
    assert "<del>就労・住居の確保</del> → <ins>就労・住居の確保等</ins>" in preview.content.decode()
    kumamoto.area.refresh_from_db()
    assert kumamoto.area.title == "就労・住居の確保"

    refused = logged_in.post(
        reverse(f"admin:{STRUCTURE}_process_import"), {"preview": preview.context["job"].pk, "confirm": "取り込みを実行"},
        follow=True,
    )
    assert "チェックのない項目：重点施策1（熊本市再犯防止推進計画）の名前" in text(refused)
    kumamoto.area.refresh_from_db()
    assert kumamoto.area.title == "就労・住居の確保"

    done = confirm_import(logged_in, STRUCTURE, preview, confirmed_renames=ticks(preview, "confirmed_renames"))
    assert "名前を変えた項目 1件" in text(done)
    kumamoto.area.refresh_from_db()
    assert kumamoto.area.title == "就労・住居の確保等"


def test_an_unknown_area_number_and_measure_are_listed_new_and_created_only_with_their_ticks(logged_in, kumamoto):
    rows = [HEADER, row("住まいの相談", "生活安全課", area=("7", "住居の確保"), measure=("1", "公営住宅"))]
    preview = preview_import(logged_in, STRUCTURE, csv_bytes(rows))

    shown = text(preview)
    assert "重点施策7は計画“熊本市再犯防止推進計画”に登録されていません。近い名前：“重点施策1 就労・住居の確保”" in shown
    assert "作る：施策7-1“公営住宅”（熊本市再犯防止推進計画）" in shown
    area_tick, measure_tick = ticks(preview, "confirmed_creations")

    # Ticking the measure but not its area: nothing starts.
    refused = logged_in.post(reverse(f"admin:{STRUCTURE}_process_import"), {
        "preview": preview.context["job"].pk, "confirm": "取り込みを実行", "confirmed_creations": [measure_tick],
    }, follow=True)
    assert "チェックのない項目：重点施策7“住居の確保”（熊本市再犯防止推進計画）" in text(refused)
    assert not PriorityArea.objects.filter(plan=kumamoto.plan, number=7).exists()

    confirm_import(logged_in, STRUCTURE, preview, confirmed_creations=[area_tick, measure_tick])
    area = PriorityArea.objects.get(plan=kumamoto.plan, number=7)
    assert area.title == "住居の確保"
    assert Measure.objects.get(area=area, number=1).programs.get().name == "住まいの相談"


def test_a_department_removed_after_the_preview_is_not_created_by_the_import(logged_in, kumamoto):
    """What the preview did not list cannot have been ticked: the import refuses, and writes nothing."""
    preview = preview_import(logged_in, STRUCTURE, csv_bytes([HEADER, row(departments="契約課")]))
    assert "新しく作られる関連項目" not in text(preview)
    Department.objects.filter(name="契約課").delete()

    done = confirm_import(logged_in, STRUCTURE, preview)

    assert done.context["job"].status == "failed"
    shown = text(done)
    assert "取り込みを中止しました。何も保存されていません。" in shown
    assert "2行目『担当課』: “契約課”は熊本市の担当課に登録されていません" in shown
    assert not Department.objects.filter(name="契約課").exists()
    assert not Program.objects.filter(name="入札参加資格への協力雇用主の加点").exists()


def test_a_tick_posted_for_an_item_the_preview_did_not_list_creates_nothing(logged_in, kumamoto):
    preview = preview_import(logged_in, STRUCTURE, csv_bytes([HEADER, row(departments="契約課")]))
    Department.objects.filter(name="契約課").delete()

    done = confirm_import(logged_in, STRUCTURE, preview, confirmed_creations=[f"department:{kumamoto.city.pk}:契約課"])

    assert done.context["job"].status == "failed"
    assert not Department.objects.filter(name="契約課").exists()


# -- the same rule on every sheet that names something else ----------------------------------------


COUNCIL = "熊本市再犯防止推進連絡会"
MEMBER_HEADER = ["団体コード", "計画名", "会議名", "団体名", "分野", "順番"]


def test_a_new_council_member_organisation_is_created_only_when_ticked(kumamoto, editor):
    rows = [MEMBER_HEADER, ["431001", PLAN, COUNCIL, "保護観察書", "国の機関", "2"]]

    preview = run_import(CouncilMemberResource, csv_bytes(rows), editor, dry_run=True)
    assert not preview.has_problems(), preview.messages()
    refused = run_import(CouncilMemberResource, csv_bytes(rows), editor)
    assert refused.messages() == [
        "2行目『団体名』: “保護観察書”は熊本市の関係機関・団体に登録されていません。近い名前：“保護観察所”"
        "（新しく作るときは、プレビューの「新しく作られる関連項目」でチェックを入れてください）"
    ]
    assert not Organization.objects.filter(name="保護観察書").exists()

    result, ticked = import_ticking_all(CouncilMemberResource, csv_bytes(rows), editor)
    assert ticked == ["関係機関・団体“保護観察書”（熊本市、分野：国の機関）"]
    assert CouncilMember.objects.filter(organization__name="保護観察書").exists(), result.messages()


def test_a_council_member_row_does_not_change_the_sector_of_a_registered_organisation(kumamoto, editor):
    rows = [MEMBER_HEADER, ["431001", PLAN, COUNCIL, "保護観察所", "民間非営利団体", "1"]]
    messages = run_import(CouncilMemberResource, csv_bytes(rows), editor, dry_run=True).messages()
    assert messages == ["2行目『分野』: “保護観察所”は分野「国の機関」で登録されています"
                        "（分野は「関係機関・団体」で変えてください。空欄なら登録どおりです）"]
    kumamoto.probation.refresh_from_db()
    assert kumamoto.probation.sector == Organization.Sector.NATIONAL


def test_an_unknown_partner_offers_the_nearest_registered_organisation(kumamoto, editor):
    rows = [["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "連携団体"],
            ["431001", PLAN, "1", "1", "協力雇用主の拡大", "保護司界"]]
    messages = run_import(PlanStructureResource, csv_bytes(rows), editor, dry_run=True).messages()
    assert messages == ["2行目『連携団体』: “保護司界”は関係機関・団体に登録されていません"
                        "（先に「関係機関・団体」を登録・取り込みしてください）。近い名前：“保護司会”"]


@pytest.mark.parametrize(("resource_class", "header", "cells", "expected"), [
    (ProgramProgressResource, ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度"],
     ["431001", PLAN, "1", "1", "協力雇用主の拡充", "2025"], "近い名前：“協力雇用主の拡大”"),
    (IndicatorValueResource, ["団体コード", "計画名", "指標名", "年", "値"],
     ["431001", PLAN, "刑法犯検挙人員中の再犯者の数", "2024", "1"], "近い名前：“刑法犯検挙人員中の再犯者数”"),
    (CouncilMemberResource, MEMBER_HEADER,
     ["431001", PLAN, "熊本市再犯防止推進連絡協議会", "保護観察所", "", "1"], "近い名前：“熊本市再犯防止推進連絡会”"),
    (IndicatorValueResource, ["団体コード", "計画名", "指標名", "年", "値"],
     ["431001", "熊本市再犯防止計画", "刑法犯検挙人員中の再犯者数", "2024", "1"], "近い名前：“熊本市再犯防止推進計画”"),
], ids=["programme", "indicator", "council", "plan"])
def test_a_name_that_matches_nothing_offers_the_nearest_registered_names(kumamoto, editor, resource_class, header,
                                                                        cells, expected):
    [message] = run_import(resource_class, csv_bytes([header, cells]), editor, dry_run=True).messages()
    assert message.endswith(expected), message


def test_more_new_names_than_one_preview_can_list_are_refused_saying_what_to_do(logged_in, kumamoto, monkeypatch):
    """Each new name needs its tick, and the preview lists at most PREVIEW_MESSAGES of them: a file with more
    cannot be confirmed, and says so, rather than listing some and refusing the rest at the end."""
    monkeypatch.setattr(import_jobs, "PREVIEW_MESSAGES", 2)
    rows = [row(name=f"事業{i}", departments=f"新しい課{i}") for i in range(3)]

    preview = preview_import(logged_in, STRUCTURE, csv_bytes([HEADER, *rows]))

    shown = text(preview)
    assert "新しく作られる項目・名前が変わる項目が3件あり、一度に確認できる2件を超えています。" in shown
    assert "取り込みを実行" not in shown
    assert not Department.objects.filter(name__startswith="新しい課").exists()
