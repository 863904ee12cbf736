"""地域再犯防止推進事業 nationwide: what each version publishes of it, and the national tables made from that.

法務省「地域再犯防止推進事業について」 subsidises a prefecture's 必須事務 (meetings and training for its
municipalities) and its direct support, and tabulates them nationwide: per kind of direct support, how many
prefectures run it (団体数, 重複計上: a prefecture with two kinds counts in both) and the range of their yearly
支援実績. The portal makes the same tables from published data only: approval stores a plan's direct-support
programmes, 必須事務 and 取組事例 in the version's card (`card_entries`), small counts already masked (a
masked count reads 「3件未満」 and is below every published figure); the tables read the live versions of
prefectures' plans (`national_tables`), so a draft never counts and every figure names the prefectures behind it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import tablib
from django.utils import timezone

from measures.models import ProgramProgress, RegionalDuty, SupportKind
from plans.models import Municipality
from reoffense_portal.machinery import disclosure, eras

from .models import PlanVersion

CARRIED_OUT = {status.value for status in ProgramProgress.CARRIED_OUT}


# --- what a version publishes ------------------------------------------------------------------


def _count(progress) -> dict:
    """A year's 支援実績 as published: the number, or none and 「3件未満」 below the threshold."""
    unit = progress.support_count_unit
    value = progress.support_count
    if value is None:
        return {"count": None, "small": False, "unit": unit, "label": ""}
    if disclosure.is_small_count(value, unit):
        return {"count": None, "small": True, "unit": unit, "label": disclosure.small_count_label(unit)}
    return {"count": value, "small": False, "unit": unit, "label": f"{value:,}{unit}"}


def _year(progress) -> dict:
    return {
        "fiscal_year": progress.fiscal_year, "status": progress.status,
        "status_label": progress.get_status_display(), **_count(progress),
        "support_unit_label": progress.get_support_unit_display(),
        "contractor": progress.contractor.name if progress.contractor_id else "",
        "budget": progress.budget, "subsidy_rate": None if progress.subsidy_rate is None else str(progress.subsidy_rate),
        "subsidy_cap": progress.subsidy_cap, "subsidy_requested": progress.subsidy_requested,
        "subsidy_granted": progress.subsidy_granted,
    }


def card_entries(plan) -> dict:
    """The version's 地域再犯防止推進事業 and 取組事例, from a plan loaded by snapshot.load_plan."""
    programmes = [
        {
            "name": program.name, "kind": program.support_kind.code, "kind_name": program.support_kind.name,
            "years": [_year(progress) for progress in program.progress_list],
        }
        for area in plan.area_list for section in area.section_list for program in section.program_list
        if program.support_kind_id
    ]
    duties = [
        {"fiscal_year": duty.fiscal_year, "kind": duty.kind, "kind_label": duty.get_kind_display(), "title": duty.title,
         "held_on": duty.held_on.isoformat() if duty.held_on else "", "municipalities": duty.municipalities,
         "note": duty.note}
        for duty in plan.regional_duties.all()
    ]
    practices = [
        {"title": p.title, "program": p.program.name if p.program_id else "",
         "kind": p.program.support_kind.code if p.program_id and p.program.support_kind_id else "",
         "target": p.target, "content": p.content, "ingenuity": p.ingenuity, "results": p.results,
         "contact": p.contact}
        for p in plan.practices.all()
    ]
    return {"regional": {"programmes": programmes, "duties": duties}, "practices": practices}


# --- the national tables -----------------------------------------------------------------------


@dataclass
class Figure:
    """A prefecture's 支援実績 of a kind in a year (the sum of its programmes of that kind)."""

    prefecture: Municipality
    url: str
    count: int | None
    small: bool
    unit: str
    contractors: list[str]

    @property
    def label(self) -> str:
        if self.small:
            return disclosure.small_count_label(self.unit)
        return "" if self.count is None else f"{self.count:,}{self.unit}"

    @property
    def sort_key(self) -> int:
        return -1 if self.small else self.count


@dataclass
class KindRow:
    kind: SupportKind
    running: list[Figure] = field(default_factory=list)  # the prefectures that ran it in the year

    @property
    def counted(self) -> list[Figure]:
        """The prefectures behind the range: those that published a count."""
        return [f for f in self.running if f.small or f.count is not None] if self.kind.counts_support else []

    def _ends(self, pick) -> tuple[str, list[Figure]]:
        if not self.counted:
            return "", []
        end = pick(f.sort_key for f in self.counted)
        behind = [f for f in self.counted if f.sort_key == end]
        return behind[0].label, behind

    @property
    def minimum(self) -> tuple[str, list[Figure]]:
        return self._ends(min)

    @property
    def maximum(self) -> tuple[str, list[Figure]]:
        return self._ends(max)

    @property
    def range_label(self) -> str:
        if not self.kind.counts_support:
            return "支援件数に計上しない"
        (low, _), (high, _) = self.minimum, self.maximum
        if not low:
            return ""
        return low if low == high else f"{low}～{high}"


@dataclass
class DutyRow:
    kind: str
    label: str
    prefectures: list[tuple[Municipality, str, list[dict]]] = field(default_factory=list)

    @property
    def sessions(self) -> int:
        return sum(len(duties) for _, _, duties in self.prefectures)


@dataclass
class NationalTables:
    fiscal_year: int
    kinds: list[KindRow]
    duties: list[DutyRow]
    years: list[int]

    @property
    def label(self) -> str:
        return eras.fiscal_year_full_label(self.fiscal_year)

    def kind(self, code: str) -> KindRow | None:
        return next((row for row in self.kinds if row.kind.code == code), None)


