"""The schemas of the open data: a Table Schema (frictionless) for each CSV and a JSON Schema for the plan JSON.

Published at stable URLs (/opendata/schemas/…) and linked from every catalogue resource (CKAN's
`schema`, DCAT's `dct:conformsTo`), so a portal or a researcher can check a file before reading it
(`frictionless validate --schema …`). The Table Schemas are made from the CSVs' own columns
(opendata.columns): a column added to a sheet has to be typed here, or the test of the schemas fails.
"""

from . import opendata

# A number, or the text small counts about people are published as (plans.disclosure: 「3人未満」).
PEOPLE_NUMBER = r"(?:-?[0-9]+(?:\.[0-9]+)?|[0-9]+(?:人|名|件|世帯)未満)"
# A date as precise as its source: 2024-07-18, 2023年12月 or 2023年度.
DATE_AS_STATED = r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}年[0-9]{1,2}月|[0-9]{4}年度)"

INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
YEAR = {"type": "integer", "constraints": {"minimum": 1900, "maximum": 2200}}

# Column → its Table Schema field (any column not named here is text).
FIELDS = {
    "全国地方公共団体コード": {"type": "string", "constraints": {"required": True, "pattern": "[0-9]{6}"},
                      "description": "総務省「全国地方公共団体コード」（6桁、末尾は検査数字）"},
    "地方公共団体名": {"type": "string", "constraints": {"required": True},
                "description": "都道府県名と市区町村名を続けた名前（例：熊本県熊本市）"},
    "都道府県名": {"type": "string", "constraints": {"required": True}},
    "市区町村名": {"type": "string", "description": "都道府県の計画では空欄"},
    "計画名": {"type": "string", "constraints": {"required": True}},
    "年度": {**YEAR, "description": "西暦の年度（令和6年度は2024）。和暦は次の列"},
    "年": {**YEAR, "description": "西暦の年（年度の統計は開始年）。和暦は次の列"},
    "審議の対象年度": {**YEAR, "description": "西暦の年度。和暦は次の列"},
    "基準年": {**YEAR, "description": "西暦。和暦は次の列"},
    "目標年": {**YEAR, "description": "西暦。和暦は「目標年の表記」"},
    "年（年度）": {**YEAR, "description": "出典が年を示すときだけ、西暦で"},
    "回": INTEGER, "順番": INTEGER, "重点施策番号": INTEGER, "施策番号": INTEGER, "重点施策の番号": INTEGER,
    "取組・事業の数": INTEGER, **{label: INTEGER for label in opendata.yearly.STATUS_LABELS},
    "予算額（円）": INTEGER, "決算額（円）": INTEGER,
    "補助率": NUMBER, "実施率（%）": NUMBER, "達成率（%）": NUMBER, "目標値": NUMBER,
    **{name: {"type": "string", "constraints": {"pattern": PEOPLE_NUMBER},
              "description": "数値。人・件など人に関する少ない数は「3人未満」のように書きます"}
       for name in ("支援件数", "基準値", "値", "都道府県の値", "全国の値")},
    **{name: {"type": "string", "constraints": {"pattern": DATE_AS_STATED},
              "description": "資料の精度のまま：2024-07-18、2023年12月または2023年度"}
       for name in ("日付", "終了日", "開催日")},
    **{name: {"type": "string", "constraints": {"pattern": "[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?"}}
       for name in ("開始時刻", "終了時刻")},
}


def table_schema(name: str) -> dict:
    """The Table Schema of a dataset's CSV (opendata.DATASETS)."""
    title, _build = opendata.DATASETS[name]
    return {
        "name": name,
        "title": title,
        "description": f"再犯防止推進計画ポータルのオープンデータ「{title}」（CSV、UTF-8 BOM付き）の列の定義。"
        "先頭の4列はデジタル庁「自治体標準オープンデータセット」の列名に従います。",
        "fields": [{"name": column, "title": column, "type": "string", **FIELDS.get(column, {})}
                   for column in opendata.columns(name)],
        "missingValues": [""],
    }


def _nullable(kind: str | list) -> dict:
    return {"type": [kind, "null"] if isinstance(kind, str) else [*kind, "null"]}


TEXT = {"type": "string"}
NUMBER_OR_MASKED = {"type": ["number", "string", "null"], "pattern": f"^{PEOPLE_NUMBER}$"}
FISCAL_YEAR = {"type": "integer", "minimum": 1900, "maximum": 2200}
DATE = {"type": "string", "format": "date"}
URL = {"type": "string", "format": "uri", "pattern": "^https?://"}


def _object(properties: dict, required=None) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties),
            "additionalProperties": False}


def _list(item: dict) -> dict:
    return {"type": "array", "items": item}


def _progress() -> dict:
    return _object({
        "fiscal_year": FISCAL_YEAR, "fiscal_year_label": TEXT, "status": TEXT, "results": TEXT,
        "support_count": NUMBER_OR_MASKED, "budget_yen": _nullable("integer"), "actual_cost_yen": _nullable("integer"),
        "subsidy_rate": _nullable("number"), "rating": {"enum": ["A", "B", "C", "D", None]}, "issues": TEXT,
    })


def _program() -> dict:
    return _object({
        "name": TEXT, "description": TEXT, "departments": _list(TEXT), "partners": _list(TEXT),
        "is_existing": {"type": "boolean"}, "progress": _list(_progress()),
    })


