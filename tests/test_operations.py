"""Running the portal: the load balancer's health check, the staff log, the gunicorn settings."""

import json
import logging
import re
import runpy
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.admin import helpers
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from measures.models import ProgramProgress
from plans.models import Challenge
from reoffense_portal.composition.publishing.models import PlanVersion
from reoffense_portal.machinery.logformat import JsonFormatter, PlainFormatter
from tests.import_export_factories import confirm_import, csv_bytes, preview_import
from tests.job_queue import run_queued_tasks
from tests.staff_world import PASSWORD, make_world
from tests.test_project import manage
from tests.test_staff_history import change_url, form_data

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
HEALTH = "/health/"
FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def staff_log(caplog):
    """The lines of the staff log as the server writes them, each parsed into its fields."""
    caplog.set_level(logging.INFO, logger="portal.staff")

    def lines():
        formatter = PlainFormatter()
        return [formatter.format(record) for record in caplog.records if record.name == "portal.staff"]

    return lines


def sign_in(client, user, caplog):
    """Signed in, with the login's own line dropped."""
    client.force_login(user)
    caplog.clear()


def fields(line):
    return {key: json.loads(value) if value.startswith('"') else value for key, value in FIELD.findall(line)}


# --- /health/ --------------------------------------------------------------------------------------


def test_health_answers_200_when_database_cache_and_storage_work_and_is_never_cached(client):
    response = client.get(HEALTH)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "storage": "ok"}}
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "no-cache" in cache_control and "max-age=0" in cache_control


def test_health_answers_503_when_uploads_cannot_be_written_and_does_not_say_why(client, settings):
    denied = PermissionError(13, "Permission denied", f"{settings.MEDIA_ROOT}/health_check_storage_test")
    with mock.patch.object(FileSystemStorage, "_save", side_effect=denied):
        response = client.get(HEALTH)
    assert response.status_code == 503
    assert response.json() == {"status": "error", "checks": {"database": "ok", "cache": "ok", "storage": "error"}}
    assert "Permission" not in response.content.decode() and "media" not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_the_load_balancer_probes_health_over_plain_http_without_a_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301  # every page goes to https
    assert client.get(HEALTH).status_code == 200


# --- the staff log ---------------------------------------------------------------------------------


def test_a_city_editors_admin_edit_is_one_log_line_with_user_and_municipality(client, world, staff_log, caplog):
    city_a, _ = world
    sign_in(client, city_a.editor, caplog)
    data = form_data(client, city_a.measure)
    data["title"] = '就労の確保 "改訂"\nuser=admin'  # a title that would break or forge a naive line
    response = client.post(change_url(city_a.measure), data)
    assert response.status_code == 302

    [line] = staff_log()
    assert "\n" not in line
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00 INFO portal\.staff user=editor-a ", line)
    logged = fields(line)
    assert logged["user"] == "editor-a" and logged["municipality"] == "431001"
    assert logged["action"] == "change" and logged["object"] == f"measures.measure:{city_a.measure.pk}"
    # A one-line field drops the typed line break on input; the quote is kept and quoted in the log.
    assert logged["label"].endswith('就労の確保 "改訂"user=admin')
    assert "施策名" in logged["detail"]


def test_approval_steps_and_deleting_several_rows_are_logged_one_line_each(client, world, staff_log, caplog):
    city_a, _ = world
    sign_in(client, city_a.editor, caplog)
    client.post(reverse("admin:plans_plan_submit", args=[city_a.plan.pk]), {"comment": "初版の公開"})
    sign_in(client, city_a.publisher, caplog)
    client.post(reverse("admin:plans_plan_decide", args=[city_a.plan.pk]), {"decision": "approve"})
    run_queued_tasks()  # the job worker builds the version, as the publisher who approved it
    assert PlanVersion.objects.live().filter(plan=city_a.plan).exists()
    second = Challenge.objects.create(plan=city_a.plan, order=2, text="住居の課題")
    client.post(
        reverse("admin:plans_challenge_changelist"),
        {"action": "delete_selected", "post": "yes", helpers.ACTION_CHECKBOX_NAME: [city_a.challenge.pk, second.pk]},
    )
    assert not Challenge.objects.filter(plan=city_a.plan).exists()

    logged = [fields(line) for line in staff_log()]
    assert [(entry["action"], entry["object"]) for entry in logged] == [
        ("approved", f"plans.plan:{city_a.plan.pk}"),  # sign_in starts the log afresh: the editor's submit is gone
        ("delete", f"plans.challenge:{city_a.challenge.pk}"),
        ("delete", f"plans.challenge:{second.pk}"),
    ]
    assert {(entry["user"], entry["municipality"]) for entry in logged} == {("publisher-a", "431001")}


