"""What residents read: pages and downloads of the live versions of plans, and the page survey.

Every response comes from a published version (reoffense_portal.composition.publishing):
a page is one read of its stored HTML, a download one read of its stored
bytes. Nothing here queries the rows staff edit, so a draft or an
unapproved change cannot show, and every server process answers the same,
since the live version is decided by the database on each request.

The one exception is the staff preview (``?preview=1``): the views that have
one say so with ``@preview.or_preview(...)``, the one place that hands the
request to publishing.preview, which renders the working rows for their own staff.
"""

import gzip
import logging
from functools import lru_cache
from types import SimpleNamespace

from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import FileField, Q
from django.db.models.fields.files import FieldFile
from django.db.models.fields.json import KeyTextTransform
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_POST, require_safe

from plans.feedback import ANSWERS, POSTS, FeedbackForm, is_local_path
from plans.models import Municipality, Plan
from reoffense_portal.composition import comparison
from reoffense_portal.composition.consultation import views as consultation
from reoffense_portal.composition.public import caching, lookups
from reoffense_portal.composition.publishing import adoption_status, pages, pdf, preview, search
from reoffense_portal.composition.publishing.models import PlanVersion, VersionFile, VersionMeeting, VersionPage
from reoffense_portal.composition.publishing.opendata import DATASETS, LICENSE
from reoffense_portal.machinery import disclosure
from reoffense_portal.machinery.limits import origins
from reoffense_portal.machinery.limits.origins import same_site_post
from reoffense_portal.machinery.spreadsheets.files import write_csv
from reoffense_portal.machinery.uploads import upload_response

from .accessibility import AccessibilityRecord

logger = logging.getLogger(__name__)

RECENT_MEETINGS = 5
# Seconds a reader is asked to wait for a PDF the job worker is typesetting (it takes a few).
PDF_PENDING_RETRY_SECONDS = 10


def live_versions():
    return PlanVersion.objects.live()


def _day(moment):
    """更新日 of a page listing published versions: Japan's date of their last change (None: nothing yet)."""
    return timezone.localdate(moment) if moment else None


def _page_response(request, page: VersionPage, *, current: bool = True) -> TemplateResponse:
    """An earlier version's page, rendered around its stored content (rarely read, so never stored whole)."""
    version = page.version
    return TemplateResponse(request, "public/page.html", {
        "page": page, "version": version, "municipality": version.municipality, "plan_id": version.plan_id,
        "current": current, "period_ended": version.period_ended,
    })


LIVE_PAGE = ("pk", "html_digest", "frame_key", "version__period_end", "version__live_from", "composed_at")
LIVE_PAGE_LOOKUP = lookups.Prepared(
    lambda path, now: VersionPage.objects.live_at(path, now).values_list(*LIVE_PAGE)[:1],
    path=lookups.TEXT.format("path"), now=lookups.NOW,
)


@lru_cache(maxsize=64)
def page_bytes(digest: str, page_id: int) -> bytes:
    """A stored page's bytes, named by their hash: each process keeps the last pages it sent, so a request
    reads only which page is live (and a 304 never reads the bytes). Kept by content, never another's or an older one."""
    return bytes(VersionPage.objects.values_list("html", flat=True).get(pk=page_id))


@lru_cache(maxsize=64)
def page_gzip(digest: str, page_id: int) -> bytes:
    """The same page gzipped, once per process: what browsers ask for (`mtime=0`: the same bytes every time)."""
    return gzip.compress(page_bytes(digest, page_id), compresslevel=6, mtime=0)


