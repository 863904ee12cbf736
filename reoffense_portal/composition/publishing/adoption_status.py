"""策定状況: which municipalities have a plan, from published data, for residents and for the Ministry's survey.

The rule, for each 市区町村 (a 行政区 belongs to its city and is not counted; a prefecture's own plan
is counted apart, as 法務省's survey 「地方再犯防止推進計画の策定状況」 does):

- 策定済: the municipality has a plan with a live version (PlanVersion.objects.live()) whose period has not
  ended (a plan published ahead of its period counts); the period is shown next to it.
- 計画期間終了: its live versions' periods have all ended (熊本市's plan ran to 令和8年3月31日 and no next plan
  is published): counted apart, never as 策定済, whether or not a successor is being drafted.
- 策定中: no live version, but staff have a plan in the portal (a draft, or a plan whose publication ended).
  Only that a plan exists is read from the working rows, never anything in it.
- 未策定: none of these.

How many exist: the counts of the last imported code list (plans.CodeListCount), else the nation's 47 都道府県 and
1,741 市区町村. While fewer are registered than exist, a share of the registered few would mislead (two cities
registered, both with a plan, is not 100 %): the figures then say how many are registered against how many
exist, in plain words, and give no 策定率.

"Ended" is judged on Japan's date of the request: these pages are computed per request, not frozen in versions.

Every figure comes from a fixed number of queries whatever the number of municipalities.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import tablib
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from plans.models import MUNICIPALITIES_IN_JAPAN, PREFECTURES_IN_JAPAN, CodeListCount, Municipality, Plan
from reoffense_portal.machinery import eras
from reoffense_portal.machinery.spreadsheets.files import write_xlsx

from .models import PlanVersion

Kind = Municipality.Kind
PUBLISHED, ENDED, PREPARING, NONE = "策定済", "計画期間終了", "策定中", "未策定"
RULE = (
    "策定済：このサイトで計画期間中の計画を公開している団体。計画期間終了：公開している計画の計画期間が"
    "すべて終わり、次の計画を公開していない団体（策定済には数えません）。策定中：計画を作成中で、まだ公開して"
    "いない団体。未策定：いずれでもない団体。"
)


def counted_municipalities():
    """The 市区町村 the survey counts: every municipality but prefectures and the wards of designated cities."""
    return Municipality.objects.exclude(kind__in=[Kind.PREFECTURE, Kind.CITY_WARD])


def with_plan_status(queryset, today: datetime.date | None = None):
    """Municipalities with `has_current_plan` (a live version whose period has not ended), `has_live_plan`
    (any live version) and `has_plan` (a plan of any state exists), in the same query."""
    today = today or timezone.localdate()
    live = PlanVersion.objects.live().filter(municipality=OuterRef("pk"))
    return queryset.annotate(
        has_current_plan=Exists(live.filter(period_end__gte=today)),
        has_live_plan=Exists(live),
        has_plan=Exists(Plan.objects.filter(municipality=OuterRef("pk"))),
    )


def status_of(municipality) -> str:
    if municipality.has_current_plan:
        return PUBLISHED
    if municipality.has_live_plan:
        return ENDED
    return PREPARING if municipality.has_plan else NONE


def versions_status(versions, today: datetime.date | None = None) -> str:
    """策定済, 計画期間終了 or 未策定 of a body's live versions (a prefecture's own plans)."""
    today = today or timezone.localdate()
    if any(version.period_end >= today for version in versions):
        return PUBLISHED
    return ENDED if versions else NONE


def share_label(part: int, whole: int) -> str:
    """12.5%; a prefecture without municipalities in the portal has no share (「－」)."""
    return f"{share(part, whole):.1f}%" if whole else "－"


def share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


@dataclass
class Extent:
    """How many local governments exist: the imported code list's counts, else the nation's."""

    prefectures: int
    municipalities: int
    by_prefecture: dict  # prefecture code → its 市区町村 in the list; empty until a list is imported
    from_code_list: bool

    @classmethod
    def current(cls) -> "Extent":
        counted = CodeListCount.objects.order_by("-counted_at", "-pk").first()
        if counted is None:
            return cls(PREFECTURES_IN_JAPAN, MUNICIPALITIES_IN_JAPAN, {}, False)
        return cls(counted.prefectures, counted.municipalities, counted.by_prefecture, True)


class Counts:
    """What a row of 策定状況 derives from its counts (total, published, ended, preparing, existing): 未策定, the share
    (only once every existing 市区町村 is registered) and the register's extent in words."""

    existing: int | None = None  # 市区町村 that exist, from the code list; None when not known

    @property
    def none(self) -> int:
        return self.total - self.published - self.ended - self.preparing

    @property
    def complete(self) -> bool:
        return self.existing is not None and self.total >= self.existing

    @property
    def share_label(self) -> str:
        return share_label(self.published, self.total) if self.complete else "－"

    @property
    def share_percent(self) -> float | None:
        return share(self.published, self.total) if self.complete else None

    @property
    def register_label(self) -> str:
        """45（全45市区町村を登録）, 2（45市区町村のうち登録は2）, or 2（市区町村の総数は未確認）."""
        if self.existing is None:
            return f"{self.total}（市区町村の総数は未確認）"
        if self.complete:
            return f"{self.total}（全{self.existing:,}市区町村を登録）"
        return f"{self.total}（{self.existing:,}市区町村のうち登録は{self.total:,}）"