def prefecture_versions():
    """The live versions of prefectures' own plans: the only source of the national tables."""
    return (
        PlanVersion.objects.live().filter(municipality__kind=Municipality.Kind.PREFECTURE)
        .select_related("municipality").order_by("municipality_id", "-period_start")
    )


def published_years(versions) -> list[int]:
    years = set()
    for version in versions:
        regional = version.card.get("regional") or {}
        years |= {y["fiscal_year"] for p in regional.get("programmes", []) for y in p["years"]}
        years |= {d["fiscal_year"] for d in regional.get("duties", [])}
    return sorted(years, reverse=True)


def _figures(versions, fiscal_year: int) -> dict[str, list[Figure]]:
    """Per kind code, each prefecture that ran it in the year (実施・一部実施), its counts summed."""
    figures = defaultdict(dict)
    for version in versions:
        prefecture = version.municipality
        for programme in (version.card.get("regional") or {}).get("programmes", []):
            for year in programme["years"]:
                if year["fiscal_year"] != fiscal_year or year["status"] not in CARRIED_OUT:
                    continue
                figure = figures[programme["kind"]].get(prefecture.code)
                if figure is None:
                    figure = figures[programme["kind"]][prefecture.code] = Figure(
                        prefecture, version.card.get("url", ""), None, False, year["unit"], []
                    )
                _add(figure, year)
    return {code: list(by_prefecture.values()) for code, by_prefecture in figures.items()}


def _add(figure: Figure, year: dict) -> None:
    """Adds a programme's year to its prefecture's figure. A masked part is below the threshold: the sum is
    the published parts (a lower bound) or, with none published, 「3件未満」."""
    if year["contractor"] and year["contractor"] not in figure.contractors:
        figure.contractors.append(year["contractor"])
    if year["count"] is not None:
        figure.count = (figure.count or 0) + year["count"]
        figure.small = False
        figure.unit = year["unit"]
    elif year["small"] and figure.count is None:
        figure.small = True


def national_tables(fiscal_year: int | None = None) -> NationalTables:
    """The tables for a fiscal year (the latest published one by default)."""
    versions = list(prefecture_versions())
    years = published_years(versions)
    if fiscal_year is None:
        fiscal_year = years[0] if years else eras.fiscal_year_of(timezone.localdate())
    figures = _figures(versions, fiscal_year)
    kinds = [
        KindRow(kind, sorted(figures.get(kind.code, []), key=lambda f: f.prefecture.code))
        for kind in SupportKind.objects.all()
        if kind.selectable or kind.code in figures
    ]
    duties = {kind: DutyRow(kind, label) for kind, label in RegionalDuty.Kind.choices}
    for version in versions:
        held = defaultdict(list)
        for duty in (version.card.get("regional") or {}).get("duties", []):
            if duty["fiscal_year"] == fiscal_year and duty["kind"] in duties:
                held[duty["kind"]].append(duty)
        for kind, rows in held.items():
            duties[kind].prefectures.append((version.municipality, version.card.get("url", ""), rows))
    return NationalTables(fiscal_year, kinds, list(duties.values()), years)


# --- downloads ---------------------------------------------------------------------------------

HEADERS = ["区分", "取組内容", "団体数（重複計上）", "支援実績（最小）", "最小の団体数", "支援実績（最大）", "最大の団体数",
           "支援実績を公表した団体数", "支援件数の計上", "実施した都道府県"]


def dataset(tables: NationalTables) -> tablib.Dataset:
    """The Ministry's table: per kind, 団体数（重複計上） and the range of 支援実績, then the 必須事務."""
    data = tablib.Dataset(headers=HEADERS, title=f"{tables.label}")
    for row in tables.kinds:
        (low, low_behind), (high, high_behind) = row.minimum, row.maximum
        data.append([
            row.kind.group, row.kind.name, len(row.running), low, len(low_behind) if low else "",
            high, len(high_behind) if high else "", len(row.counted),
            "計上する" if row.kind.counts_support else "計上しない",
            "、".join(f.prefecture.name for f in row.running),
        ])
    for duty in tables.duties:
        data.append([
            "必須事務", duty.label, len(duty.prefectures), "", "", "", "", "", f"開催{duty.sessions}回",
            "、".join(prefecture.name for prefecture, _, _ in duty.prefectures),
        ])
    return data


def json_data(tables: NationalTables) -> dict:
    def figure(f: Figure) -> dict:
        return {"code": f.prefecture.code, "name": f.prefecture.name, "count": f.count, "label": f.label,
                "contractors": f.contractors, "url": f.url}

    return {
        "title": "地域再犯防止推進事業の取組状況", "fiscal_year": tables.fiscal_year, "fiscal_year_label": tables.label,
        "kinds": [
            {
                "group": row.kind.group, "name": row.kind.name, "code": row.kind.code,
                "counts_support": row.kind.counts_support, "prefectures": len(row.running),
                "range": row.range_label,
                "minimum": {"label": row.minimum[0], "prefectures": [f.prefecture.code for f in row.minimum[1]]},
                "maximum": {"label": row.maximum[0], "prefectures": [f.prefecture.code for f in row.maximum[1]]},
                "running": [figure(f) for f in row.running],
            }
            for row in tables.kinds
        ],
        "duties": [
            {"kind": duty.kind, "name": duty.label, "prefectures": len(duty.prefectures), "sessions": duty.sessions,
             "held": [{"code": p.code, "name": p.name, "url": url, "duties": rows} for p, url, rows in duty.prefectures]}
            for duty in tables.duties
        ],
    }
