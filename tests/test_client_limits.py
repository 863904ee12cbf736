"""Who sent a request and how often: the client's address as the trusted proxy saw it, https only from that
proxy, and rate-limit counts that live in the database (or Redis) rather than in one server process."""

import datetime
import shutil
import socket
import subprocess
import time

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import timezone

from reoffense_portal.machinery.limits.addresses import TrustedProxyHeadersMiddleware, client_address
from reoffense_portal.machinery.limits.counters import RateLimit
from reoffense_portal.machinery.limits.models import Counter

PROXY = "10.0.0.2"


def request_from(remote_addr, forwarded_for=None, **headers):
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().post("/feedback/", REMOTE_ADDR=remote_addr, **headers)


@pytest.mark.parametrize("trusted, remote_addr, forwarded_for, client", [
    # No proxy named (the default): the connection's address, whatever the client writes.
    ([], "198.51.100.1", "203.0.113.9", "198.51.100.1"),
    ([], PROXY, "203.0.113.9", PROXY),
    # Behind the proxy: the address it appended, not what the client wrote before it.
    ([PROXY], PROXY, "198.51.100.1", "198.51.100.1"),
    ([PROXY], PROXY, "203.0.113.9, 198.51.100.1", "198.51.100.1"),
    ([PROXY], PROXY, "203.0.113.9,198.51.100.1", "198.51.100.1"),
    # A client talking to the server directly is not believed.
    ([PROXY], "198.51.100.1", "203.0.113.9", "198.51.100.1"),
    # Two proxies (a load balancer in 10.0.1.0/24, then the web server): skip both.
    (["10.0.1.0/24", PROXY], PROXY, "203.0.113.9, 198.51.100.1, 10.0.1.7", "198.51.100.1"),
    # The proxy asking itself (a health check): the proxy.
    ([PROXY], PROXY, None, PROXY),
    ([PROXY], PROXY, "", PROXY),
    # Garbage where the proxy should have written an address: nothing left of it is believed.
    ([PROXY], PROXY, "198.51.100.1, not-an-address", PROXY),
    # IPv6, and IPv4 as a dual-stack socket reports it.
    ([PROXY], PROXY, "2001:DB8::0:1", "2001:db8::1"),
    (["::1"], "::1", "::ffff:198.51.100.1", "198.51.100.1"),
    # gunicorn on a Unix socket: only a process on this machine can connect, like the proxy.
    ([], "", "198.51.100.1", "198.51.100.1"),
])
def test_the_client_address_is_the_one_the_trusted_proxy_saw(settings, trusted, remote_addr, forwarded_for, client):
    settings.TRUSTED_PROXIES = trusted
    assert client_address(request_from(remote_addr, forwarded_for)) == client


# --- https only from the trusted proxy ---------------------------------------------------------------


def sitemap_line(response) -> str:
    return next(line for line in response.content.decode().splitlines() if line.startswith("Sitemap:"))


def test_a_client_claiming_https_directly_is_not_treated_as_secure(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    response = client.get("/robots.txt", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_PROTO="https")
    assert sitemap_line(response) == "Sitemap: http://testserver/sitemap.xml"


def test_the_trusted_proxy_saying_https_is_believed(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    response = client.get("/robots.txt", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https",
                          HTTP_X_FORWARDED_FOR="198.51.100.1", HTTP_HOST="testserver")
    assert sitemap_line(response) == "Sitemap: https://testserver/sitemap.xml"


def test_a_direct_client_claiming_https_is_still_sent_to_https(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/robots.txt", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301 and response["Location"] == "https://testserver/robots.txt"
    through_proxy = client.get("/robots.txt", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert through_proxy.status_code == 200


def test_a_forgotten_proxy_setting_is_named_in_the_log_once(client, settings, caplog, monkeypatch):
    """Behind nginx on the same machine without TRUSTED_PROXIES, https is not recognised: the log says what to set."""
    monkeypatch.setattr(TrustedProxyHeadersMiddleware, "warned", False)
    settings.TRUSTED_PROXIES = []
    for _ in range(3):
        client.get("/robots.txt", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.get("/robots.txt", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_PROTO="https")
    warnings = [record.getMessage() for record in caplog.records if record.name == "portal.proxies"]
    assert warnings == ["X-Forwarded-Proto from 127.0.0.1 ignored: it is not a trusted proxy. "
                        "Name the reverse proxy in TRUSTED_PROXIES (e.g. TRUSTED_PROXIES=127.0.0.1)."]


# --- counts every process shares ---------------------------------------------------------------------

LIMIT = RateLimit("test-limit", limit=3, window=60)


@pytest.mark.django_db
def test_a_limit_counts_in_the_database_and_starts_again_after_its_window():
    resident = request_from("198.51.100.1")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert [LIMIT.admit(resident) for _ in range(5)] == [True, True, True, False, False]
        assert Counter.objects.get(key="test-limit:198.51.100.1").hits == 5
        clock.shift(59)
        assert not LIMIT.admit(resident)
        clock.shift(1)
        assert LIMIT.admit(resident)
    assert Counter.objects.get().hits == 1


@pytest.mark.django_db
def test_ended_windows_are_deleted_when_a_new_one_starts():
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(3):
            LIMIT.admit(request_from(f"198.51.100.{n}"))
        clock.shift(datetime.timedelta(minutes=5))
        LIMIT.admit(request_from("198.51.100.9"))
    assert list(Counter.objects.values_list("key", flat=True)) == ["test-limit:198.51.100.9"]


@pytest.mark.django_db
def test_a_scope_counts_apart_and_an_ipv6_client_is_counted_by_its_64(settings):
    phone = [request_from(f"2001:db8:1:2::{n}") for n in range(1, 5)]
    assert [LIMIT.admit(request) for request in phone] == [True, True, True, False]
    assert LIMIT.admit(phone[0], "another-period")
    assert LIMIT.admit(request_from("2001:db8:1:3::1"))


@pytest.fixture
def redis_url(tmp_path):
    """A Redis server of the test's own, on a free loopback port, gone afterwards."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


def test_with_redis_the_counts_live_in_redis_and_expire_with_their_window(settings, redis_url):
    import redis

    settings.REDIS_URL = redis_url
    resident = request_from("198.51.100.1")
    assert [LIMIT.admit(resident) for _ in range(4)] == [True, True, True, False]
    server = redis.Redis.from_url(redis_url)
    key = "reoffense-portal:limits:test-limit:198.51.100.1"
    assert int(server.get(key)) == 4 and 0 < server.ttl(key) <= 60
    server.expire(key, 0)  # the window ends
    assert LIMIT.admit(resident)