def _live_page(request):
    """The live version's page at this URL, as its stored bytes; 404 when no live version has one.

    One indexed lookup decides which page is live (its bytes from this process's memory, or one more read).
    A page whose frame has changed since it was composed (a new release, a period that has ended) is
    composed and stored again first.
    """
    row = LIVE_PAGE_LOOKUP.first(path=request.path, now=timezone.now())
    if row is None:
        # A draft plan in its comment period: the 案 frozen when the period opened, marked as such.
        proposal = consultation.proposal_page(request)
        if proposal is None:
            raise Http404("公開中のページではありません。")
        return proposal
    page_id, digest, key, period_end, live_from, composed_at = row
    if not digest or key != pages.frame_key(period_end):
        page = pages.recompose(page_id)
        digest, composed_at = page.html_digest, page.composed_at
    gzipped = caching.gzipped(request)
    etag, modified = caching.etag_of(digest, gzipped=gzipped), max(live_from, composed_at).timestamp()
    response = caching.conditional(request, etag=etag, last_modified=modified)
    if response is None:
        body = page_gzip(digest, page_id) if gzipped else page_bytes(digest, page_id)
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
        if gzipped:
            response["Content-Encoding"] = "gzip"
    return caching.validated(response, etag=etag, last_modified=modified, encodings=True)


@require_safe
@preview.or_preview(preview.plan_page)
def plan_detail(request, pk):
    return _live_page(request)


@require_safe
@preview.or_preview(preview.plan_page)
def plan_progress(request, pk, year):
    """年度ごとの実施状況: a fiscal year's page of the live version (a year the version holds, else 404)."""
    return _live_page(request)


@require_safe
@preview.or_preview(preview.council_page)
def council_detail(request, pk):
    return _live_page(request)


@require_safe
@preview.or_preview(preview.meeting_page)
def meeting_detail(request, pk):
    return _live_page(request)


def _live_version_of(pk) -> PlanVersion:
    version = live_versions().filter(plan_id=pk).select_related("municipality").order_by("-live_from").first()
    if version is None:
        raise Http404("公開中の計画ではありません。")
    return version


@require_safe
def plan_versions(request, pk):
    """改訂履歴: every version of a live plan that has been public, newest first."""
    current = _live_version_of(pk)
    versions = PlanVersion.objects.released().filter(plan_id=pk).order_by("-number")
    crumbs = [*current.municipality.place_crumbs(), (current.title, current.card["url"]), ("改訂履歴", None)]
    return TemplateResponse(request, "public/plan_versions.html", {
        "current": current, "versions": versions, "municipality": current.municipality, "crumbs": crumbs,
        "updated_on": _day(versions.last_change()),
    })


@require_safe
def plan_version(request, pk, number):
    """An earlier version of a live plan's page, marked as not current."""
    current = _live_version_of(pk)
    page = get_object_or_404(
        VersionPage.objects.filter(version__in=PlanVersion.objects.released())
        .select_related("version__municipality").defer("version__rows"),
        version__plan_id=pk, version__number=number, path=reverse("public:plan", args=[pk]),
    )
    if page.version_id == current.pk:
        return HttpResponseRedirect(page.path)
    response = _page_response(request, page, current=False)
    response.context_data["current_version"] = current
    return response


@require_safe
@preview.or_preview(preview.municipality_page)
def municipality_detail(request, code):
    """A municipality's plans; one with none published still has its page, saying so (策定中 or 未策定)."""
    municipality = get_object_or_404(
        adoption_status.with_plan_status(Municipality.objects.select_related("prefecture", "parent")), code=code
    )
    versions = list(live_versions().filter(municipality=municipality).order_by("-period_start"))
    return TemplateResponse(request, "public/municipality.html", {
        "municipality": municipality, "versions": versions, "status": adoption_status.status_of(municipality),
        "crumbs": [*municipality.place_crumbs()[:-1], (municipality.name, None)],
        "updated_on": _day(PlanVersion.objects.filter(municipality=municipality).last_change_or_site()),
    })


def _comparison(request, code):
    """The comparison table of a prefecture's municipalities, from their live versions, sorted as asked."""
    prefecture = get_object_or_404(Municipality, code=code, kind=Municipality.Kind.PREFECTURE)
    versions = live_versions().filter(municipality__prefecture=prefecture).select_related("municipality")
    table = comparison.public_table(prefecture, versions.order_by("municipality", "-period_start"))
    return table.sorted_by(request.GET.get("sort"), request.GET.get("order"))


