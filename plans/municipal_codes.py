"""Every local government from the Ministry's code list: 総務省「全国地方公共団体コード」.

The Ministry of Internal Affairs and Communications publishes 「都道府県コード及び市区町村コード」
as an Excel workbook: a first sheet of every prefecture and municipality (団体コード,
都道府県名（漢字）, 市区町村名（漢字）, 都道府県名（カナ）, 市区町村名（カナ）; a prefecture's row has
no 市区町村名) and a second sheet 「政令指定都市」 of each designated city followed by its wards
(行政区, e.g. 札幌市中央区), in the same columns. Both sheets are read, or a CSV of either.

What the list does not say, and how the kind is decided (a 種別 column, if present, wins):

- 政令指定都市: not marked on the first sheet. The 20 designated cities are kept below, from
  総務省「指定都市一覧」 (20市; the latest, 熊本市, designated from 平成24年4月1日).
- 行政区: a row whose name is a designated city's name followed by a name ending in 区 (the
  second sheet lists them under their city). Stored as kind 行政区 with the city as `parent`.
- 特別区: a name ending in 区 in 東京都.
- 中核市: not marked either. The 62 core cities are kept below, from 総務省「中核市・施行時特例市」
  (62市, 令和6年4月1日現在), by prefecture and name: a 市 in that list becomes 中核市. The list changes
  every few years, so a 市 that staff have set as 中核市 (admin or a 種別 column) stays one even
  when it is not in it (a city designated after that date).
- 市・町・村: the end of the name.

Loading is idempotent (the code is the key: a row is created, updated or left alone) and all or
nothing: one bad row, reported in Japanese with its sheet and line, means nothing is written.
The file goes through the spreadsheet limits of reoffense_portal.machinery.spreadsheets.files (size, rows, zip checks).
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from reoffense_portal.machinery.audit import log_staff_action
from reoffense_portal.machinery.jobs.queue import JobError, job_task
from reoffense_portal.machinery.spreadsheets.files import (
    MAX_COLUMNS,
    XLSX_DAMAGED,
    XLSX_UNREADABLE,
    ZIP_SIGNATURES,
    ImportFileError,
    _build_dataset,
    check_file_size,
    check_xlsx_archive,
    read_spreadsheet,
    too_many_rows,
)
from reoffense_portal.machinery.spreadsheets.import_jobs import remove_upload
from reoffense_portal.machinery.text import plain_text

from .models import CodeListCount, Municipality, lg_code_check_digit, validate_lg_code

Kind = Municipality.Kind

# 総務省「指定都市一覧」: the 20 designated cities (政令指定都市), by 団体コード.
DESIGNATED_CITIES = {
    "011002": "札幌市", "041009": "仙台市", "111007": "さいたま市", "121002": "千葉市",
    "141003": "横浜市", "141305": "川崎市", "141500": "相模原市", "151009": "新潟市",
    "221007": "静岡市", "221309": "浜松市", "231002": "名古屋市", "261009": "京都市",
    "271004": "大阪市", "271403": "堺市", "281000": "神戸市", "331007": "岡山市",
    "341002": "広島市", "401005": "北九州市", "401307": "福岡市", "431001": "熊本市",
}
# 総務省「中核市・施行時特例市」: the 62 core cities (中核市) as of 令和6年4月1日, by the first two digits
# of the 団体コード (the prefecture) and the name, so that no code has to be copied by hand.
CORE_CITIES = {
    "01": ("函館市", "旭川市"), "02": ("青森市", "八戸市"), "03": ("盛岡市",), "05": ("秋田市",),
    "06": ("山形市",), "07": ("福島市", "郡山市", "いわき市"), "08": ("水戸市",), "09": ("宇都宮市",),
    "10": ("前橋市", "高崎市"), "11": ("川越市", "川口市", "越谷市"), "12": ("船橋市", "柏市"),
    "13": ("八王子市",), "14": ("横須賀市",), "16": ("富山市",), "17": ("金沢市",), "18": ("福井市",),
    "19": ("甲府市",), "20": ("長野市", "松本市"), "21": ("岐阜市",), "23": ("豊橋市", "岡崎市", "一宮市", "豊田市"),
    "25": ("大津市",), "27": ("豊中市", "吹田市", "高槻市", "枚方市", "八尾市", "寝屋川市", "東大阪市"),
    "28": ("姫路市", "尼崎市", "明石市", "西宮市"), "29": ("奈良市",), "30": ("和歌山市",), "31": ("鳥取市",),
    "32": ("松江市",), "33": ("倉敷市",), "34": ("呉市", "福山市"), "35": ("下関市",), "37": ("高松市",),
    "38": ("松山市",), "39": ("高知市",), "40": ("久留米市",), "42": ("長崎市", "佐世保市"), "44": ("大分市",),
    "45": ("宮崎市",), "46": ("鹿児島市",), "47": ("那覇市",),
}
TOKYO = "13"

COLUMNS = {
    "code": "団体コード",
    "prefecture_name": "都道府県名（漢字）",
    "name": "市区町村名（漢字）",
    "prefecture_kana": "都道府県名（カナ）",
    "kana": "市区町村名（カナ）",
    "kind": "種別",
}
REQUIRED = ("code", "prefecture_name", "name")
KIND_BY_LABEL = {label: value for value, label in Kind.choices}
# Kinds in the order rows are written: a row's prefecture and city exist before it.
TIERS = [[Kind.PREFECTURE], [k for k in Kind.values if k not in (Kind.PREFECTURE, Kind.CITY_WARD)], [Kind.CITY_WARD]]
MAX_MESSAGES = 50
NAME_MAX = Municipality._meta.get_field("name").max_length
KANA_MAX = Municipality._meta.get_field("kana").max_length
READING = re.compile(r"[\u3041-\u3096\u30fc・]+")


def prefecture_code(code: str) -> str:
    """010006 for any code of 北海道: the first two digits, 000 and the check digit."""
    five = code[:2] + "000"
    return five + str(lg_code_check_digit(five))


def hiragana(kana: str) -> str:
    """ｻｯﾎﾟﾛｼ or サッポロシ → さっぽろし: the list's half-width katakana in the fixtures' hiragana."""
    text = unicodedata.normalize("NFKC", kana)
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def _header_key(header: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", header or ""))


HEADER_KEYS = {_header_key(label): key for key, label in COLUMNS.items()}


@dataclass
class Sheet:
    title: str  # "" for a CSV
    dataset: object

    def where(self, line: int) -> str:
        return f"シート「{self.title}」の{line}行目" if self.title else f"{line}行目"


@dataclass
class Entry:
    where: str
    code: str
    name: str
    kana: str | None
    kind: str
    kind_given: bool
    prefecture_name: str
    prefecture: str | None = None
    parent: str | None = None


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"新規{self.created:,}件、変更{self.updated:,}件、変更なし{self.unchanged:,}件"

    def messages(self) -> list[str]:
        shown = self.errors[:MAX_MESSAGES]
        if len(self.errors) > MAX_MESSAGES:
            shown.append(f"ほかに{len(self.errors) - MAX_MESSAGES:,}件の誤りがあります。")
        return shown


# --------------------------------------------------------------------------
# Reading the file


def read_sheets(data: bytes) -> list[Sheet]:
    """Every sheet of a workbook (the list has two), or the one table of a CSV; within the import limits."""
    if not data:
        raise ImportFileError("ファイルが空です。1行目に見出し、2行目から内容を入力してください。")
    check_file_size(len(data))
    if not data.startswith(ZIP_SIGNATURES):
        return [Sheet("", read_spreadsheet(data))]
    import openpyxl

    check_xlsx_archive(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds of errors on damaged or foreign files
        raise ImportFileError(XLSX_UNREADABLE) from e
    sheets = []
    try:
        for worksheet in book.worksheets:
            if worksheet.max_row and worksheet.max_row > settings.IMPORT_MAX_ROWS + 1:
                raise too_many_rows(worksheet.max_row)
            rows = worksheet.iter_rows(
                values_only=True, max_col=MAX_COLUMNS + 20, max_row=settings.IMPORT_MAX_ROWS + 2
            )
            try:
                sheets.append(Sheet(worksheet.title, _build_dataset(rows)))
            except ImportFileError as error:
                raise ImportFileError(f"シート「{worksheet.title}」：{error}") from error
    except ImportFileError:
        raise
    except Exception as e:  # openpyxl raises many kinds of errors on damaged sheets
        raise ImportFileError(XLSX_DAMAGED) from e
    finally:
        book.close()
    return sheets


def _cell_text(value) -> str:
    if value is None:
        return ""
    return plain_text(str(value)).strip()


def _code(value) -> str:
    """The 団体コード as six digits: Excel may have kept it as a number and dropped the leading 0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:06d}"
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _cell_text(value)))


