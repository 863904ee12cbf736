"""A plan's tree of areas → (measures →) programmes, loaded once for every reader.

The published version, the PDFs, the open data and the yearly progress
screen all walk the same tree, so it is loaded here, in a fixed number of
queries whatever the plan's size. Rows go into plain lists (`national_list`,
`measure_list`, `program_list`, `department_list`, `partner_list`,
`progress_list`): a prefetch into `.all()` builds a queryset per parent row,
which on a large plan costs more than the rows themselves.

An area's `section_list` is what readers walk: first the programmes it lists
directly (a section without a measure, printed with no heading and no number:
some plans have no measure level), then each measure with its programmes.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch

from .models import Measure, PriorityArea, Program, ProgramProgress


@dataclass
class Section:
    """Programmes printed together: under a measure's heading, or directly under the area (`measure` None)."""

    measure: Measure | None
    program_list: list[Program]


def plan_tree(plan, *, progress_years: Iterable[int] | bool = False) -> list[PriorityArea]:
    """The plan's areas, each with its national priorities, direct programmes and measures, each measure
    with its programmes.

    Every programme carries its departments and partners; with `progress_years`
    (True for every year) also its progress rows of those years, oldest first.
    """
    programs = Program.objects.select_related("support_kind").order_by("order", "pk")
    if progress_years:
        progress = ProgramProgress.objects.select_related("contractor").order_by("fiscal_year")
        if progress_years is not True:
            progress = progress.filter(fiscal_year__in=list(progress_years))
        programs = programs.prefetch_related(Prefetch("progress", queryset=progress, to_attr="progress_list"))
    areas = list(
        PriorityArea.objects.filter(plan=plan)
        .order_by("number")
        .prefetch_related(
            Prefetch("national_priorities", to_attr="national_list"),
            Prefetch("programs", queryset=programs.filter(measure__isnull=True), to_attr="program_list"),
            Prefetch(
                "measures",
                queryset=Measure.objects.order_by("number").prefetch_related(
                    Prefetch("programs", queryset=programs, to_attr="program_list")
                ),
                to_attr="measure_list",
            ),
        )
    )
    for area in areas:
        direct = [Section(None, area.program_list)] if area.program_list else []
        area.section_list = direct + [Section(measure, measure.program_list) for measure in area.measure_list]
    attach_parties(programs_of(areas))
    return areas


def attach_parties(programs: list[Program]) -> None:
    """Each programme's departments and partners as `department_list` and `partner_list`, in their usual order.

    Two queries per relation (the links, then the departments or organisations), each department or
    organisation built once: a plan's programmes share a few of them, and a prefetch builds one object
    per link.
    """
    ids = [program.pk for program in programs]
    for relation, to_attr in (("departments", "department_list"), ("partners", "partner_list")):
        field = Program._meta.get_field(relation)
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        links = list(field.remote_field.through.objects.filter(**{f"{source}__in": ids}).values_list(source, target))
        # The model's own ordering, as .all() would give them.
        parties = {party.pk: party for party in field.related_model.objects.filter(pk__in={pk for _, pk in links})}
        rank = {pk: position for position, pk in enumerate(parties)}
        of_program = {}
        for program_id, party_id in links:
            of_program.setdefault(program_id, []).append(parties[party_id])
        for program in programs:
            setattr(program, to_attr, sorted(of_program.get(program.pk, []), key=lambda party: rank[party.pk]))


def programs_of(areas: list[PriorityArea]) -> list[Program]:
    """The tree's programmes in the order the plan lists them."""
    return [program for area in areas for section in area.section_list for program in section.program_list]
