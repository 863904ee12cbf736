"""The accessibility record /accessibility/ shows: what a real run of axe-core found, never typed by hand.

`manage.py accessibility_test` (reoffense_portal.management.commands) opens every public page type in
Chromium at a phone's and a desktop's width, runs axe-core with the WCAG 2.0/2.1 A and AA rules, measures
whether the page scrolls sideways, and writes the dated result here (settings.ACCESSIBILITY_RECORD, JSON).
The page reads it; until a run has written one it says so. The pages are chosen from what is live, so
a run on a site checks that site's own pages.
"""

import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from plans.models import Municipality
from reoffense_portal.composition.publishing.models import PlanVersion, VersionPage
from reoffense_portal.machinery import eras

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = [("スマートフォン", 375, 740), ("パソコン", 1280, 900)]
# Plans whose pages are each checked (every live plan on a small site, the newest few on a large one).
PLAN_LIMIT = 3

# Outcomes of a success criterion over every page and width, worst first.
FAILED, CANNOT_TELL, PASSED, NOT_APPLICABLE = "違反あり", "要確認", "違反なし", "該当なし"
OUTCOMES = [FAILED, CANNOT_TELL, PASSED, NOT_APPLICABLE]
CRITERION_TAG = re.compile(r"^wcag(\d)(\d)(\d+)$")


@dataclass(frozen=True)
class PageToTest:
    kind: str
    label: str
    path: str


def _version_pages(version: PlanVersion) -> dict[str, str]:
    """The first page of each kind a version has: plan, year, council, meeting."""
    kinds = {}
    for path in VersionPage.objects.filter(version=version).order_by("path").values_list("path", flat=True):
        if "/progress/" in path:
            kinds.setdefault("year", path)
        elif path.startswith("/councils/"):
            kinds.setdefault("council", path)
        elif path.startswith("/meetings/"):
            kinds.setdefault("meeting", path)
        else:
            kinds.setdefault("plan", path)
    return kinds


def _plan_pages(versions: list[PlanVersion]) -> list[PageToTest]:
    pages, seen = [], set()
    for version in versions:
        kinds = _version_pages(version)
        pages.append(PageToTest("plan", f"計画のページ（{version.title}）", kinds["plan"]))
        for kind, label in (("year", "年度ごとの実施状況"), ("council", "会議体のページ"), ("meeting", "会議のページ")):
            if kind in kinds and kind not in seen:
                seen.add(kind)
                pages.append(PageToTest(kind, label, kinds[kind]))
    return pages


def pages_to_test() -> list[PageToTest]:
    """One page of every public page type this site has (every live plan's page, up to PLAN_LIMIT)."""
    pages = [
        PageToTest("home", "ホーム", reverse("public:home")),
        PageToTest("prefectures", "都道府県から探す", reverse("public:prefectures")),
        PageToTest("plan-status", "全国の策定状況", reverse("public:plan_status")),
    ]
    versions = list(PlanVersion.objects.live().select_related("municipality").order_by("-live_from")[:PLAN_LIMIT])
    if versions:
        city = versions[0].municipality
        prefecture = city.prefecture_id or city.code
        pages += [
            PageToTest("prefecture", "都道府県のページ", reverse("public:prefecture", args=[prefecture])),
            PageToTest("comparison", "市区町村の計画の比較",
                       reverse("public:prefecture_comparison", args=[prefecture])),
            PageToTest("municipality", "自治体のページ", city.get_absolute_url()),
        ]
    without = Municipality.objects.exclude(kind=Municipality.Kind.PREFECTURE).exclude(
        plan_versions__in=PlanVersion.objects.live()).order_by("code").first()
    if without:
        pages.append(PageToTest("municipality-without-plan", "計画を公開していない自治体のページ",
                                without.get_absolute_url()))
    pages += _plan_pages(versions)
    if versions:
        plan = versions[0]
        pages.append(PageToTest("revision-history", "改訂履歴", reverse("public:plan_versions", args=[plan.plan_id])))
        earlier = PlanVersion.objects.released().filter(plan_id=plan.plan_id, number__lt=plan.number).first()
        if earlier:
            pages.append(PageToTest("earlier-version", "過去の版のページ", earlier.get_absolute_url()))
        thanks = f"{reverse('public:feedback_thanks')}?page={plan.card['url']}"
        pages.append(PageToTest("feedback-thanks", "ご意見の送信結果", thanks))
    pages += [
        PageToTest("search", "サイト内検索の結果", f"{reverse('public:search')}?q=再犯防止"),
        PageToTest("accessibility", "アクセシビリティ方針", reverse("public:accessibility")),
        PageToTest("not-found", "ページが見つからないときのページ", "/plans/0/"),
    ]
    return pages


