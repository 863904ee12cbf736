"""Priority measure areas (重点施策), their numbered measures, programmes and yearly progress."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator, RegexValidator
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


SUPPORT_KIND_CODE = RegexValidator(
    r"^[a-z0-9_]+$", "記号は半角の英小文字・数字・「_」だけで入力してください。"
)


class SupportKindQuerySet(models.QuerySet):
    def get_by_natural_key(self, code):
        """Fixtures name a kind by its code (["lawyer"]): the rows the migration made have no fixed id."""
        return self.get(code=code)

    def selectable(self, current=None):
        """The kinds offered for a new choice, and the one a row already has (a retired kind stays on it)."""
        condition = Q(selectable=True)
        if current is not None:
            condition |= Q(pk=current)
        return self.filter(condition)


class SupportKind(models.Model):
    """A kind of direct support as 法務省 lists them in 「地域再犯防止推進事業について」 (取組内容).

    Data, not code: the Ministry revises its list between years, so a superuser adds, renames or retires a
    kind in the admin. A retired kind (`selectable` off) stays on the programmes that have it; a kind whose
    support is not counted (福祉サービスへのつなぎ支援: leaflets) is left out of every 支援実績 figure.
    `code` is what published versions store, so a renamed kind keeps its past figures.
    """

    code = models.CharField(
        "記号", max_length=40, unique=True, validators=[SUPPORT_KIND_CODE],
        help_text="公開済みのデータで類型を指す記号です。一度公開した後は変えないでください。",
    )
    group = models.CharField("区分", max_length=40, help_text="例：就労・住居支援、専門的支援、相談支援")
    name = models.CharField(
        "取組内容", max_length=80, unique=True, help_text="法務省の資料の表記のまま。例：相談支援（保護司会に委託）"
    )
    counts_support = models.BooleanField(
        "支援実績を計上する", default=True,
        help_text="外すと、この類型の支援件数は比較表・全国の集計に含めません（例：福祉サービスへのつなぎ支援）。",
    )
    selectable = models.BooleanField(
        "選択肢に表示する", default=True, help_text="外すと新しく選べなくなります。選んである取組・事業はそのままです。"
    )
    order = models.PositiveSmallIntegerField("順番", default=1)
    note = models.CharField("例・注記", max_length=200, blank=True)

    objects = SupportKindQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "直接支援の類型"
        verbose_name_plural = "直接支援の類型（法務省の区分）"
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)

    @classmethod
    def of(cls, code: str) -> "SupportKind":
        return cls.objects.get(code=code)


class Program(models.Model):
    """A concrete programme “○ …” run by responsible departments with partners.

    It belongs to a priority area, and to one of that area's numbered measures
    when the plan has that level; some plans list programmes straight under
    their areas (the area's `direct_programs`).
    """

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
    support_kind = models.ForeignKey(
        "SupportKind",
        verbose_name="直接支援の類型",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="programs",
        help_text="地域再犯防止推進事業の直接支援の場合に、法務省の取組内容の区分を選びます。"
        "比較表と全国の集計で類型・年度ごとの支援実績を集計します。",
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


class SupportUnit(models.TextChoices):
    """How a source counts a year's 支援実績: people (実人員) or cases (件数)."""

    PERSONS = "persons", "実人員（人）"
    CASES = "cases", "件数（件）"

    @property
    def unit(self) -> str:
        return "人" if self == SupportUnit.PERSONS else "件"


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
    support_unit = models.CharField(
        "支援実績の数え方", max_length=10, choices=SupportUnit.choices, blank=True,
        help_text="支援件数が実人員か延べ件数か。資料の数え方のままにします（空欄は件数として扱います）。",
    )
    contractor = models.ForeignKey(
        Organization, verbose_name="委託先", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="contracted_progress", help_text="事業を委託した関係機関・団体（自前で実施なら空欄）。",
    )
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
    subsidy_cap = models.PositiveBigIntegerField("補助の上限額（円）", null=True, blank=True)
    subsidy_requested = models.PositiveBigIntegerField("補助金の申請額（円）", null=True, blank=True)
    subsidy_granted = models.PositiveBigIntegerField("補助金の交付額（円）", null=True, blank=True)
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


    @property
    def support_count_unit(self) -> str:
        """人 for a count of people (実人員), 件 otherwise."""
        return SupportUnit(self.support_unit).unit if self.support_unit else "件"


class RegionalDutyQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "plan__municipality"


class RegionalDuty(models.Model):
    """A 必須事務 of a prefecture's 地域再犯防止推進事業 carried out in a fiscal year.

    法務省「地域再犯防止推進事業について」 requires two of every subsidised prefecture: meetings to coordinate its
    municipalities and share information (会議等の開催), and training for their staff (研修会等の開催).
    """

    class Kind(models.TextChoices):
        MEETING = "meeting", "会議等の開催（市区町村間の調整・情報共有）"
        TRAINING = "training", "研修会等の開催（市区町村職員等の理解促進）"

    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="regional_duties")
    fiscal_year = models.PositiveSmallIntegerField("年度", help_text="西暦で入力（令和6年度なら 2024）。")
    kind = models.CharField("必須事務", max_length=20, choices=Kind.choices)
    title = models.CharField("名称", max_length=200)
    held_on = models.DateField("開催日", null=True, blank=True, help_text="資料に日付がなければ空欄にします。")
    municipalities = models.PositiveSmallIntegerField(
        "参加した市区町村数", null=True, blank=True, help_text="わからなければ空欄にします。"
    )
    note = models.CharField("備考", max_length=200, blank=True)

    objects = RegionalDutyQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "必須事務（地域再犯防止推進事業）"
        verbose_name_plural = "必須事務（地域再犯防止推進事業）"
        ordering = ["plan", "fiscal_year", "kind", "held_on", "pk"]

    def __str__(self):
        return f"{self.title}（{eras.fiscal_year_label(self.fiscal_year)}）"

    def clean(self):
        if self.plan_id and self.fiscal_year and self.fiscal_year not in self.plan.fiscal_years:
            raise ValidationError({"fiscal_year": f"{eras.fiscal_year_full_label(self.fiscal_year)}は計画期間外です。"})
        if self.held_on and self.fiscal_year and eras.fiscal_year_of(self.held_on) != self.fiscal_year:
            raise ValidationError({"held_on": f"開催日が{eras.fiscal_year_full_label(self.fiscal_year)}の中にありません。"})


class PracticeQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "plan__municipality"


class Practice(models.Model):
    """A 取組事例 a prefecture or municipality shares: published with its plan's version, never before."""

    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="practices")
    program = models.ForeignKey(
        Program, verbose_name="取組・事業", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="practices", help_text="この計画の取組・事業から選びます。",
    )
    order = models.PositiveSmallIntegerField("順番", default=1)
    title = models.CharField("事例名", max_length=200)
    target = models.CharField("対象", max_length=200, blank=True, help_text="例：薬物事犯者とその家族等")
    content = models.TextField("取組の内容")
    ingenuity = models.TextField("工夫", blank=True)
    results = models.TextField("成果", blank=True, help_text="数値は年度とともに資料のとおり書きます。")
    contact = models.CharField("問い合わせ先", max_length=200, blank=True)

    objects = PracticeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "取組事例"
        verbose_name_plural = "取組事例"
        ordering = ["plan", "order", "pk"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.program_id and self.plan_id and self.program.area.plan_id != self.plan_id:
            raise ValidationError({"program": "この計画の取組・事業を選んでください。"})
