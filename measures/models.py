"""Priority measure areas (重点施策), their numbered measures, programmes and yearly progress."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Count, F, Q
from simple_history.models import HistoricalRecords

from plans.models import Department, NationalPriority, Organization, Plan, PlanPartQuerySet
from plans.roles import spreadsheet_permissions
from reoffense_portal import eras
from reoffense_portal.scoping.querysets import MunicipalityScopedQuerySet


def page_reference(first: int | None, last: int | None) -> str:
    """本編P27～P33 (or 本編P27 for a single page)."""
    if first is None:
        return ""
    if last is None or last == first:
        return f"本編P{first}"
    return f"本編P{first}～P{last}"


class PriorityArea(models.Model):
    """A 重点施策 of a plan (Yamaguchi: 就労支援, 居住支援, …)."""

    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="priority_areas")
    number = models.PositiveSmallIntegerField("番号")
    title = models.CharField("重点施策名", max_length=120)
    description = models.TextField("説明", blank=True)
    page_from = models.PositiveSmallIntegerField("本編の開始ページ", null=True, blank=True)
    page_to = models.PositiveSmallIntegerField("本編の終了ページ", null=True, blank=True)
    national_priorities = models.ManyToManyField(
        NationalPriority,
        verbose_name="国の計画の重点課題",
        blank=True,
        related_name="local_areas",
        help_text="この重点施策が対応する国の再犯防止推進計画の重点課題（複数可）。",
    )

    objects = PlanPartQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[national_priorities])

    class Meta:
        verbose_name = "重点施策"
        verbose_name_plural = "重点施策"
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_area_number"),
            models.CheckConstraint(
                condition=Q(page_to__isnull=True) | Q(page_from__isnull=False) & Q(page_to__gte=F("page_from")),
                name="area_pages_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def clean(self):
        if self.page_to is not None and (self.page_from is None or self.page_to < self.page_from):
            raise ValidationError({"page_to": "終了ページは開始ページ以降にしてください。"})

    @property
    def page_reference(self) -> str:
        return page_reference(self.page_from, self.page_to)

    def implementation_rate(self, fiscal_year: int) -> Decimal | None:
        return Program.objects.filter(measure__area=self).implementation_rate(fiscal_year)


class MeasureQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "area__plan__municipality"


class Measure(models.Model):
    """A numbered measure “(1) …” within a priority area."""

    area = models.ForeignKey(PriorityArea, verbose_name="重点施策", on_delete=models.CASCADE, related_name="measures")
    number = models.PositiveSmallIntegerField("番号")
    title = models.CharField(
        "施策名", max_length=200, blank=True,
        help_text="資料に見出しが載っていない施策（概要版で取組だけが分かる場合など）は空欄にできます。",
    )
    description = models.TextField("説明", blank=True)

    objects = MeasureQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "施策"
        verbose_name_plural = "施策"
        ordering = ["area", "number"]
        constraints = [models.UniqueConstraint(fields=["area", "number"], name="unique_measure_number")]

    def __str__(self):
        return f"{self.label} {self.title}".rstrip()

    @property
    def label(self) -> str:
        """（1）, as the plans write it."""
        return f"（{self.number}）"

    @property
    def heading(self) -> str:
        """（1）就労の確保; none for a measure without a title, whose number alone tells a reader nothing."""
        return f"{self.label}{self.title}" if self.title else ""


class ProgramQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "measure__area__plan__municipality"

    def of_plan(self, plan):
        return self.filter(measure__area__plan=plan)

    def implementation_rate(self, fiscal_year: int) -> Decimal | None:
        """Share of these programmes carried out (実施 or 一部実施) in a fiscal year, in percent.

        Programmes with no record for the year count as not carried out, so a
        forgotten entry lowers the rate instead of hiding; None when there
        are no programmes at all.
        """
        counts = self.aggregate(**self._rate_counts(fiscal_year))
        return self._rate(counts["done"], counts["total"])

    def implementation_rates_by_area(self, fiscal_year: int) -> dict[int, Decimal | None]:
        """implementation_rate() of each priority area (by id) of these programmes, in one query."""
        rows = self.order_by().values("measure__area").annotate(**self._rate_counts(fiscal_year))
        return {row["measure__area"]: self._rate(row["done"], row["total"]) for row in rows}

    @staticmethod
    def _rate_counts(fiscal_year: int) -> dict:
        return {
            "total": Count("pk", distinct=True),
            "done": Count(
                "progress",
                filter=Q(progress__fiscal_year=fiscal_year, progress__status__in=ProgramProgress.CARRIED_OUT),
                distinct=True,
            ),
        }

    @staticmethod
    def _rate(done: int, total: int) -> Decimal | None:
        if not total:
            return None
        return (Decimal(100) * done / total).quantize(Decimal("0.1"))


class Program(models.Model):
    """A concrete programme “○ …” run by responsible departments with partners."""

    class SupportCategory(models.TextChoices):
        """The kinds of direct support whose yearly support counts the Ministry of Justice compares.

        As in 法務省「地域再犯防止推進事業について」: 就労・住居支援, 専門的支援 (by offence) and 相談支援.
        """

        EMPLOYMENT = "employment", "就労支援"
        HOUSING = "housing", "居住支援"
        DRUGS = "drugs", "専門的支援（薬物事犯者への支援）"
        SEXUAL_OFFENCES = "sexual_offences", "専門的支援（性犯罪者への支援）"
        LAWYER = "lawyer", "専門的支援（寄り添い弁護士）"
        CONSULTATION = "consultation", "相談支援"

    measure = models.ForeignKey(Measure, verbose_name="施策", on_delete=models.CASCADE, related_name="programs")
    order = models.PositiveSmallIntegerField("順番", default=1)
    name = models.CharField("事業名", max_length=200)
    description = models.TextField("事業の概要", blank=True)
    departments = models.ManyToManyField(Department, verbose_name="担当課", blank=True, related_name="programs")
    partners = models.ManyToManyField(
        Organization, verbose_name="連携する関係機関・団体", blank=True, related_name="programs"
    )
    is_existing = models.BooleanField(
        "既存事業", default=False, help_text="計画策定前から実施している事業を計画に位置付けたものです。"
    )
    support_category = models.CharField(
        "直接支援の類型",
        max_length=20,
        choices=SupportCategory.choices,
        blank=True,
        help_text="支援件数を計上する直接支援の場合に選びます。都道府県の比較表で類型・年度ごとの支援件数を集計します。",
    )

    objects = ProgramQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[departments, partners])

    class Meta:
        verbose_name = "取組・事業"
        verbose_name_plural = "取組・事業"
        permissions = spreadsheet_permissions("program", "取組・事業（計画の構成）")
        ordering = ["measure", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["measure", "name"], name="unique_program_name")]
        # The change list's order (ProgramAdmin.ordering), read from the index at any number of rows.
        indexes = [models.Index(fields=["measure", "order", "id"], name="program_list_order_idx")]

    def __str__(self):
        return self.name


class ProgramProgressQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "program__measure__area__plan__municipality"


class ProgramProgress(models.Model):
    """What a programme achieved in one fiscal year (進捗管理)."""

    class Status(models.TextChoices):
        IMPLEMENTED = "implemented", "実施"
        PARTIAL = "partial", "一部実施"
        NOT_IMPLEMENTED = "not_implemented", "未実施"
        UNDER_REVIEW = "under_review", "検討中"

    CARRIED_OUT = (Status.IMPLEMENTED, Status.PARTIAL)

    program = models.ForeignKey(Program, verbose_name="取組・事業", on_delete=models.CASCADE, related_name="progress")
    fiscal_year = models.PositiveSmallIntegerField("年度", help_text="西暦で入力（令和6年度なら 2024）。")
    status = models.CharField("実施状況", max_length=20, choices=Status.choices)
    results = models.TextField("実績・成果", blank=True)
    support_count = models.PositiveIntegerField("支援件数", null=True, blank=True)
    budget = models.PositiveBigIntegerField("予算額（円）", null=True, blank=True)
    actual_cost = models.PositiveBigIntegerField("決算額（円）", null=True, blank=True)
    subsidy_rate = models.DecimalField(
        "補助率",
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MaxValueValidator(Decimal(1))],
        help_text="国の補助がある場合の割合（例：1/2 なら 0.5）。",
    )

    objects = ProgramProgressQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "年度の進捗"
        verbose_name_plural = "年度の進捗"
        permissions = spreadsheet_permissions("programprogress", "年度の進捗")
        ordering = ["program", "-fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["program", "fiscal_year"], name="unique_progress_year"),
            models.CheckConstraint(
                condition=Q(subsidy_rate__isnull=True) | Q(subsidy_rate__gte=0, subsidy_rate__lte=1),
                name="progress_subsidy_rate_range",
            ),
        ]
        indexes = [
            models.Index(fields=["fiscal_year", "status"], name="progress_year_status_idx"),
            # The change list's order (newest year first), read from the index at any number of rows.
            models.Index(fields=["-fiscal_year", "program"], name="progress_list_order_idx"),
        ]

    def __str__(self):
        return f"{self.program}（{self.fiscal_year_label}）"

    @property
    def fiscal_year_label(self) -> str:
        return eras.fiscal_year_full_label(self.fiscal_year)
