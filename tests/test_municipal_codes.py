"""Every local government as data: the 47 prefectures as fixtures, and the Ministry's code list
(総務省「全国地方公共団体コード」) loaded by a command and by a superuser's admin screen.

tests/data/municipal_codes.xlsx is an extract in the list's layout: a first sheet of prefectures
and municipalities, and a second sheet 「政令指定都市」 of designated cities followed by their wards.
tests/data/municipal_codes.csv is its first sheet saved by Excel as CSV (Shift_JIS).
"""

import csv
import io
import json
import logging
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from plans.models import CodeListCount, Municipality, StaffMembership, lg_code_check_digit
from plans.municipal_codes import CORE_CITIES, DESIGNATED_CITIES, load_code_list
from reoffense_portal.machinery.jobs.models import Job
from reoffense_portal.machinery.spreadsheets.files import ImportFileError

DATA = Path(__file__).parent / "data"
XLSX = (DATA / "municipal_codes.xlsx").read_bytes()
CSV = (DATA / "municipal_codes.csv").read_bytes()
FIXTURE = Path(__file__).parent.parent / "fixtures" / "prefectures.json"
IMPORT_URL = reverse("admin:plans_municipality_import_code_list")
HEADER = ["団体コード", "都道府県名（漢字）", "市区町村名（漢字）", "都道府県名（カナ）", "市区町村名（カナ）"]

pytestmark = pytest.mark.django_db


def csv_of(rows, header=HEADER) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def kinds():
    return dict(Municipality.objects.values_list("name", "kind"))


# --- The 47 prefectures ------------------------------------------------------------------------


def test_the_fixture_holds_the_47_prefectures_with_valid_codes_and_hiragana_readings():
    rows = json.loads(FIXTURE.read_text())
    assert len(rows) == 47
    codes = [row["pk"] for row in rows]
    assert codes[0] == "010006" and codes[12] == "130001" and codes[46] == "470007"
    for number, code in enumerate(codes, 1):
        assert code[:5] == f"{number:02d}000" and int(code[5]) == lg_code_check_digit(code[:5])
    fields = {row["fields"]["name"]: row["fields"] for row in rows}
    assert fields["北海道"]["kana"] == "ほっかいどう" and fields["京都府"]["kana"] == "きょうとふ"
    assert {f["kind"] for f in fields.values()} == {"prefecture"}


def test_the_seed_cities_keep_their_prefectures_when_all_47_are_loaded():
    call_command("loaddata", "prefectures", "national_priorities", "yamaguchi", "kumamoto", verbosity=0)
    assert Municipality.objects.filter(kind=Municipality.Kind.PREFECTURE).count() == 47
    assert Municipality.objects.get(pk="352039").prefecture.name == "山口県"
    assert Municipality.objects.get(pk="430005").kana == "くまもとけん"


# --- The code list -------------------------------------------------------------------------------


def test_loading_the_ministrys_workbook_creates_every_kind_with_its_prefecture_and_reading():
    result = load_code_list(XLSX)
    assert result.errors == []
    assert result.created == 19 and result.sheets == ["現在の団体", "政令指定都市"]
    assert kinds() == {
        "北海道": "prefecture", "札幌市": "designated_city", "札幌市中央区": "city_ward", "札幌市北区": "city_ward",
        "函館市": "core_city", "旭川市": "core_city", "東京都": "prefecture", "千代田区": "ward", "中央区": "ward",
        "八王子市": "core_city", "瑞穂町": "town", "檜原村": "village", "山口県": "prefecture", "下関市": "core_city",
        "山口市": "city", "熊本県": "prefecture", "熊本市": "designated_city", "熊本市中央区": "city_ward",
        "熊本市東区": "city_ward",
    }
    ward = Municipality.objects.get(name="札幌市中央区")
    assert (ward.code, ward.parent.name, ward.prefecture.name, ward.kana) == (
        "011011", "札幌市", "北海道", "さっぽろしちゅうおうく"
    )
    assert Municipality.objects.get(code="010006").kana == "ほっかいどう"


def test_the_lists_own_counts_are_kept_for_the_national_figure():
    """策定状況 compares the registered with what exists: the list's prefectures and 市区町村, wards not counted."""
    load_code_list(XLSX)
    counted = CodeListCount.objects.get()
    assert (counted.prefectures, counted.municipalities) == (4, 11)
    assert counted.by_prefecture == {"010006": 3, "130001": 5, "350001": 2, "430005": 1}


