"""Plans without measures: an area may hold its programmes directly, with no （1）（2） level.

熊本市's 概要版 lists 施策6's 主な取組 with no measure heading at all, and two of 施策5's after
its （1） without one. They belong to their areas; the page, both PDFs, the open data, the
spreadsheets and the admin show them without an empty level or a bare number.
"""

import csv
import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from measures.models import Measure, PriorityArea, Program, ProgramProgress
from measures.resources import PlanStructureResource, ProgramProgressResource
from plans.models import Municipality, Plan, StaffMembership
from reoffense_portal.composition.publishing.models import PlanVersion
from reoffense_portal.composition.publishing.rows import is_published_as_is, unpublished_changes
from reoffense_portal.composition.summaries.documents import PlanSummary
from tests.import_export_factories import csv_bytes, run_import
from tests.public_data import publish
from tests.staff_world import change_url, form_data, make_user
from tests.test_pdf_documents import pdf_text

pytestmark = pytest.mark.django_db

AREA6 = "犯罪をした人等の特性に応じた指導・支援"


@pytest.fixture
def kumamoto_editor(client, seeded):
    user = make_user("kumamoto-staff", is_staff=True)
    StaffMembership.objects.create(user=user, municipality=Municipality.objects.get(code="431001"))
    client.force_login(user)
    return user


def kumamoto_plan():
    return Plan.objects.get(municipality__code="431001")


def area_html(html: str, title: str) -> str:
    start = html.index(f"</span> {title}")
    return html[start:html.index("</section>", start)]


def test_the_page_lists_an_areas_own_programmes_with_no_heading_or_number(client, seeded):
    html = client.get(kumamoto_plan().get_absolute_url()).content.decode()
    area6 = area_html(html, AREA6)
    assert "<h4>" not in area6 and "（1）" not in area6
    assert "生活指導を要する児童への助言・指導" in area6 and "女性からの様々な相談に対する助言や援助" in area6
    area5 = area_html(html, "非行の防止と修学支援")
    assert area5.count("<h4>") == 1
    assert area5.index("学校教育コンシェルジュ") < area5.index("<h4>（1）少年非行・被害の未然防止への支援</h4>")


def test_the_summary_pdf_names_the_levels_the_plan_has(seeded):
    text = pdf_text(PlanSummary(kumamoto_plan(), draft=False).pdf())
    assert "重点施策施策・主な取組" in text
    assert f"6{AREA6}（本編P61～P67）○生活指導を要する児童への助言・指導○女性からの様々な相談に対する助言や援助" in text
    assert "（2）ア" not in text and "（1）ア生活指導" not in text


def test_a_plan_with_no_measures_at_all_calls_the_column_its_programmes(seeded):
    plan = kumamoto_plan()
    Program.objects.filter(area__plan=plan).update(measure=None)
    Measure.objects.filter(area__plan=plan).delete()
    text = pdf_text(PlanSummary(plan, draft=False).pdf())
    chapter = text[text.index("第4章"):text.index("第5章")]
    assert "重点施策主な取組" in chapter and "（1）" not in chapter


def test_the_open_data_puts_the_programmes_under_their_area(client, seeded):
    plan = kumamoto_plan()
    data = json.loads(client.get(reverse("public:plan_json", args=[plan.pk])).getvalue())
    area6 = next(area for area in data["areas"] if area["number"] == 6)
    assert area6["measures"] == []
    assert [p["name"] for p in area6["programs"]] == ["生活指導を要する児童への助言・指導", "女性からの様々な相談に対する助言や援助"]
    area1 = next(area for area in data["areas"] if area["number"] == 1)
    assert area1["programs"] == [] and len(area1["measures"]) == 2

    body = client.get(reverse("public:plan_csv", args=[plan.pk, "programs"])).getvalue().decode("utf-8-sig")
    rows = [row for row in csv.DictReader(io.StringIO(body)) if row["重点施策番号"] == "6"]
    assert [(row["施策番号"], row["施策名"], row["事業名"]) for row in rows] == [
        ("", "", "生活指導を要する児童への助言・指導"), ("", "", "女性からの様々な相談に対する助言や援助"),
    ]