def criteria_of(rule_tags: list[str]) -> list[str]:
    """The success criteria an axe rule tests, from its tags: wcag143 → 1.4.3."""
    return [".".join(match.groups()) for tag in rule_tags if (match := CRITERION_TAG.match(tag))]


def _criterion_sort_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


def summarise(checks: list[dict]) -> list[dict]:
    """Each success criterion's outcome over every page and width, with the pages where it failed.

    `checks`: one per page and width, each with axe's `violations`, `incomplete`, `passes` and `inapplicable`.
    """
    criteria: dict[str, dict] = {}
    for check in checks:
        for outcome, key in ((FAILED, "violations"), (CANNOT_TELL, "incomplete"), (PASSED, "passes"),
                             (NOT_APPLICABLE, "inapplicable")):
            for rule in check["axe"][key]:
                for number in criteria_of(rule["tags"]):
                    entry = criteria.setdefault(number, {"rules": set(), "pages": {outcome: set() for outcome in OUTCOMES}})
                    entry["rules"].add(rule["id"])
                    entry["pages"][outcome].add(f"{check['label']}（{check['width']}px）")
    summary = []
    for number in sorted(criteria, key=_criterion_sort_key):
        entry = criteria[number]
        outcome = next(outcome for outcome in OUTCOMES if entry["pages"][outcome])
        summary.append({"criterion": number, "rules": sorted(entry["rules"]), "outcome": outcome,
                        # Where it failed, or could not be told: the pages to look at.
                        "pages": sorted(entry["pages"][outcome]) if outcome in (FAILED, CANNOT_TELL) else []})
    return summary


def record_path() -> Path:
    return Path(settings.ACCESSIBILITY_RECORD)


def write(record: dict, path: Path | None = None) -> Path:
    path = path or record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


@dataclass
class AccessibilityRecord:
    """A stored run, as /accessibility/ shows it."""

    data: dict

    @classmethod
    def load(cls, path: Path | None = None) -> "AccessibilityRecord | None":
        path = path or record_path()
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError):
            return None

    @property
    def tested_at(self) -> datetime.datetime:
        return datetime.datetime.fromisoformat(self.data["tested_at"])

    @property
    def tested_on_label(self) -> str:
        return eras.japanese_date(timezone.localdate(self.tested_at))

    @property
    def widths(self) -> list[int]:
        return [viewport["width"] for viewport in self.data["viewports"]]

    @property
    def rows(self) -> list[dict]:
        """One row per page: its label and path, then per width the violations found and whether it fits."""
        return [
            {**page, "cells": [page["results"][str(width)] for width in self.widths]}
            for page in self.data["pages"]
        ]

    @property
    def violation_count(self) -> int:
        return sum(len(result["violations"]) for page in self.data["pages"] for result in page["results"].values())

    @property
    def criteria_counts(self) -> list[tuple[str, int]]:
        outcomes = [criterion["outcome"] for criterion in self.data["criteria"]]
        return [(outcome, outcomes.count(outcome)) for outcome in OUTCOMES]
