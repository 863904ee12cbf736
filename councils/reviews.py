"""Which meetings reviewed which part of a plan, read from the agenda items' links (AgendaItem.REVIEW_LINKS)."""

from .models import Meeting


def attach_review_meetings(areas, indicators, councils) -> None:
    """Set `review_meetings` on each area, measure and indicator: the held meetings whose agenda reviewed it.

    Oldest first. A measure counts as reviewed when it or one of its programmes
    was linked; an area when it or one of its own programmes (those under no
    measure) was linked. Works on prefetched
    rows only (`council.meeting_list` with the agenda items' links), so the
    cost does not grow with the plan.
    """
    found = {}  # (kind, pk) → meetings
    held = sorted(
        (
            meeting
            for council in councils
            for meeting in council.meeting_list
            if meeting.status == Meeting.Status.HELD
        ),
        key=lambda meeting: (str(meeting.held_on or ""), meeting.pk),
    )
    for meeting in held:
        for item in meeting.agenda_items.all():
            keys = (
                [("area", area.pk) for area in item.areas.all()]
                + [("measure", measure.pk) for measure in item.measures.all()]
                + [
                    ("measure", program.measure_id) if program.measure_id else ("area", program.area_id)
                    for program in item.programs.all()
                ]
                + [("indicator", indicator.pk) for indicator in item.indicators.all()]
            )
            for key in keys:
                meetings = found.setdefault(key, [])
                if meeting not in meetings:
                    meetings.append(meeting)
    for area in areas:
        area.review_meetings = found.get(("area", area.pk), [])
        for measure in area.measure_list:
            measure.review_meetings = found.get(("measure", measure.pk), [])
    for indicator in indicators:
        indicator.review_meetings = found.get(("indicator", indicator.pk), [])