@require_safe
def prefecture_comparison(request, code):
    table = _comparison(request, code)
    prefecture = table.prefecture
    return TemplateResponse(request, "public/prefecture_comparison.html", {
        "prefecture": prefecture, "table": table, "small_number_note": disclosure.note(),
        "crumbs": [*prefecture.place_crumbs(), (f"{prefecture.name}内の市区町村の計画の比較", None)],
        "updated_on": _day(PlanVersion.objects.filter(municipality__prefecture=prefecture).last_change_or_site()),
    })


@require_safe
def prefecture_comparison_csv(request, code):
    table = _comparison(request, code)
    response = HttpResponse(table.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=table.filename)
    return _licensed(response)


@require_safe
def home(request):
    recent = (
        VersionMeeting.objects.filter(version__in=live_versions(), held_on__isnull=False)
        .select_related("version__municipality").order_by("-held_on")[:RECENT_MEETINGS]
    )
    prefectures = Municipality.objects.filter(kind=Municipality.Kind.PREFECTURE).order_by("code")
    return TemplateResponse(request, "public/home.html", {
        "prefectures": prefectures, "recent_meetings": recent, "updated_on": _day(PlanVersion.objects.last_change()),
    })


# --- Prefectures and the national figure -------------------------------------------------------


@require_safe
def prefecture_list(request):
    """The 47 prefectures, each with how many of its municipalities have a published plan, one in preparation, none."""
    return TemplateResponse(request, "public/prefectures.html", {
        "statuses": adoption_status.prefecture_statuses(), "updated_on": _day(PlanVersion.objects.last_change()),
    })


@require_safe
def prefecture_detail(request, code):
    prefecture = get_object_or_404(Municipality, code=code, kind=Municipality.Kind.PREFECTURE)
    own, municipalities = adoption_status.municipality_statuses(prefecture)
    in_prefecture = PlanVersion.objects.filter(Q(municipality=prefecture) | Q(municipality__prefecture=prefecture))
    return TemplateResponse(request, "public/prefecture.html", {
        "crumbs": [*prefecture.place_crumbs()[:-1], (prefecture.name, None)],
        "updated_on": _day(in_prefecture.last_change_or_site()),
        "prefecture": prefecture, "own_versions": own, "municipalities": municipalities,
        "counts": {key: sum(1 for m in municipalities if m.status == status)
                   for key, status in (("published", adoption_status.PUBLISHED), ("ended", adoption_status.ENDED),
                                       ("preparing", adoption_status.PREPARING), ("none", adoption_status.NONE))},
        "own_status": adoption_status.versions_status(own), "rule": adoption_status.RULE,
        "existing": adoption_status.Extent.current().by_prefecture.get(prefecture.code),
    })


@require_safe
def plan_status(request):
    """「地方再犯防止推進計画の策定状況」 per prefecture, as the Ministry of Justice asks it, with its CSV and JSON."""
    statuses = adoption_status.prefecture_statuses()
    return TemplateResponse(request, "public/plan_status.html", {
        "statuses": statuses, "as_of": adoption_status.as_of_label(), "national": adoption_status.NationalStatus.of(statuses),
        "rule": adoption_status.RULE, "updated_on": _day(PlanVersion.objects.last_change()),
    })


@require_safe
def plan_status_csv(request):
    response = HttpResponse(
        write_csv(adoption_status.survey_dataset(adoption_status.prefecture_statuses())), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, "地方再犯防止推進計画の策定状況.csv")
    return _licensed(response)


def _plan_entry(request, version) -> dict:
    """A plan of status.json, from a live version's fields (`card__…` read out of its JSON by the database)."""
    return {
        "title": version["title"], "period": version["card__period_label"] or "",
        "period_start": version["period_start"].isoformat(), "period_end": version["period_end"].isoformat(),
        "period_ended": version["period_end"] < timezone.localdate(),
        "embedded_in": version["card__embedded_in"] or "", "url": request.build_absolute_uri(version["card__url"]),
    }


# Municipalities' plans on one page of status.json: about 150 KB, where all 1,788 of them are 530 KB.
STATUS_PAGE_PLANS = 500


