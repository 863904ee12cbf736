"""Two server processes, no Redis: both answer 404 the moment a plan's publication ends, and both show an
approved change at once, since the database (not a per-process cache) decides what residents read; and
residents' answers are counted once for the site, not once per process."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
READS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_and_body(url) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def answers(url) -> bool:
    try:
        return status_and_body(url)[0] == 200
    except urllib.error.URLError:  # not listening yet
        return False


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("several-processes")
    unset = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "DATABASE_URL",
             "TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS", "CLIENT_IP_HEADER")
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}", MEDIA_ROOT=str(tmp_path / "media"),
               SECURE_SSL_REDIRECT="0", STATIC_MANIFEST="0", WEB_CONCURRENCY="1", LOG_LEVEL="WARNING")
    return env


def shell(env, code: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


@pytest.fixture(scope="module")
def servers(environment):
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment, check=True,
                   timeout=300)
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "reoffense_portal.wsgi", "-c", "gunicorn.conf.py",
             "-b", f"127.0.0.1:{port}"],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    for url in urls:
        while not answers(f"{url}/robots.txt"):
            assert time.monotonic() < deadline, "the servers did not start"
            time.sleep(0.2)
    yield urls
    for process in processes:
        process.terminate()
        process.wait(10)


def test_two_processes_agree_at_once_on_unpublished_and_changed_plans(environment, servers):
    plan = shell(environment, "from tests.public_data import build_plan, municipality; "
                              "print(build_plan(municipality()).pk)")
    pages = [f"{url}/plans/{plan}/" for url in servers]
    for page in pages:  # each process has served (and could have kept) the page
        assert status_and_body(page)[0] == 200

    shell(environment, "from plans.models import Plan; from tests.public_data import publish; "
                       f"plan = Plan.objects.get(pk={plan}); plan.purpose = '改訂した目的です。'; plan.save(); "
                       "publish(plan)")
    bodies = [status_and_body(pages[n % 2]) for n in range(READS)]
    assert all(status == 200 and "改訂した目的です。" in body for status, body in bodies)

    shell(environment, f"from plans.models import Plan; from tests.public_data import unpublish; "
                       f"unpublish(Plan.objects.get(pk={plan}))")
    assert [status_and_body(pages[n % 2])[0] for n in range(READS)] == [404] * READS


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 itself is the answer


def post_answer(url, plan) -> int:
    """One resident's survey answer on the plan page, as the browser posts it (from the site's own page: its
    Origin); the status it gets."""
    data = {"municipality": "352039", "plan": plan, "page_path": f"/plans/{plan}/",
            "page_title": "", "sufficiency": "sufficient", "clarity": "clear", "findability": "quick",
            "comment": "", "homepage": ""}
    request = urllib.request.Request(f"{url}/feedback/", data=urllib.parse.urlencode(data).encode(),
                                     headers={"Origin": url})
    try:
        with urllib.request.build_opener(NoRedirects).open(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_two_processes_take_five_answers_from_one_address_not_five_each(environment, servers):
    """12 answers at once, half through each process: 5 stored (the old per-process counter let 10 through)."""
    plan = shell(environment, "from tests.public_data import build_plan, municipality; "
                              "print(build_plan(municipality(), title='回数制限を試す計画').pk)")
    with urllib.request.urlopen(f"{servers[0]}/plans/{plan}/", timeout=10) as response:
        assert 'action="/feedback/"' in response.read().decode()
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda n: post_answer(servers[n % 2], plan), range(12)))
    assert sorted(statuses) == [302] * 5 + [429] * 7  # 302: stored and thanked; 429: 「しばらくしてから…」


def test_gunicorn_and_django_believe_https_only_from_a_trusted_proxy(servers):
    """None is named here (TRUSTED_PROXIES unset): a client on this machine saying https is not on https."""
    request = urllib.request.Request(f"{servers[0]}/robots.txt", headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert f"Sitemap: {servers[0]}/sitemap.xml" in response.read().decode()
