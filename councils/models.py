"""Councils that promote a plan (推進体制), their members, meetings and documents."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from measures.models import Measure, PriorityArea, Program
from plans.models import Indicator, Organization, Plan, PlanPartQuerySet
from plans.roles import spreadsheet_permissions
from reoffense_portal.machinery import eras
from reoffense_portal.machinery.scoping.querysets import MunicipalityScopedQuerySet
from reoffense_portal.machinery.uploads import UPLOAD_HELP_TEXT, file_label, stored_size, validate_upload


class Council(models.Model):
    class Kind(models.TextChoices):
        COUNCIL = "council", "協議会（外部）"
        LIAISON = "liaison", "連絡会議（外部）"
        INTERNAL = "internal", "庁内会議（関係課長会議等）"
        PREFECTURAL = "prefectural", "都道府県の会議（参画）"

    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="councils")
    name = models.CharField("会議名", max_length=120, help_text="例：山口市再犯防止推進協議会")
    kind = models.CharField("種類", max_length=20, choices=Kind.choices)
    order = models.PositiveSmallIntegerField("順番", default=1)
    purpose = models.TextField("役割", blank=True)

    objects = PlanPartQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "会議体"
        verbose_name_plural = "会議体"
        ordering = ["plan", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="unique_council_name")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("public:council", args=[self.pk])


class CouncilMemberQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "council__plan__municipality"


class CouncilMember(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", "会長"
        VICE_CHAIR = "vice_chair", "副会長"
        MEMBER = "member", "委員"
        OBSERVER = "observer", "オブザーバー"
        SECRETARIAT = "secretariat", "事務局"

    council = models.ForeignKey(Council, verbose_name="会議体", on_delete=models.CASCADE, related_name="members")
    organization = models.ForeignKey(
        Organization, verbose_name="構成団体", on_delete=models.PROTECT, related_name="council_memberships"
    )
    # Blank unless the source names it: 「委員」 is a fact about a member, not a default.
    role = models.CharField(
        "役職", max_length=20, choices=Role.choices, blank=True,
        help_text="資料に役職（会長・副会長・委員など）が書かれていれば選びます。書かれていなければ空欄にします。",
    )
    representative = models.CharField("委員の職名", max_length=80, blank=True, help_text="例：所長、会長")
    term_start = models.DateField("任期（開始）", null=True, blank=True)
    term_end = models.DateField("任期（終了）", null=True, blank=True)
    order = models.PositiveSmallIntegerField("順番", default=1)

    objects = CouncilMemberQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "構成団体"
        verbose_name_plural = "構成団体"
        permissions = spreadsheet_permissions("councilmember", "構成団体")
        ordering = ["council", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["council", "organization"], name="unique_council_member"),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_start__isnull=True) | Q(term_end__gte=F("term_start")),
                name="member_term_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.organization}（{self.get_role_display()}）" if self.role else str(self.organization)

    def clean(self):
        if self.term_start and self.term_end and self.term_end < self.term_start:
            raise ValidationError({"term_end": "任期の終了日は開始日以降にしてください。"})
        if self.council_id and self.organization_id:
            if self.organization.municipality_id != self.council.plan.municipality_id:
                raise ValidationError({"organization": "他の自治体に登録された団体は選べません。"})


class MeetingQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "council__plan__municipality"


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "開催予定"
        HELD = "held", "開催済み"
        CANCELLED = "cancelled", "中止"

    council = models.ForeignKey(Council, verbose_name="会議体", on_delete=models.CASCADE, related_name="meetings")
    fiscal_year = models.PositiveSmallIntegerField("年度", help_text="西暦で入力（令和6年度なら 2024）。")
    sequence = models.PositiveSmallIntegerField("回", help_text="その年度の第何回か。")
    held_on = models.DateField(
        "開催日", null=True, blank=True,
        help_text="資料に日がなければ「令和5年12月」、月もなければ「令和5年度」と入力します。",
    )
    # Set from how the date was typed (令和5年12月 → 月): pages and the calendar never say more than the source.
    date_precision = models.CharField(
        "開催日の精度", max_length=12, choices=eras.DatePrecision.choices, default=eras.DatePrecision.DAY,
        editable=False,
    )
    starts_at = models.TimeField("開始時刻", null=True, blank=True)
    ends_at = models.TimeField("終了時刻", null=True, blank=True)
    venue = models.CharField("会場", max_length=200, blank=True)
    # Blank unless staff state it: a past meeting entered from a source is never 「開催予定」 by default.
    status = models.CharField(
        "開催状況", max_length=20, choices=Status.choices, blank=True,
        help_text="開催予定・開催済み・中止のどれかを選びます。資料から分からなければ空欄にします。",
    )
    reviewed_fiscal_year = models.PositiveSmallIntegerField(
        "審議の対象年度", null=True, blank=True, help_text="進捗を審議する年度（西暦）。通常は前年度です。"
    )
    minutes = models.TextField("議事要旨", blank=True)

    objects = MeetingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "会議"
        verbose_name_plural = "会議"
        permissions = spreadsheet_permissions("meeting", "会議")
        ordering = ["council", "-fiscal_year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["council", "fiscal_year", "sequence"], name="unique_meeting_sequence"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(starts_at__isnull=True) | Q(ends_at__gte=F("starts_at")),
                name="meeting_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["held_on"], name="meeting_held_on_idx")]

    def __str__(self):
        return self.title

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": "終了時刻は開始時刻以降にしてください。"})
        if self.held_on and eras.fiscal_year_of(self.held_on) != self.fiscal_year:
            raise ValidationError({"held_on": "開催日が年度の期間に入っていません。"})
        if self.status == self.Status.HELD and not self.held_on:
            raise ValidationError({"held_on": "開催済みの会議には開催日を入力してください。"})
        if (self.starts_at or self.ends_at) and not self.known_day:
            raise ValidationError({"starts_at": "時刻は、開催日を日まで入力したときに入力してください。"})
        if self.reviewed_fiscal_year is not None and self.council_id is not None:
            plan = self.council.plan
            if self.reviewed_fiscal_year not in plan.fiscal_years:
                raise ValidationError({"reviewed_fiscal_year": (
                    f"審議の対象年度（{eras.fiscal_year_label(self.reviewed_fiscal_year)}）が、"
                    f"計画「{plan.title}」の計画期間（{plan.period_label}）に入っていません。"
                    "計画期間内の年度を入力してください。"
                )})

    def get_absolute_url(self):
        return reverse("public:meeting", args=[self.pk])

    @property
    def plan_year_under_review(self) -> int | None:
        """The year of the plan this meeting reviews: as recorded, else the year before the meeting's
        (the usual PDCA rhythm) when that year is in the plan's period; None when no year of the plan is."""
        plan = self.council.plan
        if self.reviewed_fiscal_year is not None:
            year = self.reviewed_fiscal_year
        else:
            year = self.fiscal_year - 1
        return year if year in plan.fiscal_years else None

    @property
    def in_plan_period(self) -> bool:
        """Held in a fiscal year of the plan's period, or reviewing one (the year after the plan ends)."""
        plan = self.council.plan
        return self.fiscal_year in plan.fiscal_years or (
            self.reviewed_fiscal_year is not None and self.reviewed_fiscal_year in plan.fiscal_years
        )

    @property
    def label(self) -> str:
        """令和6年度第1回."""
        return f"{eras.fiscal_year_label(self.fiscal_year)}第{self.sequence}回"

    @property
    def title(self) -> str:
        """令和6年度第1回山口市再犯防止推進協議会."""
        return f"{self.label}{self.council.name}"

    @property
    def known_day(self) -> bool:
        """Whether the day it is held on is known (not only its month or fiscal year)."""
        return self.held_on is not None and self.date_precision == eras.DatePrecision.DAY

    @property
    def held_on_label(self) -> str:
        """令和6年12月24日, 令和5年12月 or 令和5年度, as precise as the source."""
        return eras.date_label(self.held_on, self.date_precision) if self.held_on else ""

    @property
    def held_on_full_label(self) -> str:
        """令和6年12月24日（2024年12月24日）, 令和5年12月（2023年12月）."""
        return eras.date_full_label(self.held_on, self.date_precision) if self.held_on else ""

    @property
    def when_label(self) -> str:
        """令和6年12月24日開催, 令和7年2月3日開催予定 or 中止, as lists of meetings say it; the date alone when the
        status is not stated (開催日の記載なし without either)."""
        word = "開催" if self.status == self.Status.HELD else self.get_status_display()
        return f"{self.held_on_label}{word}" or "開催日の記載なし"


class MeetingPartQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "meeting__council__plan__municipality"


class AgendaItem(models.Model):
    """An item of a meeting's agenda, traced to the parts of the meeting's plan it reviewed."""

    # What an item may be linked to, and the path from each to its plan: only the meeting's plan.
    REVIEW_LINKS = {
        "areas": "plan",
        "measures": "area__plan",
        "programs": "area__plan",
        "indicators": "plan",
    }

    meeting = models.ForeignKey(Meeting, verbose_name="会議", on_delete=models.CASCADE, related_name="agenda_items")
    order = models.PositiveSmallIntegerField("順番")
    title = models.CharField("議題", max_length=200)
    description = models.TextField("内容", blank=True)
    areas = models.ManyToManyField(
        PriorityArea, verbose_name="審議した重点施策", blank=True, related_name="agenda_items"
    )
    measures = models.ManyToManyField(
        Measure, verbose_name="審議した施策", blank=True, related_name="agenda_items"
    )
    programs = models.ManyToManyField(
        Program, verbose_name="審議した取組・事業", blank=True, related_name="agenda_items"
    )
    indicators = models.ManyToManyField(
        Indicator, verbose_name="審議した指標・成果目標", blank=True, related_name="agenda_items"
    )

    objects = MeetingPartQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[areas, measures, programs, indicators])

    class Meta:
        verbose_name = "議題"
        verbose_name_plural = "議題"
        ordering = ["meeting", "order"]
        constraints = [models.UniqueConstraint(fields=["meeting", "order"], name="unique_agenda_order")]

    def __str__(self):
        return self.title

    @classmethod
    def links_outside(cls, plan, field_name: str, chosen) -> list:
        """Of the rows chosen for a link field, those that are not of `plan` (one query)."""
        ids = [obj.pk for obj in chosen]
        if not ids:
            return []
        model = cls._meta.get_field(field_name).related_model
        outside = set(
            model._default_manager.filter(pk__in=ids)
            .exclude(**{cls.REVIEW_LINKS[field_name]: plan})
            .values_list("pk", flat=True)
        )
        return [obj for obj in chosen if obj.pk in outside]

    @property
    def has_review_links(self) -> bool:
        """Whether the item names anything it reviewed (from prefetched links)."""
        return any(getattr(self, name).all() for name in self.REVIEW_LINKS)

    def reviews_program(self, program, measure) -> bool:
        """Whether this item reviewed the programme: it, its measure (None for an area's own programmes) or its
        area is linked (prefetched)."""
        return (
            any(p.pk == program.pk for p in self.programs.all())
            or (measure is not None and any(m.pk == measure.pk for m in self.measures.all()))
            or any(a.pk == program.area_id for a in self.areas.all())
        )


class MeetingDocument(models.Model):
    class Kind(models.TextChoices):
        AGENDA = "agenda", "次第"
        MINUTES = "minutes", "議事録"
        MATERIAL = "material", "資料"
        ROSTER = "roster", "委員名簿"
        OTHER = "other", "その他"

    meeting = models.ForeignKey(Meeting, verbose_name="会議", on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("種類", max_length=20, choices=Kind.choices)
    order = models.PositiveSmallIntegerField("順番", default=1)
    title = models.CharField("資料名", max_length=200)
    file = models.FileField(
        "ファイル", upload_to="meetings/%Y/", validators=[validate_upload], help_text=UPLOAD_HELP_TEXT
    )
    file_size = models.PositiveBigIntegerField("ファイルサイズ", null=True, blank=True, editable=False)

    objects = MeetingPartQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "会議資料"
        verbose_name_plural = "会議資料"
        ordering = ["meeting", "order", "pk"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.file_size = stored_size(self.file)
        super().save(*args, **kwargs)

    @property
    def size_label(self) -> str:
        """[PDFファイル／1.38MB]."""
        return file_label(self.file.name, self.file_size)
