"""Whole-page cache of the public site for anonymous readers.

A rendered page is stored under a key that holds the current *data version*.
Any save, delete or many-to-many change of a model in plans, measures or
councils (staff editing in the admin, loaddata) and any spreadsheet import
(saved in batches, without per-row signals) sets a new data version, so
every cached page is dropped at once without anyone tracking which page
shows which row. Pages change rarely and are read often, so
flushing everything on each edit costs little.

The feedback form on each page needs a per-visitor CSRF token. Pages are
TemplateResponses, so the page is rendered with a placeholder in place of
the token and the placeholder is swapped for the visitor's token on the way
out; the cached page is otherwise byte for byte what the view rendered.

Only anonymous GET/HEAD requests without a query string are served from the
cache (``?preview=1`` and the staff who use it never are), and only 200
responses are stored, so a draft's 404 can never be cached into a page.

Only the data version lives in Django's default cache, which several server
processes must share (set ``REDIS_URL``) so that a change seen by one empties
the pages of all. The rendered pages themselves stay in each process's
memory: a page never changes under its key (a new data version is a new key),
so a local copy is never stale, and a cached page costs one small read of the
shared cache instead of fetching half a megabyte from it. Without a shared
cache, a process that did not see a change keeps serving its pages for at
most ``PAGE_TIMEOUT`` seconds.

Requests the page cache must not answer (staff signed in, a query string such
as ``?utm_source=…``, a staff preview) still need not rebuild a large page
from its thousand rows: `cached_fragment` keeps a part of a page that shows
data only (nothing of the visitor) under the same data version, in the same
kind of per-process memory. Such a part is rendered with `fragment_context`
(the request's path and nothing else of it, the CSRF placeholder in place of
the token); `insert_fragment` puts it, as bytes, into the rendered page with
the visitor's token in it.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.utils.safestring import mark_safe

VERSION_KEY = "public-pages:data-version"
PAGE_TIMEOUT = 600
# Rendered where {% csrf_token %} puts the token; replaced per response.
CSRF_PLACEHOLDER = "__csrf_token_of_this_visitor__"
PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
# Written by a template where insert_fragment puts a kept fragment.
FRAGMENT_MARKER = "<!--kept-fragment-->"
MARKER_BYTES = FRAGMENT_MARKER.encode()
PAGE_ENTRIES = 200  # rendered pages kept per process; the oldest go first
PORTAL_APPS = {"plans", "measures", "councils"}
# Models whose changes do not show on public pages.
IGNORED_MODELS = {"plans.feedback", "plans.staffmembership"}


# Rendered pages of this process, keyed by data version and path.
pages = LocMemCache("public-pages", {"TIMEOUT": PAGE_TIMEOUT, "OPTIONS": {"MAX_ENTRIES": PAGE_ENTRIES}})
# Rendered parts of pages of this process, keyed by data version and a name that says what they show.
fragments = LocMemCache("public-fragments", {"TIMEOUT": PAGE_TIMEOUT, "OPTIONS": {"MAX_ENTRIES": PAGE_ENTRIES}})


def data_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


def new_data_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


@dataclass(frozen=True)
class FragmentRequest:
    """What a kept fragment's templates see of the request: its path (the page survey's page_path)."""

    path: str


def fragment_context(request) -> dict:
    """Template context for a fragment other visitors will get: no user, no token, no query string."""
    return {"request": FragmentRequest(path=request.path), "csrf_token": CSRF_PLACEHOLDER}


def fragment_marker():
    """What a page's template writes where `insert_fragment` puts the kept fragment."""
    return mark_safe(FRAGMENT_MARKER)


def cached_fragment(name: str, render: Callable[[], str]) -> list[bytes]:
    """The HTML `render()` returns, kept until the data changes, as UTF-8 pieces split at the CSRF placeholder.

    `name` must tell apart everything the HTML depends on besides the data
    (the page's path, whether it is a preview); `render` must not show
    anything of the visitor (render with `fragment_context`), since other
    visitors get the copy. Kept as bytes, it goes into a response with
    `insert_fragment` without being decoded, searched or encoded again.
    """
    key = f"public-fragment:{data_version()}:{name}"
    pieces = fragments.get(key)
    if pieces is None:
        pieces = str(render()).encode().split(PLACEHOLDER_BYTES)
        fragments.set(key, pieces)
    return pieces


def insert_fragment(request, response: TemplateResponse, pieces: list[bytes]) -> TemplateResponse:
    """Once rendered, the response carries the kept fragment where its template wrote `fragment_marker()`.

    The fragment gets this visitor's CSRF token in place of the placeholder,
    except when the page cache renders the response (it keeps the placeholder
    and swaps it per reader itself).
    """

    def insert(rendered):
        if len(pieces) == 1 or (rendered.context_data or {}).get("csrf_token") == CSRF_PLACEHOLDER:
            token = PLACEHOLDER_BYTES
        else:
            token = get_token(request).encode()
        before, marker, after = rendered.content.partition(MARKER_BYTES)
        if not marker:
            raise ValueError(f"{rendered.template_name} has no {FRAGMENT_MARKER} for the kept fragment")
        body = [before]
        for piece in pieces[:-1]:
            body += (piece, token)
        body += (pieces[-1], after)
        rendered.content = b"".join(body)  # one copy of the page

    response.add_post_render_callback(insert)
    return response


def shows_on_public_pages(model) -> bool:
    meta = model._meta
    if meta.app_label not in PORTAL_APPS or meta.label_lower in IGNORED_MODELS:
        return False
    # simple-history's Historical* rows change only together with the real row.
    return not meta.model_name.startswith("historical")


def _data_changed(sender, **kwargs):
    if shows_on_public_pages(sender):
        new_data_version()


def _m2m_changed(sender, instance, action, **kwargs):
    if action.startswith("post_") and shows_on_public_pages(type(instance)):
        new_data_version()


def _imported(sender, model=None, **kwargs):
    # Spreadsheet imports save in batches (bulk_create/bulk_update), which send no post_save.
    if model is None or shows_on_public_pages(model):
        new_data_version()


def connect_signals() -> None:
    from import_export.signals import post_import

    post_save.connect(_data_changed, dispatch_uid="pagecache-save")
    post_delete.connect(_data_changed, dispatch_uid="pagecache-delete")
    m2m_changed.connect(_m2m_changed, dispatch_uid="pagecache-m2m")
    post_import.connect(_imported, dispatch_uid="pagecache-import")


def is_cacheable(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.GET
        and not request.user.is_authenticated
    )


def cache_public_page(view):
    """Serve anonymous readers a cached copy of the view's 200 TemplateResponse."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_cacheable(request):
            return view(request, *args, **kwargs)
        key = f"public-page:{data_version()}:{request.path}"
        cached = pages.get(key)
        if cached is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or not isinstance(response, TemplateResponse):
                return response
            response.context_data = {**(response.context_data or {}), "csrf_token": CSRF_PLACEHOLDER}
            response.render()
            cached = (response.content, response["Content-Type"])
            pages.set(key, cached)
        content, content_type = cached
        if PLACEHOLDER_BYTES in content:
            content = content.replace(PLACEHOLDER_BYTES, get_token(request).encode())
        return HttpResponse(content, content_type=content_type)

    return wrapper
