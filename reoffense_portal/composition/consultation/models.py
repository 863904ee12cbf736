"""パブリックコメント（意見公募）: a comment period on a draft plan, the comments, and the city's answers.

A publisher opens a period on a plan that is not yet public. Opening freezes
the plan as the 案 (`ProposalPage`, rendered by the same snapshot code as a
version but stored apart from versions, so `PlanVersion.objects.live()`, the
open data, the feeds and the sitemap never include it). Residents read that
frozen 案 at the plan's public URL from the first day of the period until the
result is published; they may comment only from the first to the last day.

Personal data (name, address) sits in `Commenter`, one row per comment
apart from the opinion, with no change history, so it can be erased
(`erase_commenter_data`) without touching the opinions or the result.

The result (「意見の概要と市の考え方」) is frozen too when a publisher
publishes it: its HTML, its PDF's HTML and its counts are written onto the
period and never change afterwards.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from plans.models import Municipality, Plan
from reoffense_portal.machinery import eras
from reoffense_portal.machinery.scoping.querysets import MunicipalityScopedQuerySet
from reoffense_portal.machinery.uploads import UPLOAD_HELP_TEXT, validate_upload

OPINION_MAX_LENGTH = 2000


def authority_word(municipality: Municipality) -> str:
    """「市」「町」「村」「区」 or the prefecture's 「県」「府」「都」「道」: as in 「市の考え方」."""
    kinds = Municipality.Kind
    if municipality.kind == kinds.PREFECTURE:
        return municipality.name[-1] if municipality.name[-1:] in "都道府県" else "県"
    return {kinds.TOWN: "町", kinds.VILLAGE: "村", kinds.WARD: "区"}.get(municipality.kind, "市")


class CommentPeriodQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "plan__municipality"

    def showing_proposal(self, today=None):
        """Periods whose 案 residents read: from the first day until the result is published."""
        return self.filter(starts_on__lte=today or timezone.localdate(), result_published_at__isnull=True)

    def with_result(self):
        return self.filter(result_published_at__isnull=False)

    def unfinished(self):
        """Opened and without a published result: a plan has at most one at a time."""
        return self.filter(result_published_at__isnull=True)


