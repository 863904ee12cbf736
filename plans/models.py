"""Municipalities, their departments and partners, plans and their indicators."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from reoffense_portal.machinery import disclosure, eras
from reoffense_portal.machinery.scoping.querysets import MunicipalityScopedQuerySet
from reoffense_portal.machinery.uploads import UPLOAD_HELP_TEXT, file_label, stored_size, validate_upload

from .roles import spreadsheet_permissions

KANJI_NUMBERS = "〇一二三四五六七八九十"


def kanji_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (enough for plan editions)."""
    if n <= 10:
        return KANJI_NUMBERS[n]
    tens, ones = divmod(n, 10)
    return (KANJI_NUMBERS[tens] if tens > 1 else "") + "十" + (KANJI_NUMBERS[ones] if ones else "")


def lg_code_check_digit(first_five: str) -> int:
    """Check digit of a 全国地方公共団体コード (総務省の検査数字).

    Weights 6,5,4,3,2 on the first five digits; the check digit is the last
    digit of 11 minus the remainder of the sum divided by 11.
    """
    total = sum(int(d) * w for d, w in zip(first_five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def validate_lg_code(value: str) -> None:
    if not (len(value) == 6 and value.isascii() and value.isdigit()):  # "３５２０３９".isdigit() is True
        raise ValidationError("全国地方公共団体コードは6桁の数字で入力してください。", code="format")
    if int(value[5]) != lg_code_check_digit(value[:5]):
        raise ValidationError(
            "全国地方公共団体コード「%(value)s」の検査数字が正しくありません。",
            code="check_digit",
            params={"value": value},
        )


phone_validator = RegexValidator(
    r"^[0-9０-９\-－()（） ]+$", "電話番号は数字とハイフンで入力してください。"
)


class MunicipalityQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "pk"


class PlanPartQuerySet(MunicipalityScopedQuerySet):
    """Rows that hang below a plan."""

    municipality_path = "plan__municipality"


class Municipality(models.Model):
    class Kind(models.TextChoices):
        PREFECTURE = "prefecture", "都道府県"
        DESIGNATED_CITY = "designated_city", "政令指定都市"
        CORE_CITY = "core_city", "中核市"
        CITY = "city", "市"
        TOWN = "town", "町"
        VILLAGE = "village", "村"
        WARD = "ward", "特別区"
        CITY_WARD = "city_ward", "行政区"

    code = models.CharField(
        "団体コード",
        max_length=6,
        primary_key=True,
        validators=[validate_lg_code],
        help_text="全国地方公共団体コード（6桁、末尾は検査数字）。例：山口市 352039",
    )
    name = models.CharField("団体名", max_length=40)
    kana = models.CharField("ふりがな", max_length=80, blank=True)
    kind = models.CharField("種別", max_length=20, choices=Kind.choices)
    prefecture = models.ForeignKey(
        "self",
        verbose_name="都道府県",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="municipalities",
        limit_choices_to={"kind": Kind.PREFECTURE},
        help_text="都道府県の場合は空欄にします。",
    )
    # A 行政区 (ward of a 政令指定都市) is no 地方公共団体 of its own: it belongs to its city, which
    # is what counts in the 策定状況. It has a code of its own in the Ministry's list all the same.
    parent = models.ForeignKey(
        "self",
        verbose_name="所属する政令指定都市",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="city_wards",
        limit_choices_to={"kind": Kind.DESIGNATED_CITY},
        help_text="行政区の場合に、区を置く政令指定都市を選びます。それ以外は空欄にします。",
    )
    website = models.URLField("ウェブサイト", blank=True)

    objects = MunicipalityQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "自治体"
        verbose_name_plural = "自治体"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == self.Kind.PREFECTURE and self.prefecture_id:
            raise ValidationError({"prefecture": "都道府県には所属する都道府県を設定できません。"})
        if self.kind != self.Kind.PREFECTURE and not self.prefecture_id:
            raise ValidationError({"prefecture": "市区町村には所属する都道府県を設定してください。"})
        if self.kind == self.Kind.CITY_WARD:
            if not self.parent_id:
                raise ValidationError({"parent": "行政区には区を置く政令指定都市を設定してください。"})
            if self.parent.kind != self.Kind.DESIGNATED_CITY or self.parent.prefecture_id != self.prefecture_id:
                raise ValidationError({"parent": "行政区の所属先は、同じ都道府県の政令指定都市にしてください。"})
        elif self.parent_id:
            raise ValidationError({"parent": "所属する政令指定都市を設定できるのは行政区だけです。"})

    def get_absolute_url(self):
        return reverse("public:municipality", args=[self.code])

    def place_crumbs(self) -> list[tuple[str, str]]:
        """Where the municipality's pages sit, as every public page's breadcrumbs start (after ホーム):
        都道府県から探す › 山口県 › 山口市 (a ward's city before it); a prefecture ends with itself."""
        crumbs = [("都道府県から探す", reverse("public:prefectures"))]
        prefecture = self if self.kind == self.Kind.PREFECTURE else self.prefecture
        if prefecture is not None:
            crumbs.append((prefecture.name, reverse("public:prefecture", args=[prefecture.code])))
        if self.parent is not None:
            crumbs.append((self.parent.name, self.parent.get_absolute_url()))
        if self != prefecture:
            crumbs.append((self.name, self.get_absolute_url()))
        return crumbs


# How many local governments exist, until the code list is imported: 47 都道府県 and 1,741 市区町村 (792市, 743町,
# 183村 and 23特別区; 政令指定都市's 行政区 are not 市区町村), as 総務省「全国地方公共団体コード」 lists them.
PREFECTURES_IN_JAPAN = 47
MUNICIPALITIES_IN_JAPAN = 1741


class CodeListCount(models.Model):
    """How many local governments the last imported code list holds, in all and per prefecture.

    策定状況 states how many are registered against how many exist, and says so plainly while the
    register is incomplete; these are the list's own counts, so a newer list (a merger) updates them.
    """

    counted_at = models.DateTimeField("取り込み日時", auto_now_add=True)
    prefectures = models.PositiveSmallIntegerField("都道府県の数")
    municipalities = models.PositiveIntegerField("市区町村の数", help_text="政令指定都市の行政区は数えません。")
    by_prefecture = models.JSONField("都道府県ごとの市区町村の数", default=dict)

    class Meta:
        verbose_name = "団体コード一覧の団体数"
        verbose_name_plural = "団体コード一覧の団体数"
        get_latest_by = "counted_at"

    def __str__(self):
        return f"{self.prefectures}都道府県・{self.municipalities:,}市区町村"


class StaffMembership(models.Model):
    """A staff user works for a municipality as an editor or a publisher."""

    class Role(models.TextChoices):
        EDITOR = "editor", "編集者"
        PUBLISHER = "publisher", "公開責任者"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="職員", on_delete=models.CASCADE, related_name="memberships"
    )
    municipality = models.ForeignKey(
        Municipality, verbose_name="自治体", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        "役割",
        max_length=20,
        choices=Role.choices,
        default=Role.EDITOR,
        help_text="編集者は下書きと進捗を編集できます。公開責任者はさらに計画の公開・非公開を行えます。",
    )

    objects = MunicipalityScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "所属職員"
        verbose_name_plural = "所属職員"
        constraints = [
            models.UniqueConstraint(fields=["user", "municipality"], name="unique_membership"),
        ]

    def __str__(self):
        return f"{self.municipality}／{self.user}（{self.get_role_display()}）"


class Department(models.Model):
    """A section (課) of a municipality, with the contact block pages end with."""

    municipality = models.ForeignKey(
        Municipality, verbose_name="自治体", on_delete=models.CASCADE, related_name="departments"
    )
    name = models.CharField("課名", max_length=60, help_text="例：地域福祉課")
    bureau = models.CharField("局・部", max_length=80, blank=True, help_text="例：文化市民局市民生活部")
    section = models.CharField("担当", max_length=80, blank=True, help_text="例：総務担当・地域福祉担当")
    postal_code = models.CharField(
        "郵便番号",
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^\d{3}-\d{4}$", "郵便番号は「753-8650」の形で入力してください。")],
    )
    address = models.CharField("所在地", max_length=200, blank=True)
    telephone = models.CharField("電話番号", max_length=20, blank=True, validators=[phone_validator])
    fax = models.CharField("FAX番号", max_length=20, blank=True, validators=[phone_validator])
    email = models.EmailField("メールアドレス", blank=True)

    objects = MunicipalityScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "担当課"
        verbose_name_plural = "担当課"
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="unique_department_name"),
        ]

    def __str__(self):
        return self.name


