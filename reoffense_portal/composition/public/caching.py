"""What a shared cache (a proxy, a CDN) may do with residents' pages and downloads.

`PUBLIC_CACHE_SECONDS` (default 0) is how long a shared cache may keep a published page or file without
asking again. With 0 it may keep it but must ask each time (`no-cache`), and the portal answers 304 from
one indexed lookup when nothing changed: an unpublished plan is gone at once. With 300, a page ended or
replaced may still be served from the cache for up to five minutes; in return the cache answers most
readers itself.
"""

import re

from django.conf import settings
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

ACCEPTS_GZIP = re.compile(r"\bgzip\b")  # read as Django's GZipMiddleware reads Accept-Encoding


def shared(response):
    """Cache-Control of a published page or download, as PUBLIC_CACHE_SECONDS allows."""
    seconds = settings.PUBLIC_CACHE_SECONDS
    if seconds > 0:
        patch_cache_control(response, public=True, max_age=seconds)
    else:
        patch_cache_control(response, public=True, no_cache=True)
    return response


def gzipped(request) -> bool:
    """Whether the reader takes gzip: every browser does, and a 291 KB page then comes as 16 KB."""
    return bool(ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")))


def etag_of(digest: str, *, gzipped: bool = False) -> str:
    """The bytes' hash; weak for their gzip, as Django's GZipMiddleware marks it: the same page, other bytes.
    Either answers the other's If-None-Match, which compares weakly."""
    return f'W/"{digest}"' if gzipped else f'"{digest}"'


def conditional(request, *, etag: str, last_modified: float | None):
    """304 when the reader (or the proxy) already has these bytes, else None."""
    return get_conditional_response(request, etag=etag, last_modified=last_modified)


def validated(response, *, etag: str, last_modified: float | None, encodings: bool = False):
    """`encodings`: the resource also comes gzipped, so a cache keeps one copy per Accept-Encoding."""
    from django.utils.http import http_date

    if encodings:
        patch_vary_headers(response, ["Accept-Encoding"])
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    return shared(response)


class PrivateWhenCookiesMiddleware:
    """A response that sets a cookie (a member of staff's session, say) is never kept by a shared cache,
    whatever the view said; a public one loses `Vary: Accept-Language`, which a site in one language never
    varies by. Placed before SessionMiddleware, so it sees the cookies every later middleware set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cache_control = response.get("Cache-Control", "")
        if "public" not in cache_control:
            return response
        if response.cookies:
            del response["Cache-Control"]
            patch_cache_control(response, private=True, no_cache=True)
        elif len(settings.LANGUAGES) == 1 and response.has_header("Vary"):
            kept = [v.strip() for v in response["Vary"].split(",") if v.strip().lower() != "accept-language"]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response