class CommentPeriod(models.Model):
    """意見募集: the 案 of a plan open to residents' opinions from `starts_on` to `ends_on` (both days included)."""

    class Ask(models.TextChoices):
        REQUIRED = "required", "必須"
        OPTIONAL = "optional", "任意"
        NOT_ASKED = "not_asked", "尋ねない"

    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="comment_periods")
    starts_on = models.DateField("募集開始日")
    ends_on = models.DateField("募集締切日", help_text="この日の23時59分（日本時間）まで受け付けます。")
    document = models.FileField(
        "案の本文（ファイル）", upload_to="consultation/%Y/", blank=True, validators=[validate_upload],
        help_text=UPLOAD_HELP_TEXT,
    )
    explanation = models.TextField(
        "案の概要・意見募集の趣旨", help_text="意見募集のページの冒頭に表示します。"
    )
    rules = models.TextField(
        "提出方法・注意事項",
        help_text="郵送・ファクス・持参の宛先、提出できる人の範囲、匿名の意見の扱いなど。意見募集のページに表示します。",
    )
    ask_name = models.CharField("氏名の記入", max_length=12, choices=Ask.choices, default=Ask.OPTIONAL)
    ask_address = models.CharField("住所の記入", max_length=12, choices=Ask.choices, default=Ask.OPTIONAL)
    # Where residents' opinions may point, frozen with the 案: 「計画全体」, each priority area, 「その他」.
    sections = models.JSONField("意見の対象の選択肢", default=list, editable=False)
    proposal_title = models.CharField("案の名称", max_length=200, editable=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="開始した人", on_delete=models.SET_NULL, null=True,
        editable=False, related_name="+",
    )
    opened_at = models.DateTimeField("開始の操作日時", default=timezone.now, editable=False)
    # The result, frozen when published.
    result_published_at = models.DateTimeField("結果の公表日時", null=True, blank=True, editable=False)
    result_published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="結果を公表した人", on_delete=models.SET_NULL, null=True,
        blank=True, editable=False, related_name="+",
    )
    submitter_count = models.PositiveIntegerField("提出者数", null=True, blank=True, editable=False)
    opinion_count = models.PositiveIntegerField("意見数", null=True, blank=True, editable=False)
    result_html = models.TextField("公表した結果", blank=True, editable=False)
    result_pdf_html = models.TextField("結果のPDFの元データ", blank=True, editable=False)
    result_pdf = models.BinaryField("結果のPDF", null=True, blank=True, editable=False)
    personal_data_erased_at = models.DateTimeField("個人情報の消去日時", null=True, blank=True, editable=False)

    objects = CommentPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = "意見募集"
        verbose_name_plural = "意見募集"
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="comment_period_ends_after_start"),
        ]
        permissions = [("publish_commentresult", "意見募集の結果を公表できる")]

    def __str__(self):
        return f"{self.proposal_title or self.plan}の意見募集（{self.period_label}）"

    @property
    def period_label(self) -> str:
        """令和8年12月1日～令和8年12月28日."""
        if not (self.starts_on and self.ends_on):
            return ""
        return f"{eras.japanese_date(self.starts_on)}～{eras.japanese_date(self.ends_on)}"

    @property
    def deadline_label(self) -> str:
        return eras.japanese_date(self.ends_on)

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    def has_started(self, today=None) -> bool:
        return self.starts_on <= (today or timezone.localdate())

    def accepts_comments(self, today=None) -> bool:
        """Open for opinions: from the first to the last day, in Japan's date, and not yet answered."""
        today = today or timezone.localdate()
        return self.starts_on <= today <= self.ends_on and self.result_published_at is None

    @property
    def has_ended(self) -> bool:
        return self.ends_on < timezone.localdate()

    @property
    def result_published(self) -> bool:
        return self.result_published_at is not None

    @property
    def authority(self) -> str:
        return authority_word(self.plan.municipality)

    @property
    def view_heading(self) -> str:
        """「市の考え方」 (or 町・村・県 …)."""
        return f"{self.authority}の考え方"

    def personal_data_erase_due(self) -> datetime.datetime | None:
        """When the commenters' names and addresses are to be erased: a retention period after the result."""
        if self.result_published_at is None:
            return None
        return self.result_published_at + datetime.timedelta(days=settings.CONSULTATION_PERSONAL_DATA_RETENTION_DAYS)

    def get_absolute_url(self):
        return reverse("public:plan", args=[self.plan_id])

    def result_url(self):
        return reverse("consultation:result", args=[self.plan_id, self.pk])

    def next_comment_number(self) -> int:
        return (self.comments.aggregate(last=models.Max("number"))["last"] or 0) + 1

    def counts(self) -> tuple[int, int]:
        """(提出者数, 意見数): one submitter per comment received, and the opinions staff counted in each."""
        totals = self.comments.aggregate(submitters=models.Count("pk"), opinions=Sum("opinion_count"))
        return totals["submitters"], totals["opinions"] or 0


class ProposalPage(models.Model):
    """A page of the 案 as it was when the period opened: `content` goes inside the site's frame."""

    period = models.ForeignKey(CommentPeriod, on_delete=models.CASCADE, related_name="pages")
    path = models.CharField("URL", max_length=200)
    title = models.CharField("ページ名", max_length=300)
    description = models.CharField("説明", max_length=500, blank=True)
    breadcrumbs = models.JSONField("パンくずリスト", default=list)
    content = models.TextField("本文")

    class Meta:
        verbose_name = "案のページ"
        verbose_name_plural = "案のページ"
        constraints = [models.UniqueConstraint(fields=["period", "path"], name="unique_proposal_page")]
        indexes = [models.Index(fields=["path"], name="proposal_page_path_idx")]

    def __str__(self):
        return self.path


class CommentQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "period__plan__municipality"


