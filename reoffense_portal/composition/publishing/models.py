"""Published versions of plans (版) and the approval requests (承認申請) that make them.

A version is the whole plan as residents read it, frozen when a publisher
approved it: its public pages rendered once (`VersionPage`), its downloads
(`VersionFile`: open data, the 概要版 PDF, the uploaded documents), the
meetings the calendar and feeds list (`VersionMeeting`) and its rows as data
(`PlanVersion.rows`, for the diff against the working rows). Residents read
nothing else: the public code never queries the editing tables, so a draft
cannot leak by construction.

A version is live from `live_from` until `live_until` (open-ended when
empty). Approving a new version ends the current one at the moment the new
one starts, so 公開予約 and 公開終了予約 are plain times compared with now on
each request: no scheduler process, and every server process agrees.
"""

from django.conf import settings
from django.db import models
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from councils.models import MeetingDateLabels
from plans.models import Municipality, Plan
from reoffense_portal.machinery import eras
from reoffense_portal.machinery.jobs.models import Job
from reoffense_portal.machinery.scoping.querysets import MunicipalityScopedQuerySet


class PlanVersionQuerySet(MunicipalityScopedQuerySet):
    def live(self, now=None):
        """Versions residents read at `now` (default: this moment), without the rows kept for the diff."""
        now = now or timezone.now()
        return self.filter(live_from__lte=now).filter(Q(live_until__isnull=True) | Q(live_until__gt=now)).defer("rows")

    def current(self, plan):
        """The plan's version residents read now, or None."""
        return self.live().filter(plan=plan).order_by("-live_from").first()

    def scheduled(self, now=None):
        """Approved versions whose publication is still to come (公開予約)."""
        return self.filter(live_from__gt=now or timezone.now())

    def released(self, now=None):
        """Versions that have been live at some time up to `now`: the plan's 改訂履歴."""
        now = now or timezone.now()
        return self.filter(live_from__lte=now).exclude(live_until=models.F("live_from"))

    def last_change(self, now=None):
        """When what these versions show residents last changed: the newest start or end of a publication
        up to `now`, or None when none has happened. The 更新日 and sitemap `lastmod` of pages listing them."""
        now = now or timezone.now()
        newest = self.aggregate(
            started=Max("live_from", filter=Q(live_from__lte=now)),
            ended=Max("live_until", filter=Q(live_until__lte=now)),
        )
        return max((moment for moment in newest.values() if moment is not None), default=None)

    def last_change_or_site(self, now=None):
        """`last_change`, or the site's when none of these was ever published: a page listing nothing
        published (a prefecture with no plan) changes with the site's 策定状況."""
        return self.last_change(now) or PlanVersion.objects.last_change(now)


class PlanVersion(models.Model):
    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="versions")
    municipality = models.ForeignKey(
        Municipality, verbose_name="自治体", on_delete=models.PROTECT, related_name="plan_versions"
    )
    number = models.PositiveIntegerField("版")
    title = models.CharField("計画名", max_length=120)
    period_start = models.DateField("計画期間（開始）")
    period_end = models.DateField("計画期間（終了）")
    summary = models.TextField("改訂の概要", blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申請者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="承認者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField("承認日時", default=timezone.now)
    live_from = models.DateTimeField("公開開始日時", db_index=True)
    live_until = models.DateTimeField("公開終了日時", null=True, blank=True, db_index=True)
    # Everything the municipality page, the home page and the feeds show of the plan, ready to print.
    card = models.JSONField("一覧用の情報", default=dict)
    # The working rows as they were approved, {"<app.model>:<pk>": {"model", "label", "fields"}}: the diff's "before".
    rows = models.JSONField("承認時のデータ", default=dict)

    objects = PlanVersionQuerySet.as_manager()

    class Meta:
        verbose_name = "公開版"
        verbose_name_plural = "公開版"
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="unique_version_number")]

    def __str__(self):
        return f"{self.title} 第{self.number}版"

    def get_absolute_url(self):
        return reverse("public:plan_version", args=[self.plan_id, self.number])

    @property
    def period_label(self) -> str:
        return self.card.get("period_label", "")

    @property
    def live_from_label(self) -> str:
        return eras.japanese_date(timezone.localdate(self.live_from))

    @property
    def period_ended(self) -> bool:
        """The plan's period is over (today in Japan): it stays readable, marked as a past plan."""
        return self.period_end < timezone.localdate()

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.live_from <= now and (self.live_until is None or self.live_until > now)


