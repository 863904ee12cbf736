"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright, against the live server.

Playwright's sync API runs an event loop in the test thread; the ORM calls
made by tests around it are synchronous and safe, so Django is told so.
"""

import os
import shutil
import threading
from pathlib import Path

import pytest

from tests.browser.public_site import public_site  # noqa: F401 (a fixture of every browser test)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    """Mark the tests of this folder (the hook sees every collected test, not only these)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _live_server_over_http():
    """Plain HTTP for the live server: SecurityMiddleware reads this once, when the server starts
    (before the function-scoped settings fixtures of tests/conftest.py apply)."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0


@pytest.fixture(scope="module")
def browser():
    """Chromium for one file's tests. Playwright's sync API keeps an event loop running in the thread until it
    stops, and Django refuses to run an async view (/health/) inside one: tests after these, in the same worker,
    get a browser-free thread."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _requests_answered_before_the_database_is_emptied(request):
    """A test may end while the live server still answers the browser (the redirect after a save). The test's
    database is emptied next, and SQLite refuses that under a request ("database table is locked"), so the
    test waits until every request has been answered. Torn down after the test's own browser fixtures."""
    if "live_server" not in request.fixturenames:
        yield
        return
    httpd = request.getfixturevalue("live_server").thread.httpd
    if not isinstance(httpd.get_app(), RequestsInFlight):
        httpd.set_app(RequestsInFlight(httpd.get_app()))
    yield
    httpd.get_app().wait_until_answered()


class RequestsInFlight:
    """A WSGI application counting its requests until each response is closed (WSGI's close())."""

    def __init__(self, app):
        self.app = app
        self.count = 0
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        self._add(1)
        try:
            return _ClosedWhenDone(self.app(environ, start_response), lambda: self._add(-1))
        except BaseException:
            self._add(-1)
            raise

    def _add(self, step):
        with self.changed:
            self.count += step
            self.changed.notify_all()

    def wait_until_answered(self, timeout=30):
        with self.changed:
            self.changed.wait_for(lambda: self.count == 0, timeout)


class _ClosedWhenDone:
    def __init__(self, response, done):
        self.response, self.done = response, done

    def __iter__(self):
        return iter(self.response)

    def close(self):
        try:
            if hasattr(self.response, "close"):
                self.response.close()
        finally:
            self.done()
