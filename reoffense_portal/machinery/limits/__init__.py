"""Ground floor: who sent a request, and how often they may.

- `addresses`: the one reader of a request's client address, and what the portal believes from
  the reverse proxies named in TRUSTED_PROXIES (X-Forwarded-For, X-Forwarded-Proto).
- `counters`: rate limits counted where every server process sees them: the database (one row
  per client and limit), or Redis when REDIS_URL is set.
- `logins`: django-axes' lockout on those addresses, with a second lock per address.

Imports no app of the portal; every floor above may use it.
"""
