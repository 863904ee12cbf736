"""Staff forms that fit their work: Japanese labels, compact inlines, named exports, clear choices."""

import re

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.staff_world import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_the_admin_index_names_every_app_and_model_in_japanese(superuser_client):
    html = superuser_client.get(reverse("admin:index")).content.decode()
    names = [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<caption>.*?</caption>|<th scope=\"row\"[^>]*>.*?</th>", html, re.S)
    ]
    assert "ログインの記録" in names and "ログイン試行" in names and "ログイン履歴" in names
    english = [name for name in names if re.search(r"[A-Za-z]", name)]
    assert english == []


def test_the_login_attempts_list_is_labelled_in_japanese(superuser_client, settings):
    AccessAttempt.objects.create(
        username="kumamoto-editor", ip_address="192.0.2.1", user_agent="Firefox", http_accept="*/*",
        path_info="/admin/login/", get_data="", post_data="", failures_since_start=settings.AXES_FAILURE_LIMIT - 2,
    )
    html = superuser_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    headers = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th scope=\"col\".*?</th>", html, re.S)]
    assert {"日時", "ユーザー名", "ブラウザの種類", "失敗した回数", "状態"} <= set(headers)
    assert "あと2回" in html
    assert "Status" not in html and "Attempt Time" not in html