class Organization(models.Model):
    """A partner organisation as a municipality records it (councils, programmes)."""

    class Sector(models.TextChoices):
        NATIONAL = "national", "国の機関"
        PREFECTURE = "prefecture", "都道府県"
        MUNICIPALITY = "municipality", "市区町村"
        VOLUNTEER = "volunteer", "更生保護ボランティア"
        BUSINESS = "business", "民間事業者"
        NONPROFIT = "nonprofit", "民間非営利団体"
        PROFESSIONAL = "professional", "専門職団体"

    municipality = models.ForeignKey(
        Municipality,
        verbose_name="登録自治体",
        on_delete=models.CASCADE,
        related_name="organizations",
        help_text="この団体を登録している自治体です。",
    )
    name = models.CharField("団体名", max_length=120)
    sector = models.CharField("分野", max_length=20, choices=Sector.choices)
    website = models.URLField("ウェブサイト", blank=True)

    objects = MunicipalityScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "関係機関・団体"
        verbose_name_plural = "関係機関・団体"
        permissions = spreadsheet_permissions("organization", "関係機関・団体")
        ordering = ["municipality", "sector", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="unique_organization_name"),
        ]

    def __str__(self):
        return self.name


class NationalPriority(models.Model):
    """One of the seven 重点課題 of a national 再犯防止推進計画."""

    class NationalPlan(models.IntegerChoices):
        FIRST = 1, "第一次再犯防止推進計画（平成29年12月15日閣議決定）"
        SECOND = 2, "第二次再犯防止推進計画（令和5年3月17日閣議決定）"

    national_plan = models.PositiveSmallIntegerField("国の計画", choices=NationalPlan.choices)
    number = models.PositiveSmallIntegerField("番号")
    title = models.CharField("重点課題", max_length=100)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "国の重点課題"
        verbose_name_plural = "国の重点課題"
        ordering = ["-national_plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["national_plan", "number"], name="unique_national_priority"),
        ]

    def __str__(self):
        edition = "第一次" if self.national_plan == self.NationalPlan.FIRST else "第二次"
        return f"{edition}{self.number} {self.title}"