def _reading(value, where: str, column: str, errors: list[str]) -> str | None:
    text = re.sub(r"\s+", "", _cell_text(value))
    if not text:
        return None
    reading = hiragana(text)
    if not READING.fullmatch(reading):
        errors.append(f"{where}：{column}「{text}」はカナで入力してください。")
        return None
    if len(reading) > KANA_MAX:
        errors.append(f"{where}：{column}が長すぎます（{KANA_MAX}文字まで）。")
        return None
    return reading


def _derived_kind(code: str, name: str) -> str | None:
    if not name:
        return Kind.PREFECTURE
    if code in DESIGNATED_CITIES:
        return Kind.DESIGNATED_CITY
    for city_code, city in DESIGNATED_CITIES.items():
        if city_code[:2] == code[:2] and name.startswith(city) and name.endswith("区") and name != city:
            return Kind.CITY_WARD
    if name in CORE_CITIES.get(code[:2], ()):
        return Kind.CORE_CITY
    if name.endswith("区") and code[:2] == TOKYO:
        return Kind.WARD
    return {"市": Kind.CITY, "町": Kind.TOWN, "村": Kind.VILLAGE}.get(name[-1:])


def _entries(sheet: Sheet, errors: list[str]) -> list[Entry]:
    dataset = sheet.dataset
    columns = {}
    for index, header in enumerate(dataset.headers or []):
        key = HEADER_KEYS.get(_header_key(header))
        if key:
            columns.setdefault(key, index)
    missing = [COLUMNS[key] for key in REQUIRED if key not in columns]
    if missing:
        errors.append(
            f"{sheet.where(1)}：見出しに「{'」「'.join(missing)}」がありません。"
            "総務省「全国地方公共団体コード」の一覧の見出し（団体コード、都道府県名（漢字）、市区町村名（漢字）、"
            "都道府県名（カナ）、市区町村名（カナ））のまま取り込んでください。"
        )
        return []
    entries = []
    for line, row in zip(dataset.line_numbers, dataset, strict=True):
        where = sheet.where(line)
        cell = {key: row[index] for key, index in columns.items()}
        found = len(errors)
        code = _code(cell["code"])
        try:
            validate_lg_code(code)
        except ValidationError as error:
            errors.append(f"{where}：{' '.join(error.messages)}")
            continue
        name = re.sub(r"\s+", "", _cell_text(cell["name"]))
        prefecture_name = re.sub(r"\s+", "", _cell_text(cell["prefecture_name"]))
        if not prefecture_name:
            errors.append(f"{where}：都道府県名（漢字）が空欄です。")
        for label, text in (("市区町村名（漢字）", name), ("都道府県名（漢字）", prefecture_name)):
            if len(text) > NAME_MAX:
                errors.append(f"{where}：{label}が長すぎます（{NAME_MAX}文字まで）。")
        is_prefecture_row = not name
        if is_prefecture_row != (code == prefecture_code(code)):
            errors.append(
                f"{where}：団体コード「{code}」は都道府県のコードです。市区町村名を空欄にしてください。"
                if code == prefecture_code(code) else
                f"{where}：市区町村名（漢字）が空欄です（都道府県の行は団体コードが「{prefecture_code(code)}」です）。"
            )
        kana_column = "都道府県名（カナ）" if is_prefecture_row else "市区町村名（カナ）"
        kana = _reading(cell.get("prefecture_kana" if is_prefecture_row else "kana"), where, kana_column, errors)
        given = _cell_text(cell.get("kind"))
        if given:
            kind = KIND_BY_LABEL.get(given)
            if kind is None:
                errors.append(f"{where}：種別「{given}」は使えません。{'、'.join(KIND_BY_LABEL)}のいずれかを入力してください。")
        else:
            kind = _derived_kind(code, name)
            if kind is None:
                errors.append(
                    f"{where}：「{name}」の種別が名称から分かりません。種別の列（{'、'.join(KIND_BY_LABEL)}）を加えてください。"
                )
        if kind is not None and (kind == Kind.PREFECTURE) != is_prefecture_row:
            errors.append(f"{where}：種別「{Kind(kind).label}」は{'都道府県' if is_prefecture_row else '市区町村'}の行に使えません。")
        if len(errors) > found:
            continue
        entries.append(Entry(
            where=where, code=code, name=name or prefecture_name, kana=kana, kind=kind, kind_given=bool(given),
            prefecture_name=prefecture_name,
        ))
    return entries