class Comment(models.Model):
    """One submission: what a resident (or organisation) sent, by the form, post, fax, e-mail or in person."""

    class Channel(models.TextChoices):
        WEB = "web", "意見募集のページ（フォーム）"
        MAIL = "mail", "郵送"
        FAX = "fax", "ファクス"
        EMAIL = "email", "電子メール"
        COUNTER = "counter", "窓口への持参"

    period = models.ForeignKey(CommentPeriod, verbose_name="意見募集", on_delete=models.CASCADE,
                               related_name="comments")
    number = models.PositiveIntegerField("受付番号", editable=False)
    received_at = models.DateTimeField("受付日時", default=timezone.now)
    channel = models.CharField("提出方法", max_length=12, choices=Channel.choices, default=Channel.WEB)
    section = models.CharField("意見の対象", max_length=200)
    opinion = models.TextField("意見", max_length=OPINION_MAX_LENGTH)
    consents_to_publication = models.BooleanField("意見の概要の公表への同意", default=False)
    opinion_count = models.PositiveSmallIntegerField(
        "意見の数", default=1, help_text="1通の中に複数の意見があるときは、その数。結果の「意見数」に数えます。"
    )
    staff_note = models.TextField("職員用メモ", blank=True)

    objects = CommentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["opinion"])

    class Meta:
        verbose_name = "寄せられた意見"
        verbose_name_plural = "寄せられた意見"
        ordering = ["period", "number"]
        constraints = [models.UniqueConstraint(fields=["period", "number"], name="unique_comment_number")]
        permissions = [("export_comment", "寄せられた意見をファイルに書き出せる")]

    def __str__(self):
        return f"受付番号{self.number}（{self.section}）"

    def save(self, *args, **kwargs):
        if self.number is None:
            self.number = self.period.next_comment_number()
        super().save(*args, **kwargs)

    @property
    def received_on_label(self) -> str:
        return eras.japanese_date(timezone.localdate(self.received_at))


class Commenter(models.Model):
    """The personal data of a comment, kept apart so it can be erased: seen only by the municipality's staff."""

    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, related_name="commenter", primary_key=True)
    name = models.CharField("氏名（団体名）", max_length=100, blank=True)
    address = models.CharField("住所（所在地）", max_length=200, blank=True)

    class Meta:
        verbose_name = "提出者の個人情報"
        verbose_name_plural = "提出者の個人情報"

    def __str__(self):
        return self.name or "（氏名なし）"


class CommentResponseQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "period__plan__municipality"


class CommentResponse(models.Model):
    """One row of 「意見の概要と市の考え方」: the summary of one comment or of a group of similar ones."""

    class Reflection(models.TextChoices):
        CHANGED = "changed", "反映する（案を修正）"
        INCLUDED = "included", "既に案に盛り込み済み"
        REFERENCE = "reference", "今後の参考とする"
        NOT_CHANGED = "not_changed", "反映しない"
        OTHER = "other", "その他（質問・感想など）"

    period = models.ForeignKey(CommentPeriod, verbose_name="意見募集", on_delete=models.CASCADE,
                               related_name="responses")
    order = models.PositiveSmallIntegerField("番号")
    section = models.CharField("該当箇所", max_length=200)
    summary = models.TextField("意見の概要")
    city_view = models.TextField("市の考え方", help_text="町・村・県の場合も、結果には「町の考え方」のように表示します。")
    reflection = models.CharField("反映の有無", max_length=12, choices=Reflection.choices)
    comments = models.ManyToManyField(
        Comment, verbose_name="対象の意見", related_name="responses",
        help_text="同じ趣旨の意見はまとめて1つの考え方を示せます。",
    )

    objects = CommentResponseQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "意見の概要と市の考え方"
        verbose_name_plural = "意見の概要と市の考え方"
        ordering = ["period", "order"]
        constraints = [models.UniqueConstraint(fields=["period", "order"], name="unique_response_order")]

    def __str__(self):
        return f"{self.order}．{self.section}"