class Plan(models.Model):
    """A plan's working rows, which staff edit freely; residents read its approved versions (publishing)."""

    municipality = models.ForeignKey(
        Municipality, verbose_name="自治体", on_delete=models.PROTECT, related_name="plans"
    )
    title = models.CharField("計画名", max_length=120, help_text="例：第二次山口市再犯防止推進計画")
    edition = models.PositiveSmallIntegerField(
        "次数", null=True, blank=True, help_text="第二次計画なら 2。次数を付けない計画は空欄にします。"
    )
    period_start = models.DateField(
        "計画期間（開始）",
        help_text="「令和6年度」と入力するとその年度の4月1日です。年度途中の開始は「令和3年12月」や「2021年12月1日」と入力します。",
    )
    period_end = models.DateField(
        "計画期間（終了）",
        help_text="「令和8年度」と入力するとその年度の末日（令和9年3月31日）です。「令和8年3月」ならその月の末日です。",
    )
    embedded_in = models.CharField(
        "包含する計画",
        max_length=120,
        blank=True,
        help_text="この計画を一部として含む上位の計画（例：山口市地域福祉計画）。単独の計画なら空欄。",
    )
    legal_basis = models.CharField(
        "根拠法令", max_length=200, blank=True,
        help_text="計画が根拠として示す法令（例：再犯の防止等の推進に関する法律第8条第1項）。記載がなければ空欄にします。",
    )
    position = models.TextField("計画の位置付け", blank=True)
    purpose = models.TextField("計画の目的", blank=True)
    target_persons = models.TextField("計画の対象者", blank=True)
    basic_philosophy = models.TextField("基本理念", blank=True)
    basic_policy = models.TextField("基本方針", blank=True)
    current_situation = models.TextField("現状", blank=True, help_text="「現状と課題」の現状の説明文。")
    promotion_system = models.TextField("推進体制", blank=True)
    progress_management = models.TextField("進捗管理", blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name="担当課",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
        help_text="計画を所管し、問い合わせ先として表示する課（編集・発行）。",
    )
    document = models.FileField(
        "計画本文（ファイル）", upload_to="plans/%Y/", blank=True, validators=[validate_upload], help_text=UPLOAD_HELP_TEXT
    )
    document_size = models.PositiveBigIntegerField("ファイルサイズ", null=True, blank=True, editable=False)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    objects = MunicipalityScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "計画"
        verbose_name_plural = "計画"
        ordering = ["municipality", "-period_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="plan_period_end_after_start"
            ),
            models.UniqueConstraint(fields=["municipality", "title"], name="unique_plan_title"),
        ]
        permissions = [("publish_plan", "計画を承認して公開・公開終了できる")]

    def __str__(self):
        return self.title

    def clean(self):
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "計画期間の終了日は開始日以降にしてください。"})
        if self.department_id and self.municipality_id and self.department.municipality_id != self.municipality_id:
            raise ValidationError({"department": "他の自治体の課は選べません。"})

    def save(self, *args, **kwargs):
        self.document_size = stored_size(self.document)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("public:plan", args=[self.pk])

    def may_be_published_by(self, user) -> bool:
        """Only a superuser or a publisher (公開責任者) of the plan's own municipality approves and publishes."""
        if not (user.is_active and user.is_authenticated):
            return False
        if user.is_superuser:
            return True
        return user.has_perm("plans.publish_plan") and self.municipality.memberships.filter(
            user=user, role=StaffMembership.Role.PUBLISHER
        ).exists()

    @classmethod
    def touch(cls, plan_id) -> None:
        """Move 更新日 when something below the plan changed (no history row: nothing of the plan itself did)."""
        if plan_id is not None:
            cls.objects.filter(pk=plan_id).update(updated_at=timezone.now())

    @property
    def edition_label(self) -> str:
        return f"第{kanji_number(self.edition)}次" if self.edition else ""

    @property
    def first_fiscal_year(self) -> int:
        return eras.fiscal_year_of(self.period_start)

    @property
    def last_fiscal_year(self) -> int:
        return eras.fiscal_year_of(self.period_end)

    @property
    def fiscal_years(self) -> list[int]:
        return list(range(self.first_fiscal_year, self.last_fiscal_year + 1))

    @property
    def starts_mid_year(self) -> bool:
        return (self.period_start.month, self.period_start.day) != (4, 1)

    @property
    def ends_mid_year(self) -> bool:
        return (self.period_end.month, self.period_end.day) != (3, 31)

    @property
    def period_label(self) -> str:
        """令和5年度～令和9年度, or 令和3年12月～令和8年3月 when the period starts or ends mid-year."""
        if self.starts_mid_year or self.ends_mid_year:
            return f"{eras.japanese_month(self.period_start)}～{eras.japanese_month(self.period_end)}"
        return f"{eras.fiscal_year_label(self.first_fiscal_year)}～{eras.fiscal_year_label(self.last_fiscal_year)}"

    @property
    def period_full_label(self) -> str:
        """令和5年度（2023年度）～令和9年度（2027年度）, or with months when the period starts or ends mid-year."""
        if self.starts_mid_year or self.ends_mid_year:
            return (
                f"{eras.japanese_month(self.period_start)}（{self.period_start.year}年{self.period_start.month}月）～"
                f"{eras.japanese_month(self.period_end)}（{self.period_end.year}年{self.period_end.month}月）"
            )
        first, last = self.first_fiscal_year, self.last_fiscal_year
        return f"{eras.fiscal_year_full_label(first)}～{eras.fiscal_year_full_label(last)}"

    @property
    def document_label(self) -> str:
        """第二次山口市再犯防止推進計画 [PDFファイル／1.38MB]."""
        label = file_label(self.document.name, self.document_size)
        return f"{self.title} {label}" if label else ""

    @property
    def has_undated_steps(self) -> bool:
        """Whether a step of its 策定経過 has no date in the source (pages then say why a date is 「－」)."""
        return any(step.date is None for step in self.formulation_steps.all())

    @property
    def last_updated(self) -> datetime.date:
        """更新日 shown to residents."""
        return timezone.localdate(self.updated_at)