# --------------------------------------------------------------------------
# Checking the rows against each other and the database


def _link(entries: list[Entry], errors: list[str]) -> dict[str, Entry]:
    """One entry per code, each with its prefecture (and a ward with its city), from the file or the database."""
    by_code: dict[str, Entry] = {}
    for entry in entries:
        seen = by_code.get(entry.code)
        if seen is None:
            by_code[entry.code] = entry
        elif (seen.name, seen.kana, seen.kind, seen.prefecture_name) != (
            entry.name, entry.kana, entry.kind, entry.prefecture_name
        ):
            errors.append(f"{entry.where}：団体コード「{entry.code}」が{seen.where}と違う内容で重複しています。")
    prefectures = {prefecture_code(code) for code in by_code}
    known = {
        m.code: m for m in Municipality.objects.filter(Q(code__in=prefectures) | Q(kind=Kind.DESIGNATED_CITY))
    }

    def name_of(code):
        entry = by_code.get(code) or known.get(code)
        return entry.name if entry else None

    for entry in by_code.values():
        if entry.kind == Kind.PREFECTURE:
            continue
        entry.prefecture = prefecture_code(entry.code)
        prefecture = name_of(entry.prefecture)
        if prefecture is None:
            errors.append(
                f"{entry.where}：都道府県（団体コード「{entry.prefecture}」）がまだ登録されていません。都道府県の行も含めて取り込んでください。"
            )
        elif prefecture != entry.prefecture_name:
            errors.append(
                f"{entry.where}：都道府県名「{entry.prefecture_name}」が団体コードの都道府県（{prefecture}）と一致しません。"
            )
        if entry.kind == Kind.CITY_WARD:
            entry.parent = _parent_city(entry, by_code, known)
            if entry.parent is None:
                errors.append(
                    f"{entry.where}：行政区「{entry.name}」を置く政令指定都市が見つかりません。"
                    "政令指定都市の行も含めて取り込んでください。"
                )
    return by_code