def status_pages(statuses: list) -> list[list]:
    """The prefectures, in code order, split so that no page lists more than STATUS_PAGE_PLANS plans of
    their municipalities (a prefecture is never split): one page until the portal holds that many."""
    pages, current, weight = [], [], 0
    for status in statuses:
        plans = status.published + status.ended
        if current and weight + plans > STATUS_PAGE_PLANS:
            pages.append(current)
            current, weight = [], 0
        current.append(status)
        weight += plans
    return [*pages, current]


def _municipality_plans(prefectures) -> dict[str, list[dict]]:
    """The live versions of these prefectures' municipalities (wards are not counted), as status.json lists them."""
    fields = ("municipality_id", "municipality__name", "municipality__prefecture_id", "title", "period_start",
              "period_end")
    versions = (
        live_versions().filter(municipality__prefecture__in=prefectures)
        .exclude(municipality__kind__in=[Municipality.Kind.PREFECTURE, Municipality.Kind.CITY_WARD])
        .order_by("municipality_id", "-period_start")
        .values(*fields, card__period_label=KeyTextTransform("period_label", "card"),
                card__embedded_in=KeyTextTransform("embedded_in", "card"), card__url=KeyTextTransform("url", "card"))
    )
    plans = {prefecture.code: [] for prefecture in prefectures}
    for version in versions:
        plans[version["municipality__prefecture_id"]].append(version)
    return plans


def _page_number(request, pages: int) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 0
    if not 1 <= number <= pages:
        raise Http404(f"ページの番号は1から{pages}までです。")
    return number


@require_safe
def plan_status_json(request):
    """The national figure with every plan, in pages of at most STATUS_PAGE_PLANS municipalities' plans
    (`?page=2`; `pages`, `next` and `previous` say where the others are)."""
    statuses = adoption_status.prefecture_statuses()
    pages = status_pages(statuses)
    number = _page_number(request, len(pages))
    shown = pages[number - 1]
    plans = _municipality_plans([s.prefecture for s in shown])

    def page_url(n):
        return request.build_absolute_uri(f"{reverse('public:plan_status_json')}?page={n}") if 1 <= n <= len(pages) else None

    data = {
        "title": "地方再犯防止推進計画の策定状況",
        "as_of": timezone.localdate().isoformat(),
        "license": LICENSE,
        "rule": adoption_status.RULE + "政令指定都市の行政区は数えません。",
        "register": adoption_status.NationalStatus.of(statuses).register_sentence,
        "page": number, "pages": len(pages), "next": page_url(number + 1), "previous": page_url(number - 1),
        "prefectures": [_status_row(request, s, plans[s.prefecture.code]) for s in shown],
    }
    return _licensed(JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1}))


def _status_row(request, s, municipality_plans) -> dict:
    own = [{"title": v.title, "period_start": v.period_start, "period_end": v.period_end,
            **{f"card__{key}": v.card.get(key) for key in ("period_label", "embedded_in", "url")}} for v in s.plans]
    return {
        "code": s.prefecture.code, "name": s.prefecture.name, "municipalities": s.total,
        "municipalities_existing": s.existing,
        "published": s.published, "share_percent": s.share_percent,
        "ended": s.ended, "preparing": s.preparing, "none": s.none, "prefecture_plan_status": s.own_status,
        "prefecture_plans": [_plan_entry(request, v) for v in own],
        "municipality_plans": [
            {"code": v["municipality_id"], "name": v["municipality__name"], **_plan_entry(request, v)}
            for v in municipality_plans
        ],
    }


# --- Downloads ---------------------------------------------------------------------------------


DOWNLOAD = ("pk", "version_id", "stored_name", "gzip_name", "digest", "size", "filename", "content_type",
            "typeset_error", "version__live_from")
# A version's own files up to this size (open data, the 概要版: tens to hundreds of KB) are kept in each process's
# memory once read, as pages are: from object storage each download was a request to the bucket. Larger ones stream.
KEPT_FILE_BYTES = 4_000_000