def _indicator() -> dict:
    return _object({
        "kind": TEXT, "name": TEXT, "unit": TEXT, "direction": TEXT, "period_kind": TEXT,
        "baseline": _object({"year": _nullable("integer"), "year_label": _nullable("string"), "as_of": TEXT,
                             "value": NUMBER_OR_MASKED, "label": TEXT}),
        "target": _object({"year": _nullable("integer"), "period_label": TEXT, "value": _nullable("number"),
                           "label": TEXT, "text": TEXT}),
        "achievement": TEXT, "achievement_percent": _nullable("number"), "source": TEXT, "note": TEXT,
        "comparisons": _list(_object({"scope": TEXT, "subject": TEXT, "value": NUMBER_OR_MASKED, "as_of": TEXT,
                                      "year": _nullable("integer"), "label": TEXT})),
        "values": _list(_object({"year": FISCAL_YEAR, "label": TEXT, "value": NUMBER_OR_MASKED,
                                 "prefecture_value": NUMBER_OR_MASKED, "national_value": NUMBER_OR_MASKED,
                                 "note": TEXT})),
    })


def _council() -> dict:
    meeting = _object({
        "fiscal_year": FISCAL_YEAR, "fiscal_year_label": TEXT, "sequence": {"type": "integer"}, "label": TEXT,
        "page": URL, "held_on": {**DATE, "type": ["string", "null"]}, "held_on_precision": TEXT,
        "held_on_label": TEXT, "starts_at": _nullable("string"), "ends_at": _nullable("string"), "venue": TEXT,
        "status": TEXT, "reviewed_fiscal_year": _nullable("integer"), "reviewed_fiscal_year_label": _nullable("string"),
        "in_plan_period": {"type": "boolean"}, "agenda": _list(_object({"title": TEXT, "description": TEXT})),
        "minutes": TEXT,
    })
    member = _object({
        "organization": TEXT, "sector": TEXT, "role": {"enum": ["会長", "副会長", "委員", "オブザーバー", "事務局", None]},
        "representative": TEXT, "term_start": {**DATE, "type": ["string", "null"]},
        "term_end": {**DATE, "type": ["string", "null"]},
    })
    return _object({"name": TEXT, "kind": TEXT, "purpose": TEXT, "page": URL, "members": _list(member),
                    "meetings": _list(meeting)})


def _plan() -> dict:
    period = _object({"start": DATE, "end": DATE, "label": TEXT, "start_fiscal_year": FISCAL_YEAR,
                      "start_fiscal_year_label": TEXT, "end_fiscal_year": FISCAL_YEAR, "end_fiscal_year_label": TEXT})
    return _object({
        "id": {"type": "integer"}, "title": TEXT, "version": {"type": "integer", "minimum": 1}, "period": period,
        "embedded_in": TEXT, "legal_basis": TEXT, "updated_on": DATE, "page": URL, "summary_pdf": URL,
        "document": {**URL, "type": ["string", "null"]},
        **{name: TEXT for name in ("position", "purpose", "target_persons", "basic_philosophy", "basic_policy",
                                   "current_situation", "promotion_system", "progress_management")},
        "challenges": _list(TEXT),
    })


def _areas() -> dict:
    measure = _object({"number": {"type": "integer"}, "label": TEXT, "title": TEXT, "description": TEXT,
                       "programs": _list(_program())})
    return _list(_object({
        "number": {"type": "integer"}, "title": TEXT, "description": TEXT, "page_reference": TEXT,
        "national_priorities": _list(TEXT), "programs": _list(_program()), "measures": _list(measure),
    }))


def _yearly_status() -> dict:
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    area = _object({"number": {"type": "integer"}, "title": TEXT, "implementation_rate": _nullable("number"),
                    "programs": {"type": "integer"}, "status_counts": counts})
    return _list(_object({
        "fiscal_year": FISCAL_YEAR, "fiscal_year_label": TEXT, "implementation_rate": _nullable("number"),
        "programs": {"type": "integer"}, "status_counts": counts, "areas": _list(area), "page": URL,
    }))


def plan_json_schema(schema_url: str) -> dict:
    """The JSON Schema (2020-12) of /opendata/plans/<pk>.json."""
    step = _object({"order": {"type": "integer"}, "date": {**DATE, "type": ["string", "null"]},
                    "end_date": {**DATE, "type": ["string", "null"]}, "date_precision": _nullable("string"),
                    "date_label": TEXT, "kind": TEXT, "description": TEXT})
    municipality = _object({"code": {"type": "string", "pattern": "^[0-9]{6}$"}, "name": TEXT,
                            "local_government_name": TEXT, "prefecture_name": TEXT, "city_name": TEXT})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_url,
        "title": "再犯防止推進計画ポータル 計画のオープンデータ（JSON）",
        "description": "公開中の版の計画全体。年は西暦の数値で、和暦の表記は *_label に並べます。リンクはすべて絶対URLです。",
        **_object({
            "license": _object({"name": TEXT, "spdx": TEXT, "url": URL, "attribution": TEXT, "statement": TEXT}),
            "small_numbers": _object({"threshold": {"type": "integer"}, "rule": TEXT}),
            "achievement_rule": TEXT, "source": URL, "schema": URL, "municipality": municipality, "plan": _plan(),
            "areas": _areas(), "yearly_status": _yearly_status(), "indicators": _list(_indicator()),
            "formulation_steps": _list(step), "councils": _list(_council()),
        }),
    }
