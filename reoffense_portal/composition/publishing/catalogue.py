"""The catalogue data portals harvest: one dataset (CKAN package) per live plan, one organisation per municipality.

Read from the live versions only (PlanVersion.objects.live() and the files each stores), like every public
page, so a draft never reaches a portal. The same datasets are given as CKAN's action API answers
(public/api.py) and as a DCAT-AP catalogue in JSON-LD (`dcat_catalogue`). Every link is absolute: a
harvester stores them away from the site.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db.models import Min
from django.db.models.functions import Coalesce, Length
from django.urls import reverse

from plans.models import Municipality

from . import opendata, search
from .models import PlanVersion, VersionFile

Absolute = Callable[[str], str]

FORMATS = {"csv": ("CSV", "text/csv"), "json": ("JSON", "application/json"), "pdf": ("PDF", "application/pdf")}
KEYWORDS = ["再犯防止", "地方再犯防止推進計画", "再犯防止推進計画"]


def package_name(version: PlanVersion) -> str:
    """431001-plan-2001: stable for the plan across its versions, lower-case as CKAN names are."""
    return f"{version.municipality_id}-plan-{version.plan_id}"


def _iso(moment) -> str:
    """UTC without an offset, as CKAN writes its times (DCAT adds the Z)."""
    return moment.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(timespec="seconds")


@dataclass
class Resource:
    key: str
    name: str
    description: str
    format: str
    mimetype: str
    url: str
    size: int | None
    schema: str | None


class Catalogue:
    """The live plans as datasets, with links made absolute by `absolute` (request.build_absolute_uri)."""

    def __init__(self, absolute: Absolute):
        self.absolute = absolute

    # -- what is live ---------------------------------------------------------------------------

    @staticmethod
    def versions():
        return (PlanVersion.objects.live().select_related("municipality__prefecture")
                .order_by("municipality_id", "plan_id", "-live_from"))

    def live(self) -> list[PlanVersion]:
        """One version per plan: the one residents read now."""
        seen, versions = set(), []
        for version in self.versions():
            if version.plan_id not in seen:
                seen.add(version.plan_id)
                versions.append(version)
        return versions

    def version_named(self, name: str) -> PlanVersion | None:
        return next((v for v in self.live() if name in (package_name(v), str(v.plan_id))), None)

    @staticmethod
    def municipalities(versions) -> list[Municipality]:
        return sorted({v.municipality_id: v.municipality for v in versions}.values(), key=lambda m: m.code)

    # -- resources ------------------------------------------------------------------------------

    def resources(self, version: PlanVersion) -> list[Resource]:
        """The plan's JSON, each CSV with its Table Schema, the 概要版 PDF and the plan's own document."""
        files = {f.key: f for f in VersionFile.objects.filter(version=version).defer("content", "source")}
        sizes = dict(VersionFile.objects.filter(version=version).exclude(content=None, size=None)
                     .annotate(stored_size=Coalesce("size", Length("content"))).values_list("key", "stored_size"))
        made = [Resource("plan.json", f"{version.title}（JSON）", "計画の全体（本文、重点施策・取組、指標、会議、構成団体）",
                         *FORMATS["json"], self.absolute(reverse("public:plan_json", args=[version.plan_id])),
                         _length(sizes.get("plan.json")), self.absolute(reverse("public:plan_json_schema")))]
        for name, (title, _build) in opendata.DATASETS.items():
            if f"{name}.csv" in files:
                made.append(Resource(
                    f"{name}.csv", f"{title}（CSV）", f"{version.title}の{title}。列はTable Schemaのとおりです。",
                    *FORMATS["csv"], self.absolute(reverse("public:plan_csv", args=[version.plan_id, name])),
                    _length(sizes.get(f"{name}.csv")), self.absolute(reverse("public:table_schema", args=[name])),
                ))
        if "summary.pdf" in files:
            made.append(Resource("summary.pdf", f"{version.title} 概要版（PDF）", "計画の概要版",
                                 *FORMATS["pdf"], self.absolute(reverse("public:plan_summary", args=[version.plan_id])),
                                 _length(sizes.get("summary.pdf")), None))
        document = files.get("document")
        if document is not None:
            extension = document.stored_name.rsplit(".", 1)[-1].lower()
            kind, mimetype = FORMATS.get(extension, (extension.upper(), ""))
            made.append(Resource("document", f"{version.title}（本編）", "計画の本編（自治体が公開した文書）", kind,
                                 mimetype, self.absolute(reverse("public:plan_document", args=[version.plan_id])),
                                 _stored_size(document.stored_name), None))
        return made

    # -- CKAN -----------------------------------------------------------------------------------

    def organization(self, municipality: Municipality, package_count: int | None = None) -> dict:
        prefecture = municipality.prefecture
        return {
            "id": municipality.code, "name": municipality.code, "title": municipality.name,
            "display_name": municipality.name, "type": "organization", "is_organization": True, "state": "active",
            "approval_status": "approved", "image_url": "", "created": None,
            "description": f"{prefecture.name if prefecture else ''}{municipality.name}（全国地方公共団体コード {municipality.code}）",
            "package_count": package_count,
            "extras": [{"key": "全国地方公共団体コード", "value": municipality.code},
                       {"key": "都道府県名", "value": prefecture.name if prefecture else municipality.name}],
            "url": self.absolute(reverse("public:municipality", args=[municipality.code])),
        }

    def package(self, version: PlanVersion, first_live=None) -> dict:
        name, modified = package_name(version), _iso(version.live_from)
        resources = self.resources(version)
        department = version.card.get("department") or {}
        return {
            "id": name, "name": name, "title": version.title, "type": "dataset", "state": "active", "private": False,
            "notes": f"{version.municipality.name}の地方再犯防止推進計画（計画期間：{version.period_label}）のオープンデータ。"
            "計画の本文、重点施策・施策・取組、年度ごとの進捗、成果目標と統計、会議と策定経過を掲載しています。",
            "url": self.absolute(version.card.get("url") or reverse("public:plan", args=[version.plan_id])),
            "version": str(version.number),
            "license_id": "cc-by-4.0", "license_title": opendata.LICENSE["name"], "license_url": opendata.LICENSE["url"],
            "author": version.municipality.name, "author_email": None,
            "maintainer": department.get("name") or None, "maintainer_email": department.get("email") or None,
            "metadata_created": _iso(first_live or version.live_from), "metadata_modified": modified,
            "owner_org": version.municipality_id, "organization": self.organization(version.municipality),
            "tags": [{"name": keyword, "display_name": keyword, "state": "active"} for keyword in KEYWORDS],
            "num_tags": len(KEYWORDS), "groups": [],
            "extras": [{"key": "全国地方公共団体コード", "value": version.municipality_id},
                       {"key": "計画期間", "value": version.period_label},
                       {"key": "計画期間（開始）", "value": version.period_start.isoformat()},
                       {"key": "計画期間（終了）", "value": version.period_end.isoformat()}],
            "resources": [self.ckan_resource(version, position, r, modified) for position, r in enumerate(resources)],
            "num_resources": len(resources),
        }

    @staticmethod
    def ckan_resource(version, position: int, resource: Resource, modified: str) -> dict:
        return {
            "id": f"{package_name(version)}-{resource.key.replace('.', '-').replace(':', '-')}",
            "package_id": package_name(version), "position": position, "state": "active",
            "name": resource.name, "description": resource.description, "format": resource.format,
            "mimetype": resource.mimetype, "url": resource.url, "size": resource.size,
            "last_modified": modified, "created": modified, "metadata_modified": modified,
            "license_id": "cc-by-4.0", "license_url": opendata.LICENSE["url"],
            "schema": resource.schema, "resource_type": None, "url_type": None,
        }

    def packages(self, versions) -> list[dict]:
        firsts = dict(PlanVersion.objects.released().filter(plan_id__in=[v.plan_id for v in versions])
                      .values("plan_id").annotate(first=Min("live_from")).values_list("plan_id", "first"))
        return [self.package(version, firsts.get(version.plan_id)) for version in versions]

    def matching(self, query: str, organization: str | None = None) -> list[PlanVersion]:
        """package_search's q (words in the title, the municipality or the prefecture) and fq=organization:…"""
        versions = self.live()
        if organization:
            versions = [v for v in versions if v.municipality_id == organization]
        words = search.fold(query).split() if query and query.strip() not in ("*:*", "*") else []
        if words:
            versions = [v for v in versions
                        if all(w in search.fold(f"{v.title} {v.municipality.name} {v.municipality.prefecture}")
                               for w in words)]
        return versions

    # -- DCAT -----------------------------------------------------------------------------------

    def dcat(self) -> dict:
        """The same datasets as a DCAT-AP catalogue in JSON-LD."""
        versions = self.live()
        packages = self.packages(versions)
        return {
            "@context": DCAT_CONTEXT,
            "@id": self.absolute(reverse("public:dcat_catalogue")),
            "@type": "dcat:Catalog",
            "dct:title": {"@language": "ja", "@value": "再犯防止推進計画ポータル オープンデータカタログ"},
            "dct:description": {"@language": "ja", "@value": "地方公共団体が公開中の地方再犯防止推進計画のデータ（CSV・JSON・PDF）。"},
            "dct:publisher": {"@type": "foaf:Agent", "foaf:name": "再犯防止推進計画ポータル"},
            "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/JPN"},
            "foaf:homepage": {"@id": self.absolute(reverse("public:home"))},
            "dct:modified": max((p["metadata_modified"] + "Z" for p in packages), default=None),
            "dcat:dataset": [self.dcat_dataset(version, package) for version, package in zip(versions, packages, strict=True)],
        }

    def dcat_dataset(self, version: PlanVersion, package: dict) -> dict:
        municipality = version.municipality
        return {
            "@id": package["url"], "@type": "dcat:Dataset",
            "dct:identifier": package["name"],
            "dct:title": {"@language": "ja", "@value": package["title"]},
            "dct:description": {"@language": "ja", "@value": package["notes"]},
            "dct:publisher": {"@type": "foaf:Organization", "foaf:name": municipality.name,
                              "dct:identifier": municipality.code,
                              "foaf:homepage": {"@id": package["organization"]["url"]}},
            "dct:issued": {"@type": "xsd:dateTime", "@value": package["metadata_created"] + "Z"},
            "dct:modified": {"@type": "xsd:dateTime", "@value": package["metadata_modified"] + "Z"},
            "owl:versionInfo": package["version"],
            "dcat:landingPage": {"@id": package["url"]},
            "dcat:keyword": [{"@language": "ja", "@value": keyword} for keyword in KEYWORDS],
            "dct:temporal": {"@type": "dct:PeriodOfTime",
                             "dcat:startDate": {"@type": "xsd:date", "@value": version.period_start.isoformat()},
                             "dcat:endDate": {"@type": "xsd:date", "@value": version.period_end.isoformat()}},
            "dct:license": {"@id": opendata.LICENSE["url"]},
            "dcat:distribution": [self.dcat_distribution(r) for r in package["resources"]],
        }

    @staticmethod
    def dcat_distribution(resource: dict) -> dict:
        made = {
            "@id": resource["url"], "@type": "dcat:Distribution",
            "dct:title": {"@language": "ja", "@value": resource["name"]},
            "dcat:accessURL": {"@id": resource["url"]}, "dcat:downloadURL": {"@id": resource["url"]},
            "dct:format": resource["format"], "dcat:mediaType": resource["mimetype"],
            "dct:license": {"@id": opendata.LICENSE["url"]},
            "dct:modified": {"@type": "xsd:dateTime", "@value": resource["last_modified"] + "Z"},
        }
        if resource["size"] is not None:
            made["dcat:byteSize"] = {"@type": "xsd:nonNegativeInteger", "@value": resource["size"]}
        if resource["schema"]:
            made["dct:conformsTo"] = {"@id": resource["schema"]}
        return made


DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def _length(size) -> int | None:
    return size

def _stored_size(name: str) -> int | None:
    """The stored document's size; None when storage cannot say (the catalogue still lists it)."""
    try:
        return default_storage.size(name)
    except Exception:  # a missing file or an unreachable bucket: the size is simply not stated
        return None