class FormulationStep(models.Model):
    """A step of 策定経過, in the order the plan lists it, dated only when the source dates it."""

    class Kind(models.TextChoices):
        TRAINING = "training", "研修"
        SURVEY = "survey", "調査"
        DRAFTING = "drafting", "素案作成"
        COUNCIL = "council", "協議会等での審議"
        PUBLIC_COMMENT = "public_comment", "パブリックコメント"
        COMMITTEE = "committee", "委員会等での審議"
        ADOPTION = "adoption", "策定"
        OTHER = "other", "その他"

    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="formulation_steps")
    # The plan's own order: a source may list its steps without dates, and the order must not hang on them.
    order = models.PositiveSmallIntegerField("順番", help_text="資料に並んでいる順に1、2、3…と入力します。")
    date = models.DateField(
        "日付", null=True, blank=True,
        help_text="資料に日がなければ「令和5年12月」、月もなければ「令和5年度」と入力します。"
        "日付の記載がなければ空欄にします（ページには日付なしで表示されます）。",
    )
    end_date = models.DateField(
        "終了日", null=True, blank=True,
        help_text="期間のある手続（パブリックコメント等）の場合。日付と同じ書き方（日・月・年度）で入力します。",
    )
    # Set from how the dates were typed (令和5年12月 → 月): the page never shows more than the source says.
    date_precision = models.CharField(
        "日付の精度", max_length=12, choices=eras.DatePrecision.choices, default=eras.DatePrecision.DAY,
        editable=False,
    )
    kind = models.CharField("区分", max_length=20, choices=Kind.choices)
    description = models.TextField(
        "内容", max_length=200, help_text="改行や「・」「○」の箇条書きは、そのままページに表示されます。"
    )

    objects = PlanPartQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "策定経過"
        verbose_name_plural = "策定経過"
        permissions = spreadsheet_permissions("formulationstep", "策定経過")
        ordering = ["plan", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("date")),
                name="formulation_step_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(date__isnull=False),
                name="formulation_step_end_has_start",
            ),
        ]

    def __str__(self):
        return f"{self.date_label} {self.description}" if self.date else self.description

    def clean(self):
        if self.end_date and not self.date:
            raise ValidationError({"end_date": "終了日を入力するときは日付も入力してください。"})
        if self.date and self.end_date and self.end_date < self.date:
            raise ValidationError({"end_date": "終了日は日付以降にしてください。"})

    @property
    def date_label(self) -> str:
        """令和5年12月1日, 令和5年12月 or 令和5年度, and its end: 令和5年12月1日～令和5年12月28日; '' undated."""
        if self.date is None:
            return ""
        label = eras.date_label(self.date, self.date_precision)
        if self.end_date:
            label += f"～{eras.date_label(self.end_date, self.date_precision)}"
        return label

    @classmethod
    def next_order(cls, plan) -> int:
        """The order of a step added after the plan's last one."""
        last = cls.objects.filter(plan=plan).aggregate(last=models.Max("order"))["last"]
        return (last or 0) + 1


class Challenge(models.Model):
    """One of the plan's 課題."""

    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="challenges")
    order = models.PositiveSmallIntegerField("順番")
    text = models.TextField("課題")

    objects = PlanPartQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "課題"
        verbose_name_plural = "課題"
        ordering = ["plan", "order"]
        constraints = [models.UniqueConstraint(fields=["plan", "order"], name="unique_challenge_order")]

    def __str__(self):
        return self.text


# How 達成率 is computed and rounded, stated wherever it is shown (pages, PDFs, open data, /accessibility/).
ACHIEVEMENT_RULE = (
    "達成率は、基準値から目標値までの差に対して、基準値から最新の値までに進んだ割合です。"
    "百分率の小数第2位を四捨五入して小数第1位まで示します（目標を達成したときは100%、"
    "基準値より悪化したときは0%とします）。"
)
PERCENT_STEP = Decimal("0.1")


@dataclass(frozen=True)
class Progress:
    """Where an indicator stands against its target."""

    baseline: Decimal | None
    latest: Decimal
    latest_year: int
    target: Decimal
    achieved: bool
    remaining: Decimal  # how far the latest value still is from the target (0 once achieved)
    ratio: Decimal | None  # share of the way from baseline to target, unrounded; None without a gap

    @property
    def worsened(self) -> bool:
        """Moved away from the target since the baseline (基準値より悪化)."""
        return self.ratio is not None and self.ratio < 0

    @property
    def percent(self) -> Decimal | None:
        """達成率 in percent to one decimal place, rounded half up from the exact ratio as public bodies round
        (小数第2位を四捨五入: 92/178 → 51.7), held to 0–100: 100.0 only once the target is reached, 0.0 when worse."""
        if self.achieved:
            return Decimal("100.0")
        if self.ratio is None:
            return None
        percent = (self.ratio * 100).quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)
        return min(max(percent, Decimal("0.0")), Decimal("99.9"))


class IndicatorQuerySet(PlanPartQuerySet):
    def with_latest_value(self):
        """Each indicator's newest value read in the same query, for Indicator.latest_value: a table of
        many plans' KPIs then loads no value rows (a prefetch would make a model of each of them)."""
        newest = IndicatorValue.objects.filter(indicator=OuterRef("pk")).order_by("-year")
        return self.annotate(
            newest_year=Subquery(newest.values("year")[:1]), newest_value=Subquery(newest.values("value")[:1])
        )