LIVE_FILE_LOOKUP = lookups.Prepared(
    lambda plan_id, key, now: (
        VersionFile.objects.live(now).filter(version__plan_id=plan_id, key=key)
        .order_by("-version__live_from").values_list(*DOWNLOAD)[:1]
    ),
    plan_id=lookups.NUMBER, key=lookups.TEXT.format("key"), now=lookups.NOW,
)


def _live_file(plan_pk, key: str) -> dict:
    """What serving a live version's download needs, in one query: never its bytes nor the PDF's source."""
    row = LIVE_FILE_LOOKUP.first(plan_id=plan_pk, key=key, now=timezone.now())
    if row is None:
        raise Http404("公開中のファイルではありません。")
    return dict(zip(DOWNLOAD, row, strict=True))


@lru_cache(maxsize=64)
def kept_file(name: str, digest: str) -> bytes:
    """A version file's bytes, read once per process; by name and hash, so never another's or an older one."""
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def _stored_bytes(request, file: dict, *, as_attachment: bool):
    """The stored bytes (from memory, or streamed from the file storage), or 304 when the reader (or a proxy)
    has them.

    ETag is the bytes' hash; a version's file never changes under its key. Open data comes gzipped to
    readers who ask, from the copy stored beside it at approval. Versions approved before downloads moved
    to the storage keep their bytes in the row: only that column is read.
    """
    gzipped = bool(file["gzip_name"]) and caching.gzipped(request)
    etag = caching.etag_of(file["digest"], gzipped=gzipped) if file["digest"] else f'"v{file["version_id"]}-{file["pk"]}"'
    modified = file["version__live_from"].timestamp()
    response = caching.conditional(request, etag=etag, last_modified=modified)
    if response is None:
        response = _file_response(file, file["gzip_name"] if gzipped else file["stored_name"], as_attachment)
        if gzipped:
            response["Content-Encoding"] = "gzip"
    return caching.validated(response, etag=etag, last_modified=modified, encodings=bool(file["gzip_name"]))


def _file_response(file: dict, name: str, as_attachment: bool):
    if name and file["size"] is not None and file["size"] <= KEPT_FILE_BYTES:
        content = kept_file(name, file["digest"])
    elif name:
        return FileResponse(default_storage.open(name, "rb"), content_type=file["content_type"],
                            as_attachment=as_attachment, filename=file["filename"])
    else:
        content = VersionFile.objects.values_list("content", flat=True).get(pk=file["pk"])
        if content is None:
            raise Http404("公開中のファイルではありません。")
    response = HttpResponse(bytes(content), content_type=file["content_type"])
    response["Content-Disposition"] = content_disposition_header(as_attachment, file["filename"])
    return response


def _not_typeset(request, file: dict):
    """「作成中です」 (or why it could not be made), while the job worker has not stored the PDF."""
    pdf.requeue_if_lost(SimpleNamespace(pk=file["pk"]))
    plan = PlanVersion.objects.defer("rows").get(pk=file["version_id"])
    if file["typeset_error"]:
        template, retry = "pdf/unavailable.html", 60
    else:
        template, retry = "pdf/pending.html", PDF_PENDING_RETRY_SECONDS
    response = TemplateResponse(request, template, {"message": file["typeset_error"], "plan": plan, "retry": retry},
                                status=503)
    response["Retry-After"] = str(retry)
    patch_cache_control(response, no_store=True)
    return response


@require_safe
def plan_summary(request, pk):
    """The 概要版 PDF of the live version, as the job worker typeset it after approval.

    Never typeset here: until the worker is done the reader gets 「作成中です」 with Retry-After.
    """
    file = _live_file(pk, "summary.pdf")
    if not file["stored_name"] and not VersionFile.objects.filter(pk=file["pk"], content__isnull=False).exists():
        return _not_typeset(request, file)
    return _stored_bytes(request, file, as_attachment=False)


def _licensed(response):
    response["Link"] = f'<{LICENSE["url"]}>; rel="license"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def plan_json(request, pk):
    return _licensed(_stored_bytes(request, _live_file(pk, "plan.json"), as_attachment=False))


