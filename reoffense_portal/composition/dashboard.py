"""The staff dashboard of the admin index: per plan, what is missing in the current fiscal year.

It composes plans, measures, councils and publishing, so it lives in the project, and the apps
never import it. The queries are a fixed number for all the user's plans together, whatever
their size.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from councils.models import Meeting, MeetingDocument
from measures.models import Program
from plans.models import Indicator, IndicatorValue, Plan
from reoffense_portal.composition.publishing.models import PlanVersion
from reoffense_portal.machinery import eras

UPCOMING_DAYS = 30
ENDING_WITHIN = datetime.timedelta(days=365)


@dataclass(frozen=True)
class DueItem:
    """Something staff should do about a plan: what the dashboard lists and the reminder mail repeats.

    `key` names the item across days (a reminder is sent at most once a week per key), `path` is the
    admin screen that deals with it.
    """

    key: str
    text: str
    path: str


@dataclass
class PlanDashboard:
    plan: Plan
    fiscal_year: int
    programs: int = 0
    programs_recorded: int = 0
    indicators: int = 0
    indicators_recorded: int = 0
    meetings_without_minutes: list[Meeting] = field(default_factory=list)
    upcoming_meetings: list[Meeting] = field(default_factory=list)
    ending_without_successor: bool = False
    ended: bool = False  # its period is over and the municipality has no later plan
    current_version: PlanVersion | None = None

    @property
    def fiscal_year_label(self) -> str:
        return eras.fiscal_year_label(self.fiscal_year)

    @property
    def in_period(self) -> bool:
        """Progress is due only for a fiscal year of the plan's period."""
        return self.fiscal_year in self.plan.fiscal_years

    @property
    def ended_on_label(self) -> str:
        """令和8年3月31日: the last day of the plan's period."""
        return eras.japanese_date(self.plan.period_end)

    @property
    def programs_missing(self) -> int:
        return self.programs - self.programs_recorded

    @property
    def indicators_missing(self) -> int:
        return self.indicators - self.indicators_recorded

    @property
    def freshness_percent(self) -> int | None:
        """The share of what is due this year that is recorded, in whole percent (None when nothing is due)."""
        due = self.programs + self.indicators
        if not self.in_period or due == 0:
            return None
        return (self.programs_recorded + self.indicators_recorded) * 100 // due

    @property
    def due_items(self) -> list[DueItem]:
        """What is missing or coming up, in the dashboard's order, each with the screen that deals with it."""
        plan, year, label = self.plan, self.fiscal_year, self.fiscal_year_label
        items = []
        if self.in_period:
            entry = reverse("admin:measures_programprogress_entry", args=[plan.pk, year])
            if self.programs_missing:
                items.append(DueItem(f"plan:{plan.pk}:progress:{year}",
                                     f"{label}の進捗が未入力の取組・事業：{self.programs_missing}件", entry))
            if self.indicators_missing:
                items.append(DueItem(f"plan:{plan.pk}:values:{year}",
                                     f"{label}の値が未入力の指標：{self.indicators_missing}件", entry))
        for meeting in self.meetings_without_minutes:
            items.append(DueItem(f"meeting:{meeting.pk}:minutes",
                                 f"議事要旨が未入力の会議：{meeting}（{meeting.held_on_label}開催）",
                                 reverse("admin:councils_meeting_change", args=[meeting.pk])))
        for meeting in self.upcoming_meetings:
            items.append(DueItem(f"meeting:{meeting.pk}:upcoming",
                                 f"{UPCOMING_DAYS}日以内に開催予定の会議：{meeting}（{meeting.held_on_label}）",
                                 reverse("admin:councils_meeting_change", args=[meeting.pk])))
        if self.ended:
            items.append(DueItem(f"plan:{plan.pk}:ended",
                                 f"計画期間が{self.ended_on_label}で終了しました（{plan.period_label}）。"
                                 "次期計画が登録されていません。次期計画を登録してください。",
                                 reverse("admin:plans_plan_add")))
        elif self.ending_without_successor:
            items.append(DueItem(f"plan:{plan.pk}:successor",
                                 f"計画期間が1年以内に終わります（{plan.period_label}）。次期計画が登録されていません。",
                                 reverse("admin:plans_plan_add")))
        return items