def _parent_city(entry: Entry, by_code: dict[str, Entry], known: dict[str, Municipality]) -> str | None:
    """The designated city of the same prefecture whose name the ward's name starts with (the longest)."""
    cities = {
        code: e.name for code, e in by_code.items() if e.kind == Kind.DESIGNATED_CITY
    } | {code: m.name for code, m in known.items() if m.kind == Kind.DESIGNATED_CITY and code not in by_code}
    matches = [
        (len(name), code) for code, name in cities.items()
        if code[:2] == entry.code[:2] and entry.name.startswith(name) and entry.name != name
    ]
    return max(matches)[1] if matches else None


# --------------------------------------------------------------------------
# Writing


FIELDS = ["name", "kana", "kind", "prefecture", "parent"]


def _apply(entry: Entry, municipality: Municipality) -> bool:
    """Set the list's values on the row; True if anything changed. A 中核市 set by staff stays one
    (one designated after the date of CORE_CITIES is a 市 by the name alone)."""
    kind = entry.kind
    if not entry.kind_given and kind == Kind.CITY and municipality.kind == Kind.CORE_CITY:
        kind = Kind.CORE_CITY
    values = {
        "name": entry.name, "kana": entry.kana if entry.kana is not None else municipality.kana, "kind": kind,
        "prefecture_id": entry.prefecture, "parent_id": entry.parent,
    }
    changed = any(getattr(municipality, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(municipality, name, value)
    return changed


def load_code_list(data: bytes, *, user=None, report=None) -> Result:
    """Read the Ministry's list and create or update every municipality in it; nothing is written on any error.

    `report(done, total, stage)`, if given, is told how far it has got (a job's progress bar).
    """
    report = report or (lambda done, total=None, stage=None: None)
    result = Result()
    report(0, None, "読み込み")
    sheets = read_sheets(data)
    entries = []
    for sheet in sheets:
        found = _entries(sheet, result.errors)
        if found:
            result.sheets.append(sheet.title or "CSV")
        entries += found
    by_code = _link(entries, result.errors)
    if result.errors:
        return result
    report(0, len(by_code), "書き込み")
    existing = Municipality.objects.in_bulk(list(by_code))
    with transaction.atomic():
        for tier in TIERS:
            new, changed = [], []
            for entry in (e for e in by_code.values() if e.kind in tier):
                municipality = existing.get(entry.code)
                if municipality is None:
                    municipality = Municipality(code=entry.code, kana="")
                    _apply(entry, municipality)
                    new.append(municipality)
                elif _apply(entry, municipality):
                    changed.append(municipality)
                else:
                    result.unchanged += 1
            if new:
                bulk_create_with_history(new, Municipality, default_user=user, default_change_reason="団体コード一覧の取り込み")
            if changed:
                bulk_update_with_history(
                    changed, Municipality, FIELDS, default_user=user, default_change_reason="団体コード一覧の取り込み"
                )
            result.created += len(new)
            result.updated += len(changed)
            report(result.created + result.updated + result.unchanged)
        count_the_list(by_code.values())
    return result


def count_the_list(entries) -> CodeListCount:
    """The list's own counts of prefectures and of 市区町村 (行政区 belong to their city), all and per prefecture."""
    counted = [entry for entry in entries if entry.kind not in (Kind.PREFECTURE, Kind.CITY_WARD)]
    by_prefecture = {}
    for entry in counted:
        by_prefecture[entry.prefecture] = by_prefecture.get(entry.prefecture, 0) + 1
    return CodeListCount.objects.create(
        prefectures=sum(1 for entry in entries if entry.kind == Kind.PREFECTURE),
        municipalities=len(counted), by_prefecture=by_prefecture,
    )


# --------------------------------------------------------------------------
# As a job: a superuser's upload on the admin screen, loaded by the worker

JOB_KIND = "municipal_codes"
REFUSED = "取り込みを中止しました。何も保存されていません。"
REREAD = "取り込むファイルを読み直せませんでした。もう一度ファイルを選んでください。何も保存されていません。"


@job_task
def load_code_list_job(job, stored_name: str, file_name: str):
    """Load the stored upload for the superuser who sent it; every problem is the job's Japanese reason."""
    try:
        with default_storage.open(stored_name, "rb") as stored:
            data = stored.read()
        result = load_code_list(data, user=job.owner, report=job.report)
    except OSError:
        raise JobError(REREAD) from None
    except ImportFileError as error:
        raise JobError(f"{REFUSED}\n{error}") from None
    finally:
        remove_upload(stored_name)
    if result.errors:
        log_staff_action(job.owner, "import_refused", file=file_name, errors=len(result.errors))
        raise JobError("\n".join([REFUSED, *result.messages()]))
    log_staff_action(job.owner, "import", file=file_name, model="plans.municipality",
                     created=result.created, updated=result.updated)
    return {"summary": result.summary(), "sheets": result.sheets}