class Indicator(models.Model):
    """A KPI target (成果目標) or a context statistic of a plan, with yearly values."""

    class Kind(models.TextChoices):
        TARGET = "target", "成果目標"
        STATISTIC = "statistic", "現状の統計"

    class Direction(models.TextChoices):
        LOWER = "lower", "少ないほど良い"
        HIGHER = "higher", "多いほど良い"

    class PeriodKind(models.TextChoices):
        CALENDAR = "calendar", "暦年"
        FISCAL = "fiscal", "年度"
        AVERAGE = "average", "複数年平均"

    plan = models.ForeignKey(Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="indicators")
    kind = models.CharField("種類", max_length=20, choices=Kind.choices, default=Kind.TARGET)
    order = models.PositiveSmallIntegerField("順番", default=1)
    name = models.CharField("指標名", max_length=120, help_text="例：刑法犯検挙人員中の再犯者数")
    unit = models.CharField("単位", max_length=10, help_text="例：人、%、件、世帯")
    # Blank unless the source says it: the target is then shown without 「以下」「以上」, and 達成率 follows the
    # way from the baseline to the target.
    direction = models.CharField(
        "望ましい方向", max_length=10, choices=Direction.choices, blank=True,
        help_text="目標値に「以下」「以上」を付けて表示します。資料の目標が「450人以下」のように書いていれば選び、"
        "「100%」のように方向を書いていなければ空欄にします（達成率は基準値から目標値への向きで計算します）。",
    )
    period_kind = models.CharField(
        "集計期間", max_length=10, choices=PeriodKind.choices, blank=True,
        help_text="出典が暦年・年度・複数年平均のどれかを示していれば選びます。示していなければ空欄にします"
        "（年は「令和4」のように年・年度を付けずに表示します）。",
    )
    target_period_kind = models.CharField(
        "目標年の表し方", max_length=10, choices=PeriodKind.choices, blank=True,
        help_text="空欄なら集計期間と同じです。暦年の統計に「令和7年度末までに」の目標なら「年度」を選びます。",
    )
    average_years = models.PositiveSmallIntegerField(
        "平均する年数", null=True, blank=True, help_text="複数年平均の場合のみ（例：3）。"
    )
    baseline_year = models.PositiveSmallIntegerField("基準年", null=True, blank=True, help_text="例：2019、令和元年、R1")
    baseline_value = models.DecimalField("基準値", max_digits=14, decimal_places=2, null=True, blank=True)
    target_year = models.PositiveSmallIntegerField("目標年", null=True, blank=True, help_text="例：2025、令和7年、R7")
    target_value = models.DecimalField("目標値", max_digits=14, decimal_places=2, null=True, blank=True)
    target_text = models.CharField(
        "目標の文言", max_length=200, blank=True, help_text="例：熊本市の刑法犯検挙人員中の再犯者数を450人以下とします。"
    )
    as_of_text = models.CharField(
        "時点", max_length=100, blank=True,
        help_text="出典に年がないときに、出典の書き方で入力します（例：令和2年国勢調査時点）。基準年より優先して表示します。",
    )
    source = models.CharField("出典", max_length=200, blank=True, help_text="例：熊本県警察（暦年）")
    note = models.TextField("備考", blank=True, help_text="住民向けのページとPDFに表示されます。")
    staff_note = models.TextField(
        "職員用メモ（公開しません）",
        blank=True,
        help_text="出典の確認結果など職員どうしの覚え書き。住民向けのページ・PDF・オープンデータには表示されません。",
    )

    objects = IndicatorQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "指標"
        verbose_name_plural = "指標"
        ordering = ["plan", "kind", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "name"], name="unique_indicator_name"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        averaged = self.PeriodKind.AVERAGE in (self.period_kind, self.target_period_kind)
        if averaged and not self.average_years:
            raise ValidationError({"average_years": "複数年平均の場合は平均する年数を入力してください。"})
        # A target may be stated without a year (熊本市: 「450人以下とします」), never a year without a target.
        if self.target_year is not None and self.target_value is None:
            raise ValidationError({"target_value": "目標年を入力した場合は目標値も入力してください。"})

    def period_label(self, year: int) -> str:
        """The label of a value's period: 令和元年, 令和元年度 or 平成29年～令和元年平均; 令和元 when the source
        does not say whether its years are calendar or fiscal years."""
        if self.period_kind == self.PeriodKind.FISCAL:
            return eras.fiscal_year_label(year)
        if self.period_kind == self.PeriodKind.AVERAGE:
            first = year - (self.average_years or 1) + 1
            return f"{eras.year_label(first)}～{eras.year_label(year)}平均"
        if self.period_kind == self.PeriodKind.CALENDAR:
            return eras.year_label(year)
        return eras.era_year(year)

    @property
    def period_heading(self) -> str:
        """The heading of a table's column of periods: 暦年, 年度, 複数年平均, or 年（年度） when not stated."""
        return self.get_period_kind_display() or "年（年度）"

    def target_period_label(self) -> str:
        """The target's year in its own kind: 令和7年, 令和7年度末 or 令和3年～令和7年平均 (令和7 when no kind is
        stated); '' without a year."""
        if self.target_year is None:
            return ""
        kind = self.target_period_kind or self.period_kind
        if kind == self.PeriodKind.FISCAL:
            return f"{eras.fiscal_year_label(self.target_year)}末"
        if kind == self.PeriodKind.AVERAGE:
            first = self.target_year - (self.average_years or 1) + 1
            return f"{eras.year_label(first)}～{eras.year_label(self.target_year)}平均"
        if kind == self.PeriodKind.CALENDAR:
            return eras.year_label(self.target_year)
        return eras.era_year(self.target_year)

    # -- figures as residents read them (small counts masked) and as staff read them (exact)

    def quantity_label(self, value: Decimal | None, *, public: bool = False) -> str:
        """564人; in public, 3人未満 for a small count about people; '' for no value."""
        if value is None:
            return ""
        if public and disclosure.is_small_count(value, self.unit):
            return disclosure.small_count_label(self.unit)
        return format_quantity(value, self.unit)

    def baseline_text(self, *, public: bool = False) -> str:
        """令和元年 564人, or with its 時点 as the source states it; the value alone when neither is known."""
        if self.baseline_value is None:
            return ""
        value = self.quantity_label(self.baseline_value, public=public)
        when = self.as_of_text or (self.period_label(self.baseline_year) if self.baseline_year is not None else "")
        return f"{when} {value}" if when else value

    @property
    def baseline_label(self) -> str:
        """令和元年 564人, or as the source states its time (令和2年国勢調査時点 1,107人); '' without either."""
        return self.baseline_text() if self.baseline_year is not None or self.as_of_text else ""

    @property
    def baseline_period_label(self) -> str:
        return self.period_label(self.baseline_year) if self.baseline_year is not None else ""

    @property
    def baseline_not_in_values(self) -> bool:
        """A baseline known only as the baseline, not also entered as that year's value (values prefetched)."""
        return (
            self.baseline_value is not None and self.baseline_year is not None
            and all(v.year != self.baseline_year for v in self.values.all())
        )

    @property
    def masks_small_counts(self) -> bool:
        """Whether residents see any of its figures as 「3人未満」 (values prefetched)."""
        figures = [self.baseline_value] + [
            figure for v in self.values.all() for figure in (v.value, v.prefecture_value, v.national_value)
        ] + [comparison.value for comparison in self.comparisons.all()]
        return any(disclosure.is_small_count(figure, self.unit) for figure in figures)

    def own_figure(self, *, public: bool = False) -> tuple[str, str] | None:
        """The city's figure that comparisons stand beside: (its time, its value) of the newest yearly value,
        else of the baseline (as the source states its time); None without either (values prefetched)."""
        latest = self.latest_value()
        if latest is not None:
            return latest.period_label, self.quantity_label(latest.value, public=public)
        if self.baseline_value is None:
            return None
        when = self.as_of_text or (self.period_label(self.baseline_year) if self.baseline_year is not None else "")
        return when, self.quantity_label(self.baseline_value, public=public)

    def comparisons_beside(self, values=None) -> list["IndicatorComparison"]:
        """The comparison figures, but those that repeat a yearly value's 都道府県の値 or 全国の値 of the same time.

        Staff may enter 熊本県's 8,360件 of 令和4年 on the yearly row and again as a comparison figure: one fact,
        printed once, in the yearly figures. `values`: the yearly values printed with them (all, by default;
        the 概要版 prints the newest only). Comparisons and values prefetched.
        """
        values = list(self.values.all()) if values is None else values
        return [c for c in self.comparisons.all() if not any(c.repeats(value) for value in values)]

    @property
    def public_figures_compared(self) -> list[tuple[str, str, str]]:
        """(subject, value, time) of the city's figure, then of each comparison figure (熊本県, 全国, …), as
        residents read them; [] without comparisons (comparisons and values prefetched)."""
        comparisons = self.comparisons_beside()
        if not comparisons:
            return []
        rows = []
        own = self.own_figure(public=True)
        if own is not None:
            rows.append((self.plan.municipality.name, own[1], own[0]))
        return rows + [(c.subject, c.public_value_label, c.when_label) for c in comparisons]

    @property
    def public_baseline_label(self) -> str:
        return self.baseline_text(public=True) if self.baseline_year is not None or self.as_of_text else ""

    @property
    def public_baseline_text(self) -> str:
        return self.baseline_text(public=True)

    @property
    def target_label(self) -> str:
        if self.target_value is None:
            return ""
        bound = {"lower": "以下", "higher": "以上"}.get(self.direction, "")
        return f"{format_quantity(self.target_value, self.unit)}{bound}"

    def latest_value(self):
        """The newest yearly value: as annotated by with_latest_value, else from the prefetched values
        when there are any."""
        if hasattr(self, "newest_year"):
            return self.annotated_latest_value
        values = list(self.values.all())
        return max(values, key=lambda v: v.year) if values else None

    @cached_property
    def annotated_latest_value(self):
        """The value with_latest_value annotated, made once (unsaved, its year and value only)."""
        if self.newest_year is None:
            return None
        return IndicatorValue(indicator=self, year=self.newest_year, value=self.newest_value)

    @property
    def way_to_target(self) -> str:
        """Lower or higher: as chosen (望ましい方向), else the way from the baseline to the target (564 → 450 is
        lower); '' when neither says it (no direction, and no baseline or one equal to the target)."""
        if self.direction:
            return self.direction
        if self.baseline_value is None or self.target_value is None or self.baseline_value == self.target_value:
            return ""
        return self.Direction.LOWER if self.target_value < self.baseline_value else self.Direction.HIGHER

    def progress(self) -> Progress | None:
        """Progress from baseline towards target, in either direction; None without a target, a value or a way.

        The ratio is (baseline − latest) / (baseline − target) for lower-is-better and the mirror for
        higher-is-better; None without a baseline or when the baseline already met the target. The latest
        value and the baseline are in the indicator's own period kind, whatever kind the target year is in.
        """
        latest = self.latest_value()
        way = self.way_to_target
        if self.target_value is None or latest is None or not way:
            return None
        target, value, baseline = self.target_value, latest.value, self.baseline_value
        if way == self.Direction.LOWER:
            achieved, gap = value <= target, value - target
            moved, span = (None, None) if baseline is None else (baseline - value, baseline - target)
        else:
            achieved, gap = value >= target, target - value
            moved, span = (None, None) if baseline is None else (value - baseline, target - baseline)
        return Progress(
            baseline=baseline,
            latest=value,
            latest_year=latest.year,
            target=target,
            achieved=achieved,
            remaining=max(gap, Decimal(0)),
            ratio=moved / span if span and span > 0 else None,
        )

    def achievement_text(self, *, public: bool = False) -> str:
        """達成率 in words and numbers: 達成率 51.7%（基準値892人→最新800人／目標714人以下）.

        Past the target it reads 達成率 100.0%・目標を達成, moving the wrong way 達成率 0.0%・基準値より悪化;
        '' without a baseline, a target and a value later than the baseline. In public, a rate computed
        from a masked small count would give the count away, so only the masked figures are shown.
        """
        progress = self.progress()
        if progress is None or progress.baseline is None:
            return ""
        if self.baseline_year is not None and progress.latest_year <= self.baseline_year:
            return ""  # nothing measured since the baseline yet
        baseline = self.quantity_label(progress.baseline, public=public)
        latest = self.quantity_label(progress.latest, public=public)
        figures = f"（基準値{baseline}→最新{latest}／目標{self.target_label}）"
        if public and (
            disclosure.is_small_count(progress.baseline, self.unit)
            or disclosure.is_small_count(progress.latest, self.unit)
        ):
            return f"達成率は少数のため掲載していません{figures}"
        if progress.percent is None:
            return ""
        if progress.achieved:
            state = "・目標を達成"
        elif progress.worsened:
            state = "・基準値より悪化"
        else:
            state = ""
        return f"達成率 {progress.percent}%{state}{figures}"

    def achievement_percent(self, *, public: bool = False) -> Decimal | None:
        """The 達成率 the text states, as a number (51.7); None where the text states none (in public, also
        when computed from a masked small count)."""
        text = self.achievement_text(public=public)
        if not text.startswith("達成率 "):
            return None
        return self.progress().percent

    @property
    def public_achievement_text(self) -> str:
        return self.achievement_text(public=True)

    @property
    def public_achievement_percent(self) -> Decimal | None:
        return self.achievement_percent(public=True)

    def progress_text(self) -> str:
        """The progress in words: 目標まで残り114人 or 目標を達成しています."""
        progress = self.progress()
        if progress is None:
            return ""
        if progress.achieved:
            return "目標を達成しています"
        return f"目標まで残り{format_quantity(progress.remaining, self.unit)}"

    @property
    def public_progress_text(self) -> str:
        """progress_text, or '' when the latest value is a masked small count (the rest would give it away)."""
        progress = self.progress()
        if progress is None or disclosure.is_small_count(progress.latest, self.unit):
            return ""
        return self.progress_text()


