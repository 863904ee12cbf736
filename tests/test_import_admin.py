# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Importing through the admin: template, preview, confirm, permissions, isolation.

The preview and the import are jobs (reoffense_portal/machinery/spreadsheets/import_jobs.py): the tests press the
buttons, let the worker run what was queued, and read the job's page as staff do.
"""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from import_export.signals import post_import

from measures.models import ProgramProgress
from reoffense_portal.machinery.spreadsheets.files import read_spreadsheet
from tests.import_export_factories import (  # noqa: F401 (fixtures)
    confirm_import,
    csv_bytes,
    editor,
    kumamoto,
    preview_import,
    staff,
    submit_import,
    superuser,
    yamaguchi,
)

MODEL = "measures_programprogress"

IMPORT_URL = reverse("admin:measures_programprogress_import")
CONFIRM_URL = reverse("admin:measures_programprogress_process_import")
HEADER = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況"]


def progress_row(fiscal_year="令和7年度", code="431001", plan="熊本市再犯防止推進計画", status="実施"):
    return [code, plan, "1", "1", "協力雇用主の拡大", fiscal_year, status]


def upload(client, data, name="進捗.csv", fmt="0"):
    """The preview job's page once the worker has checked the file."""
    return preview_import(client, MODEL, data, name, fmt)


@pytest.fixture
def logged_in(client, editor):
    client.force_login(editor)
    return client


def test_editor_group_has_the_import_and_export_permissions(editor):
    assert editor.has_perm("measures.import_programprogress")
    assert editor.has_perm("measures.export_programprogress")
    assert editor.has_perm("councils.import_meeting") and editor.has_perm("plans.export_indicatorvalue")