class VersionPageQuerySet(models.QuerySet):
    def live_at(self, path: str, now=None):
        """The page at `path` of a version residents read at `now`: one indexed lookup, one join, no subquery."""
        now = now or timezone.now()
        return (
            self.filter(path=path, version__live_from__lte=now)
            .filter(Q(version__live_until__isnull=True) | Q(version__live_until__gt=now))
            .order_by("-version__live_from")
        )


class VersionPage(models.Model):
    """A public page of a version, rendered when it was approved: `content` goes inside the site's frame.

    `html` is the whole page as residents get it, frame included (publishing.pages), composed at approval
    and again whenever what the frame depends on changed (`frame_key`: the release's frame, whether the
    plan's period has ended). A request reads `html` and sends it as it is.
    """

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="pages")
    path = models.CharField("URL", max_length=200)
    title = models.CharField("ページ名", max_length=300)
    description = models.CharField("説明", max_length=500, blank=True)
    breadcrumbs = models.JSONField("パンくずリスト", default=list)
    content = models.TextField("本文")
    # sha256 of `content` (the frame around it is in `html`, with its own hash).
    digest = models.CharField("本文のハッシュ", max_length=64)
    feedback_title = models.CharField("ページ評価の対象", max_length=300)
    html = models.BinaryField("ページ全体", null=True, blank=True, editable=False)
    # sha256 of `html`: its ETag. `frame_key` names what the frame around `content` was composed from.
    html_digest = models.CharField("ページ全体のハッシュ", max_length=64, blank=True, editable=False)
    frame_key = models.CharField("枠の版", max_length=80, blank=True, editable=False)
    composed_at = models.DateTimeField("ページ全体の作成日時", null=True, blank=True, editable=False)

    objects = VersionPageQuerySet.as_manager()

    class Meta:
        verbose_name = "公開ページ"
        verbose_name_plural = "公開ページ"
        constraints = [models.UniqueConstraint(fields=["version", "path"], name="unique_version_page")]
        indexes = [models.Index(fields=["path"], name="version_page_path_idx")]

    def __str__(self):
        return self.path


class VersionFileQuerySet(models.QuerySet):
    def live(self, now=None):
        """Files of versions residents read at `now`: one join, no subquery."""
        now = now or timezone.now()
        return self.filter(version__live_from__lte=now).filter(
            Q(version__live_until__isnull=True) | Q(version__live_until__gt=now)
        )

    def untypeset(self):
        """PDFs whose bytes are not stored yet (neither in the file storage nor, as before, in the row)."""
        return self.filter(content__isnull=True, stored_name="", source__isnull=False)


