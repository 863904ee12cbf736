# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""The real cities (the fixtures of their public documents, fixtures/README.md) go out and come back unchanged, in both formats."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from councils.resources import CouncilMemberResource, MeetingResource
from measures.models import Program
from measures.resources import PlanStructureResource, ProgramProgressResource
from plans.models import Municipality
from plans.resources import IndicatorValueResource, OrganizationResource
from reoffense_portal.machinery.spreadsheets.files import CSVFormat, XLSXFormat, read_spreadsheet
from tests.import_export_factories import import_ticking_all, run_import, staff

RESOURCES = [OrganizationResource, IndicatorValueResource, PlanStructureResource, ProgramProgressResource,
             MeetingResource, CouncilMemberResource]


@pytest.mark.parametrize("fmt", [CSVFormat, XLSXFormat], ids=["csv", "xlsx"])
def test_seeded_cities_round_trip_through_every_sheet(seeded, fmt):
    user = get_user_model().objects.create_superuser("operator", password="correct-horse-battery")
    exported = []
    for resource_class in RESOURCES:
        dataset = resource_class(user=user).export()
        if not len(dataset):
            continue  # the sources hold no rows of this kind (e.g. yearly progress)
        exported.append(resource_class.__name__)
        data = fmt().export_data(dataset)
        result = run_import(resource_class, data, user)
        assert not result.has_problems(), (resource_class.__name__, result.messages()[:3])
        assert {r.import_type for r in result.rows} <= {"skip"}, resource_class.__name__
        assert len(result.rows) == len(dataset)
    assert {"PlanStructureResource", "IndicatorValueResource", "OrganizationResource"} <= set(exported)


def test_a_kumamoto_editor_exports_only_kumamoto(seeded):
    kumamoto = Municipality.objects.get(code="431001")
    user = staff("kumamoto", kumamoto)
    dataset = PlanStructureResource(user=user).export()
    assert len(dataset) > 0
    assert {str(row[0]) for row in dataset} == {"431001"}


def test_every_blank_templates_example_row_is_valid_for_kumamoto(seeded):
    user = get_user_model().objects.create_superuser("operator", password="correct-horse-battery")
    for resource_class in RESOURCES:
        data = CSVFormat().export_data(resource_class(user=user).template_dataset())
        result = run_import(resource_class, data, user, dry_run=True)
        assert not result.has_problems(), (resource_class.__name__, result.messages())


def test_the_plan_structure_templates_example_gives_kumamotos_programme_a_kind_of_direct_support(client, seeded):
    """The blank template shows the column 直接支援の類型 filled in, and its example row imports as it is
    (its 担当課, new to the seeded city, once ticked in the preview)."""
    editor = staff("kumamoto", Municipality.objects.get(code="431001"))
    client.force_login(editor)
    template = client.get(reverse("admin:measures_program_import_template", args=[0, "xlsx"])).content
    sheet = read_spreadsheet(template)
    example = dict(zip(sheet.headers, sheet[0], strict=True))
    assert example["直接支援の類型"] == "居住支援"
    result, ticked = import_ticking_all(PlanStructureResource, template, editor)
    assert [r.import_type for r in result.rows] == ["update"], result.messages()
    assert ticked == ["担当課“住宅政策課”（熊本市）"]
    program = Program.objects.get(area__plan__municipality="431001", name=example["事業名"])
    assert str(program.support_kind) == "居住支援"