def format_quantity(value: Decimal, unit: str = "") -> str:
    """1107 → 1,107人; 44.80 → 44.8%."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


class IndicatorValueQuerySet(MunicipalityScopedQuerySet):
    municipality_path = "indicator__plan__municipality"


class IndicatorValue(models.Model):
    indicator = models.ForeignKey(Indicator, verbose_name="指標", on_delete=models.CASCADE, related_name="values")
    year = models.PositiveSmallIntegerField("年（年度）", help_text="例：2019、令和元年、R1（年度なら開始年、複数年平均なら最終年）。")
    value = models.DecimalField("値", max_digits=14, decimal_places=2)
    prefecture_value = models.DecimalField("都道府県の値", max_digits=14, decimal_places=2, null=True, blank=True)
    national_value = models.DecimalField("全国の値", max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.CharField("備考", max_length=200, blank=True)

    objects = IndicatorValueQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "指標の値"
        verbose_name_plural = "指標の値"
        permissions = spreadsheet_permissions("indicatorvalue", "指標の値")
        ordering = ["indicator", "year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="unique_indicator_year"),
        ]
        indexes = [models.Index(fields=["year"], name="indicator_value_year_idx")]  # the 年 filter's range

    def __str__(self):
        return f"{self.indicator} {self.period_label}"

    @property
    def period_label(self) -> str:
        return self.indicator.period_label(self.year)

    @property
    def value_label(self) -> str:
        return format_quantity(self.value, self.indicator.unit)

    @property
    def public_value_label(self) -> str:
        """3人未満 for a small count about people (reoffense_portal.machinery.disclosure), else as value_label."""
        return self.indicator.quantity_label(self.value, public=True)

    @property
    def public_prefecture_label(self) -> str:
        return self.indicator.quantity_label(self.prefecture_value, public=True)

    @property
    def public_national_label(self) -> str:
        return self.indicator.quantity_label(self.national_value, public=True)


class IndicatorComparison(models.Model):
    """A figure a plan sets beside its city's statistic: the prefecture's, the nation's or another body's.

    A fact of its own, with its time as the source states it (「令和4年」「令和2年国勢調査時点」) and a year
    only when the source gives one: 「埼玉県 49,653件」 printed beside the city's figure has a place even
    when no year is stated. Its unit is the indicator's.
    """

    class Scope(models.TextChoices):
        PREFECTURE = "prefecture", "都道府県"
        NATION = "nation", "全国"
        OTHER = "other", "その他"

    indicator = models.ForeignKey(
        Indicator, verbose_name="指標", on_delete=models.CASCADE, related_name="comparisons"
    )
    scope = models.CharField("比較の対象", max_length=12, choices=Scope.choices)
    label = models.CharField(
        "対象の名前", max_length=40, blank=True,
        help_text="「その他」のときに入力します（例：中核市の平均）。都道府県なら空欄で都道府県名、全国なら「全国」と表示します。",
    )
    value = models.DecimalField("値", max_digits=14, decimal_places=2, help_text="単位は指標の単位です。")
    as_of_text = models.CharField(
        "時点", max_length=100, blank=True,
        help_text="出典の書き方で入力します（例：令和4年、令和2年国勢調査時点）。書かれていなければ空欄にします。",
    )
    year = models.PositiveSmallIntegerField(
        "年（年度）", null=True, blank=True,
        help_text="出典に年があるときだけ（例：2022、令和4年）。時点が空欄なら、この年を指標の集計期間で表示します。",
    )

    objects = IndicatorValueQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "比較の値（都道府県・全国など）"
        verbose_name_plural = "比較の値（都道府県・全国など）"
        ordering = ["indicator", "pk"]

    def __str__(self):
        return f"{self.indicator} {self.label or self.get_scope_display()}"

    def clean(self):
        if self.scope == self.Scope.OTHER and not self.label:
            raise ValidationError({"label": "比較の対象が「その他」のときは、対象の名前を入力してください。"})

    @property
    def subject(self) -> str:
        """埼玉県, 全国, or the label typed (中核市の平均); a named prefecture or nation keeps its name."""
        return self.label or self.scope_subject

    @property
    def scope_subject(self) -> str:
        """The prefecture's name (or 都道府県) or 全国, whatever the label."""
        if self.scope == self.Scope.PREFECTURE:
            prefecture = self.indicator.plan.municipality.prefecture
            return prefecture.name if prefecture else self.get_scope_display()
        return self.get_scope_display()

    # The yearly value's figure of the same subject.
    YEARLY_FIELDS = {Scope.PREFECTURE: "prefecture_value", Scope.NATION: "national_value"}

    def repeats(self, value: IndicatorValue) -> bool:
        """Whether this figure is also `value`'s 都道府県の値 or 全国の値: the same subject, time and figure.

        Its time is its year, else its 時点 as the yearly row states it (令和4年); a figure without a time
        is a fact of its own.
        """
        name = self.YEARLY_FIELDS.get(self.scope)
        if name is None or getattr(value, name) != self.value or self.label not in ("", self.scope_subject):
            return False
        if self.year is not None:
            return self.year == value.year
        return bool(self.as_of_text) and self.as_of_text == value.period_label

    @property
    def when_label(self) -> str:
        """令和2年国勢調査時点 as the source states it, else the year in the indicator's period kind, else ''."""
        if self.as_of_text:
            return self.as_of_text
        return self.indicator.period_label(self.year) if self.year is not None else ""

    @property
    def value_label(self) -> str:
        return self.indicator.quantity_label(self.value)

    @property
    def public_value_label(self) -> str:
        """3人未満 for a small count about people (reoffense_portal.machinery.disclosure), else as value_label."""
        return self.indicator.quantity_label(self.value, public=True)