@require_safe
def plan_csv(request, pk, dataset):
    if dataset not in DATASETS:
        raise Http404("そのデータはありません。")
    return _licensed(_stored_bytes(request, _live_file(pk, f"{dataset}.csv"), as_attachment=True))


def _serve_document(file: dict):
    """An uploaded file a live version links, read through the default storage (404 when it is not there)."""
    if not file["stored_name"]:
        raise Http404("ファイルが見つかりません。")
    return upload_response(FieldFile(None, FileField(), file["stored_name"]), file["filename"])


@require_safe
@preview.or_preview(preview.plan_document)
def plan_document(request, pk):
    return _serve_document(_live_file(pk, "document"))


@require_safe
@preview.or_preview(preview.meeting_document)
def meeting_document(request, pk):
    file = (
        VersionFile.objects.filter(version__in=live_versions(), key=f"meeting-document:{pk}")
        .order_by("-version__live_from").values(*DOWNLOAD).first()
    )
    if file is None:
        raise Http404("公開中のファイルではありません。")
    return _serve_document(file)


# --- The page survey ---------------------------------------------------------------------------


@same_site_post
@require_POST
def feedback(request):
    """Every post counts against POSTS, only an answer that would be stored against ANSWERS (plans.feedback)."""
    if not POSTS.admit(request):
        return TemplateResponse(request, "plans/feedback_limited.html", status=429)
    form = FeedbackForm(request.POST, public_plans=Plan.objects.filter(versions__in=live_versions()).distinct())
    if form.is_robot:
        # Answer a robot as if it had succeeded, and store nothing.
        return HttpResponseRedirect(_thanks_url(request.POST.get("page_path", "")))
    if not form.is_valid():
        return TemplateResponse(request, "plans/feedback_invalid.html", {"form": form}, status=400)
    if not ANSWERS.admit(request):
        return TemplateResponse(request, "plans/feedback_limited.html", status=429)
    form.save()
    return HttpResponseRedirect(_thanks_url(form.cleaned_data["page_path"]))


def _thanks_url(page_path: str) -> str:
    url = reverse("public:feedback_thanks")
    return f"{url}?{urlencode({'page': page_path})}" if is_local_path(page_path) else url


@require_safe
def feedback_thanks(request):
    page = request.GET.get("page", "")
    return TemplateResponse(request, "plans/feedback_thanks.html", {"back_to": page if is_local_path(page) else ""})


# --- Site pages --------------------------------------------------------------------------------


@require_safe
def accessibility(request):
    """The policy, and the results of the last stored run of the accessibility test (none typed here)."""
    record = AccessibilityRecord.load()
    return TemplateResponse(request, "public/accessibility.html", {
        "record": record, "updated_on": _day(record.tested_at if record else None),
    })


SEARCH_PAGE_SIZE = 20


@require_safe
def site_search(request):
    """サイト内検索 over the live versions (publishing/search.py); a bad query gets its Japanese message, 200."""
    query = request.GET.get("q", "").strip()
    context = {"search_query": query, "query_string": urlencode({"q": query})}
    try:
        entries = search.search(query)
    except search.QueryError as error:
        context["error"] = str(error)
        return TemplateResponse(request, "public/search.html", context)
    page = Paginator(entries, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    context["page_obj"] = page
    context["results"] = [
        {"title": entry.title, "url": entry.url, "kind": entry.get_kind_display(),
         "municipality": entry.version.municipality.name, "plan_title": entry.version.title,
         "excerpt": search.excerpt(entry.text, query)}
        for entry in page
    ]
    return TemplateResponse(request, "public/search.html", context)


@require_safe
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("public:sitemap"))
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /*?preview=", f"Sitemap: {sitemap}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a Japanese page instead of Django's English one (also for residents' forms posted
    from another site, limits.origins)."""
    return TemplateResponse(request, "public/csrf_failure.html", {"cross_site": reason == origins.REASON},
                            status=403)
