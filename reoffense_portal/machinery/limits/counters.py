"""Rate limits that hold for the site, not for one server process.

A limit counts each client (`addresses.client_address`; an IPv6 client by its /64, the block one
line or phone is given) in a window that starts with its first hit and lasts `window` seconds.
The counts live where every process sees them:

- the database by default (`models.Counter`, SQLite or PostgreSQL): one INSERT … ON CONFLICT DO
  UPDATE … RETURNING adds the hit and reads the count in one atomic statement, so processes
  posting at the same moment never lose a hit nor both take the last place; when a window starts,
  the rows of windows that have ended are deleted;
- Redis when REDIS_URL is set: SET NX EX and INCR in one MULTI, the key expiring with its window.

Which requests a form counts is its own decision (see plans.feedback and the comment form): both
count only what they store against the small quota, so that a resident's mistyped posts do not use
it up, and every post against a wide one, so that nobody can post without end.
"""

import datetime
import functools
import ipaddress
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connections, router
from django.utils import timezone

from .addresses import client_address, parse_address
from .models import Counter


class DatabaseStore:
    UPSERT = (
        "INSERT INTO {table} ({key}, {hits}, {ends_at}) VALUES (%s, 1, %s) "
        "ON CONFLICT ({key}) DO UPDATE SET "
        "{hits} = CASE WHEN {table}.{ends_at} <= %s THEN 1 ELSE {table}.{hits} + 1 END, "
        "{ends_at} = CASE WHEN {table}.{ends_at} <= %s THEN excluded.{ends_at} ELSE {table}.{ends_at} END "
        "RETURNING {hits}"
    )

    def hit(self, key: str, window: int) -> int:
        connection = connections[router.db_for_write(Counter)]
        now = timezone.now()
        quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
        sql = self.UPSERT.format(
            table=quote(Counter._meta.db_table), key=quote("key"), hits=quote("hits"), ends_at=quote("ends_at")
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [key, adapt(now + datetime.timedelta(seconds=window)), adapt(now), adapt(now)])
            (hits,) = cursor.fetchone()
        if hits == 1:  # a new window: clear away the ended ones, as many deletions as windows started
            Counter.objects.using(connection.alias).filter(ends_at__lte=now).delete()
        return hits


class RedisStore:
    PREFIX = "reoffense-portal:limits:"

    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url)

    def hit(self, key: str, window: int) -> int:
        pipeline = self.client.pipeline(transaction=True)
        pipeline.set(self.PREFIX + key, 0, ex=window, nx=True)
        pipeline.incr(self.PREFIX + key)
        return pipeline.execute()[1]


@functools.lru_cache(maxsize=4)
def _store(redis_url: str) -> DatabaseStore | RedisStore:
    return RedisStore(redis_url) if redis_url else DatabaseStore()


def store() -> DatabaseStore | RedisStore:
    """Redis when REDIS_URL is set, else the database."""
    return _store(settings.REDIS_URL)


def counted_address(address: str) -> str:
    """The part of a client address a limit counts: an IPv4 address, or an IPv6 address's /64."""
    parsed = parse_address(address)
    if parsed is not None and parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` hits per client in `window` seconds, counted under `name` (and a scope, if given)."""

    name: str
    limit: int
    window: int

    def admit(self, request, *scope) -> bool:
        """Count this request; False once its client has gone over the limit (refuse it)."""
        return store().hit(self.key(request, *scope), self.window) <= self.limit

    def key(self, request, *scope) -> str:
        return ":".join([self.name, *map(str, scope), counted_address(client_address(request))])
