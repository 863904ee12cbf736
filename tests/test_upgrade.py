"""Upgrading a portal that published plans before versions existed: residents see no change."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE_VERSIONS = [("plans", "0006_checked_uploads"), ("publishing", None)]


@pytest.mark.django_db(transaction=True)
def test_plans_published_before_versions_get_their_first_version_on_upgrade(client):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_VERSIONS)
    old = executor.loader.project_state([BEFORE_VERSIONS[0]]).apps
    city = old.get_model("plans", "Municipality").objects.create(code="352039", name="山口市", kind="city")
    Plan = old.get_model("plans", "Plan")
    published_at = timezone.make_aware(datetime.datetime(2025, 4, 1, 9, 0))
    period = {"period_start": datetime.date(2025, 4, 1), "period_end": datetime.date(2030, 3, 31)}
    published = Plan.objects.create(municipality=city, title="第二次山口市再犯防止推進計画", status="published",
                                    published_at=published_at, purpose="公開していた目的です。", **period)
    draft = Plan.objects.create(municipality=city, title="下書きの計画", status="draft", **period)

    call_command("migrate", verbosity=0)  # as a city upgrades: every migration, then post_migrate

    page = client.get(f"/plans/{published.pk}/")
    assert page.status_code == 200 and "公開していた目的です。" in page.content.decode()
    assert "更新日：令和7年4月1日" in page.content.decode().replace('<time datetime="2025-04-01"><span class="nowrap">', "")
    assert client.get(f"/plans/{draft.pk}/").status_code == 404
    call_command("migrate", verbosity=0)  # running it again publishes nothing twice
    assert client.get(f"/plans/{published.pk}/versions/").content.decode().count("第1版") == 1
    assert "第2版" not in client.get(f"/plans/{published.pk}/versions/").content.decode()
