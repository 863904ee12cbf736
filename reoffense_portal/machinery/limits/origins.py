"""Residents' forms (the page survey, パブリックコメント) posted only from the portal's own pages.

These forms carry no per-visitor CSRF token, so that the pages around them are the same bytes for
everyone and can be stored and cached whole. What the token did for an anonymous form, refusing a post
another site makes a visitor's browser send, the browser's own statement of where the post comes from
does: every browser sends `Origin` with a cross-origin POST, and a page cannot forge it. A post whose
`Origin` is another site is refused; one without `Origin` (an old browser) must have a `Referer` on this
site, as Django's CSRF check demands of every HTTPS post; one with neither is refused. The accepted
origins are the request's own (its Host, as ALLOWED_HOSTS admits it) and CSRF_TRUSTED_ORIGINS.
"""

import functools
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger("portal.origins")
REASON = "cross-site post"  # what the Japanese 403 page is told, to say so


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _accepted(request) -> set[str]:
    own = f"{request.scheme}://{request.get_host()}".lower()
    return {own, *(origin.lower() for origin in settings.CSRF_TRUSTED_ORIGINS)}


def is_same_site_post(request) -> bool:
    """The post came from a page of the portal (its Origin, else its Referer, names this site)."""
    if getattr(request, "_dont_enforce_csrf_checks", False):  # Django's test client, as CsrfViewMiddleware allows
        return True
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None:
        return origin != "null" and origin.lower() in _accepted(request)
    referer = request.META.get("HTTP_REFERER")
    return bool(referer) and _origin_of(referer) in _accepted(request)


def same_site_post(view):
    """A resident's form view: no CSRF token, but a post from another site gets the Japanese 403 page."""

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        if request.method == "POST" and not is_same_site_post(request):
            logger.warning("cross-site post refused: path=%s origin=%s", request.path, request.META.get("HTTP_ORIGIN"))
            from django.urls import get_callable

            return get_callable(settings.CSRF_FAILURE_VIEW)(request, reason=REASON)
        return view(request, *args, **kwargs)

    return csrf_exempt(checked)
