"""Login safety: lockout with a cool-off (django-axes), password rules, sessions for shared office PCs."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.staff_world import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")



@pytest.fixture
def staff():
    return make_user("kumamoto-editor", password=PASSWORD, is_staff=True)


def login(client, username, password, ip="192.0.2.10"):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
    )


def fail(client, username, times, ip="192.0.2.10"):
    for _ in range(times):
        response = login(client, username, "wrong-password", ip)
        assert response.status_code in (200, 429)
    return response


def test_five_failures_lock_the_user_name_from_that_address_with_a_japanese_page(client, staff):
    assert settings.AXES_FAILURE_LIMIT == 5
    response = fail(client, staff.username, 5)
    assert response.status_code == 429
    page = response.content.decode()
    assert "ログインが一時的に制限されています" in page and "30分ほど待って" in page
    assert "再犯防止推進計画ポータル 管理画面" in page
    # Even the right password is refused while locked.
    response = login(client, staff.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_is_by_user_name_and_address_not_for_everyone(client, staff):
    other = make_user("yamaguchi-editor", password=PASSWORD, is_staff=True)
    fail(client, staff.username, 5)
    assert login(client, other.username, PASSWORD).status_code == 302
    client.logout()
    # The same user name from another office PC is not locked either.
    assert login(client, staff.username, PASSWORD, ip="192.0.2.99").status_code == 302


PROXY = "10.0.0.2"


@pytest.fixture
def publisher(settings):
    """kumamoto-publisher, whose name is on the city's pages, and the city's reverse proxy in front of the portal."""
    settings.TRUSTED_PROXIES = [PROXY]
    return make_user("kumamoto-publisher", password=PASSWORD, is_staff=True)


def through_proxy(client, username, password, forwarded_for):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def test_behind_the_proxy_a_stranger_cannot_lock_out_a_named_publisher(client, publisher):
    for _ in range(5):
        response = through_proxy(client, "kumamoto-publisher", "wrong-password", "203.0.113.66")
    assert response.status_code == 429  # the stranger is locked out
    assert AccessAttempt.objects.get().ip_address == "203.0.113.66"
    response = through_proxy(client, "kumamoto-publisher", PASSWORD, "198.51.100.10")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(publisher.pk)


def test_a_stranger_forging_the_publishers_address_locks_out_only_themselves(client, publisher):
    """X-Forwarded-For's first entries are the client's to write; the proxy appends the address it saw."""
    for _ in range(6):
        through_proxy(client, "kumamoto-publisher", "wrong-password", "198.51.100.10, 203.0.113.66")
    assert through_proxy(client, "kumamoto-publisher", PASSWORD, "198.51.100.10").status_code == 302


def test_many_user_names_tried_from_one_address_lock_that_address(client, publisher, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for n in range(8):  # never twice the same name: the (name, address) lock never triggers
        response = through_proxy(client, f"staff-{n}", "Spring2026!", "203.0.113.66")
    assert response.status_code == 429
    page = response.content.decode()
    assert "この接続元からのログインの失敗が多いため" in page and "30分ほど待って" in page
    # The right password is refused from that address too, and accepted from any other.
    assert through_proxy(client, "kumamoto-publisher", PASSWORD, "203.0.113.66").status_code == 429
    assert through_proxy(client, "kumamoto-publisher", PASSWORD, "198.51.100.10").status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, staff):
    fail(client, staff.username, 5)
    assert login(client, staff.username, PASSWORD).status_code == 429
    cool_off = datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= cool_off + datetime.timedelta(minutes=1)
        attempt.save()
    response = login(client, staff.username, PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)


def test_a_successful_login_resets_the_failures(client, staff):
    fail(client, staff.username, 4)
    assert login(client, staff.username, PASSWORD).status_code == 302
    client.logout()
    response = fail(client, staff.username, 4)
    assert response.status_code == 200
    assert login(client, staff.username, PASSWORD).status_code == 302


def test_failed_login_says_so_in_japanese(client, staff):
    page = login(client, staff.username, "wrong-password").content.decode()
    assert "正しいユーザー名とパスワードを入力してください" in page


@pytest.mark.parametrize("password", ["password", "1234567890", "kumamoto", "kumamoto-editor1"])
def test_weak_passwords_are_refused_in_japanese(password):
    user = make_user("kumamoto-editor1")
    with pytest.raises(ValidationError) as error:
        validate_password(password, user)
    assert any("パスワード" in message for message in error.value.messages)


def test_a_long_unusual_password_is_accepted():
    validate_password("熊本の春は桜と再犯防止2024", make_user("someone"))


def test_sessions_end_with_the_browser_and_after_an_hour_idle(client, staff):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 60 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    login(client, staff.username, PASSWORD)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()
    assert cookie["httponly"]


def test_an_idle_session_ends_and_asks_for_the_login_again(client, staff):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    login(client, staff.username, PASSWORD)
    assert client.get(reverse("admin:index")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)


@pytest.mark.parametrize("next_url", ["https://evil.example/admin/", "//evil.example/", "javascript:alert(1)"])
def test_a_login_whose_next_address_is_refused_lands_on_the_admin_index(client, staff, next_url):
    response = client.post(
        f"{LOGIN}?next={next_url}", {"username": staff.username, "password": PASSWORD, "next": next_url},
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(response["Location"]).status_code == 200