class VersionFile(models.Model):
    """A download of a version: bytes in the file storage under `stored_name` (open data, the PDF once
    typeset, the uploaded documents), or, for versions approved before downloads moved there, in `content`.
    """

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="files")
    key = models.CharField("種類", max_length=100)
    filename = models.CharField("ファイル名", max_length=300)
    content_type = models.CharField("形式", max_length=100)
    content = models.BinaryField("内容", null=True, blank=True)
    stored_name = models.CharField("保存先", max_length=300, blank=True)
    # The same bytes gzipped, for readers who ask (every browser and data portal): open data is text.
    gzip_name = models.CharField("gzip の保存先", max_length=300, blank=True, editable=False)
    # The 概要版's HTML and charts as approved, typeset into `content` by the job worker (publishing/pdf.py).
    source = models.JSONField("PDFの元データ", null=True, blank=True)
    typeset_queued_at = models.DateTimeField("PDFの作成を依頼した日時", null=True, blank=True, editable=False)
    # The claim of the one worker typesetting it; an old claim is one whose worker was cut off.
    typeset_started_at = models.DateTimeField("PDFの作成を始めた日時", null=True, blank=True, editable=False)
    typeset_error = models.TextField("PDFを作成できなかった理由", blank=True, editable=False)
    # sha256 of the bytes, when they were stored in the file storage: the download's ETag.
    digest = models.CharField("内容のハッシュ", max_length=64, blank=True, editable=False)
    size = models.PositiveBigIntegerField("大きさ（バイト）", null=True, blank=True, editable=False)

    objects = VersionFileQuerySet.as_manager()

    class Meta:
        verbose_name = "公開ファイル"
        verbose_name_plural = "公開ファイル"
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="unique_version_file")]
        indexes = [models.Index(fields=["key"], name="version_file_key_idx")]

    GZIPPED_TYPES = ("text/", "application/json")

    def __str__(self):
        return self.filename

    def store(self, content: bytes) -> None:
        """Put `content` in the file storage under a name of this version's, with its hash (not saved here);
        text also gzipped beside it, which a PDF (compressed already) is not."""
        import gzip
        import hashlib

        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        self.stored_name = default_storage.save(f"versions/{self.version_id}/{self.key}", ContentFile(content))
        self.gzip_name = ""
        if self.content_type.startswith(self.GZIPPED_TYPES):
            self.gzip_name = default_storage.save(f"{self.stored_name}.gz",
                                                  ContentFile(gzip.compress(content, compresslevel=9, mtime=0)))
        self.digest, self.size, self.content = hashlib.sha256(content).hexdigest(), len(content), None

    def read(self) -> bytes | None:
        """The file's bytes (for tests and the occasional reader; requests stream them instead)."""
        if self.stored_name:
            from django.core.files.storage import default_storage

            with default_storage.open(self.stored_name) as stored:
                return stored.read()
        return None if self.content is None else bytes(self.content)


class VersionMeeting(MeetingDateLabels, models.Model):
    """A meeting as a version lists it: what the home page, the Atom feed and the calendar need."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="meetings")
    meeting_id = models.PositiveBigIntegerField("会議")
    title = models.CharField("会議名", max_length=300)
    when_label = models.CharField("開催日の表示", max_length=100)
    council_name = models.CharField("会議体", max_length=200)
    held_on = models.DateField("開催日", null=True, blank=True, db_index=True)
    date_precision = models.CharField(
        "開催日の精度", max_length=12, choices=eras.DatePrecision.choices, default=eras.DatePrecision.DAY,
        editable=False,
    )
    starts_at = models.TimeField("開始時刻", null=True, blank=True)
    ends_at = models.TimeField("終了時刻", null=True, blank=True)
    venue = models.CharField("会場", max_length=200, blank=True)
    cancelled = models.BooleanField("中止", default=False)

    class Meta:
        verbose_name = "公開中の会議"
        verbose_name_plural = "公開中の会議"
        ordering = ["held_on"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("public:meeting", args=[self.meeting_id])


class ApprovalRequestQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "plan__municipality"

    def pending(self):
        return self.filter(state=ApprovalRequest.State.PENDING)


class ApprovalRequest(models.Model):
    """承認申請: an editor asks the municipality's publishers to put the plan's current rows live."""

    class State(models.TextChoices):
        PENDING = "pending", "承認待ち"
        APPROVED = "approved", "承認済み"
        RETURNED = "returned", "差戻し"

    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="approval_requests")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申請者", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField("申請日時", default=timezone.now)
    comment = models.TextField("申請の内容（改訂の概要）", help_text="住民向けの改訂履歴にも表示します。")
    state = models.CharField("状態", max_length=20, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="決定者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("決定日時", null=True, blank=True)
    reason = models.TextField("差戻しの理由・承認のコメント", blank=True)
    version = models.OneToOneField(
        PlanVersion, verbose_name="公開版", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="approval_request",
    )
    # The job building the version since a publisher pressed 承認して公開 (workflow.start_approval). While it
    # is unfinished the request is being approved: a second press and a sending back are refused. A failed
    # job leaves the request pending, this naming it, so the panel says why until the next press.
    approval_job = models.ForeignKey(
        Job, verbose_name="公開版の作成", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="approval_requests",
    )

    objects = ApprovalRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "承認申請"
        verbose_name_plural = "承認申請"
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan"], condition=Q(state="pending"), name="one_pending_request_per_plan"
            )
        ]

    def __str__(self):
        return f"{self.plan} の承認申請（{self.get_state_display()}）"

    def current_approval_job(self) -> Job | None:
        """The job of the last 承認して公開, as it stands now: one whose worker was killed is marked failed
        first (JobQuerySet.reap_stale), so the request can be approved again."""
        if self.approval_job_id is None:
            return None
        Job.objects.filter(pk=self.approval_job_id, status=Job.Status.RUNNING).reap_stale()
        job = Job.objects.filter(pk=self.approval_job_id).first()
        if job is not None:
            job.read_progress()
        return job

    def approval_under_way(self) -> Job | None:
        """The job building this request's version, while it is queued or running."""
        job = self.current_approval_job()
        return job if job is not None and not job.finished else None


