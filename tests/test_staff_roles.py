"""Staff roles and the publishing workflow."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from measures.models import Measure
from plans.models import Plan, StaffMembership
from tests.staff_world import make_user, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def test_the_data_migration_creates_both_groups_with_their_permissions():
    editor = Group.objects.get(name="編集者")
    publisher = Group.objects.get(name="公開責任者")
    editor_perms = set(editor.permissions.values_list("codename", flat=True))
    publisher_perms = set(publisher.permissions.values_list("codename", flat=True))
    assert {
        "change_plan",
        "add_programprogress",
        "change_measure",
        "view_municipality",
    } <= editor_perms
    assert "publish_plan" not in editor_perms and "delete_plan" not in editor_perms
    assert "change_municipality" not in editor_perms and "add_staffmembership" not in editor_perms
    # パブリックコメント: every member handles comments and answers; publishers open periods and publish results.
    assert {"view_commentperiod", "change_comment", "add_commentresponse", "export_comment"} <= editor_perms
    assert "add_commentperiod" not in editor_perms and "import_comment" not in editor_perms
    assert publisher_perms == editor_perms | {
        "publish_plan", "delete_plan", "add_commentperiod", "change_commentperiod", "publish_commentresult",
    }


def test_a_membership_puts_the_user_into_the_group_of_the_role_and_into_the_admin(world):
    user = make_user("newcomer")
    city_a, city_b = world
    membership = StaffMembership.objects.create(user=user, municipality=city_a.municipality)
    user.refresh_from_db()
    assert user.is_staff
    assert set(user.groups.values_list("name", flat=True)) == {"編集者"}
    StaffMembership.objects.create(user=user, municipality=city_b.municipality, role="publisher")
    assert set(user.groups.values_list("name", flat=True)) == {"編集者", "公開責任者"}
    StaffMembership.objects.filter(municipality=city_b.municipality, user=user).get().delete()
    assert set(user.groups.values_list("name", flat=True)) == {"編集者"}
    membership.delete()
    user.refresh_from_db()
    assert not user.is_staff and not user.groups.exists()


def test_deleting_a_staff_user_with_memberships_works(world):
    city_a, _ = world
    city_a.editor.delete()
    assert not StaffMembership.objects.filter(
        municipality=city_a.municipality, role="editor"
    ).exists()


def test_the_plan_page_links_the_draft_preview_and_the_yearly_screen(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    page = client.get(reverse("admin:plans_plan_change", args=[city_a.plan.pk])).content.decode()
    assert f"{reverse('public:plan', args=[city_a.plan.pk])}?preview=1" in page
    assert reverse("admin:measures_programprogress_entry_plan", args=[city_a.plan.pk]) in page


def test_the_draft_preview_shows_the_plan_to_its_staff_only(client, world):
    city_a, city_b = world
    preview = f"{reverse('public:plan', args=[city_a.plan.pk])}?preview=1"
    assert client.get(preview).status_code == 404  # residents never see a draft
    client.force_login(city_b.editor)
    assert client.get(preview).status_code == 404
    client.force_login(city_a.editor)
    response = client.get(preview)
    assert response.status_code == 200
    # Not 「案」 alone: every page has it, in 「サイト内の主な案内」.
    assert "<strong>【案】</strong>承認前の作業中の内容です。" in response.content.decode()


def test_any_change_below_a_plan_moves_its_update_date(world):
    city_a, _ = world
    long_ago = timezone.now() - datetime.timedelta(days=30)
    plans = Plan.objects.filter(pk=city_a.plan.pk)

    def updated():
        return plans.get().updated_at

    for change in (
        lambda: Measure.objects.filter(pk=city_a.measure.pk).get().save(),
        lambda: city_a.progress.save(),
        lambda: city_a.value.save(),
        lambda: city_a.meeting.save(),
        lambda: city_a.agenda_item.save(),
        lambda: city_a.program.departments.remove(city_a.department),
        lambda: city_a.department.programs.add(city_a.program),
        lambda: city_a.document.delete(),
    ):
        plans.update(updated_at=long_ago)
        change()
        assert updated() > long_ago + datetime.timedelta(days=29)


def test_a_change_in_another_plan_does_not_move_this_plans_date(world):
    city_a, city_b = world
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Plan.objects.update(updated_at=long_ago)
    city_b.progress.save()
    assert Plan.objects.get(pk=city_a.plan.pk).updated_at == long_ago


def test_the_groups_come_back_complete_after_a_flush_or_migrate():
    from django.core.management import call_command

    Group.objects.filter(name__in=["編集者", "公開責任者"]).delete()
    call_command("migrate", verbosity=0)  # nothing to apply; post_migrate restores the groups
    assert (
        Group.objects.get(name="編集者")
        .permissions.filter(codename="change_programprogress")
        .exists()
    )
    assert Group.objects.get(name="公開責任者").permissions.filter(codename="publish_plan").exists()


def test_only_a_publisher_of_the_plans_own_city_deletes_it(client, world):
    city_a, city_b = world
    StaffMembership.objects.create(
        user=city_a.publisher, municipality=city_b.municipality, role="editor"
    )
    client.force_login(city_a.publisher)
    delete_b = reverse("admin:plans_plan_delete", args=[city_b.plan.pk])
    assert client.post(delete_b, {"post": "yes"}).status_code == 403
    client.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "delete_selected", "_selected_action": [city_b.plan.pk], "post": "yes"},
    )
    assert Plan.objects.filter(pk=city_b.plan.pk).exists()
    client.force_login(city_a.editor)
    assert (
        client.post(
            reverse("admin:plans_plan_delete", args=[city_a.plan.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    client.force_login(city_a.publisher)
    response = client.post(
        reverse("admin:plans_plan_delete", args=[city_a.plan.pk]), {"post": "yes"}
    )
    assert response.status_code == 302 and not Plan.objects.filter(pk=city_a.plan.pk).exists()


def test_view_on_site_of_a_plans_parts_opens_the_preview_of_the_working_rows(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    council_url = reverse("public:council", args=[city_a.council.pk])
    page = client.get(
        reverse("admin:councils_council_change", args=[city_a.council.pk])
    ).content.decode()
    assert f'href="{council_url}?preview=1"' in page


def test_a_single_city_editor_gets_the_city_preset_on_new_rows(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    response = client.get(reverse("admin:plans_department_add"))
    assert response.context["adminform"].form.initial["municipality"] == city_a.municipality.pk
    choices = list(response.context["adminform"].form.fields["municipality"].queryset)
    assert choices == [city_a.municipality]


@pytest.mark.django_db(transaction=True)
def test_staff_groups_keep_spreadsheet_permissions_after_a_flush():
    """Django's transactional tests flush the database; the roles must survive it whole."""
    from django.core.management import call_command

    call_command("flush", "--noinput", verbosity=0)
    codenames = set(Group.objects.get(name="編集者").permissions.values_list("codename", flat=True))
    assert {"import_programprogress", "export_programprogress", "import_meeting", "export_organization"} <= codenames