def test_logins_failed_logins_lockouts_and_logouts_are_logged(client, world, staff_log, settings):
    city_a, _ = world
    city_a.editor.set_password(PASSWORD)
    city_a.editor.save()
    login = reverse("admin:login")
    client.post(login, {"username": "editor-a", "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")
    client.post(reverse("admin:logout"))
    client.post(login, {"username": "my-secret-password", "password": "wrong"}, REMOTE_ADDR="192.0.2.66")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": "editor-a", "password": "wrong"}, REMOTE_ADDR="192.0.2.66")

    lines = staff_log()
    logged = [fields(line) for line in lines]
    actions = [entry["action"] for entry in logged]
    assert actions[:3] == ["login", "logout", "login_failed"]
    assert actions.count("login_failed") == 1 + settings.AXES_FAILURE_LIMIT and actions.count("lockout") == 1
    assert logged[0] == {"user": "editor-a", "municipality": "431001", "action": "login", "ip": "192.0.2.10"}
    assert logged[1]["user"] == "editor-a"
    # A name that is no account's may be a password typed in the wrong field: never written down.
    assert logged[2] == {"user": "-", "municipality": "-", "action": "login_failed", "ip": "192.0.2.66"}
    assert not any("my-secret-password" in line for line in lines)
    assert {(entry["user"], entry["ip"]) for entry in logged[3:]} == {("editor-a", "192.0.2.66")}


def test_a_spreadsheet_import_and_an_export_are_one_line_each_with_their_counts(client, world, staff_log, caplog):
    city_a, _ = world
    sign_in(client, city_a.editor, caplog)
    header = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況"]
    row = ["431001", city_a.plan.title, "1", "1", city_a.program.name, "令和7年度", "実施"]
    preview = preview_import(client, "measures_programprogress", csv_bytes([header, row]))
    confirm_import(client, "measures_programprogress", preview)
    assert ProgramProgress.objects.filter(program=city_a.program, fiscal_year=2025).exists()
    client.post(reverse("admin:measures_programprogress_export"), {"resource": "0", "format": "0"})

    imported, exported = (fields(line) for line in staff_log())
    assert imported == {
        "user": "editor-a", "municipality": "431001", "action": "import", "model": "measures.programprogress",
        "rows_new": "1", "rows_update": "0", "rows_delete": "0", "rows_skip": "0",
    }
    assert exported == {
        "user": "editor-a", "municipality": "431001", "action": "export", "model": "measures.programprogress",
        "rows": "2",
    }


def test_saving_the_yearly_progress_screen_is_logged(client, world, staff_log, caplog):
    city_a, _ = world
    sign_in(client, city_a.editor, caplog)
    url = reverse("admin:measures_programprogress_entry", args=[city_a.plan.pk, 2024])
    client.post(url, {f"program-{city_a.program.pk}-status": "implemented"})
    [line] = staff_log()
    assert fields(line) == {
        "user": "editor-a", "municipality": "431001", "action": "progress",
        "object": f"plans.plan:{city_a.plan.pk}", "label": city_a.plan.title,
        "fiscal_year": "2024", "programs": "1", "values": "0",
    }


def test_with_log_format_json_each_line_is_a_json_object_with_the_staff_fields(client, world, caplog):
    city_a, _ = world
    caplog.set_level(logging.INFO, logger="portal.staff")
    sign_in(client, city_a.editor, caplog)
    client.post(change_url(city_a.measure), {**form_data(client, city_a.measure), "title": "就労の確保（改）"})
    [record] = [record for record in caplog.records if record.name == "portal.staff"]
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "INFO" and entry["logger"] == "portal.staff" and entry["time"].endswith("+09:00")
    assert (entry["user"], entry["municipality"], entry["action"]) == ("editor-a", "431001", "change")

    # The setting picks the format for every logger (django-axes says hello at start-up).
    started = manage("check", LOG_FORMAT="json", DEBUG="1")
    assert started.returncode == 0
    assert [json.loads(line)["logger"] for line in started.stderr.splitlines()][0] == "axes.apps"
    refused = manage("check", LOG_FORMAT="yaml", DEBUG="1")
    assert refused.returncode != 0 and "LOG_FORMAT must be plain or json" in refused.stderr


# --- gunicorn.conf.py --------------------------------------------------------------------------------


def test_gunicorn_waits_longer_than_a_pdf_render_and_takes_its_worker_count_from_the_environment(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["timeout"] > settings.PDF_RENDER_TIMEOUT
    assert 2 <= config["workers"] <= 8
    assert config["max_requests"] and config["max_requests_jitter"]
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"] == 3
