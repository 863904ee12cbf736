"""The 「未策定」 follow-up list: which municipalities of a prefecture need its help with their plans.

A municipality is listed when it has no plan, when none of its plans is
published (策定中), or when its latest plan's period ends within a year (or
has ended) with no later plan registered. Read from the working rows, for
the prefecture's staff only, in a fixed number of queries.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from plans.models import Department, Municipality, Plan
from reoffense_portal.composition.publishing.models import PlanVersion

ENDING_WITHIN = datetime.timedelta(days=365)


@dataclass
class FollowUp:
    municipality: Municipality
    status: str
    plan: Plan | None  # the latest plan, if any
    contact: Department | None


def follow_up(prefecture: Municipality, today: datetime.date | None = None) -> tuple[list[FollowUp], int]:
    """The municipalities to follow up, by code, and how many need nothing."""
    today = today or timezone.localdate()
    municipalities = list(Municipality.objects.filter(prefecture=prefecture).order_by("code"))
    plans = {}
    for plan in Plan.objects.filter(municipality__prefecture=prefecture).select_related("department").order_by(
        "period_start"
    ):
        plans.setdefault(plan.municipality_id, []).append(plan)
    live = set(PlanVersion.objects.live().filter(municipality__prefecture=prefecture).values_list(
        "municipality_id", flat=True
    ))
    departments = {}
    for department in Department.objects.filter(municipality__prefecture=prefecture).order_by("name"):
        departments.setdefault(department.municipality_id, department)
    listed, fine = [], 0
    for municipality in municipalities:
        own = plans.get(municipality.code, [])
        latest = own[-1] if own else None
        if latest is None:
            status = "未策定（計画の登録がありません）"
        elif municipality.code not in live:
            status = "策定中（公開中の計画がありません）"
        elif latest.period_end < today:
            status = f"計画期間が終了しました（{latest.period_label}）。次期計画が登録されていません"
        elif latest.period_end <= today + ENDING_WITHIN:
            status = f"計画期間が1年以内に終わります（{latest.period_label}）。次期計画が登録されていません"
        else:
            fine += 1
            continue
        contact = (latest.department if latest else None) or departments.get(municipality.code)
        listed.append(FollowUp(municipality, status, latest, contact))
    return listed, fine