def test_the_exported_structure_imports_back_unchanged(kumamoto_editor):
    plan = kumamoto_plan()
    exported = PlanStructureResource(user=kumamoto_editor).export(queryset=Program.objects.filter(area__plan=plan))
    result = PlanStructureResource(user=kumamoto_editor).import_data(exported, dry_run=True)
    assert not result.has_errors() and not result.has_validation_errors()
    assert {row.import_type for row in result.rows} == {"skip"}


def test_an_editor_enters_programmes_on_the_areas_page_without_inventing_a_measure(client, kumamoto_editor):
    area = PriorityArea.objects.get(pk=2016)
    page = client.get(change_url(area)).content.decode()
    assert "取組・事業（施策なし）" in page
    data = form_data(client, area)
    assert data["programs-TOTAL_FORMS"] == 2
    data.update({
        "programs-TOTAL_FORMS": 3,
        "programs-2-order": 3,
        "programs-2-name": "保護観察対象者等への相談支援",
        "programs-2-description": "・ 相談窓口の案内\n・ 関係機関への同行",
    })
    response = client.post(change_url(area), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    program = Program.objects.get(name="保護観察対象者等への相談支援")
    assert (program.area, program.measure) == (area, None)
    assert not area.measures.exists()


def test_an_areas_page_with_measures_and_no_direct_programmes_keeps_to_its_measures(client, kumamoto_editor):
    page = client.get(change_url(PriorityArea.objects.get(pk=2011))).content.decode()
    assert "取組・事業（施策なし）" in page  # the inline is there, empty, for a programme outside the measures
    assert 'name="programs-TOTAL_FORMS" value="0"' in page


def test_a_programme_given_a_measure_takes_its_area(client, kumamoto_editor):
    data = {
        "measure": 20131, "order": 3, "name": "就労体験の受入れ",
        "progress-TOTAL_FORMS": 0, "progress-INITIAL_FORMS": 0,
    }
    response = client.post(reverse("admin:measures_program_add"), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert Program.objects.get(name="就労体験の受入れ").area_id == 2013


def test_a_measure_of_another_area_is_refused_in_japanese(client, kumamoto_editor):
    data = {
        "area": 2016, "measure": 20131, "order": 3, "name": "就労体験の受入れ",
        "progress-TOTAL_FORMS": 0, "progress-INITIAL_FORMS": 0,
    }
    response = client.post(reverse("admin:measures_program_add"), data)
    assert response.status_code == 200
    assert (
        "施策「（1）就労に向けた相談・支援等の充実」は重点施策「3 就労の確保に関する支援」のものです。"
        "選んだ重点施策の施策を選ぶか、施策を空欄にしてください。"
    ) in response.content.decode()
    assert not Program.objects.filter(name="就労体験の受入れ").exists()


def test_a_programme_needs_an_area_or_a_measure(client, kumamoto_editor):
    data = {"order": 3, "name": "行き先のない事業", "progress-TOTAL_FORMS": 0, "progress-INITIAL_FORMS": 0}
    response = client.post(reverse("admin:measures_program_add"), data)
    assert "重点施策か施策を選んでください。" in response.content.decode()
    assert not Program.objects.filter(name="行き先のない事業").exists()


def test_two_direct_programmes_of_one_area_cannot_share_a_name(client, kumamoto_editor):
    data = {
        "area": 2016, "order": 3, "name": "女性からの様々な相談に対する助言や援助",
        "progress-TOTAL_FORMS": 0, "progress-INITIAL_FORMS": 0,
    }
    response = client.post(reverse("admin:measures_program_add"), data)
    assert "この重点施策には同じ事業名の取組・事業（施策なし）がすでにあります。" in response.content.decode()


def test_a_measure_moved_to_another_area_takes_its_programmes(seeded):
    measure = Measure.objects.get(pk=20142)
    measure.area_id, measure.number = 2016, 1
    measure.save()
    assert set(Program.objects.filter(measure=measure).values_list("area_id", flat=True)) == {2016}


def test_a_version_approved_before_programmes_had_areas_shows_no_change(seeded):
    """Versions keep the rows as approved; a field added since (重点施策 of a programme) is no change."""
    plan = kumamoto_plan()
    live = PlanVersion.objects.current(plan)
    for key, row in live.rows.items():
        if key.startswith("measures.program:"):
            del row["fields"]["重点施策"]
    live.save(update_fields=["rows"])
    assert is_published_as_is(plan)
    program = Program.objects.get(pk=201621)
    program.name = "女性からの相談に対する助言や援助"
    program.save()
    assert [(c.kind, c.label, [f.name for f in c.fields]) for c in unpublished_changes(plan)] == [
        ("変更", "女性からの相談に対する助言や援助", ["事業名"]),
    ]


BEFORE = [("measures", "0005_trigram_search_indexes")]
AFTER = [("measures", "0006_program_area_measure_optional")]


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_gives_programmes_their_areas_and_untitled_measures_to_their_areas():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE + executor.loader.graph.leaf_nodes("plans")).apps
    city = old.get_model("plans", "Municipality").objects.create(code="431001", name="熊本市", kind="designated_city")
    plan = old.get_model("plans", "Plan").objects.create(
        municipality=city, title="熊本市再犯防止推進計画",
        period_start=datetime.date(2021, 4, 1), period_end=datetime.date(2026, 3, 31),
    )
    area = old.get_model("measures", "PriorityArea").objects.create(plan=plan, number=5, title="非行の防止と修学支援")
    Measure, Program = old.get_model("measures", "Measure"), old.get_model("measures", "Program")
    titled = Measure.objects.create(area=area, number=1, title="少年非行・被害の未然防止への支援")
    untitled = Measure.objects.create(area=area, number=2, title="")
    described = Measure.objects.create(area=area, number=3, title="", description="見出しのない施策の説明")
    Program.objects.create(measure=titled, order=1, name="巡回指導や声かけ活動の実施")
    Program.objects.create(measure=untitled, order=1, name="学校教育コンシェルジュによる相談対応")
    Program.objects.create(measure=untitled, order=2, name="保護者に対する就学費用の援助")
    Program.objects.create(measure=described, order=1, name="説明のある施策の事業")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Measure, Program = new.get_model("measures", "Measure"), new.get_model("measures", "Program")
    assert set(Program.objects.values_list("area_id", flat=True)) == {area.pk}
    assert list(Program.objects.filter(measure=None).order_by("order").values_list("order", "name")) == [
        (1, "学校教育コンシェルジュによる相談対応"), (2, "保護者に対する就学費用の援助"),
    ]
    assert not Measure.objects.filter(pk=untitled.pk).exists()
    # A measure with a description is kept, and titled so that staff see what to complete.
    assert Measure.objects.get(pk=described.pk).title == "施策名未入力"
    assert Program.objects.get(name="説明のある施策の事業").measure_id == described.pk
    call_command("migrate", verbosity=0)


def test_a_years_progress_of_a_programme_without_a_measure_imports_with_a_blank_measure_number(kumamoto_editor):
    header = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況"]
    rows = [header, ["431001", "熊本市再犯防止推進計画", "6", "", "生活指導を要する児童への助言・指導", "令和6年度", "実施"]]
    result = run_import(ProgramProgressResource, csv_bytes(rows), kumamoto_editor)
    assert not result.has_problems(), result.messages()
    assert ProgramProgress.objects.get(program_id=201611, fiscal_year=2024).status == "implemented"

    rows[1][3] = "1"
    messages = run_import(ProgramProgressResource, csv_bytes(rows), kumamoto_editor).messages()
    assert messages == ["2行目『事業名』: 重点施策6・施策1に“生活指導を要する児童への助言・指導”という事業はありません"
                        "（事業は「計画の構成」で先に登録してください。施策のない事業は施策番号を空欄にします）"]


def test_a_years_page_lists_an_areas_own_programmes_under_the_area(client, seeded):
    plan = kumamoto_plan()
    ProgramProgress.objects.create(program_id=201611, fiscal_year=2023, status="implemented", results="助言を行いました。")
    publish(plan)
    page = client.get(reverse("public:plan_progress", args=[plan.pk, 2023])).content.decode()
    area6 = page[page.index(f"</span> {AREA6}"):]
    assert area6.index(f"<caption>{AREA6}の取組・事業（") < area6.index("生活指導を要する児童への助言・指導")
    assert "（1）" not in area6[:area6.index("</section>")]
