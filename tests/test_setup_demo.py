"""setup_demo: the demo cities and accounts of `make run`, idempotent and never with DEBUG off."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from plans.models import Municipality, Plan, StaffMembership

pytestmark = pytest.mark.django_db

USERNAMES = {
    "admin",
    "yamaguchi-editor",
    "yamaguchi-publisher",
    "kumamoto-editor",
    "kumamoto-publisher",
    "kumamoto-prefecture-editor",
}



@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def run(*args):
    out = StringIO()
    call_command("setup_demo", *args, stdout=out)
    return out.getvalue()


def accounts():
    """Everything that defines the demo accounts, comparable between runs."""
    return sorted(
        (
            user.pk,
            user.username,
            user.is_active,
            user.is_staff,
            user.is_superuser,
            tuple(sorted(g.name for g in user.groups.all())),
            tuple(sorted((m.municipality_id, m.role) for m in user.memberships.all())),
        )
        for user in get_user_model().objects.all()
    )


def test_creates_superuser_editors_and_publishers(debug, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    output = run()
    users = {u.username: u for u in get_user_model().objects.all()}
    assert set(users) == USERNAMES
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert all(user.check_password("demo-pass-2026") for user in users.values())
    memberships = {
        (m.user.username, m.municipality_id, m.role)
        for m in StaffMembership.objects.select_related("user")
    }
    assert memberships == {
        ("yamaguchi-editor", "352039", "editor"),
        ("yamaguchi-publisher", "352039", "publisher"),
        ("kumamoto-editor", "431001", "editor"),
        ("kumamoto-publisher", "431001", "publisher"),
        ("kumamoto-prefecture-editor", "430005", "editor"),
    }
    for name in USERNAMES - {"admin"}:
        user = users[name]
        assert user.is_staff and not user.is_superuser
        groups = {g.name for g in user.groups.all()}
        assert groups == ({"編集者", "公開責任者"} if name.endswith("publisher") else {"編集者"})
    publisher, editor = users["yamaguchi-publisher"], users["yamaguchi-editor"]
    yamaguchi_plan = Plan.objects.get(municipality="352039")
    assert yamaguchi_plan.may_be_published_by(publisher)
    assert not yamaguchi_plan.may_be_published_by(editor)
    assert not Plan.objects.get(municipality="431001").may_be_published_by(publisher)
    assert "demo-pass-2026" in output
    for name in USERNAMES:
        assert name in output
    assert "山口市の編集者" in output and "熊本市の公開責任者" in output


def test_loads_the_fixture_cities(debug):
    run()
    assert set(Plan.objects.values_list("title", flat=True)) == {
        "第二次山口市再犯防止推進計画",
        "熊本市再犯防止推進計画",
        # 法務省「地域再犯防止推進事業について」's three prefectures, their programmes published for the national tables.
        "秋田県の地域再犯防止推進事業（法務省資料による）",
        "佐賀県の地域再犯防止推進事業（法務省資料による）",
        "愛知県の地域再犯防止推進事業（法務省資料による）",
    }


def test_loads_the_47_prefectures_for_the_prefecture_pages(debug, client):
    run()
    assert Municipality.objects.filter(kind=Municipality.Kind.PREFECTURE).count() == 47
    assert Municipality.objects.get(pk="470007").name == "沖縄県"
    page = client.get("/prefectures/350001/").content.decode()
    assert "山口市" in page and "第二次山口市再犯防止推進計画" in page


def test_running_twice_gives_the_same_accounts(debug):
    run()
    first = accounts()
    plans = list(Plan.objects.values_list("pk", "title", "updated_at"))
    run()
    assert accounts() == first
    assert list(Plan.objects.values_list("pk", "title", "updated_at")) == plans


def test_running_again_resets_changed_accounts(debug):
    run()
    User = get_user_model()
    admin = User.objects.get(username="admin")
    admin.set_password("something-else-entirely")
    admin.is_superuser = False
    admin.save()
    editor = User.objects.get(username="kumamoto-editor")
    editor.is_active = False
    editor.save()
    StaffMembership.objects.filter(user=editor).update(role="publisher")
    StaffMembership.objects.create(user=editor, municipality_id="352039")
    run()
    admin.refresh_from_db()
    editor.refresh_from_db()
    assert admin.is_superuser and admin.check_password("demo-pass-2026")
    assert editor.is_active
    assert list(editor.memberships.values_list("municipality", "role")) == [("431001", "editor")]
    assert {g.name for g in editor.groups.all()} == {"編集者"}


def test_password_from_environment(debug, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-2026")
    output = run()
    assert all(u.check_password("another-demo-2026") for u in get_user_model().objects.all())
    assert "another-demo-2026" in output


def test_weak_password_is_refused_and_nothing_is_created(debug, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "short")
    with pytest.raises(CommandError, match="DEMO_PASSWORD がパスワードの条件を満たしていません"):
        run()
    assert not get_user_model().objects.exists()
    assert not Plan.objects.exists()


def test_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG が無効なため"):
        run()
    assert not get_user_model().objects.exists()
    assert not Plan.objects.exists()


def test_force_runs_with_debug_off(settings):
    settings.DEBUG = False
    run("--force")
    assert set(get_user_model().objects.values_list("username", flat=True)) == USERNAMES


def test_demo_accounts_log_in(debug, client):
    run()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "yamaguchi-editor", "password": "demo-pass-2026"},
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_seeded_rows_have_a_first_version_in_the_history(settings):
    settings.DEBUG = True
    call_command("setup_demo", stdout=StringIO())
    plan = Plan.objects.get(title="熊本市再犯防止推進計画")
    assert plan.history.count() == 1
    call_command("setup_demo", stdout=StringIO())
    assert plan.history.count() == 1