@dataclass
class PrefectureStatus(Counts):
    prefecture: Municipality
    today: datetime.date
    total: int = 0
    published: int = 0
    ended: int = 0
    preparing: int = 0
    plans: list = field(default_factory=list)  # the prefecture's own live versions
    municipality_plans: list = field(default_factory=list)  # its municipalities' live versions
    existing: int | None = None  # its 市区町村 in the imported code list
    extent: "Extent | None" = None  # the nation's, read once for all the rows

    @property
    def own_status(self) -> str:
        return versions_status(self.plans, self.today)

    @property
    def own_periods(self) -> str:
        return "、".join(
            version.period_label + ("（終了）" if version.period_end < self.today else "") for version in self.plans
        )


def prefecture_statuses(*, municipality_plans=False, today: datetime.date | None = None) -> list[PrefectureStatus]:
    """One row per prefecture with the counts of its municipalities and its live plans (three queries).

    The municipalities' live plans too only when asked (the JSON lists them): 1,788 of them nationwide,
    which the pages that count them need not read.
    """
    today = today or timezone.localdate()
    extent = Extent.current()
    rows = {
        prefecture.code: PrefectureStatus(
            prefecture, today, existing=extent.by_prefecture.get(prefecture.code), extent=extent
        )
        for prefecture in Municipality.objects.filter(kind=Kind.PREFECTURE).order_by("code")
    }
    counts = (
        with_plan_status(counted_municipalities(), today).order_by().values("prefecture_id").annotate(
            total=Count("pk"),
            published=Count("pk", filter=Q(has_current_plan=True)),
            ended=Count("pk", filter=Q(has_current_plan=False, has_live_plan=True)),
            preparing=Count("pk", filter=Q(has_live_plan=False, has_plan=True)),
        )
    )
    for count in counts:
        row = rows.get(count["prefecture_id"])
        if row is not None:
            row.total, row.published, row.ended, row.preparing = (
                count["total"], count["published"], count["ended"], count["preparing"]
            )
    versions = (
        PlanVersion.objects.live().exclude(municipality__kind=Kind.CITY_WARD).select_related("municipality")
        .order_by("municipality_id", "-period_start")
    )
    if not municipality_plans:
        versions = versions.filter(municipality__kind=Kind.PREFECTURE)
    for version in versions:
        municipality = version.municipality
        if municipality.kind == Kind.PREFECTURE:
            rows[municipality.code].plans.append(version)
        elif municipality.prefecture_id in rows:
            rows[municipality.prefecture_id].municipality_plans.append(version)
    return list(rows.values())


@dataclass
class MunicipalityStatus:
    municipality: Municipality
    status: str
    versions: list
    today: datetime.date

    @property
    def periods(self) -> list[str]:
        """令和3年度～令和7年度（終了） for a period that has ended."""
        return [v.period_label + ("（終了）" if v.period_end < self.today else "") for v in self.versions]

    @property
    def embedded_in(self) -> str:
        return "、".join(v.card["embedded_in"] for v in self.versions if v.card.get("embedded_in"))


def municipality_statuses(prefecture: Municipality) -> tuple[list, list[MunicipalityStatus]]:
    """The prefecture's own live versions and each of its municipalities with its status and live versions."""
    today = timezone.localdate()
    municipalities = with_plan_status(counted_municipalities().filter(prefecture=prefecture), today).order_by("code")
    versions: dict[str, list] = {}
    for version in (
        PlanVersion.objects.live().filter(Q(municipality=prefecture) | Q(municipality__prefecture=prefecture))
        .order_by("municipality_id", "-period_start")
    ):
        versions.setdefault(version.municipality_id, []).append(version)
    rows = [MunicipalityStatus(m, status_of(m), versions.get(m.code, []), today) for m in municipalities]
    return versions.get(prefecture.code, []), rows


