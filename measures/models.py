"""Priority measure areas (重点施策), their numbered measures, programmes and yearly progress."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, Q
from simple_history.models import HistoricalRecords

from plans.models import Department, NationalPriority, Organization, Plan, PlanPartQuerySet
from plans.roles import spreadsheet_permissions
from reoffense_portal.machinery import eras
from reoffense_portal.machinery.scoping.querysets import MunicipalityScopedQuerySet


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
        return Program.objects.filter(area=self).implementation_rate(fiscal_year)


class MeasureQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "area__plan__municipality"


class Measure(models.Model):
    """A numbered measure “(1) …” within a priority area."""

    area = models.ForeignKey(PriorityArea, verbose_name="重点施策", on_delete=models.CASCADE, related_name="measures")
    number = models.PositiveSmallIntegerField("番号")
    title = models.CharField(
        "施策名", max_length=200,
        help_text="資料に施策の見出しがなく取組だけが載っている場合は、施策を作らず、取組・事業を重点施策に直接登録します。",
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
        return f"{self.label} {self.title}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A measure moved to another area takes its programmes along (each saved, for its history).
        for program in self.programs.exclude(area_id=self.area_id):
            program.area_id = self.area_id
            program.save(update_fields=["area"])

    @property
    def label(self) -> str:
        """（1）, as the plans write it."""
        return f"（{self.number}）"

    @property
    def heading(self) -> str:
        """（1）就労の確保 (a measure always has its title: programmes without one belong to the area)."""
        return f"{self.label}{self.title}"


class ProgramQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "area__plan__municipality"

    def of_plan(self, plan):
        return self.filter(area__plan=plan)

    def implementation_rate(self, fiscal_year: int) -> Decimal | None:
        """Share of these programmes carried out (実施 or 一部実施) in a fiscal year, in percent.

        Once any of them is recorded for the year, those with no record count
        as not carried out, so a forgotten entry lowers the rate instead of
        hiding. None when none of them is recorded for the year (not recorded
        yet: no 0 % to publish as a fact) or there are no programmes at all.
        """
        counts = self.aggregate(**self._rate_counts(fiscal_year))
        return self._rate(**counts)

    def implementation_rates_by_area(self, fiscal_year: int) -> dict[int, Decimal | None]:
        """implementation_rate() of each priority area (by id) of these programmes, in one query."""
        rows = self.order_by().values("area").annotate(**self._rate_counts(fiscal_year))
        return {row["area"]: self._rate(row["done"], row["recorded"], row["total"]) for row in rows}

    @staticmethod
    def _rate_counts(fiscal_year: int) -> dict:
        of_year = Q(progress__fiscal_year=fiscal_year)
        return {
            "total": Count("pk", distinct=True),
            "recorded": Count("progress", filter=of_year, distinct=True),
            "done": Count("progress", filter=of_year & Q(progress__status__in=ProgramProgress.CARRIED_OUT), distinct=True),
        }

    @staticmethod
    def _rate(done: int, recorded: int, total: int) -> Decimal | None:
        if not total or not recorded:
            return None
        return (Decimal(100) * done / total).quantize(Decimal("0.1"))


class Program(models.Model):
    """A concrete programme “○ …” run by responsible departments with partners.

    It belongs to a priority area, and to one of that area's numbered measures
    when the plan has that level; some plans list programmes straight under
    their areas (the area's `direct_programs`).
    """

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

    # Blank in forms: choosing a measure is enough, clean() takes its area.
    area = models.ForeignKey(
        PriorityArea, verbose_name="重点施策", on_delete=models.CASCADE, related_name="programs", blank=True,
        help_text="施策を選べば空欄でかまいません（その施策の重点施策になります）。",
    )
    measure = models.ForeignKey(
        Measure, verbose_name="施策", on_delete=models.CASCADE, related_name="programs", null=True, blank=True,
        help_text="計画に施策（（1）（2）…）の段階がない場合は空欄にします。",
    )
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
        ordering = ["area", "measure__number", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "name"], name="unique_program_name"),
            models.UniqueConstraint(
                fields=["area", "name"], condition=Q(measure__isnull=True), name="unique_direct_program_name",
                violation_error_message="この重点施策には同じ事業名の取組・事業（施策なし）がすでにあります。",
            ),
        ]
        # The change list's order (ProgramAdmin.ordering), read from the index at any number of rows.
        indexes = [models.Index(fields=["area", "measure", "order", "id"], name="program_list_order_idx")]

    def __str__(self):
        return self.name

    def clean(self):
        """The measure decides the area; a measure of another area (or plan) is refused."""
        if self.measure_id is None:
            if self.area_id is None:
                raise ValidationError({"area": "重点施策か施策を選んでください。"})
            return
        if self.area_id is None:
            self.area_id = self.measure.area_id
        elif self.measure.area_id != self.area_id:
            raise ValidationError(
                {"measure": f"施策「{self.measure.heading}」は重点施策「{self.measure.area}」のものです。"
                            "選んだ重点施策の施策を選ぶか、施策を空欄にしてください。"}
            )

    def save(self, *args, **kwargs):
        if self.measure_id is not None and self.area_id is None:
            self.area_id = self.measure.area_id
        super().save(*args, **kwargs)


RATING_LABEL_MAX = 40
ISSUES_MAX = 400


class Rating(models.TextChoices):
    """The self-evaluation grade of a programme's year (事務事業評価); each letter keeps one meaning.

    A city may word the meanings its own way (EvaluationScale), but A is always
    the best and D always calls for a review, so grades compare across years and cities.
    """

    A = "A", "A：計画どおり実施し、成果が上がった"
    B = "B", "B：おおむね計画どおり実施した"
    C = "C", "C：一部の実施にとどまり、課題がある"
    D = "D", "D：実施できておらず、見直しが必要"

    @property
    def meaning(self) -> str:
        """The standard wording, without the letter."""
        return self.label.split("：", 1)[1]


class EvaluationScale(models.Model):
    """A plan's own wording of the meanings of A–D; a blank keeps the standard wording."""

    plan = models.OneToOneField(
        Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="evaluation_scale"
    )
    label_a = models.CharField(
        "Aの意味", max_length=RATING_LABEL_MAX, blank=True, help_text=f"空欄なら「{Rating.A.meaning}」"
    )
    label_b = models.CharField(
        "Bの意味", max_length=RATING_LABEL_MAX, blank=True, help_text=f"空欄なら「{Rating.B.meaning}」"
    )
    label_c = models.CharField(
        "Cの意味", max_length=RATING_LABEL_MAX, blank=True, help_text=f"空欄なら「{Rating.C.meaning}」"
    )
    label_d = models.CharField(
        "Dの意味", max_length=RATING_LABEL_MAX, blank=True, help_text=f"空欄なら「{Rating.D.meaning}」"
    )

    objects = PlanPartQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "評価区分の表記"
        verbose_name_plural = "評価区分の表記"

    def __str__(self):
        return "評価区分（A～D）の表記"

    @classmethod
    def meanings_of(cls, plan) -> dict[str, str]:
        """{"A": "計画どおり…", …}: the plan's wording where it has one, the standard wording elsewhere."""
        scale = cls.objects.filter(plan=plan).first()
        return {
            rating.value: (getattr(scale, f"label_{rating.value.lower()}", "") if scale else "") or rating.meaning
            for rating in Rating
        }


class ProgramProgressQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "program__area__plan__municipality"


class ProgramProgress(models.Model):
    """What a programme achieved in one fiscal year (進捗管理)."""

    class Status(models.TextChoices):
        IMPLEMENTED = "implemented", "実施"
        PARTIAL = "partial", "一部実施"
        NOT_IMPLEMENTED = "not_implemented", "未実施"
        UNDER_REVIEW = "under_review", "検討中"

    CARRIED_OUT = (Status.IMPLEMENTED, Status.PARTIAL)
    Rating = Rating

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
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="国の補助がある場合の割合（例：1/2 なら 0.5）。",
    )
    rating = models.CharField(
        "評価", max_length=1, choices=Rating.choices, blank=True,
        help_text="事務事業評価の自己評価（A～D）。",
    )
    issues = models.TextField(
        "課題・今後の方向性", blank=True,
        validators=[MaxLengthValidator(
            ISSUES_MAX,
            message=f"課題・今後の方向性は{ISSUES_MAX}文字以内で入力してください（%(show_value)d文字あります）。",
        )],
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
