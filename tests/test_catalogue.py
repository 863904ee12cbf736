"""A data portal harvests the demo's plans with clients nobody here wrote: ckanapi reads the CKAN API, frictionless
checks every CSV against its published Table Schema, jsonschema the plan JSON against its JSON Schema.
All against a running server (live_server), never a draft."""

import json
import urllib.request

import ckanapi
import pytest
from django.core.management import call_command
from frictionless import Resource, Schema, validate
from jsonschema import Draft202012Validator, FormatChecker

from councils.models import Council, CouncilMember
from plans.models import Indicator, Organization, Plan
from reoffense_portal.composition.publishing.opendata import DATASETS
from reoffense_portal.management.commands.setup_demo import publish_seeded_plans
from tests.public_data import attach_plan_document, build_plan, municipality, publish

pytestmark = pytest.mark.django_db(transaction=True)

DRAFT_TITLE = "下関市再犯防止推進計画（作業中）"


@pytest.fixture(scope="session")
def _over_http():
    """Plain HTTP for the live server: SecurityMiddleware reads this once, when the server starts (as
    tests/browser/conftest.py does; every test's settings have it off anyway, tests/conftest.py)."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def portal(_over_http, live_server, settings, run_jobs):
    """The demo's two cities live (熊本市 with its plan's own PDF and an indicator's 備考), a draft of a third,
    the 概要版 PDFs typeset, served on a real port."""
    settings.SITE_URL = live_server.url
    call_command("loaddata", "national_priorities", "yamaguchi", "kumamoto", verbosity=0)
    publish_seeded_plans()
    kumamoto = Plan.objects.get(municipality_id="431001")
    attach_plan_document(kumamoto)
    Indicator.objects.filter(plan=kumamoto).update(note="出典の数値は速報値です。")
    probation = Organization.objects.create(municipality_id="431001", name="熊本保護観察所",
                                            sector=Organization.Sector.NATIONAL)
    CouncilMember.objects.create(council=Council.objects.filter(plan=kumamoto).first(), organization=probation,
                                 role=CouncilMember.Role.CHAIR, representative="所長")
    publish(kumamoto, summary="本編PDFを追加")
    build_plan(municipality(code="352012", name="下関市"), published=False, title=DRAFT_TITLE)
    run_jobs()
    return ckanapi.RemoteCKAN(live_server.url, user_agent="reoffense-portal-tests")


def fetch_json(url: str):
    with urllib.request.urlopen(url) as answer:  # noqa: S310 — the test's own server
        return json.load(answer)


def live_plans():
    return {f"{plan.municipality_id}-plan-{plan.pk}": plan for plan in Plan.objects.filter(versions__isnull=False)}


def test_ckanapi_lists_the_live_plans_and_their_cities_never_the_draft(portal, live_server):
    names = portal.action.package_list()
    assert sorted(names) == sorted(live_plans())
    assert portal.action.organization_list() == ["352039", "431001"]
    cities = portal.action.organization_list(all_fields=True)
    assert [(c["title"], c["package_count"]) for c in cities] == [("山口市", 1), ("熊本市", 1)]
    kumamoto = portal.action.organization_show(id="431001", include_datasets=True)
    assert kumamoto["title"] == "熊本市" and [p["name"] for p in kumamoto["packages"]] == [n for n in names if n.startswith("431001")]
    assert portal.action.package_search(q="熊本")["count"] == 1
    assert portal.action.package_search(fq="organization:352039")["results"][0]["organization"]["title"] == "山口市"
    assert DRAFT_TITLE not in json.dumps(portal.action.package_search(rows=100), ensure_ascii=False)


def test_ckanapi_reads_each_package_with_its_files_format_size_licence_date_and_schema(portal, live_server):
    for name, plan in live_plans().items():
        package = portal.action.package_show(id=name)
        assert package["title"] == plan.title and package["license_id"] == "cc-by-4.0"
        assert package["url"] == f"{live_server.url}/plans/{plan.pk}/"
        formats = [r["format"] for r in package["resources"]]
        assert formats.count("CSV") == len(DATASETS) and "JSON" in formats and "PDF" in formats
        for resource in package["resources"]:
            assert resource["url"].startswith(live_server.url + "/")
            assert isinstance(resource["size"], int) and resource["size"] > 0, resource["name"]
            assert resource["license_id"] == "cc-by-4.0" and resource["last_modified"].startswith("20")
            with urllib.request.urlopen(resource["url"]) as answer:  # noqa: S310
                assert len(answer.read()) == resource["size"], resource["name"]
            if resource["format"] in ("CSV", "JSON"):
                assert resource["schema"].startswith(live_server.url + "/opendata/schemas/")
    kumamoto = portal.action.package_show(id="431001-plan-2001")
    assert "熊本市再犯防止推進計画（本編）" in [r["name"] for r in kumamoto["resources"]]


def test_unknown_and_missing_ids_are_ckans_errors(portal):
    with pytest.raises(ckanapi.NotFound):
        portal.action.package_show(id="999999-plan-1")
    with pytest.raises(ckanapi.ValidationError) as error:
        portal.action.package_show()
    assert "id" in error.value.error_dict
    draft = Plan.objects.get(title=DRAFT_TITLE)
    with pytest.raises(ckanapi.NotFound):
        portal.action.package_show(id=f"352012-plan-{draft.pk}")
    with pytest.raises(ckanapi.NotFound):
        portal.action.organization_show(id="352012")


def test_every_csv_passes_frictionless_validate_with_its_published_schema(portal):
    for name in live_plans():
        for resource in portal.action.package_show(id=name)["resources"]:
            if resource["format"] != "CSV":
                continue
            schema = Schema.from_descriptor(fetch_json(resource["schema"]))
            report = validate(Resource(path=resource["url"], schema=schema, format="csv"))
            assert report.valid, (resource["url"], report.flatten(["rowNumber", "fieldName", "type", "note"]))
            assert schema.field_names[:4] == ["全国地方公共団体コード", "地方公共団体名", "都道府県名", "市区町村名"]


def test_the_plan_json_passes_its_json_schema_and_carries_every_public_text(portal, live_server):
    package = portal.action.package_show(id="431001-plan-2001")
    resource = next(r for r in package["resources"] if r["format"] == "JSON")
    data, schema = fetch_json(resource["url"]), fetch_json(resource["schema"])
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(data)
    plan = Plan.objects.get(pk=2001)
    assert data["source"] == f"{live_server.url}/plans/2001/"
    assert data["plan"]["basic_philosophy"] == plan.basic_philosophy and data["plan"]["challenges"]
    assert "formulation_steps" in data  # 策定経過 (熊本市's seed has none)
    assert data["indicators"] and all(i["note"] == "出典の数値は速報値です。" for i in data["indicators"])
    members = [m for council in data["councils"] for m in council["members"]]
    assert [(m["organization"], m["role"], m["representative"]) for m in members] == [("熊本保護観察所", "会長", "所長")]
    assert data["municipality"]["local_government_name"] == "熊本県熊本市"
    assert data["plan"]["period"]["start_fiscal_year"] == 2021 and data["plan"]["period"]["start_fiscal_year_label"] == "令和3年度"


def test_the_dcat_catalogue_describes_the_same_datasets_and_files(portal, live_server):
    catalogue = fetch_json(f"{live_server.url}/catalog.jsonld")
    assert catalogue["@type"] == "dcat:Catalog"
    datasets = {d["dct:identifier"]: d for d in catalogue["dcat:dataset"]}
    assert sorted(datasets) == sorted(live_plans())
    for dataset in datasets.values():
        for distribution in dataset["dcat:distribution"]:
            assert distribution["dcat:downloadURL"]["@id"].startswith(live_server.url)
            assert distribution["dct:license"]["@id"].startswith("https://creativecommons.org/licenses/by/4.0/")
            assert distribution["dcat:byteSize"]["@value"] > 0
        conforms = [d["dct:conformsTo"]["@id"] for d in dataset["dcat:distribution"] if "dct:conformsTo" in d]
        assert len(conforms) == len(DATASETS) + 1