def test_loading_the_same_list_again_changes_nothing():
    load_code_list(XLSX)
    history = Municipality.history.count()
    again = load_code_list(XLSX)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 19)
    assert Municipality.history.count() == history


def test_the_csv_excel_saves_reads_the_same_and_knows_designated_cities_without_the_second_sheet():
    result = load_code_list(CSV)
    assert result.errors == [] and result.created == 15
    assert Municipality.objects.get(code="431001").kind == Municipality.Kind.DESIGNATED_CITY


def test_the_seed_cities_are_updated_in_place_and_keep_their_plans_and_website(seeded):
    Municipality.objects.filter(pk="352039").update(website="https://www.city.yamaguchi.lg.jp/")
    result = load_code_list(XLSX)
    assert result.errors == []
    yamaguchi = Municipality.objects.get(pk="352039")
    assert yamaguchi.website == "https://www.city.yamaguchi.lg.jp/" and yamaguchi.plans.exists()
    assert Municipality.objects.get(pk="431001").city_wards.count() == 2


def test_the_ministrys_core_cities_are_known_from_a_list_without_a_kind_column():
    rows = [
        ["010006", "北海道", "", "ﾎｯｶｲﾄﾞｳ", ""],
        ["012025", "北海道", "函館市", "ﾎｯｶｲﾄﾞｳ", "ﾊｺﾀﾞﾃｼ"],
        ["350001", "山口県", "", "ﾔﾏｸﾞﾁｹﾝ", ""],
        ["352012", "山口県", "下関市", "ﾔﾏｸﾞﾁｹﾝ", "ｼﾓﾉｾｷｼ"],
        ["352039", "山口県", "山口市", "ﾔﾏｸﾞﾁｹﾝ", "ﾔﾏｸﾞﾁｼ"],
    ]
    assert load_code_list(csv_of(rows)).errors == []
    assert Municipality.objects.get(code="012025").get_kind_display() == "中核市"
    assert Municipality.objects.get(code="352012").get_kind_display() == "中核市"
    assert Municipality.objects.get(code="352039").get_kind_display() == "市"


def test_a_core_city_registered_as_a_plain_city_becomes_one_when_the_list_is_imported():
    load_code_list(XLSX)
    Municipality.objects.filter(name="下関市").update(kind=Municipality.Kind.CITY)
    result = load_code_list(XLSX)
    assert (result.updated, result.unchanged) == (1, 18)
    assert kinds()["下関市"] == "core_city"


def test_a_core_city_set_by_staff_stays_one_and_a_kind_column_sets_it():
    load_code_list(XLSX)
    Municipality.objects.filter(name="山口市").update(kind=Municipality.Kind.CORE_CITY)
    load_code_list(XLSX)
    assert kinds()["山口市"] == "core_city"
    rows = [
        ["352039", "山口県", "山口市", "ﾔﾏｸﾞﾁｹﾝ", "ﾔﾏｸﾞﾁｼ", "市"],
        ["012025", "北海道", "函館市", "ﾎｯｶｲﾄﾞｳ", "ﾊｺﾀﾞﾃｼ", "市"],
    ]
    assert load_code_list(csv_of(rows, [*HEADER, "種別"])).errors == []
    assert kinds()["山口市"] == "city" and kinds()["函館市"] == "city"
    rows = [["352039", "山口県", "山口市", "ﾔﾏｸﾞﾁｹﾝ", "ﾔﾏｸﾞﾁｼ", "中核市"]]
    assert load_code_list(csv_of(rows, [*HEADER, "種別"])).errors == []
    load_code_list(XLSX)
    assert kinds()["山口市"] == "core_city"


def test_the_designated_cities_in_code_are_the_twenty_with_valid_codes():
    assert len(DESIGNATED_CITIES) == 20
    for code in DESIGNATED_CITIES:
        assert int(code[5]) == lg_code_check_digit(code[:5]), code


def test_the_core_cities_in_code_are_the_sixty_two_and_none_is_a_designated_city():
    cities = [(prefecture, name) for prefecture, names in CORE_CITIES.items() for name in names]
    assert len(cities) == len(set(cities)) == 62
    assert all(name.endswith("市") and 1 <= int(prefecture) <= 47 for prefecture, name in cities)
    assert not set(cities) & {(code[:2], name) for code, name in DESIGNATED_CITIES.items()}


def test_a_code_excel_turned_into_a_number_is_read_with_its_leading_zero():
    data = csv_of([["10006", "北海道", "", "ﾎｯｶｲﾄﾞｳ", ""]])
    assert load_code_list(data).errors == ["2行目：全国地方公共団体コードは6桁の数字で入力してください。"]
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append([10006, "北海道", None, "ﾎｯｶｲﾄﾞｳ", None])
    out = io.BytesIO()
    book.save(out)
    assert load_code_list(out.getvalue()).errors == []
    assert Municipality.objects.get(code="010006").name == "北海道"


