"""Every admin page of every model opens for a superuser, in Japanese."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from councils.models import Council
from measures.models import PriorityArea
from plans.models import Challenge, FormulationStep, Indicator
from tests.staff_world import make_user, make_world

pytestmark = pytest.mark.django_db

APPS = ("plans", "measures", "councils")


def registered_models():
    return [model for model in admin.site._registry if model._meta.app_label in APPS]


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def superuser_client(client):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_every_model_of_the_three_apps_is_registered():
    names = {model.__name__ for model in registered_models()}
    assert names >= {
        "Municipality",
        "StaffMembership",
        "Department",
        "Organization",
        "NationalPriority",
        "Plan",
        "FormulationStep",
        "Challenge",
        "Indicator",
        "IndicatorValue",
        "Feedback",
        "PriorityArea",
        "Measure",
        "Program",
        "ProgramProgress",
        "Council",
        "CouncilMember",
        "Meeting",
        "AgendaItem",
        "MeetingDocument",
    }


def test_every_changelist_change_form_add_form_and_history_opens_for_a_superuser(
    world, superuser_client
):
    city_a, _ = world
    objects = city_a.objects()
    objects.update({type(m): m for m in [city_a.editor.memberships.first()]})
    from plans.models import NationalPriority

    objects[NationalPriority] = NationalPriority.objects.first()
    from measures.models import SupportKind

    objects[SupportKind] = SupportKind.objects.first()
    for model in registered_models():
        info = model._meta.app_label, model._meta.model_name
        response = superuser_client.get(reverse("admin:%s_%s_changelist" % info))
        assert response.status_code == 200, model
        obj = objects[model]
        response = superuser_client.get(reverse("admin:%s_%s_change" % info, args=[obj.pk]))
        assert response.status_code == 200, model
        model_admin = admin.site._registry[model]
        if model_admin.has_add_permission(response.wsgi_request):
            assert superuser_client.get(reverse("admin:%s_%s_add" % info)).status_code == 200, model
        response = superuser_client.get(reverse("admin:%s_%s_history" % info, args=[obj.pk]))
        assert response.status_code == 200, model


def test_changelists_answer_search_and_filters(world, superuser_client):
    response = superuser_client.get(
        reverse("admin:measures_programprogress_changelist"), {"fiscal_year": "2023"}
    )
    assert "令和5年度（2023年度）" in response.content.decode()
    assert response.context["cl"].result_count == 2
    response = superuser_client.get(
        reverse("admin:measures_program_changelist"), {"q": "地域福祉課"}
    )
    assert response.context["cl"].result_count == 2
    response = superuser_client.get(reverse("admin:plans_plan_changelist"), {"fiscal_year": "2024"})
    assert response.context["cl"].result_count == 2
    response = superuser_client.get(reverse("admin:plans_plan_changelist"), {"fiscal_year": "2030"})
    assert response.context["cl"].result_count == 0


def test_the_plan_page_holds_areas_councils_steps_challenges_and_indicators(
    world, superuser_client
):
    """Each part of a plan is edited on the plan's page, as a block of its own that shows the plan's rows
    (the navigation sidebar names the same models on every page, so their names alone prove nothing)."""
    city_a, _ = world
    objects = city_a.objects()
    response = superuser_client.get(reverse("admin:plans_plan_change", args=[city_a.plan.pk]))
    blocks = {inline.opts.model: inline for inline in response.context["inline_admin_formsets"]}
    for model in (FormulationStep, Challenge, Indicator, PriorityArea, Council):
        assert model in blocks, f"{model._meta.verbose_name_plural} is not edited on the plan's page"
        shown = [form.original for form in blocks[model] if form.original is not None]
        assert shown == [objects[model]], model
    page = response.content.decode()
    headings = [" ".join(h.split()) for h in re.findall(r'<h2 id="[^"]+" class="inline-heading">(.*?)</h2>', page, re.S)]
    assert headings == [str(block.opts.verbose_name_plural) for block in blocks.values()]
    # The programmes' yearly screen is reached from the plan.
    assert reverse("admin:measures_programprogress_entry_plan", args=[city_a.plan.pk]) in page


def test_fiscal_years_are_chosen_in_japanese_in_forms(world, superuser_client):
    city_a, _ = world
    page = superuser_client.get(
        reverse("admin:measures_programprogress_change", args=[city_a.progress.pk])
    )
    html = page.content.decode()
    assert '<option value="2023" selected>令和5年度（2023年度）</option>' in html
    assert "令和元年度（2019年度）" in html
    page = superuser_client.get(
        reverse("admin:councils_meeting_change", args=[city_a.meeting.pk])
    ).content.decode()
    assert '<option value="2024" selected>令和6年度（2024年度）</option>' in page
