"""A CKAN-compatible read API (/api/3/action/…) and the DCAT catalogue, for the data portals that harvest cities.

data.go.jp and many prefectures run CKAN, whose harvesters (and clients such as ckanapi) call
package_list, package_show, package_search, organization_list and organization_show. The answers
keep CKAN's envelope ({"help", "success", "result"}; an error with success false, its `__type` and
CKAN's HTTP status, its message in Japanese); the content is publishing/catalogue.py's. Reading only:
GET, or POST with a JSON body as ckanapi sends it (no state changes, hence no CSRF token).
"""

import json

from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from reoffense_portal.composition.publishing import schemas
from reoffense_portal.composition.publishing.catalogue import Catalogue, package_name
from reoffense_portal.composition.publishing.opendata import DATASETS, LICENSE

MAX_ROWS = 1000


class ActionError(Exception):
    """A CKAN error: its HTTP status and the `error` object."""

    def __init__(self, status: int, error: dict):
        super().__init__(error)
        self.status, self.error = status, error


def not_found(what: str) -> ActionError:
    return ActionError(404, {"__type": "Not Found Error", "message": f"{what}が見つかりません（Not found）。"})


def invalid(field: str, message: str) -> ActionError:
    return ActionError(409, {"__type": "Validation Error", field: [message]})


def _integer(params, name: str, default: int, maximum: int) -> int:
    value = params.get(name, default)
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise invalid(name, "整数で指定してください（Invalid integer）。") from None
    if value < 0:
        raise invalid(name, "0以上で指定してください（Must be a natural number）。")
    return min(value, maximum)


def _flag(params, name: str, default: bool = False) -> bool:
    value = params.get(name, default)
    return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes", "on")


def _required(params, name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise invalid(name, "値がありません（Missing value）。")
    return str(value)


# --------------------------------------------------------------------------- the actions


def package_list(catalogue: Catalogue, params):
    offset, limit = _integer(params, "offset", 0, 10**9), _integer(params, "limit", MAX_ROWS, MAX_ROWS)
    return [package_name(v) for v in catalogue.live()][offset:offset + limit]


def package_show(catalogue: Catalogue, params):
    version = catalogue.version_named(_required(params, "id"))
    if version is None:
        raise not_found("データセット")
    return catalogue.packages([version])[0]


def _organization_filter(fq: str) -> str | None:
    """The one filter harvesters send that narrows the datasets: organization:<name>."""
    for part in fq.split():
        if part.startswith(("organization:", "owner_org:")):
            return part.split(":", 1)[1].strip('"')
    return None


def package_search(catalogue: Catalogue, params):
    rows, start = _integer(params, "rows", 10, MAX_ROWS), _integer(params, "start", 0, 10**9)
    versions = catalogue.matching(str(params.get("q") or ""), _organization_filter(str(params.get("fq") or "")))
    return {"count": len(versions), "sort": "score desc, metadata_modified desc", "facets": {},
            "search_facets": {}, "results": catalogue.packages(versions[start:start + rows])}


def organization_list(catalogue: Catalogue, params):
    versions = catalogue.live()
    municipalities = catalogue.municipalities(versions)
    offset, limit = _integer(params, "offset", 0, 10**9), _integer(params, "limit", MAX_ROWS, MAX_ROWS)
    municipalities = municipalities[offset:offset + limit]
    if not _flag(params, "all_fields"):
        return [m.code for m in municipalities]
    counts = {m.code: sum(1 for v in versions if v.municipality_id == m.code) for m in municipalities}
    return [catalogue.organization(m, counts[m.code]) for m in municipalities]


def organization_show(catalogue: Catalogue, params):
    name = _required(params, "id")
    versions = [v for v in catalogue.live() if v.municipality_id == name]
    if not versions:
        raise not_found("組織")
    organization = catalogue.organization(versions[0].municipality, len(versions))
    if _flag(params, "include_datasets"):
        organization["packages"] = catalogue.packages(versions)
    return organization


HELP = {
    "package_list": "公開中の計画のデータセット名の一覧（limit、offset）。",
    "package_show": "データセット1件（id：名前またはID）。リソースはJSON・CSV・PDFで、形式・大きさ・ライセンス・更新日時とスキーマのURLを持ちます。",
    "package_search": "データセットの検索（q：計画名・自治体名の言葉、fq：organization:団体コード、rows、start）。",
    "organization_list": "公開中の計画を持つ自治体（組織）の一覧（all_fields、limit、offset）。",
    "organization_show": "組織1件（id：全国地方公共団体コード、include_datasets）。",
}


def help_show(catalogue: Catalogue, params):
    name = _required(params, "name")
    if name not in HELP:
        raise not_found("操作")
    return HELP[name]


ACTIONS = {action.__name__: action for action in (
    package_list, package_show, package_search, organization_list, organization_show, help_show,
)}


def _params(request) -> dict:
    if request.method == "POST" and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            raise ActionError(400, {"__type": "Bad request", "message": "JSONとして読めません（Bad request）。"}) from None
        if not isinstance(body, dict):
            raise ActionError(400, {"__type": "Bad request", "message": "JSONのオブジェクトで送ってください。"})
        return body
    return request.GET.dict()


def _answer(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def action(request, name):
    help_url = request.build_absolute_uri(reverse("public:ckan_action", args=["help_show"]) + f"?name={name}")
    try:
        if name not in ACTIONS:
            raise ActionError(400, {"__type": "Bad request - Action name not known",
                                    "message": f"この操作はありません（Action name not known: {name}）。"
                                    f"使える操作：{'、'.join(ACTIONS)}"})
        result = ACTIONS[name](Catalogue(request.build_absolute_uri), _params(request))
    except ActionError as error:
        return _answer({"help": help_url, "success": False, "error": error.error}, error.status)
    return _answer({"help": help_url, "success": True, "result": result})


@require_safe
def dcat_catalogue(request):
    response = JsonResponse(Catalogue(request.build_absolute_uri).dcat(),
                            json_dumps_params={"ensure_ascii": False, "indent": 1},
                            content_type="application/ld+json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["Link"] = f'<{LICENSE["url"]}>; rel="license"'
    return response


@require_safe
def table_schema(request, dataset):
    if dataset not in DATASETS:
        return _answer({"error": "そのデータはありません。"}, 404)
    return _schema_response(schemas.table_schema(dataset))


@require_safe
def plan_json_schema(request):
    return _schema_response(schemas.plan_json_schema(request.build_absolute_uri()))


def _schema_response(schema: dict) -> JsonResponse:
    response = JsonResponse(schema, json_dumps_params={"ensure_ascii": False, "indent": 1},
                            content_type="application/schema+json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response