def test_each_bad_row_gets_a_japanese_error_and_nothing_is_written():
    rows = [
        ["350001", "山口県", "", "ﾔﾏｸﾞﾁｹﾝ", ""],
        ["352038", "山口県", "山口市", "ﾔﾏｸﾞﾁｹﾝ", "ﾔﾏｸﾞﾁｼ"],
        ["352012", "広島県", "下関市", "ﾔﾏｸﾞﾁｹﾝ", "ｼﾓﾉｾｷｼ"],
        ["352021", "山口県", "宇部市", "ﾔﾏｸﾞﾁｹﾝ", "Ube"],
        ["011011", "北海道", "札幌市中央区", "ﾎｯｶｲﾄﾞｳ", "ｻｯﾎﾟﾛｼﾁｭｳｵｳｸ"],
        ["352047", "山口県", "萩", "ﾔﾏｸﾞﾁｹﾝ", "ﾊｷﾞ"],
        ["352039", "山口県", "", "ﾔﾏｸﾞﾁｹﾝ", ""],
    ]
    result = load_code_list(csv_of(rows))
    assert result.errors == [
        "3行目：全国地方公共団体コード「352038」の検査数字が正しくありません。",
        "5行目：市区町村名（カナ）「Ube」はカナで入力してください。",
        "7行目：「萩」の種別が名称から分かりません。種別の列（都道府県、政令指定都市、中核市、市、町、村、特別区、行政区）を加えてください。",
        "8行目：市区町村名（漢字）が空欄です（都道府県の行は団体コードが「350001」です）。",
        "4行目：都道府県名「広島県」が団体コードの都道府県（山口県）と一致しません。",
        "6行目：都道府県（団体コード「010006」）がまだ登録されていません。都道府県の行も含めて取り込んでください。",
        "6行目：行政区「札幌市中央区」を置く政令指定都市が見つかりません。政令指定都市の行も含めて取り込んでください。",
    ]
    assert not Municipality.objects.exists()


def test_a_file_that_is_not_the_list_is_refused_by_its_headings():
    result = load_code_list(csv_of([["352039", "山口市"]], ["コード", "名称"]))
    assert result.errors[0].startswith("1行目：見出しに「団体コード」「都道府県名（漢字）」「市区町村名（漢字）」がありません。")
    assert not Municipality.objects.exists()


def test_the_command_loads_the_list_and_reports_bad_rows_in_japanese(tmp_path):
    out = io.StringIO()
    call_command("import_municipalities", str(DATA / "municipal_codes.xlsx"), stdout=out)
    assert "自治体を取り込みました（新規19件、変更0件、変更なし0件）。" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of([["352038", "山口県", "山口市", "", ""]]))
    with pytest.raises(CommandError) as error:
        call_command("import_municipalities", str(bad))
    assert "2行目：全国地方公共団体コード「352038」の検査数字が正しくありません。" in str(error.value)
    assert "何も保存されていません" in str(error.value)
    with pytest.raises(CommandError, match="ファイル「.*ない.xlsx」を開けません"):
        call_command("import_municipalities", str(tmp_path / "ない.xlsx"))


# --- The admin screen ------------------------------------------------------------------------------


def staff_user(superuser=False):
    user = get_user_model().objects.create_user(
        "admin" if superuser else "yamaguchi-editor", password="x" * 12, is_staff=True, is_superuser=superuser
    )
    if not superuser:
        StaffMembership.objects.create(user=user, municipality_id="352039", role=StaffMembership.Role.EDITOR)
    return user


def test_a_superuser_imports_the_list_from_the_municipality_list_and_sees_the_summary(client, caplog, run_jobs):
    call_command("loaddata", "national_priorities", "yamaguchi", verbosity=0)
    client.force_login(staff_user(superuser=True))
    changelist = client.get(reverse("admin:plans_municipality_changelist")).content.decode()
    assert f'href="{IMPORT_URL}"' in changelist and "団体コードの一覧から取り込む" in changelist
    caplog.set_level(logging.INFO, logger="portal.staff")
    started = client.post(IMPORT_URL, {"file": SimpleUploadedFile("000925835.xlsx", XLSX)})
    assert "/admin/jobs/job/" in started["Location"]  # the request only stored the file
    assert not Municipality.objects.filter(code="431010").exists()
    assert "順番を待っています" in client.get(started["Location"]).content.decode()
    run_jobs()
    page = client.get(started["Location"]).content.decode()
    assert "自治体を取り込みました（新規17件、変更0件、変更なし2件）。" in page
    assert Municipality.objects.get(code="431010").parent_id == "431001"
    assert any("action=import" in r.getMessage() and "created=17" in r.getMessage() for r in caplog.records)
    assert not default_storage.listdir("imports")[1]  # the upload is gone once loaded


