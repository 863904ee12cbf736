"""/health/ for the load balancer: the database, the cache and the upload storage (django-health-check).

It answers 200 with {"status": "ok", ...} when every check passes and 503
when one fails (the balancer takes the server out of rotation). The answer is
public, so it names the checks and never the reason: the reason (a database
host, a path) goes to the log, where django-health-check writes it. It is
never cached (Cache-Control: no-cache, no-store). On the server,
`python manage.py health_check health --no-http` runs the same checks and
prints the reasons.
"""

import asyncio

from django.http import JsonResponse
from health_check.views import HealthCheckView

CHECKS = {
    "database": "health_check.checks.Database",
    "cache": "health_check.checks.Cache",
    # The default storage (MEDIA_ROOT, or the bucket of S3_BUCKET): a file written, read back and deleted.
    "storage": "health_check.checks.Storage",
}


class PublicHealthCheckView(HealthCheckView):
    checks = tuple(CHECKS.values())

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
        states = {name: "error" if result.error else "ok" for name, result in zip(CHECKS, results, strict=True)}
        healthy = "error" not in states.values()
        return JsonResponse({"status": "ok" if healthy else "error", "checks": states}, status=200 if healthy else 503)
