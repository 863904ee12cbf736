"""The staff dashboard of the admin index: per plan, what is missing in the current fiscal year.

It composes plans, measures, councils and publishing, so it lives in the project, and the apps
never import it. The queries are a fixed number for all the user's plans together, whatever
their size.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from councils.models import Meeting, MeetingDocument
from measures.models import Program
from plans.models import Indicator, Plan
from reoffense_portal import eras
from reoffense_portal.publishing.models import PlanVersion

UPCOMING_DAYS = 30
ENDING_WITHIN = datetime.timedelta(days=365)


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
    current_version: PlanVersion | None = None

    @property
    def fiscal_year_label(self) -> str:
        return eras.fiscal_year_label(self.fiscal_year)

    @property
    def in_period(self) -> bool:
        """Progress is due only for a fiscal year of the plan's period."""
        return self.fiscal_year in self.plan.fiscal_years

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


def plan_dashboards(user, today: datetime.date | None = None) -> list[PlanDashboard]:
    """One PlanDashboard for each plan of the user's municipalities whose period is not over."""
    today = today or timezone.localdate()  # Japan's date (TIME_ZONE is Asia/Tokyo)
    fiscal_year = eras.fiscal_year_of(today)
    all_plans = list(Plan.objects.for_user(user).select_related("municipality"))
    plans = [plan for plan in all_plans if plan.period_end >= today]
    if not plans:
        return []
    boards = {plan.pk: PlanDashboard(plan=plan, fiscal_year=fiscal_year) for plan in plans}

    programs = (
        Program.objects.filter(measure__area__plan__in=boards)
        .values("measure__area__plan")
        .annotate(
            total=Count("pk", distinct=True),
            recorded=Count("pk", filter=Q(progress__fiscal_year=fiscal_year), distinct=True),
        )
    )
    for row in programs:
        board = boards[row["measure__area__plan"]]
        board.programs, board.programs_recorded = row["total"], row["recorded"]

    indicators = (
        Indicator.objects.filter(plan__in=boards)
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
            | Q(
                status=Meeting.Status.SCHEDULED,
                held_on__range=(today, today + datetime.timedelta(days=UPCOMING_DAYS)),
            )
        )
        .annotate(has_minutes_document=Exists(minutes_document))
        .select_related("council")
        .order_by("held_on")
    )
    for meeting in meetings:
        board = boards[meeting.council.plan_id]
        if meeting.status == Meeting.Status.SCHEDULED:
            board.upcoming_meetings.append(meeting)
        elif not meeting.has_minutes_document:
            board.meetings_without_minutes.append(meeting)

    starts = defaultdict(list)
    for plan in all_plans:
        starts[plan.municipality_id].append(plan.period_start)
    for board in boards.values():
        plan = board.plan
        has_successor = any(start > plan.period_start for start in starts[plan.municipality_id])
        board.ending_without_successor = plan.period_end <= today + ENDING_WITHIN and not has_successor

    # As PlanVersion.objects.current(plan), for all the plans in one query.
    for version in PlanVersion.objects.live().filter(plan__in=boards).order_by("-live_from"):
        board = boards[version.plan_id]
        board.current_version = board.current_version or version

    return list(boards.values())