def plan_dashboards(user, today: datetime.date | None = None) -> list[PlanDashboard]:
    """One PlanDashboard for each plan of the user's municipalities whose period is not over, and for each
    municipality's last plan whose period is over with no later plan (it says so, and what to do).

    A superuser's municipalities are those they are a member of, as anyone's: every plan of the nation
    (1,788 of them) is no list of what to do, and took 4.5 s and 1.3 MB of the admin index to build.
    """
    plans = Plan.objects.for_user(user)
    if user.is_superuser:
        plans = plans.filter(municipality__memberships__user=user).distinct()
    return dashboards_of(plans, today)


def dashboards_of(plans, today: datetime.date | None = None) -> list[PlanDashboard]:
    """One PlanDashboard for each of these plans whose period is not over, or that ended with no successor.

    `plans` holds whole municipalities (a user's, or all): their other plans tell whether one has a successor.
    """
    today = today or timezone.localdate()  # Japan's date (TIME_ZONE is Asia/Tokyo)
    fiscal_year = eras.fiscal_year_of(today)
    all_plans = list(plans.select_related("municipality"))
    starts = defaultdict(list)
    for plan in all_plans:
        starts[plan.municipality_id].append(plan.period_start)

    def has_successor(plan) -> bool:
        return any(start > plan.period_start for start in starts[plan.municipality_id])

    plans = [plan for plan in all_plans if plan.period_end >= today or not has_successor(plan)]
    if not plans:
        return []
    boards = {plan.pk: PlanDashboard(plan=plan, fiscal_year=fiscal_year) for plan in plans}

    programs = (
        Program.objects.filter(area__plan__in=boards)
        .values("area__plan")
        .annotate(
            total=Count("pk", distinct=True),
            recorded=Count("pk", filter=Q(progress__fiscal_year=fiscal_year), distinct=True),
        )
    )
    for row in programs:
        board = boards[row["area__plan"]]
        board.programs, board.programs_recorded = row["total"], row["recorded"]

    # Due each year: the targets, and the statistics kept as a yearly series. A statistic the plan states
    # once (a figure with its 時点, no yearly values at all) is not asked for every year.
    series = IndicatorValue.objects.filter(indicator=OuterRef("pk"))
    indicators = (
        Indicator.objects.filter(plan__in=boards)
        .filter(Q(kind=Indicator.Kind.TARGET) | Q(Exists(series)))
        .values("plan")
        .annotate(
            total=Count("pk", distinct=True),
            recorded=Count("pk", filter=Q(values__year=fiscal_year), distinct=True),
        )
    )
    for row in indicators:
        board = boards[row["plan"]]
        board.indicators, board.indicators_recorded = row["total"], row["recorded"]

    minutes_document = MeetingDocument.objects.filter(
        meeting=OuterRef("pk"), kind=MeetingDocument.Kind.MINUTES
    )
    meetings = (
        Meeting.objects.filter(council__plan__in=boards)
        .filter(
            Q(status=Meeting.Status.HELD, minutes="")
            | Q(  # 開催予定, or with no status stated: staff still see a meeting coming up
                status__in=[Meeting.Status.SCHEDULED, ""],
                held_on__range=(today, today + datetime.timedelta(days=UPCOMING_DAYS)),
            )
        )
        .annotate(has_minutes_document=Exists(minutes_document))
        .select_related("council")
        .order_by("held_on")
    )
    for meeting in meetings:
        board = boards[meeting.council.plan_id]
        if meeting.status != Meeting.Status.HELD:
            board.upcoming_meetings.append(meeting)
        elif not meeting.has_minutes_document:
            board.meetings_without_minutes.append(meeting)

    for board in boards.values():
        plan = board.plan
        board.ended = plan.period_end < today
        board.ending_without_successor = plan.period_end <= today + ENDING_WITHIN and not has_successor(plan)

    # As PlanVersion.objects.current(plan), for all the plans in one query.
    for version in PlanVersion.objects.live().filter(plan__in=boards).order_by("-live_from"):
        board = boards[version.plan_id]
        board.current_version = board.current_version or version

    return list(boards.values())
