"""A live version's public page as the bytes residents get: the stored content in the site's frame, composed once.

A page depends on its version's content (frozen at approval) and on its frame: the site's header and
footer, the addresses of its styles (with their hashes in production), the page survey, and whether the
plan's period has ended (the notice 「計画期間を終えた計画です」, by Japan's date). `frame_key` names these;
a page whose stored key is not today's is composed again and stored, once per release and page, so a
request otherwise sends the stored bytes without rendering anything. Nothing in the frame is the
visitor's (no CSRF token: limits.origins), so any proxy may keep the page.
"""

import hashlib
from functools import lru_cache
from types import SimpleNamespace

from django.template.loader import render_to_string
from django.utils import timezone

from .models import PlanVersion, VersionPage

TEMPLATE = "public/page.html"


def _context(page, version, *, ended: bool) -> dict:
    return {
        "page": page, "version": version, "municipality": version.municipality, "plan_id": version.plan_id,
        "current": True, "draft": False, "preview": False, "period_ended": ended,
    }


@lru_cache(maxsize=1)
def release_frame() -> str:
    """A hash of the frame as this release renders it (templates, static names, URLs): a page with marks
    for everything that is the page's own."""
    page = SimpleNamespace(path="/plans/0/", title="\x00title", description="\x00description",
                           breadcrumbs=[("\x00crumb", None)], content="\x00content", feedback_title="\x00survey")
    version = SimpleNamespace(number=0, plan_id=0, card={"url": "/plans/0/"},
                              municipality=SimpleNamespace(code="000000", name="\x00municipality"))
    frames = [render_to_string(TEMPLATE, _context(page, version, ended=ended)) for ended in (False, True)]
    return hashlib.sha256("\x00".join(frames).encode()).hexdigest()[:32]


def frame_key(period_end) -> str:
    """What a page's frame is composed from now: the release's frame and whether its plan's period has ended."""
    ended = period_end < timezone.localdate()
    return f"{release_frame()}:{'ended' if ended else 'current'}"


def compose(page: VersionPage, version: PlanVersion) -> VersionPage:
    """Render the page whole into `page.html` (not saved), with its hash and key."""
    ended = version.period_end < timezone.localdate()
    html = render_to_string(TEMPLATE, _context(page, version, ended=ended)).encode()
    page.html, page.html_digest = html, hashlib.sha256(html).hexdigest()
    page.frame_key, page.composed_at = frame_key(version.period_end), timezone.now()
    return page


STORED = ("html", "html_digest", "frame_key", "composed_at")


def recompose(page_id: int) -> VersionPage:
    """A stored page whose frame has changed (a new release, a period that ended): composed and stored again."""
    page = VersionPage.objects.select_related("version__municipality").defer("version__rows").get(pk=page_id)
    compose(page, page.version)
    VersionPage.objects.filter(pk=page_id).update(**{name: getattr(page, name) for name in STORED})
    return page