class Feedback(models.Model):
    """A resident's answer to the three-question page survey (no reply is sent).

    No name, address or IP is stored: the form says it gets no reply, and
    rate limiting keeps its own short-lived counters in the cache.
    """

    class Sufficiency(models.TextChoices):
        SUFFICIENT = "sufficient", "十分だった"
        NORMAL = "normal", "普通"
        INSUFFICIENT = "insufficient", "情報が足りない"

    class Clarity(models.TextChoices):
        CLEAR = "clear", "分かりやすい"
        NORMAL = "normal", "普通"
        UNCLEAR = "unclear", "分かりにくい"

    class Findability(models.TextChoices):
        QUICK = "quick", "すぐに見つけた"
        NORMAL = "normal", "普通"
        SLOW = "slow", "時間がかかった"

    COMMENT_MAX_LENGTH = 1000

    municipality = models.ForeignKey(
        Municipality, verbose_name="自治体", on_delete=models.CASCADE, related_name="feedback"
    )
    plan = models.ForeignKey(
        Plan, verbose_name="計画", on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback"
    )
    page_path = models.CharField("ページのURL", max_length=200)
    page_title = models.CharField("ページ名", max_length=200, blank=True)
    sufficiency = models.CharField(
        "お求めの情報が十分掲載されていましたか？", max_length=20, choices=Sufficiency.choices, blank=True
    )
    clarity = models.CharField(
        "ページの構成や内容、表現は分かりやすいものでしたか？", max_length=20, choices=Clarity.choices, blank=True
    )
    findability = models.CharField(
        "この情報をすぐに見つけることができましたか？", max_length=20, choices=Findability.choices, blank=True
    )
    comment = models.TextField("良かった点や悪かった点", max_length=COMMENT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField("送信日時", auto_now_add=True)

    objects = MunicipalityScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "ページへのご意見"
        verbose_name_plural = "ページへのご意見"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["municipality", "-created_at"], name="feedback_municipality_idx")]

    def __str__(self):
        return f"{self.page_title or self.page_path}（{timezone.localtime(self.created_at):%Y-%m-%d %H:%M}）"
