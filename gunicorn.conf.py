"""gunicorn settings for production: `gunicorn reoffense_portal.wsgi` run from this folder reads them.

Every setting can still be changed on the command line or in
GUNICORN_CMD_ARGS (e.g. GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000 --timeout 60").
"""

import multiprocessing
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The one source of the PDF limit and of the proxies both gunicorn and Django believe.
from reoffense_portal.settings import PDF_RENDER_TIMEOUT, TRUSTED_PROXIES  # noqa: E402

# Workers: 2 × cores + 1, at most 8 (each holds its own PDF renderer and charts in memory);
# WEB_CONCURRENCY (gunicorn's own variable) sets the number. Rate limits and lockouts count in the
# database, so any number of workers (and servers) count together.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))

# A PDF render is stopped after PDF_RENDER_TIMEOUT with a Japanese error page; the worker must
# live longer than that, or the resident would get the proxy's error instead.
timeout = PDF_RENDER_TIMEOUT + 10
# On a restart (HUP, deploy) requests in flight get as long to finish.
graceful_timeout = timeout
# Behind a reverse proxy that keeps connections open.
keepalive = 5

# A worker is replaced after about a thousand requests, the workers not all at once (a guard against
# memory that grows). The portal is imported once, in the master, and each worker is forked from it: a
# new worker then answers at once, where importing Django and the portal again took about 1 s of CPU,
# as much as the thousand requests of a public page before it. Nothing is connected at import (each
# worker opens its own database connection), so forking shares no connection. Reloading code takes a
# restart, not a HUP.
max_requests = 1000
max_requests_jitter = 100
preload_app = True

# One line per request on standard output: the peer (the proxy, behind one), the resident's address
# as the proxy forwarded it, the request, status, size, referrer, browser and the time in milliseconds.
accesslog = "-"
access_log_format = '%(h)s %({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
# The proxies gunicorn believes when they say a request came over https (X-Forwarded-Proto): the
# same TRUSTED_PROXIES that Django believes (reoffense_portal.machinery.limits.addresses), none by default.
forwarded_allow_ips = ",".join(TRUSTED_PROXIES)


def worker_exit(server, worker):
    """A worker leaving (after max_requests, or stopped) ends at once, as Instagram's servers do, instead of
    taking the interpreter apart object by object: 0.4 s of CPU that the other workers' requests waited for.
    Its database connections are closed and its logs written first; the exit code is the one it was leaving with."""
    import logging

    from django.db import connections

    connections.close_all()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    leaving = sys.exc_info()[1]
    code = leaving.code if isinstance(leaving, SystemExit) else (0 if leaving is None else 1)
    os._exit(code if isinstance(code, int) else 1)