def test_preview_shows_new_rows_and_writes_nothing_then_confirm_writes(logged_in, kumamoto):
    response = upload(logged_in, csv_bytes([HEADER, progress_row()], "cp932"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "プレビュー" in page and "新規 1件、変更 0件、変更なし 0件" in page
    assert not ProgramProgress.objects.filter(fiscal_year=2025).exists()

    signalled = []
    post_import.connect(lambda sender, model, **kwargs: signalled.append(model), weak=False, dispatch_uid="test-import")
    try:
        done = confirm_import(logged_in, MODEL, response)
    finally:
        post_import.disconnect(dispatch_uid="test-import")
    assert signalled == [ProgramProgress]
    assert "年度の進捗を取り込みました（新規 1件、変更 0件、変更なし 0件）。" in done.content.decode()
    assert ProgramProgress.objects.filter(fiscal_year=2025, program=kumamoto.program).exists()
    history = ProgramProgress.history.get(fiscal_year=2025)
    assert history.history_user.username == "kumamoto-editor"
    assert reverse("admin:measures_programprogress_changelist") in done.content.decode()


def test_pressing_the_button_twice_imports_once(logged_in, kumamoto):
    preview = upload(logged_in, csv_bytes([HEADER, progress_row()]))
    first = confirm_import(logged_in, MODEL, preview)
    second = confirm_import(logged_in, MODEL, preview)
    assert second.context["job"].pk == first.context["job"].pk
    assert ProgramProgress.history.filter(fiscal_year=2025).count() == 1
    again = logged_in.get(reverse("admin:jobs_job_progress", args=[preview.context["job"].pk])).content.decode()
    assert "このプレビューの取り込みは実行済みです。" in again and 'value="取り込みを実行"' not in again


def test_the_preview_text_names_the_button_it_shows(logged_in, kumamoto):
    page = logged_in.get(IMPORT_URL).content.decode()
    assert 'value="プレビューを表示"' in page
    page = upload(logged_in, csv_bytes([HEADER, progress_row()])).content.decode()
    buttons = re.findall(r'<input type="submit"[^>]*value="([^"]+)"', page)
    assert buttons == ["取り込みを実行"]
    assert "「取り込みを実行」を押すと保存されます" in page
    assert "インポートの確認" not in page and "インポート実行" not in page


def test_preview_lists_errors_in_japanese_and_offers_no_confirmation(logged_in, kumamoto):
    response = upload(logged_in, csv_bytes([HEADER, progress_row(), progress_row("R6年")]))
    page = response.content.decode()
    assert "3行目『年度』: “R6年” を年度として読めません" in page
    assert "何も保存されていません" in page
    assert 'value="取り込みを実行"' not in page
    assert reverse("admin:measures_programprogress_import") in page, "a way back to choosing the file"


def test_an_unreadable_file_is_a_japanese_message_not_a_server_error(logged_in, kumamoto):
    response = upload(logged_in, b"\x81\x00\xff\xfe garbage", name="x.csv")
    assert response.status_code == 200
    page = response.content.decode()
    assert "取り込めません" in page and "文字コードを判別できません" in page
    assert 'value="取り込みを実行"' not in page


def test_xlsx_upload_is_read_even_when_csv_was_chosen(logged_in, kumamoto):
    import tablib

    from reoffense_portal.machinery.spreadsheets.files import write_xlsx

    dataset = tablib.Dataset(progress_row(2025), headers=HEADER)
    response = upload(logged_in, write_xlsx(dataset), name="進捗.xlsx", fmt="0")
    assert "新規 1件" in response.content.decode()


def test_rows_for_another_city_are_rejected_in_the_preview(logged_in, kumamoto, yamaguchi):
    data = csv_bytes([HEADER, progress_row(code="352039", plan="第二次山口市再犯防止推進計画")])
    page = upload(logged_in, data).content.decode()
    assert "2行目『団体コード』: 団体コード“352039”の自治体のデータを取り込む権限がありません" in page


def test_data_changed_after_the_preview_aborts_the_confirmed_import(logged_in, kumamoto):
    preview = upload(logged_in, csv_bytes([HEADER, progress_row()]))
    kumamoto.program.name = "改名した事業"
    kumamoto.program.save()
    response = confirm_import(logged_in, MODEL, preview)
    page = response.content.decode()
    assert response.context["job"].status == "failed"
    assert "取り込みを中止しました。何も保存されていません。" in page
    assert "2行目『事業名』" in page
    assert not ProgramProgress.objects.filter(fiscal_year=2025).exists()
    assert reverse("admin:measures_programprogress_import") in page, "a way back to choosing the file"


def test_a_tampered_confirmation_is_a_message_not_a_server_error(logged_in, kumamoto):
    response = logged_in.post(CONFIRM_URL, {"import_file_name": "does-not-exist", "original_file_name": "x.csv",
                                            "format": "0", "resource": "0"}, follow=True)
    assert response.status_code == 200
    assert "何も保存されていません" in response.content.decode()


def test_a_preview_with_errors_cannot_be_confirmed(logged_in, kumamoto):
    preview = upload(logged_in, csv_bytes([HEADER, progress_row("R6年")]))
    response = logged_in.post(CONFIRM_URL, {"preview": preview.context["job"].pk}, follow=True)
    assert "誤りがあるため、取り込めません" in response.content.decode()
    assert not ProgramProgress.objects.filter(fiscal_year=2025).exists()


def test_staff_without_the_import_permission_cannot_import_or_download_templates(client, kumamoto):
    user = staff("no-import", kumamoto.city)
    user.groups.clear()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_programprogress", "change_programprogress"]))
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(reverse("admin:measures_programprogress_import_template", args=[0, "csv"])).status_code == 403
    assert client.get(reverse("admin:measures_programprogress_export")).status_code == 403


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_blank_template_has_the_columns_and_an_example_row_that_imports(logged_in, kumamoto, extension):
    response = logged_in.get(reverse("admin:measures_programprogress_import_template", args=[0, extension]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    dataset = read_spreadsheet(response.content)
    assert dataset.headers[:6] == ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度"]
    assert len(dataset) == 1 and dataset[0][5] in (2024, "2024")


def test_import_page_links_the_templates(logged_in, kumamoto):
    page = logged_in.get(IMPORT_URL).content.decode()
    assert reverse("admin:measures_programprogress_import_template", args=[0, "xlsx"]) in page
    assert "ひな形" in page


@pytest.mark.parametrize("model", [
    "plans_organization", "plans_indicatorvalue", "measures_program", "measures_programprogress",
    "councils_meeting", "councils_councilmember",
])
def test_every_spreadsheet_page_opens_with_its_buttons(logged_in, kumamoto, model):
    changelist = logged_in.get(reverse(f"admin:{model}_changelist")).content.decode()
    assert reverse(f"admin:{model}_import") in changelist and reverse(f"admin:{model}_export") in changelist
    assert logged_in.get(reverse(f"admin:{model}_import")).status_code == 200
    assert logged_in.get(reverse(f"admin:{model}_export")).status_code == 200
    for extension in ("csv", "xlsx"):
        assert logged_in.get(reverse(f"admin:{model}_import_template", args=[0, extension])).status_code == 200


def test_progress_change_list_keeps_its_yearly_entry_link(logged_in, kumamoto):
    page = logged_in.get(reverse("admin:measures_programprogress_changelist")).content.decode()
    assert reverse("admin:measures_programprogress_entry_pick") in page


def test_the_import_permission_alone_does_not_let_a_viewer_write(client, kumamoto):
    user = staff("viewer", kumamoto.city)
    user.groups.clear()
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_programprogress", "import_programprogress", "export_programprogress"]))
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(reverse("admin:measures_programprogress_export")).status_code == 200


def test_preview_marks_the_changed_cells_of_an_update(logged_in, kumamoto):
    header = HEADER + ["実績・成果"]
    response = upload(logged_in, csv_bytes([header, progress_row("2024", status="未実施") + ["説明会を2回開催"]]))
    page = response.content.decode()
    assert "新規 0件、変更 1件、変更なし 0件" in page
    assert "<ins>未実施</ins>" in page and "<ins>説明会を2回開催</ins>" not in page


def test_preview_shows_a_cell_as_typed_never_as_markup(logged_in, kumamoto):
    header = HEADER + ["実績・成果"]
    page = upload(logged_in, csv_bytes([header, progress_row() + ["<b>説明会</b>を開催"]])).content.decode()
    assert "&lt;b&gt;説明会&lt;/b&gt;を開催" in page and "<b>説明会</b>" not in page
