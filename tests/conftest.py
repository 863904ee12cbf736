"""Shared test set-up: production-like settings, with HTTPS redirects off for the test client."""

import pytest
from django.core.management import call_command

from reoffense_portal.management.commands.setup_demo import publish_seeded_plans
from tests.object_storage import object_storage, s3_server  # noqa: F401 — fixtures: uploads in a real S3 API
from tests.seeding import seeded_rows


@pytest.fixture(scope="session", autouse=True)
def _tables_emptied_by_delete_on_postgresql():
    """A transactional test ends by emptying every table (Django's flush). On PostgreSQL that is one TRUNCATE
    of the hundred tables, 0.4 s each time, since each table gets new files; a DELETE from each, nearly empty,
    takes 0.04 s. Django's foreign keys on PostgreSQL are checked at commit, so the order does not matter."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    operations = type(connection.ops)
    truncate = operations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences:
            return truncate(self, style, tables, reset_sequences=True, allow_cascade=allow_cascade)
        return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]

    operations.sql_flush = sql_flush
    yield
    operations.sql_flush = truncate


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