class PublicationEvent(models.Model):
    """The publication record of a plan (公開の記録): who submitted, approved, returned, scheduled, ended — and when."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "承認申請"
        APPROVED = "approved", "承認・公開"
        SCHEDULED = "scheduled", "承認・公開予約"
        RETURNED = "returned", "差戻し"
        ENDED = "ended", "公開終了"
        END_SCHEDULED = "end_scheduled", "公開終了予約"
        WENT_LIVE = "went_live", "予約した版の公開"

    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="publication_events")
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作した人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    at = models.DateTimeField("日時", default=timezone.now)
    comment = models.TextField("コメント", blank=True)
    version = models.ForeignKey(
        PlanVersion, verbose_name="公開版", on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )

    class Meta:
        verbose_name = "公開の記録"
        verbose_name_plural = "公開の記録"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()}（{self.plan}）"


class LegacyPublication(models.Model):
    """A plan published before versions existed, waiting for its first version.

    The upgrade's migration records these while the old publication state still
    exists; the first versions are built after every migration has run
    (publishing.apps), with the code and columns of the version installed.
    """

    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "承認の仕組みの導入前からの公開"
        verbose_name_plural = verbose_name


class SearchEntry(models.Model):
    """A passage of a version's public pages that site search finds (publishing/search.py).

    Written with the version at approval from the rows it freezes, so search reads no draft; an entry
    names the page and its anchor, and its text as residents read it.
    """

    class Kind(models.TextChoices):
        PLAN = "plan", "計画"
        AREA = "area", "重点施策"
        MEASURE = "measure", "施策"
        PROGRAM = "program", "取組・事業"
        PROGRESS = "progress", "年度の実施状況"
        INDICATOR = "indicator", "指標"
        COUNCIL = "council", "会議体"
        MEETING = "meeting", "会議"

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="search_entries")
    order = models.PositiveIntegerField("順番")
    kind = models.CharField("種類", max_length=20, choices=Kind.choices)
    title = models.CharField("見出し", max_length=400)
    url = models.CharField("URL", max_length=300)
    text = models.TextField("本文")
    # The title and text as matched: NFKC, case-folded (search.fold), so ＡＢＣ and abc, ２０２４ and 2024 are one.
    folded = models.TextField("照合用の本文")

    class Meta:
        verbose_name = "検索の項目"
        verbose_name_plural = "検索の項目"
        indexes = [models.Index(fields=["version", "order"], name="search_entry_order_idx")]

    def __str__(self):
        return self.title


class SearchGram(models.Model):
    """A pair of adjacent characters of an entry (bigram): the index search looks words up in."""

    entry = models.ForeignKey(SearchEntry, on_delete=models.CASCADE, related_name="grams")
    gram = models.CharField("2文字", max_length=2)

    class Meta:
        verbose_name = "検索の索引"
        verbose_name_plural = "検索の索引"
        indexes = [models.Index(fields=["gram", "entry"], name="search_gram_idx")]