def test_the_admin_screen_lists_each_bad_row_and_saves_nothing(client, run_jobs):
    client.force_login(staff_user(superuser=True))
    data = csv_of([["350001", "山口県", "", "ﾔﾏｸﾞﾁｹﾝ", ""], ["352038", "山口県", "山口市", "", ""]])
    started = client.post(IMPORT_URL, {"file": SimpleUploadedFile("codes.csv", data)})
    run_jobs()
    page = client.get(started["Location"]).content.decode()
    assert "3行目：全国地方公共団体コード「352038」の検査数字が正しくありません。" in page
    assert "取り込みを中止しました。何も保存されていません。" in page
    assert f'href="{IMPORT_URL}"' in page and "ファイルを選び直す" in page
    assert not Municipality.objects.exists()


def test_an_unreadable_file_is_refused_in_japanese_on_its_jobs_page(client, run_jobs):
    client.force_login(staff_user(superuser=True))
    started = client.post(IMPORT_URL, {"file": SimpleUploadedFile("codes.xls", b"\xd0\xcf\x11\xe0" + b"0" * 100)})
    run_jobs()
    page = client.get(started["Location"]).content.decode()
    assert "古い形式のExcelファイル（.xls）は読み込めません" in page and "何も保存されていません" in page


def test_a_file_over_the_size_limit_is_a_form_error_before_it_is_stored(client, settings):
    settings.IMPORT_MAX_MB = 1
    client.force_login(staff_user(superuser=True))
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("codes.csv", b"0" * (1024 * 1024 + 1))})
    assert response.status_code == 200 and "1MB" in response.content.decode()
    assert not Job.objects.exists()


def test_city_staff_cannot_reach_the_import_screen(client):
    call_command("loaddata", "national_priorities", "yamaguchi", verbosity=0)
    client.force_login(staff_user())
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": SimpleUploadedFile("codes.xlsx", XLSX)}).status_code == 403
    changelist = client.get(reverse("admin:plans_municipality_changelist")).content.decode()
    assert IMPORT_URL not in changelist
    assert not Municipality.objects.filter(code="011002").exists()


def test_a_ward_needs_a_designated_city_of_its_prefecture_on_the_admin_form():
    load_code_list(XLSX)
    ward = Municipality.objects.get(code="011011")
    ward.parent = Municipality.objects.get(code="431001")
    with pytest.raises(Exception) as error:
        ward.full_clean()
    assert "行政区の所属先は、同じ都道府県の政令指定都市にしてください。" in str(error.value)


def test_the_import_limits_apply_to_the_code_list(settings):
    settings.IMPORT_MAX_MB = 0
    with pytest.raises(ImportFileError, match="ファイルが大きすぎます"):
        load_code_list(XLSX)
    settings.IMPORT_MAX_MB = 10
    settings.IMPORT_MAX_ROWS = 5
    with pytest.raises(ImportFileError, match="行が多すぎます。シートが16行目まであります。"):
        load_code_list(XLSX)
    with pytest.raises(ImportFileError, match="ZIPファイルですが、Excelファイル（.xlsx）ではありません"):
        load_code_list(b"PK\x05\x06" + b"\x00" * 18)
    assert not Municipality.objects.exists()


def test_control_characters_in_a_name_are_dropped_and_a_too_long_name_is_refused():
    rows = [["350001", "山口県", "", "ﾔﾏｸﾞﾁｹﾝ", ""], ["352039", "山口県", "山口\u202e市", "ﾔﾏｸﾞﾁｼ", "ﾔﾏｸﾞﾁｼ"]]
    assert load_code_list(csv_of(rows)).errors == []
    assert Municipality.objects.get(pk="352039").name == "山口市"
    rows = [["350001", "山口県", "", "ﾔﾏｸﾞﾁｹﾝ", ""], ["352039", "山口県", "山" * 41 + "市", "ﾔﾏｸﾞﾁｼ", ""]]
    assert load_code_list(csv_of(rows)).errors == ["3行目：市区町村名（漢字）が長すぎます（40文字まで）。"]
