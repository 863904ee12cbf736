"""Shared test set-up: production-like settings, with HTTPS redirects off for the test client."""

import pytest
from django.core.management import call_command

from reoffense_portal.management.commands.setup_demo import publish_seeded_plans
from tests.object_storage import object_storage, s3_server  # noqa: F401 — fixtures: uploads in a real S3 API
from tests.seeding import seeded_rows


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Passwords hashed in microseconds: the production hasher takes a quarter of a second a password on
    purpose, and creating and logging in staff users was most of many tests' set-up."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _job_progress_in_tmp(settings, tmp_path):
    settings.JOBS_PROGRESS_DIR = tmp_path / "jobs"


@pytest.fixture
def run_jobs(db):
    """Work the task queue as `manage.py run_worker --batch` would, inside the test's transaction."""
    from tests.job_queue import run_queued_tasks

    return run_queued_tasks


@pytest.fixture
def seeded(db):
    """The real cities of the fixtures: national priorities, Yamaguchi and Kumamoto, their plans published.

    Publishing typesets pages and takes a second or more, so each test process publishes once and
    writes the same rows again, with the same keys, for the tests after it."""
    if seeded_rows.rows is None:
        before = seeded_rows.keys()
        call_command("loaddata", "national_priorities", "yamaguchi", "kumamoto", verbosity=0)
        publish_seeded_plans()
        seeded_rows.keep(before)
    else:
        seeded_rows.write()