# --- The survey's table ------------------------------------------------------------------------

SURVEY_HEADERS = [
    "団体コード", "都道府県", "都道府県の計画", "都道府県の計画期間",
    "市区町村数", "策定済数", "策定率（%）", "計画期間終了数", "策定中数", "未策定数", "市区町村の総数",
]


@dataclass
class NationalStatus(Counts):
    """The national figure: the prefectures' rows added up."""

    total: int
    published: int
    ended: int
    preparing: int
    prefectures_published: int
    prefectures_ended: int
    existing: int | None = None
    prefectures_registered: int = 0
    prefectures_existing: int = PREFECTURES_IN_JAPAN

    @classmethod
    def of(cls, statuses: list[PrefectureStatus], extent: Extent | None = None) -> "NationalStatus":
        extent = extent or (statuses[0].extent if statuses and statuses[0].extent else Extent.current())
        return cls(
            existing=extent.municipalities, prefectures_registered=len(statuses),
            prefectures_existing=extent.prefectures,
            total=sum(r.total for r in statuses),
            published=sum(r.published for r in statuses),
            ended=sum(r.ended for r in statuses),
            preparing=sum(r.preparing for r in statuses),
            prefectures_published=sum(1 for r in statuses if r.own_status == PUBLISHED),
            prefectures_ended=sum(1 for r in statuses if r.own_status == ENDED),
        )

    @property
    def register_sentence(self) -> str:
        """The register's extent in plain words; while incomplete, why no 策定率 is given."""
        if self.complete and self.prefectures_registered >= self.prefectures_existing:
            return f"全国の{self.existing:,}市区町村と{self.prefectures_existing}都道府県がすべて登録されています。"
        return (
            f"全国には{self.existing:,}市区町村と{self.prefectures_existing}都道府県がありますが、このサイトに登録されているのは"
            f"{self.total:,}市区町村と{self.prefectures_registered}都道府県です。登録が全国に満たないため、"
            "次の数は登録されている団体だけを数えたもので、策定率（割合）は示していません。"
        )

    @property
    def summary_sentence(self) -> str:
        share = f"（{self.share_label}）" if self.complete else ""
        return (
            f"登録されている{self.total:,}市区町村のうち、計画を策定済の団体は{self.published:,}{share}、計画期間が終了し"
            f"次の計画を公開していない団体は{self.ended:,}、策定中の団体は{self.preparing:,}、未策定の団体は{self.none:,}です。"
        )

    @property
    def own_label(self) -> str:
        """策定済46, or 策定済45・計画期間終了1."""
        label = f"策定済{self.prefectures_published}"
        return label + (f"・計画期間終了{self.prefectures_ended}" if self.prefectures_ended else "")


def survey_dataset(statuses: list[PrefectureStatus]) -> tablib.Dataset:
    """法務省's survey table: per prefecture, its own plan and its municipalities' counts, with the national total."""
    dataset = tablib.Dataset(headers=SURVEY_HEADERS)
    for row in statuses:
        dataset.append([
            row.prefecture.code, row.prefecture.name, row.own_status, row.own_periods,
            row.total, row.published, blank_if_none(row.share_percent), row.ended, row.preparing, row.none,
            blank_if_none(row.existing),
        ])
    national = NationalStatus.of(statuses)
    dataset.append([
        "", "全国", national.own_label, "", national.total, national.published,
        blank_if_none(national.share_percent), national.ended, national.preparing, national.none, national.existing,
    ])
    return dataset


def blank_if_none(value):
    """A cell left blank where the figure is not given (策定率 of an incomplete register, a count not known)."""
    return "" if value is None else value


def as_of_label(today: datetime.date | None = None) -> str:
    return eras.japanese_date(today or timezone.localdate())


def survey_download(request):
    """Superusers download the table in the survey's shape as XLSX (staff of one city see only their own rows)."""
    if not request.user.is_superuser:
        raise PermissionDenied
    today = timezone.localdate()
    response = HttpResponse(
        write_xlsx(survey_dataset(prefecture_statuses()), title="策定状況"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"地方再犯防止推進計画の策定状況_{today.isoformat()}.xlsx"
    )
    return response
