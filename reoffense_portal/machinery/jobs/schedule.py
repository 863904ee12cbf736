"""Periodic jobs, queued by the worker by the clock: no cron to set up.

Every `manage.py run_worker` calls `tick()` about once a minute. Each periodic job (registered with
`@periodic` by the app that owns it: the reminders each weekday morning, the scheduled go-live follow-up
and mail not yet sent every minute) has a Schedule row saying when it is next due. A worker queues it
only if its conditional update moves that time on, so with several workers exactly one queues it. A
periodic job whose worker was killed is due again at the next tick; its own work must be safe to run
twice (mail is claimed before it is sent, jobs/… and reminders/outbox.py).
"""

import datetime
import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Job, Schedule

logger = logging.getLogger(__name__)

TICK_SECONDS = 60


@dataclass(frozen=True)
class Periodic:
    name: str
    queue: Callable[[], Job | None]  # queues the job; None when there is nothing to do
    next_run: Callable[[datetime.datetime], datetime.datetime]  # the first time due strictly after a moment


PERIODIC: dict[str, Periodic] = {}


def periodic(name: str, next_run: Callable[[datetime.datetime], datetime.datetime]):
    """Register `queue()` as the periodic job `name`, due at the times `next_run` gives."""

    def register(queue):
        PERIODIC[name] = Periodic(name, queue, next_run)
        return queue

    return register


def every_minute(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)


def weekdays_at(hour: int) -> Callable[[datetime.datetime], datetime.datetime]:
    """Monday to Friday at `hour`:00, Japan's time."""

    def next_run(moment: datetime.datetime) -> datetime.datetime:
        day = timezone.localdate(moment)
        while True:
            candidate = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
            if candidate > moment and candidate.weekday() < 5:
                return candidate
            day += datetime.timedelta(days=1)

    return next_run


def tick(now: datetime.datetime | None = None) -> list[str]:
    """Mark jobs of killed workers failed, then queue every periodic job that is due; returns their names."""
    now = now or timezone.now()
    Job.objects.reap_stale()
    # A periodic job cut off by a killed worker is due again at once.
    Schedule.objects.filter(job__in=Job.objects.interrupted()).update(next_run_at=now, job=None)
    queued = []
    for item in PERIODIC.values():
        _schedule_of(item, now)
        with transaction.atomic():
            claimed = Schedule.objects.filter(name=item.name, next_run_at__lte=now).update(
                next_run_at=item.next_run(now)
            )
            if not claimed:
                continue
            job = item.queue()
            if job is not None:
                Schedule.objects.filter(name=item.name).update(job=job)
                queued.append(item.name)
    return queued


def _schedule_of(item: Periodic, now: datetime.datetime) -> None:
    """The periodic job's row; the first one is due at its time that came last (e.g. today 08:00 at 08:00:30)."""
    if Schedule.objects.filter(name=item.name).exists():
        return
    try:
        with transaction.atomic():
            Schedule.objects.create(name=item.name, next_run_at=item.next_run(now - datetime.timedelta(minutes=1)))
    except IntegrityError:
        pass  # another worker made it first


@contextmanager
def exclusive(name: str):
    """A transaction in which no other process runs the same periodic work (a row lock on PostgreSQL;
    SQLite has one writer at a time anyway)."""
    with transaction.atomic():
        now = timezone.now()
        due = PERIODIC[name].next_run(now) if name in PERIODIC else now
        Schedule.objects.get_or_create(name=name, defaults={"next_run_at": due})
        Schedule.objects.select_for_update().filter(name=name).first()
        yield
